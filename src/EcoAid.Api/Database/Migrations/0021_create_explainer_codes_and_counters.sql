-- 码上说执法: one mini-program code per document and source (where the signboard hangs), generated once by
-- getUnlimitedQRCode and kept here; the scene is what the code carries and what /api/scan resolves.
CREATE TABLE policy_qrcodes (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    policy_id     BIGINT       NOT NULL,
    source        VARCHAR(20)  NOT NULL,
    scene         VARCHAR(32)  NOT NULL,
    page          VARCHAR(200) NOT NULL,
    content_type  VARCHAR(50)  NOT NULL,
    image         MEDIUMBLOB   NOT NULL,
    created_by    BIGINT       NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    CONSTRAINT uq_policy_qrcodes_source UNIQUE (policy_id, source),
    CONSTRAINT uq_policy_qrcodes_scene UNIQUE (scene),
    CONSTRAINT fk_policy_qrcodes_policy FOREIGN KEY (policy_id) REFERENCES policies (id),
    CONSTRAINT fk_policy_qrcodes_creator FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Counters, per Asia/Shanghai day. Instances count in memory and add their counts here every few seconds.
CREATE TABLE policy_daily_views (
    policy_id BIGINT NOT NULL,
    day       DATE   NOT NULL,
    views     BIGINT NOT NULL,
    PRIMARY KEY (policy_id, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE policy_daily_scans (
    policy_id BIGINT      NOT NULL,
    source    VARCHAR(20) NOT NULL,
    day       DATE        NOT NULL,
    scans     BIGINT      NOT NULL,
    PRIMARY KEY (policy_id, source, day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
