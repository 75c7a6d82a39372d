-- Issued monthly reports (月报 / 工作信息): the figures as they stood at the report's moment, who issued it and when, and
-- the files exactly as issued, with their SHA-256, so that a download is byte-identical forever. Nothing updates them.
CREATE TABLE reports (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    scope       VARCHAR(10)  NOT NULL,
    city_id     BIGINT       NOT NULL,
    branch_id   BIGINT       NULL,
    month       DATE         NOT NULL,
    as_of       DATETIME(6)  NOT NULL,
    figures     MEDIUMTEXT   NOT NULL,
    issued_by   BIGINT       NOT NULL,
    issued_at   DATETIME(6)  NOT NULL,
    KEY ix_reports_branch (branch_id, month),
    KEY ix_reports_city (city_id, scope, month),
    CONSTRAINT ck_reports_scope CHECK (scope IN ('branch', 'city')),
    CONSTRAINT fk_reports_city FOREIGN KEY (city_id) REFERENCES cities (id),
    CONSTRAINT fk_reports_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_reports_issuer FOREIGN KEY (issued_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE report_files (
    report_id  BIGINT       NOT NULL,
    format     VARCHAR(10)  NOT NULL,
    file_name  VARCHAR(200) NOT NULL,
    content    LONGBLOB     NOT NULL,
    sha256     BINARY(32)   NOT NULL,
    size_bytes BIGINT       NOT NULL,
    PRIMARY KEY (report_id, format),
    CONSTRAINT ck_report_files_format CHECK (format IN ('xlsx', 'docx')),
    CONSTRAINT fk_report_files_report FOREIGN KEY (report_id) REFERENCES reports (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 典型案例: the secretary marks a demand as a typical case with a short narrative; a month's reports include the cases
-- marked in it.
CREATE TABLE typical_cases (
    demand_id  BIGINT        NOT NULL PRIMARY KEY,
    problem    VARCHAR(1000) NOT NULL,
    measures   VARCHAR(1000) NOT NULL,
    outcome    VARCHAR(1000) NOT NULL,
    marked_by  BIGINT        NOT NULL,
    marked_at  DATETIME(6)   NOT NULL,
    CONSTRAINT fk_typical_cases_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_typical_cases_marker FOREIGN KEY (marked_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
