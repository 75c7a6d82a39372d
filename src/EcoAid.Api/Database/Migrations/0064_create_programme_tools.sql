-- The programme's own tools: the ministry's 监督帮扶 lists imported in batches (with 销号), the 信用修复 helper and the
-- 首违不罚 check. The 吹哨 clock needs no table: it is read from the demand and its timeline.

-- One uploaded list. The cells are kept as read (JSON: the header row and every data row as text), so a corrected
-- column mapping is applied again without the file, and the export goes back in the list's own columns.
CREATE TABLE mee_batches (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id   BIGINT       NOT NULL,
    file_name   VARCHAR(200) NOT NULL,
    file_sha256 BINARY(32)   NOT NULL,
    headers     TEXT         NOT NULL,
    cells       MEDIUMTEXT   NOT NULL,
    mapping     TEXT         NOT NULL,
    row_count   INT          NOT NULL,
    status      VARCHAR(10)  NOT NULL,
    created_by  BIGINT       NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    applied_by  BIGINT       NULL,
    applied_at  DATETIME(6)  NULL,
    CONSTRAINT uq_mee_batches_file UNIQUE (branch_id, file_sha256),
    CONSTRAINT ck_mee_batches_status CHECK (status IN ('preview', 'applied')),
    CONSTRAINT fk_mee_batches_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_mee_batches_creator FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row of a batch that became a demand; (batch, row) is what makes applying a batch twice create nothing new.
CREATE TABLE mee_items (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    batch_id        BIGINT       NOT NULL,
    row_no          INT          NOT NULL,
    demand_id       BIGINT       NOT NULL,
    enterprise_id   BIGINT       NOT NULL,
    due_date        DATE         NULL,
    closed_out_at   DATETIME(6)  NULL,
    closed_out_by   BIGINT       NULL,
    evidence        VARCHAR(1000) NULL,
    verifier        VARCHAR(50)  NULL,
    CONSTRAINT uq_mee_items_row UNIQUE (batch_id, row_no),
    CONSTRAINT uq_mee_items_demand UNIQUE (demand_id),
    CONSTRAINT fk_mee_items_batch FOREIGN KEY (batch_id) REFERENCES mee_batches (id),
    CONSTRAINT fk_mee_items_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_mee_items_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Credit-repair periods as data, each with its source: a province's stricter rule is a new row, not code (the
-- strictest rule in force on the decision date applies).
CREATE TABLE credit_repair_rules (
    id                      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code                    VARCHAR(40)  NOT NULL,
    jurisdiction            VARCHAR(50)  NOT NULL,
    severity                VARCHAR(10)  NOT NULL,
    min_publication_months  INT          NOT NULL,
    publication_months      INT          NOT NULL,
    source                  VARCHAR(300) NOT NULL,
    effective_from          DATE         NOT NULL,
    CONSTRAINT uq_credit_repair_rules_code UNIQUE (code),
    CONSTRAINT ck_credit_repair_rules_severity CHECK (severity IN ('ordinary', 'serious'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO credit_repair_rules (code, jurisdiction, severity, min_publication_months, publication_months, source, effective_from) VALUES
('ndrc-2023-ordinary', '全国', 'ordinary', 3, 12,
 '《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号，2023年5月1日起施行）：一般失信行为的行政处罚信息最短公示期三个月，公示期一年，自行政处罚决定作出之日起计算', '2023-05-01'),
('ndrc-2023-serious', '全国', 'serious', 12, 36,
 '《失信行为纠正后的信用信息修复管理办法（试行）》（国家发展改革委令第58号，2023年5月1日起施行）：严重失信行为的行政处罚信息最短公示期一年，公示期三年，自行政处罚决定作出之日起计算', '2023-05-01');

-- The penalty behind a 信用修复 demand, and the materials ticked off (JSON: code → done).
CREATE TABLE credit_repair_cases (
    demand_id              BIGINT       NOT NULL PRIMARY KEY,
    decision_number        VARCHAR(100) NOT NULL,
    decided_on             DATE         NOT NULL,
    serious                BOOL         NOT NULL,
    fine_paid              BOOL         NOT NULL,
    obligations_fulfilled  BOOL         NOT NULL,
    rule_id                BIGINT       NOT NULL,
    earliest_repair_on     DATE         NOT NULL,
    publication_ends_on    DATE         NOT NULL,
    checklist              TEXT         NOT NULL,
    updated_by             BIGINT       NOT NULL,
    updated_at             DATETIME(6)  NOT NULL,
    KEY ix_credit_repair_cases_earliest (earliest_repair_on),
    CONSTRAINT fk_credit_repair_cases_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_credit_repair_cases_rule FOREIGN KEY (rule_id) REFERENCES credit_repair_rules (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Minor-violation items (轻微违法行为) a 首违不罚 check is run against: conditions as JSON, each with its source.
-- Whether it is a first violation is not a condition to tick: the check reads the enterprise's last 12 months.
CREATE TABLE minor_violation_items (
    id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code         VARCHAR(40)   NOT NULL,
    title        VARCHAR(200)  NOT NULL,
    legal_basis  VARCHAR(300)  NOT NULL,
    conditions   TEXT          NOT NULL,
    source       VARCHAR(300)  NOT NULL,
    is_example   BOOL          NOT NULL,
    CONSTRAINT uq_minor_violation_items_code UNIQUE (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO minor_violation_items (code, title, legal_basis, conditions, source, is_example) VALUES
('example-hw-label', '危险废物贮存场所或容器未按规定设置识别标志', '《中华人民共和国固体废物污染环境防治法》第七十七条',
 '[{"code":"rectified_in_time","text":"在责令改正期限内完成整改"},{"code":"no_leak","text":"未发生泄漏、散落等危害后果"}]',
 '示例条目（本项目编写，非官方清单），供演示与测试；正式使用前应换成省级生态环境部门公布的轻微违法行为不予处罚清单', TRUE),
('example-ledger', '危险废物管理台账记录不完整', '《中华人民共和国固体废物污染环境防治法》第七十八条',
 '[{"code":"rectified_in_time","text":"在责令改正期限内补齐台账"},{"code":"traceable","text":"危险废物去向可追溯，未造成危害后果"}]',
 '示例条目（本项目编写，非官方清单），供演示与测试；正式使用前应换成省级生态环境部门公布的轻微违法行为不予处罚清单', TRUE),
('example-vocs-record', '挥发性有机物治理设施运行记录不全但设施正常运行', '《中华人民共和国大气污染防治法》第一百零八条',
 '[{"code":"facility_running","text":"治理设施正常运行，排放达标"},{"code":"rectified_in_time","text":"在责令改正期限内补齐运行记录"}]',
 '示例条目（本项目编写，非官方清单），供演示与测试；正式使用前应换成省级生态环境部门公布的轻微违法行为不予处罚清单', TRUE);

-- A 首违不罚 check: the item, the enterprise's record at the time, the conditions ticked and the outcome with its
-- reasoning. 免罚不免责: rectify_by is tracked, with a follow-up visit reminder to the liaison.
CREATE TABLE leniency_checks (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id       BIGINT        NOT NULL,
    enterprise_id   BIGINT        NOT NULL,
    demand_id       BIGINT        NULL,
    visit_id        BIGINT        NULL,
    item_id         BIGINT        NOT NULL,
    violation_on    DATE          NOT NULL,
    conditions_met  TEXT          NOT NULL,
    harm            VARCHAR(10)   NOT NULL,
    corrected       BOOL          NOT NULL,
    prior_records   TEXT          NOT NULL,
    outcome         VARCHAR(20)   NOT NULL,
    reasoning       TEXT          NOT NULL,
    rectify_by      DATE          NULL,
    followed_up_at  DATETIME(6)   NULL,
    follow_up_note  VARCHAR(500)  NULL,
    checked_by      BIGINT        NOT NULL,
    created_at      DATETIME(6)   NOT NULL,
    KEY ix_leniency_checks_enterprise (enterprise_id, violation_on),
    KEY ix_leniency_checks_rectify (rectify_by),
    CONSTRAINT ck_leniency_checks_harm CHECK (harm IN ('none', 'minor', 'serious')),
    CONSTRAINT ck_leniency_checks_outcome CHECK (outcome IN ('no_penalty', 'may_waive', 'not_eligible')),
    CONSTRAINT fk_leniency_checks_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_leniency_checks_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id),
    CONSTRAINT fk_leniency_checks_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_leniency_checks_visit FOREIGN KEY (visit_id) REFERENCES visits (id),
    CONSTRAINT fk_leniency_checks_item FOREIGN KEY (item_id) REFERENCES minor_violation_items (id),
    CONSTRAINT fk_leniency_checks_checker FOREIGN KEY (checked_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
