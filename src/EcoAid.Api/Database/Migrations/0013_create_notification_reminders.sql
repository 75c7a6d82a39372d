-- Reminders produced by the scheduler, one row per (kind, subject, day): the key that makes every instance's
-- scheduler produce each reminder exactly once. The subject is a demand for the demand kinds.
CREATE TABLE notification_reminders (
    kind       VARCHAR(40) NOT NULL,
    subject_id BIGINT      NOT NULL,
    day        DATE        NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (kind, subject_id, day),
    KEY ix_notification_reminders_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
