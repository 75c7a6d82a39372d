-- Dispatcher instances keep a heartbeat; a 'sending' row names the instance that claimed it, so the rows of an
-- instance that went silent are taken over long before their lease runs out (the lease still covers slow sends of a
-- live instance).
CREATE TABLE dispatcher_instances (
    instance_id  BIGINT      NOT NULL PRIMARY KEY,
    heartbeat_at DATETIME(6) NOT NULL,
    KEY ix_dispatcher_instances_heartbeat (heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE notification_outbox
    ADD COLUMN claimed_by BIGINT NULL;

-- One row: an id made once per database, the prefix of every client_msg_id sent to WeChat, so two databases sharing
-- an Official Account (a staging copy, a restored backup elsewhere) never send the same one. made_for names where
-- it was made (server and schema); a copy found elsewhere makes a new id.
CREATE TABLE database_identity (
    id       TINYINT      NOT NULL PRIMARY KEY,
    token    CHAR(8)      NOT NULL,
    made_for VARCHAR(300) NOT NULL,
    made_at  DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
