-- Official Account (公众号) binding of task-force members, the server callback's inbox, and template-send results.
ALTER TABLE members
    ADD COLUMN oa_openid    VARCHAR(64) NULL,
    ADD COLUMN oa_following BOOL        NOT NULL DEFAULT FALSE,
    ADD COLUMN oa_bound_at  DATETIME(6) NULL,
    ADD CONSTRAINT uq_members_oa_openid UNIQUE (oa_openid);

-- Short-lived, single-use scenes of the parameterised QR codes that bind a member's Official Account openid.
CREATE TABLE oa_binding_scenes (
    scene          VARCHAR(64) NOT NULL PRIMARY KEY,
    member_id      BIGINT      NOT NULL,
    created_by     BIGINT      NOT NULL,
    created_at     DATETIME(6) NOT NULL,
    expires_at     DATETIME(6) NOT NULL,
    used_at        DATETIME(6) NULL,
    used_by_openid VARCHAR(64) NULL,
    KEY ix_oa_binding_scenes_member (member_id),
    CONSTRAINT fk_oa_binding_scenes_member FOREIGN KEY (member_id) REFERENCES members (id),
    CONSTRAINT fk_oa_binding_scenes_creator FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every delivery WeChat pushes, once: the unique dedupe key turns WeChat's retries into no-ops.
CREATE TABLE wechat_callback_events (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    dedupe_key   VARCHAR(191) NOT NULL,
    kind         VARCHAR(64)  NOT NULL,
    from_openid  VARCHAR(64)  NOT NULL,
    payload      TEXT         NOT NULL,
    received_at  DATETIME(6)  NOT NULL,
    attempts     INT          NOT NULL DEFAULT 0,
    processed_at DATETIME(6)  NULL,
    outcome      VARCHAR(200) NULL,
    CONSTRAINT uq_wechat_callback_events_dedupe UNIQUE (dedupe_key),
    KEY ix_wechat_callback_events_pending (processed_at, received_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What TEMPLATESENDJOBFINISH reported for each template message, by WeChat's msgid.
CREATE TABLE wechat_template_results (
    msg_id      BIGINT       NOT NULL PRIMARY KEY,
    openid      VARCHAR(64)  NOT NULL,
    status      VARCHAR(100) NOT NULL,
    reported_at DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
