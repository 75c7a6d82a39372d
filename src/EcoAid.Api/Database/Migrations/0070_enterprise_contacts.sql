-- Several named contacts per enterprise (issue 13): a name, a role or title (职务), a phone, and one primary contact.
-- A contact may be tied to the mini-program user who is that person (user_id); a user who never set a display name is
-- called by their contact's name (matched by that tie, or by the verified phone), never "微信用户".
-- The enterprise's own contact_name/contact_phone columns stay, kept equal to the primary contact, for the readers of
-- the enterprise record that the API contract fixes.
CREATE TABLE enterprise_contacts (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    enterprise_id BIGINT      NOT NULL,
    name          VARCHAR(50) NOT NULL,
    title         VARCHAR(50) NULL,
    phone         VARCHAR(20) NULL,
    is_primary    BOOLEAN     NOT NULL DEFAULT FALSE,
    -- Equal to enterprise_id for the primary contact, NULL otherwise: the unique key allows one primary per enterprise.
    primary_of    BIGINT      AS (IF(is_primary, enterprise_id, NULL)) STORED,
    user_id       BIGINT      NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    KEY ix_enterprise_contacts_enterprise (enterprise_id, id),
    KEY ix_enterprise_contacts_user (user_id),
    CONSTRAINT uq_enterprise_contacts_primary UNIQUE (primary_of),
    CONSTRAINT fk_enterprise_contacts_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_enterprise_contacts_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The one contact each enterprise had becomes its primary contact.
INSERT INTO enterprise_contacts (enterprise_id, name, title, phone, is_primary, created_at, updated_at)
SELECT id, TRIM(contact_name), NULL, contact_phone, TRUE, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
FROM enterprises WHERE contact_name IS NOT NULL AND TRIM(contact_name) <> '';
