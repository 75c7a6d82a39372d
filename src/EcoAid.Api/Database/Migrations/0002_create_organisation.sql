-- A branch's organisation: bureau departments, task-force members and the enterprises it assists.
CREATE TABLE departments (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id   BIGINT       NOT NULL,
    name        VARCHAR(100) NOT NULL,
    description VARCHAR(500) NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    CONSTRAINT uq_departments_name UNIQUE (branch_id, name),
    CONSTRAINT fk_departments_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE members (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id       BIGINT       NOT NULL,
    name            VARCHAR(50)  NOT NULL,
    title           VARCHAR(100) NULL,
    task_force_role VARCHAR(20)  NOT NULL,
    phone           VARCHAR(20)  NULL,
    created_at      DATETIME(6)  NOT NULL,
    updated_at      DATETIME(6)  NOT NULL,
    KEY ix_members_branch (branch_id, name),
    CONSTRAINT fk_members_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE enterprises (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id         BIGINT       NOT NULL,
    name              VARCHAR(100) NOT NULL,
    credit_code       CHAR(18)     NOT NULL,
    address           VARCHAR(200) NULL,
    industry          VARCHAR(100) NULL,
    contact_name      VARCHAR(50)  NULL,
    contact_phone     VARCHAR(20)  NULL,
    liaison_member_id BIGINT       NULL,
    created_at        DATETIME(6)  NOT NULL,
    updated_at        DATETIME(6)  NOT NULL,
    CONSTRAINT uq_enterprises_credit_code UNIQUE (credit_code),
    KEY ix_enterprises_branch (branch_id, name),
    CONSTRAINT fk_enterprises_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_enterprises_liaison FOREIGN KEY (liaison_member_id) REFERENCES members (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
