-- Mini-program users, their roles, login sessions and one-time invites.
-- A user reaches one branch (branch roles) or one city (city roles). Session tokens and invite codes are stored as
-- SHA-256 hashes only; WeChat's session_key is not stored at all.
CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    openid        VARCHAR(64)  NOT NULL,
    unionid       VARCHAR(64)  NULL,
    display_name  VARCHAR(50)  NOT NULL,
    city_id       BIGINT       NULL,
    branch_id     BIGINT       NULL,
    enterprise_id BIGINT       NULL,
    member_id     BIGINT       NULL,
    department_id BIGINT       NULL,
    phone         VARCHAR(20)  NULL,
    created_at    DATETIME(6)  NOT NULL,
    last_login_at DATETIME(6)  NULL,
    CONSTRAINT uq_users_openid UNIQUE (openid),
    KEY ix_users_unionid (unionid),
    CONSTRAINT fk_users_city FOREIGN KEY (city_id) REFERENCES cities (id),
    CONSTRAINT fk_users_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_users_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_users_member FOREIGN KEY (member_id) REFERENCES members (id),
    CONSTRAINT fk_users_department FOREIGN KEY (department_id) REFERENCES departments (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE user_roles (
    user_id    BIGINT      NOT NULL,
    role       VARCHAR(32) NOT NULL,
    granted_at DATETIME(6) NOT NULL,
    PRIMARY KEY (user_id, role),
    CONSTRAINT fk_user_roles_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT      NOT NULL,
    token_hash  BINARY(32)  NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    revoked_at  DATETIME(6) NULL,
    CONSTRAINT uq_sessions_token_hash UNIQUE (token_hash),
    KEY ix_sessions_user (user_id),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invites (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code_hash     BINARY(32)  NOT NULL,
    role          VARCHAR(32) NOT NULL,
    city_id       BIGINT      NOT NULL,
    branch_id     BIGINT      NULL,
    enterprise_id BIGINT      NULL,
    member_id     BIGINT      NULL,
    department_id BIGINT      NULL,
    created_by    BIGINT      NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    expires_at    DATETIME(6) NOT NULL,
    redeemed_by   BIGINT      NULL,
    redeemed_at   DATETIME(6) NULL,
    CONSTRAINT uq_invites_code_hash UNIQUE (code_hash),
    KEY ix_invites_branch (branch_id, created_at),
    CONSTRAINT fk_invites_city FOREIGN KEY (city_id) REFERENCES cities (id),
    CONSTRAINT fk_invites_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_invites_creator FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT fk_invites_redeemer FOREIGN KEY (redeemed_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
