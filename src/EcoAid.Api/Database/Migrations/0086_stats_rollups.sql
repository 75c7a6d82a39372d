-- Counts behind GET /api/stats/overview, kept per Shanghai day ('d') and month ('m') so that a period of years is read
-- as a few hundred rows per branch instead of every demand and event in it (issue 17). Each number is exactly what
-- Features/Stats/StatsCounts.cs computes from the rows (the rules are Kpis.Sql), split by the day or month it falls in:
--   stats_demand_counts  settled demands by the month/day of submission, enterprise, current owner (0: none) and
--                        response_hours: the whole hours, rounded up, from submission to acceptance (0 for an acceptance
--                        before submission, 721 for anything over 720, 32767 not accepted), so that any configured limit
--                        of 1-720 hours can be judged (accepted within H hours exactly when response_hours <= H);
--   stats_demand_groups  the same demands by status, category and source;
--   stats_event_counts   resolutions and confirmations by the month/day of the event and the demand's enterprise and
--                        current owner (a demand handed over takes its events to the new owner, as the live counts do).
-- A demand is settled once accepted or out of the inbox (status other than pending_review and submitted). The inbox —
-- demands waiting to be accepted — is counted live from demands by the service: it is small, and its response is
-- judged at the moment of asking. So a submission writes nothing here; only acceptance and later steps do, after the
-- demand's own row is locked by that step.
-- Triggers keep the counts for every writer (the service, set-based seeding, demo data, manual corrections): each
-- adds the row's new contribution and takes away its old one, so a row changed many times is still counted once.
-- An event's counts read its demand's row, which is locked (shared) by the event's foreign key check, and a change of a
-- demand's owner, enterprise, branch, due date or rating moves its events' counts with it.
CREATE TABLE stats_demand_counts (
    branch_id       BIGINT   NOT NULL,
    grain           CHAR(1)  NOT NULL,
    period          DATE     NOT NULL,
    enterprise_id   BIGINT   NOT NULL,
    owner_member_id BIGINT   NOT NULL,
    response_hours  SMALLINT NOT NULL,
    demands         INT      NOT NULL,
    closed          INT      NOT NULL,
    PRIMARY KEY (branch_id, grain, period, enterprise_id, owner_member_id, response_hours)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stats_demand_groups (
    branch_id BIGINT      NOT NULL,
    grain     CHAR(1)     NOT NULL,
    period    DATE        NOT NULL,
    status    VARCHAR(20) NOT NULL,
    category  VARCHAR(30) NOT NULL,
    source    VARCHAR(30) NOT NULL,
    demands   INT         NOT NULL,
    PRIMARY KEY (branch_id, grain, period, status, category, source)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stats_event_counts (
    branch_id        BIGINT  NOT NULL,
    grain            CHAR(1) NOT NULL,
    period           DATE    NOT NULL,
    enterprise_id    BIGINT  NOT NULL,
    owner_member_id  BIGINT  NOT NULL,
    resolutions      INT     NOT NULL,
    resolved_on_time INT     NOT NULL,
    confirmations    INT     NOT NULL,
    solved           INT     NOT NULL,
    rated            INT     NOT NULL,
    satisfied        INT     NOT NULL,
    PRIMARY KEY (branch_id, grain, period, enterprise_id, owner_member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- 吹哨 figures read a period's 吹哨 demands by source: an index range instead of every demand of the period.
ALTER TABLE demands ADD KEY ix_demands_branch_source (branch_id, source, submitted_at);

CREATE TRIGGER tr_demands_stats_insert AFTER INSERT ON demands FOR EACH ROW
BEGIN
  IF NEW.accepted_at IS NOT NULL OR NEW.status NOT IN ('pending_review', 'submitted') THEN
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, response_hours, demands, closed)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0), CASE WHEN d.accepted_at IS NULL THEN 32767 ELSE GREATEST(0, LEAST(721, (TIMESTAMPDIFF(MICROSECOND, d.submitted_at, d.accepted_at) + 3599999999) DIV 3600000000)) END,
           +COUNT(*), +SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed);
    INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, +COUNT(*)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
  END IF;
END;

CREATE TRIGGER tr_demands_stats_update AFTER UPDATE ON demands FOR EACH ROW
BEGIN
  IF NOT (OLD.branch_id <=> NEW.branch_id AND OLD.enterprise_id <=> NEW.enterprise_id AND OLD.owner_member_id <=> NEW.owner_member_id AND OLD.status <=> NEW.status AND OLD.category <=> NEW.category AND OLD.source <=> NEW.source AND OLD.submitted_at <=> NEW.submitted_at AND OLD.accepted_at <=> NEW.accepted_at) THEN
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, response_hours, demands, closed)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0), CASE WHEN d.accepted_at IS NULL THEN 32767 ELSE GREATEST(0, LEAST(721, (TIMESTAMPDIFF(MICROSECOND, d.submitted_at, d.accepted_at) + 3599999999) DIV 3600000000)) END,
           -COUNT(*), -SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed);
    INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, -COUNT(*)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, response_hours, demands, closed)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0), CASE WHEN d.accepted_at IS NULL THEN 32767 ELSE GREATEST(0, LEAST(721, (TIMESTAMPDIFF(MICROSECOND, d.submitted_at, d.accepted_at) + 3599999999) DIV 3600000000)) END,
           +COUNT(*), +SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed);
    INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, +COUNT(*)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
  END IF;
  IF NOT (OLD.branch_id <=> NEW.branch_id AND OLD.enterprise_id <=> NEW.enterprise_id AND OLD.owner_member_id <=> NEW.owner_member_id AND OLD.due_date <=> NEW.due_date AND OLD.satisfaction <=> NEW.satisfaction) THEN
    INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                    rated, satisfied)
    SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
           -SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
           -SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
           -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
    FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                 CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
          FROM demand_events ev JOIN (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d ON ev.demand_id = OLD.id
          WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
        stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
        stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
        stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
        stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
        stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
    INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                    rated, satisfied)
    SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
           +SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
           +SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
           +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
    FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                 CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
          FROM demand_events ev JOIN (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d ON ev.demand_id = NEW.id
          WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
        stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
        stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
        stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
        stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
        stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
  END IF;
END;

CREATE TRIGGER tr_demands_stats_delete AFTER DELETE ON demands FOR EACH ROW
BEGIN
  INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, response_hours, demands, closed)
  SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0), CASE WHEN d.accepted_at IS NULL THEN 32767 ELSE GREATEST(0, LEAST(721, (TIMESTAMPDIFF(MICROSECOND, d.submitted_at, d.accepted_at) + 3599999999) DIV 3600000000)) END,
         -COUNT(*), -SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END)
  FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
  WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
  GROUP BY 1, 2, 3, 4, 5, 6
  ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
      stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed);
  INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
  SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, -COUNT(*)
  FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
  WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
  GROUP BY 1, 2, 3, 4, 5, 6
  ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
END;

CREATE TRIGGER tr_demand_events_stats_insert AFTER INSERT ON demand_events FOR EACH ROW
BEGIN
  IF NEW.kind IN ('resolved', 'confirmed', 'reopened') THEN
    INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                    rated, satisfied)
    SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
           +SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
           +SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
           +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
    FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                 CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
          FROM (SELECT NEW.kind AS kind, NEW.details AS details, NEW.created_at AS created_at) ev JOIN demands d ON d.id = NEW.demand_id
          WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
        stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
        stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
        stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
        stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
        stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
  END IF;
END;

CREATE TRIGGER tr_demand_events_stats_delete AFTER DELETE ON demand_events FOR EACH ROW
BEGIN
  IF OLD.kind IN ('resolved', 'confirmed', 'reopened') THEN
    INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                    rated, satisfied)
    SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
           -SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
           -SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
           -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
    FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                 CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                 CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
          FROM (SELECT OLD.kind AS kind, OLD.details AS details, OLD.created_at AS created_at) ev JOIN demands d ON d.id = OLD.demand_id
          WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
        stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
        stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
        stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
        stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
        stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
  END IF;
END;

CREATE TRIGGER tr_demand_events_stats_update AFTER UPDATE ON demand_events FOR EACH ROW
BEGIN
  IF NOT (OLD.demand_id <=> NEW.demand_id AND OLD.kind <=> NEW.kind AND OLD.details <=> NEW.details AND OLD.created_at <=> NEW.created_at) THEN
    IF OLD.kind IN ('resolved', 'confirmed', 'reopened') THEN
      INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                      rated, satisfied)
      SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
             -SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
             -SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
             -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), -SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
      FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                   CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                   CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                   CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
            FROM (SELECT OLD.kind AS kind, OLD.details AS details, OLD.created_at AS created_at) ev JOIN demands d ON d.id = OLD.demand_id
            WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
      GROUP BY 1, 2, 3, 4, 5
      ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
          stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
          stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
          stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
          stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
          stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
    END IF;
    IF NEW.kind IN ('resolved', 'confirmed', 'reopened') THEN
      INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                      rated, satisfied)
      SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
             +SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
             +SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
             +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), +SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
      FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
                   CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
                   CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
                   CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
            FROM (SELECT NEW.kind AS kind, NEW.details AS details, NEW.created_at AS created_at) ev JOIN demands d ON d.id = NEW.demand_id
            WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
      GROUP BY 1, 2, 3, 4, 5
      ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
          stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
          stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
          stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
          stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
          stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
    END IF;
  END IF;
END;

-- The counts of the data already there (the triggers above keep them from now on).
INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, response_hours, demands, closed)
SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0), CASE WHEN d.accepted_at IS NULL THEN 32767 ELSE GREATEST(0, LEAST(721, (TIMESTAMPDIFF(MICROSECOND, d.submitted_at, d.accepted_at) + 3599999999) DIV 3600000000)) END,
       COUNT(*), SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END)
FROM demands d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
GROUP BY 1, 2, 3, 4, 5, 6
ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
    stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed);
INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, COUNT(*)
FROM demands d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
GROUP BY 1, 2, 3, 4, 5, 6
ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
INSERT INTO stats_event_counts (branch_id, grain, period, enterprise_id, owner_member_id, resolutions, resolved_on_time, confirmations, solved,
                                rated, satisfied)
SELECT e.branch_id, g.grain, CASE g.grain WHEN 'd' THEN e.day ELSE e.day - INTERVAL (DAYOFMONTH(e.day) - 1) DAY END, e.enterprise_id, e.owner,
       SUM(CASE WHEN e.kind = 'resolved' THEN 1 ELSE 0 END), SUM(CASE WHEN e.kind = 'resolved' AND (e.due IS NULL OR e.day <= e.due) THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.kind <> 'resolved' THEN 1 ELSE 0 END), SUM(CASE WHEN e.kind <> 'resolved' AND e.solved THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.kind <> 'resolved' AND e.rating IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN e.kind <> 'resolved' AND e.rating >= 4 THEN 1 ELSE 0 END)
FROM (SELECT d.branch_id AS branch_id, d.enterprise_id AS enterprise_id, COALESCE(d.owner_member_id, 0) AS owner, ev.kind AS kind, DATE(ev.created_at + INTERVAL 8 HOUR) AS day,
             CASE WHEN ev.kind = 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END END AS due,
             CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END END AS solved,
             CASE WHEN ev.kind <> 'resolved' THEN CASE WHEN (CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END) THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER' THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END) WHEN ev.kind = 'confirmed' THEN d.satisfaction END END AS rating
      FROM demand_events ev JOIN demands d ON d.id = ev.demand_id
      WHERE ev.kind IN ('resolved', 'confirmed', 'reopened')) e CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
GROUP BY 1, 2, 3, 4, 5
ON DUPLICATE KEY UPDATE stats_event_counts.resolutions = stats_event_counts.resolutions + VALUES(resolutions),
    stats_event_counts.resolved_on_time = stats_event_counts.resolved_on_time + VALUES(resolved_on_time),
    stats_event_counts.confirmations = stats_event_counts.confirmations + VALUES(confirmations),
    stats_event_counts.solved = stats_event_counts.solved + VALUES(solved),
    stats_event_counts.rated = stats_event_counts.rated + VALUES(rated),
    stats_event_counts.satisfied = stats_event_counts.satisfied + VALUES(satisfied);
