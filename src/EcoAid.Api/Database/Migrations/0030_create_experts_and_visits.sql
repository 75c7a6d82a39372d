-- Follow-up visits (回访督查, 现场帮扶) to assisted enterprises, the expert pool (专家库) whose experts join them, the
-- rectification demands a visit opened, and the bookkeeping that sends each "visit due" reminder once per month.
CREATE TABLE experts (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id    BIGINT       NOT NULL,
    name         VARCHAR(50)  NOT NULL,
    specialty    VARCHAR(100) NOT NULL,
    organisation VARCHAR(100) NULL,
    phone        VARCHAR(20)  NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    KEY ix_experts_branch (branch_id, name),
    CONSTRAINT fk_experts_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- visited_on is an Asia/Shanghai calendar date: "visited this month" compares dates, never instants.
CREATE TABLE visits (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id     BIGINT       NOT NULL,
    enterprise_id BIGINT       NOT NULL,
    visited_on    DATE         NOT NULL,
    kind          VARCHAR(20)  NOT NULL,
    findings      TEXT         NOT NULL,
    recorded_by   BIGINT       NOT NULL,
    created_at    DATETIME(6)  NOT NULL,
    KEY ix_visits_enterprise (enterprise_id, visited_on),
    KEY ix_visits_branch (branch_id, visited_on),
    CONSTRAINT ck_visits_kind CHECK (kind IN ('follow_up', 'onsite', 'expert')),
    CONSTRAINT fk_visits_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_visits_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_visits_recorder FOREIGN KEY (recorded_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE visit_members (
    visit_id  BIGINT NOT NULL,
    member_id BIGINT NOT NULL,
    PRIMARY KEY (visit_id, member_id),
    KEY ix_visit_members_member (member_id),
    CONSTRAINT fk_visit_members_visit FOREIGN KEY (visit_id) REFERENCES visits (id),
    CONSTRAINT fk_visit_members_member FOREIGN KEY (member_id) REFERENCES members (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE visit_experts (
    visit_id  BIGINT NOT NULL,
    expert_id BIGINT NOT NULL,
    PRIMARY KEY (visit_id, expert_id),
    KEY ix_visit_experts_expert (expert_id),
    CONSTRAINT fk_visit_experts_visit FOREIGN KEY (visit_id) REFERENCES visits (id),
    CONSTRAINT fk_visit_experts_expert FOREIGN KEY (expert_id) REFERENCES experts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A rectification item raised on the spot becomes a demand (source 'visit'); a demand comes from at most one visit.
CREATE TABLE visit_demands (
    visit_id  BIGINT NOT NULL,
    demand_id BIGINT NOT NULL,
    PRIMARY KEY (visit_id, demand_id),
    CONSTRAINT uq_visit_demands_demand UNIQUE (demand_id),
    CONSTRAINT fk_visit_demands_visit FOREIGN KEY (visit_id) REFERENCES visits (id),
    CONSTRAINT fk_visit_demands_demand FOREIGN KEY (demand_id) REFERENCES demands (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One "visit due" reminder per enterprise and Shanghai month (month = its first day): the primary key is what makes
-- it once, whichever instance's reminder round gets there first.
CREATE TABLE visit_reminders (
    enterprise_id BIGINT      NOT NULL,
    month         DATE        NOT NULL,
    member_id     BIGINT      NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    PRIMARY KEY (enterprise_id, month),
    CONSTRAINT fk_visit_reminders_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_visit_reminders_member FOREIGN KEY (member_id) REFERENCES members (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
