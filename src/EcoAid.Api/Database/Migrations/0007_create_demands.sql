-- Demands (诉求), their append-only timeline, attachments, and the bookkeeping that makes intake safe to retry.
CREATE TABLE attachments (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id     BIGINT       NULL,
    uploaded_by   BIGINT       NOT NULL,
    storage_key   VARCHAR(100) NOT NULL,
    content_type  VARCHAR(50)  NOT NULL,
    size_bytes    BIGINT       NOT NULL,
    sha256        BINARY(32)   NOT NULL,
    file_name     VARCHAR(200) NULL,
    created_at    DATETIME(6)  NOT NULL,
    CONSTRAINT uq_attachments_storage_key UNIQUE (storage_key),
    KEY ix_attachments_uploader (uploaded_by),
    CONSTRAINT fk_attachments_uploader FOREIGN KEY (uploaded_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE demand_numbers (
    branch_id BIGINT NOT NULL,
    year      INT    NOT NULL,
    last      INT    NOT NULL,
    PRIMARY KEY (branch_id, year)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE demands (
    id                 BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id          BIGINT        NOT NULL,
    enterprise_id      BIGINT        NOT NULL,
    number             VARCHAR(20)   NOT NULL,
    category           VARCHAR(30)   NOT NULL,
    source             VARCHAR(30)   NOT NULL,
    title              VARCHAR(200)  NOT NULL,
    description        TEXT          NOT NULL,
    urgent             BOOL          NOT NULL DEFAULT FALSE,
    expected_by        DATE          NULL,
    status             VARCHAR(20)   NOT NULL,
    content_check      VARCHAR(20)   NOT NULL,
    objective          VARCHAR(1000) NULL,
    measures           TEXT          NULL,
    owner_member_id    BIGINT        NULL,
    department_id      BIGINT        NULL,
    responsible_unit   VARCHAR(100)  NULL,
    due_date           DATE          NULL,
    extension_due_date DATE          NULL,
    extension_reason   VARCHAR(500)  NULL,
    resolution         TEXT          NULL,
    solved             BOOL          NULL,
    satisfaction       TINYINT       NULL,
    rating_comment     VARCHAR(500)  NULL,
    reopen_count       INT           NOT NULL DEFAULT 0,
    closing_reason     VARCHAR(500)  NULL,
    submitted_by       BIGINT        NOT NULL,
    submitted_at       DATETIME(6)   NOT NULL,
    accepted_at        DATETIME(6)   NULL,
    resolved_at        DATETIME(6)   NULL,
    closed_at          DATETIME(6)   NULL,
    updated_at         DATETIME(6)   NOT NULL,
    version            INT           NOT NULL DEFAULT 1,
    CONSTRAINT uq_demands_number UNIQUE (branch_id, number),
    KEY ix_demands_branch_status (branch_id, status, submitted_at),
    KEY ix_demands_enterprise (enterprise_id, submitted_at),
    KEY ix_demands_owner (owner_member_id, status),
    KEY ix_demands_department (department_id, status),
    CONSTRAINT fk_demands_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_demands_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_demands_owner FOREIGN KEY (owner_member_id) REFERENCES members (id),
    CONSTRAINT fk_demands_department FOREIGN KEY (department_id) REFERENCES departments (id),
    CONSTRAINT fk_demands_submitter FOREIGN KEY (submitted_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Nothing updates or deletes a timeline event.
CREATE TABLE demand_events (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    demand_id     BIGINT       NOT NULL,
    actor_user_id BIGINT       NULL,
    kind          VARCHAR(30)  NOT NULL,
    visibility    VARCHAR(10)  NOT NULL,
    text          TEXT         NULL,
    details       TEXT         NULL,
    created_at    DATETIME(6)  NOT NULL,
    KEY ix_demand_events_demand (demand_id, id),
    CONSTRAINT fk_demand_events_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_demand_events_actor FOREIGN KEY (actor_user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE demand_event_attachments (
    event_id      BIGINT NOT NULL,
    attachment_id BIGINT NOT NULL,
    PRIMARY KEY (event_id, attachment_id),
    CONSTRAINT fk_dea_event FOREIGN KEY (event_id) REFERENCES demand_events (id),
    CONSTRAINT fk_dea_attachment FOREIGN KEY (attachment_id) REFERENCES attachments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Creating POSTs with Idempotency-Key: the key is claimed in the same transaction as what it creates.
CREATE TABLE idempotency_keys (
    user_id         BIGINT       NOT NULL,
    idem_key        VARCHAR(255) NOT NULL,
    request_hash    BINARY(32)   NOT NULL,
    response_status INT          NULL,
    response_body   MEDIUMTEXT   NULL,
    location        VARCHAR(200) NULL,
    created_at      DATETIME(6)  NOT NULL,
    PRIMARY KEY (user_id, idem_key),
    CONSTRAINT fk_idempotency_keys_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per-user daily caps, counted here so they hold across instances.
CREATE TABLE user_daily_counts (
    user_id BIGINT      NOT NULL,
    day     DATE        NOT NULL,
    kind    VARCHAR(30) NOT NULL,
    count   INT         NOT NULL,
    PRIMARY KEY (user_id, day, kind),
    CONSTRAINT fk_user_daily_counts_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Notifications waiting to be delivered. Written in the same transaction as the action they report;
-- the dispatcher (notifications) sends them and keeps the delivery state here.
CREATE TABLE notification_outbox (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind            VARCHAR(40)   NOT NULL,
    recipient_type  VARCHAR(10)   NOT NULL,
    recipient_id    BIGINT        NOT NULL,
    demand_id       BIGINT        NULL,
    payload         TEXT          NOT NULL,
    status          VARCHAR(20)   NOT NULL DEFAULT 'pending',
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)   NOT NULL,
    last_error      VARCHAR(500)  NULL,
    created_at      DATETIME(6)   NOT NULL,
    KEY ix_notification_outbox_due (status, next_attempt_at),
    KEY ix_notification_outbox_demand (demand_id),
    CONSTRAINT ck_notification_outbox_recipient CHECK (recipient_type IN ('member', 'user'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
