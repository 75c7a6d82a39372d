-- The in-app inbox: one entry per outbox row, written whatever WeChat did with it, so nothing is lost.
-- A member's entries are addressed to the member, so whoever logs in as that member reads them.
CREATE TABLE notification_inbox (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    outbox_id      BIGINT       NOT NULL,
    recipient_type VARCHAR(10)  NOT NULL,
    recipient_id   BIGINT       NOT NULL,
    kind           VARCHAR(40)  NOT NULL,
    demand_id      BIGINT       NULL,
    title          VARCHAR(100) NOT NULL,
    summary        VARCHAR(500) NOT NULL,
    page           VARCHAR(300) NULL,
    created_at     DATETIME(6)  NOT NULL,
    read_at        DATETIME(6)  NULL,
    CONSTRAINT uq_notification_inbox_outbox UNIQUE (outbox_id),
    KEY ix_notification_inbox_recipient (recipient_type, recipient_id, created_at),
    CONSTRAINT fk_notification_inbox_outbox FOREIGN KEY (outbox_id) REFERENCES notification_outbox (id),
    CONSTRAINT ck_notification_inbox_recipient CHECK (recipient_type IN ('member', 'user'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
