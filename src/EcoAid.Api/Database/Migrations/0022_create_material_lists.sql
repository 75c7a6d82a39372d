-- 送政策 / 资料清单: lists of policy documents sent to an enterprise, and who of its staff read each list when.
CREATE TABLE material_lists (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id     BIGINT       NOT NULL,
    enterprise_id BIGINT       NOT NULL,
    note          VARCHAR(500) NULL,
    sent_by       BIGINT       NOT NULL,
    sent_at       DATETIME(6)  NOT NULL,
    KEY ix_material_lists_enterprise (enterprise_id, sent_at),
    CONSTRAINT fk_material_lists_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_material_lists_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_material_lists_sender FOREIGN KEY (sent_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE material_list_items (
    list_id   BIGINT NOT NULL,
    policy_id BIGINT NOT NULL,
    position  INT    NOT NULL,
    PRIMARY KEY (list_id, policy_id),
    CONSTRAINT fk_material_list_items_list FOREIGN KEY (list_id) REFERENCES material_lists (id),
    CONSTRAINT fk_material_list_items_policy FOREIGN KEY (policy_id) REFERENCES policies (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The first time each staff user opened a list; later reads change nothing.
CREATE TABLE material_reads (
    list_id BIGINT      NOT NULL,
    user_id BIGINT      NOT NULL,
    read_at DATETIME(6) NOT NULL,
    PRIMARY KEY (list_id, user_id),
    CONSTRAINT fk_material_reads_list FOREIGN KEY (list_id) REFERENCES material_lists (id),
    CONSTRAINT fk_material_reads_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
