-- A finished month's report reads every demand's state as it stood at the month's end. Events are written at the
-- moment they happen, so that state does not change once the month is over: it is computed once per branch and month
-- (the aggregated rows the report folds, and the twelve-month trend) and kept here. A kept row is used only while
--   * no demand event or demand written since (ids above the watermarks) is dated before the month's end, and
--   * the few demands whose state then still reads their present columns (rows without any status event before the
--     month's end, and submitted demands whose content check can still change) fingerprint as they did.
-- Anything else recomputes and replaces the row. Nothing else writes here; deleting rows is always safe.
CREATE TABLE report_month_snapshots (
    branch_id       BIGINT       NOT NULL,
    month           DATE         NOT NULL,
    last_event_id   BIGINT       NOT NULL,
    last_demand_id  BIGINT       NOT NULL,
    volatile_ids    MEDIUMTEXT   NOT NULL,
    volatile_check  VARCHAR(64)  NOT NULL,
    counts          MEDIUMTEXT   NOT NULL,
    trend           TEXT         NOT NULL,
    computed_at     DATETIME(6)  NOT NULL,
    PRIMARY KEY (branch_id, month),
    CONSTRAINT fk_report_month_snapshots_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The report's list (台账) takes a branch's oldest demands submitted before the moment, in submission order: one range
-- of this index (InnoDB ends it with the id, the order's tie-break) read up to the list's limit.
ALTER TABLE demands ADD KEY ix_demands_branch_submitted (branch_id, submitted_at);
