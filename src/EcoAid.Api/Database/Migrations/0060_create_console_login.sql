-- The desk console (/console/): one-time login tickets shown as a mini-program code, and which channel a session
-- belongs to. A console session is carried in an HttpOnly cookie, an app session as a bearer token; neither is
-- accepted in the other's place. Tickets and the browser-binding secret are stored as SHA-256 hashes only.
CREATE TABLE console_login_tickets (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ticket_hash   BINARY(32)  NOT NULL,
    browser_hash  BINARY(32)  NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    expires_at    DATETIME(6) NOT NULL,
    confirmed_by  BIGINT      NULL,
    confirmed_at  DATETIME(6) NULL,
    used_at       DATETIME(6) NULL,
    CONSTRAINT uq_console_login_tickets_hash UNIQUE (ticket_hash),
    KEY ix_console_login_tickets_expiry (expires_at),
    CONSTRAINT fk_console_login_tickets_user FOREIGN KEY (confirmed_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE sessions ADD COLUMN channel VARCHAR(16) NOT NULL DEFAULT 'app';
