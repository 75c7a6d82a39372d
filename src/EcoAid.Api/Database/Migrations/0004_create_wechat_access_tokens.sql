-- WeChat access tokens shared by every instance (one row per appid). Refreshes run under GET_LOCK.
CREATE TABLE wechat_access_tokens (
    app_id       VARCHAR(32)   NOT NULL PRIMARY KEY,
    access_token VARCHAR(1024) NOT NULL,
    expires_at   DATETIME(6)   NOT NULL,
    updated_at   DATETIME(6)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
