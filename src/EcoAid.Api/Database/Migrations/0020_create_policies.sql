-- The policy library (政策文件, 码上说执法 explainers): documents, their edit history and PDF attachments.
-- body holds the one stored format, a small HTML subset (what the mini-program's editor writes), already sanitised;
-- body_text is its plain text, kept only so that search can run LIKE over words rather than markup.
CREATE TABLE policies (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id       BIGINT        NOT NULL,
    category        VARCHAR(30)   NOT NULL,
    title           VARCHAR(200)  NOT NULL,
    summary         VARCHAR(1000) NOT NULL,
    body            MEDIUMTEXT    NOT NULL,
    body_text       MEDIUMTEXT    NOT NULL,
    tags            VARCHAR(1000) NOT NULL,
    source          VARCHAR(200)  NULL,
    effective_date  DATE          NULL,
    status          VARCHAR(20)   NOT NULL,
    revision        INT           NOT NULL,
    created_by      BIGINT        NOT NULL,
    created_at      DATETIME(6)   NOT NULL,
    updated_by      BIGINT        NOT NULL,
    updated_at      DATETIME(6)   NOT NULL,
    published_at    DATETIME(6)   NULL,
    unpublished_at  DATETIME(6)   NULL,
    KEY ix_policies_public (status, published_at, id),
    KEY ix_policies_public_category (status, category, published_at, id),
    KEY ix_policies_branch (branch_id, status, updated_at),
    CONSTRAINT ck_policies_status CHECK (status IN ('draft', 'published', 'unpublished')),
    CONSTRAINT fk_policies_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_policies_creator FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT fk_policies_editor FOREIGN KEY (updated_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every change leaves a full snapshot; nothing updates or deletes a revision.
CREATE TABLE policy_revisions (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    policy_id       BIGINT        NOT NULL,
    revision        INT           NOT NULL,
    action          VARCHAR(30)   NOT NULL,
    category        VARCHAR(30)   NOT NULL,
    title           VARCHAR(200)  NOT NULL,
    summary         VARCHAR(1000) NOT NULL,
    body            MEDIUMTEXT    NOT NULL,
    tags            VARCHAR(1000) NOT NULL,
    source          VARCHAR(200)  NULL,
    effective_date  DATE          NULL,
    status          VARCHAR(20)   NOT NULL,
    edited_by       BIGINT        NOT NULL,
    edited_at       DATETIME(6)   NOT NULL,
    CONSTRAINT uq_policy_revisions UNIQUE (policy_id, revision),
    CONSTRAINT fk_policy_revisions_policy FOREIGN KEY (policy_id) REFERENCES policies (id),
    CONSTRAINT fk_policy_revisions_editor FOREIGN KEY (edited_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE policy_attachments (
    policy_id     BIGINT NOT NULL,
    attachment_id BIGINT NOT NULL,
    position      INT    NOT NULL,
    PRIMARY KEY (policy_id, attachment_id),
    CONSTRAINT fk_policy_attachments_policy FOREIGN KEY (policy_id) REFERENCES policies (id),
    CONSTRAINT fk_policy_attachments_attachment FOREIGN KEY (attachment_id) REFERENCES attachments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row: the version of everything the public reads. Every edit, publish, unpublish and new QR code bumps it in
-- its own transaction; each instance polls it to know when its in-memory cache is stale.
CREATE TABLE policy_library (
    id      TINYINT NOT NULL PRIMARY KEY,
    version BIGINT  NOT NULL,
    CONSTRAINT ck_policy_library_single CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO policy_library (id, version) VALUES (1, 1);
