-- The security audit trail (等保 2.0 二级 安全审计; PIPL): who did what, when, to what — logins, refusals, invites and
-- role changes, full-phone reveals, exports and report downloads, personal-data views and exports, deactivations.
-- Append-only: the service inserts and, past the retention setting, the purge deletes; nothing updates a row. No
-- foreign keys, so a deactivated user's or a removed record's events stay. Never holds secrets, tokens, openids or
-- phone numbers: detail is a small JSON of ids and filters.
CREATE TABLE audit_events (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    occurred_at   DATETIME(6)  NOT NULL,
    kind          VARCHAR(40)  NOT NULL,
    actor_user_id BIGINT       NULL,
    city_id       BIGINT       NULL,
    branch_id     BIGINT       NULL,
    subject_type  VARCHAR(40)  NULL,
    subject_id    BIGINT       NULL,
    method        VARCHAR(10)  NULL,
    path          VARCHAR(300) NULL,
    status        INT          NULL,
    detail        TEXT         NULL,
    KEY ix_audit_events_branch (branch_id, occurred_at),
    KEY ix_audit_events_city (city_id, occurred_at),
    KEY ix_audit_events_time (occurred_at),
    KEY ix_audit_events_actor (actor_user_id, occurred_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A person deactivated on request (PIPL §47): their identity is removed from users (name, phone, openid, unionid);
-- what they submitted stays as the branch's record, shown as 已注销用户.
ALTER TABLE users
    ADD COLUMN deactivated_at DATETIME(6) NULL;
