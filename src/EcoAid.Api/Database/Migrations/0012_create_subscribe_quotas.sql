-- Mini-program subscribe-message acceptances, counted by us (wechat-reference §5.3): +1 for each acceptance the
-- mini-program reports, −1 for each successful send, 0 again when WeChat answers 43101.
CREATE TABLE subscribe_quotas (
    user_id     BIGINT      NOT NULL,
    template_id VARCHAR(64) NOT NULL,
    remaining   INT         NOT NULL,
    accepted    INT         NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, template_id),
    CONSTRAINT fk_subscribe_quotas_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT ck_subscribe_quotas_remaining CHECK (remaining >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
