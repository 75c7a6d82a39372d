-- The national calendar's exceptions: holidays on weekdays and make-up workdays (调休) on weekends.
CREATE TABLE calendar_days (
    day        DATE        NOT NULL PRIMARY KEY,
    kind       VARCHAR(10) NOT NULL,
    name       VARCHAR(50) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT ck_calendar_days_kind CHECK (kind IN ('holiday', 'workday'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
