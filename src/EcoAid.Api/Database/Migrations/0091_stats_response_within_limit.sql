-- The kept demand counts judge the response when they are written, against the limit in stats_settings, instead of
-- keeping every demand's whole hours to acceptance (issue 17). Keyed by those hours (0086), a month's row per
-- enterprise and owner split into one row per distinct hour count, so with real acceptance times, spread over the
-- hours of a day or two, the rows grew about as fast as the demands themselves, and a two-year overview read as many
-- rows as there were demands. Now a key has one row; response_met counts its demands accepted within
-- stats_settings.response_limit_hours.
-- The limit is the service's Stats:ResponseLimitHours. At start-up the service compares the two and, when they differ,
-- counts the rows again in one transaction (Features/Stats/StatsResponseLimit.cs). An instance configured with another
-- limit than the stored one (read in the same statement as the rows) counts the response from the demands of the period
-- instead.
-- Run it with the writers of demands stopped: a change between the dropped and the re-created triggers is not counted.
-- The triggers read the limit with a shared lock, which the recount takes exclusively: a change of a demand is counted
-- either before the recount (which then waits for its commit and reads it) or after it (against the new limit).
CREATE TABLE stats_settings (
    id                   TINYINT  NOT NULL PRIMARY KEY,
    response_limit_hours SMALLINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- 48: Stats:ResponseLimitHours' default; a service configured otherwise recounts at start-up.
INSERT INTO stats_settings (id, response_limit_hours) VALUES (1, 48);

DROP TRIGGER tr_demands_stats_insert;
DROP TRIGGER tr_demands_stats_update;
DROP TRIGGER tr_demands_stats_delete;

RENAME TABLE stats_demand_counts TO stats_demand_counts_0086;
CREATE TABLE stats_demand_counts (
    branch_id       BIGINT   NOT NULL,
    grain           CHAR(1)  NOT NULL,
    period          DATE     NOT NULL,
    enterprise_id   BIGINT   NOT NULL,
    owner_member_id BIGINT   NOT NULL,
    demands         INT      NOT NULL,
    closed          INT      NOT NULL,
    response_met    INT      NOT NULL,
    PRIMARY KEY (branch_id, grain, period, enterprise_id, owner_member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
-- The counts so far, folded: accepted within 48 hours exactly when the whole hours, rounded up, are at most 48.
INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
SELECT branch_id, grain, period, enterprise_id, owner_member_id, SUM(demands), SUM(closed), SUM(CASE WHEN response_hours <= 48 THEN demands ELSE 0 END)
FROM stats_demand_counts_0086
GROUP BY branch_id, grain, period, enterprise_id, owner_member_id;
DROP TABLE stats_demand_counts_0086;

CREATE TRIGGER tr_demands_stats_insert AFTER INSERT ON demands FOR EACH ROW
BEGIN
  DECLARE v_response_limit SMALLINT;
  IF NEW.accepted_at IS NOT NULL OR NEW.status NOT IN ('pending_review', 'submitted') THEN
    SELECT response_limit_hours INTO v_response_limit FROM stats_settings WHERE id = 1 LOCK IN SHARE MODE;
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0),
           +COUNT(*), +SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END),
           +SUM(CASE WHEN d.accepted_at IS NOT NULL AND d.accepted_at <= d.submitted_at + INTERVAL v_response_limit HOUR THEN 1 ELSE 0 END)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed),
        stats_demand_counts.response_met = stats_demand_counts.response_met + VALUES(response_met);
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
  DECLARE v_response_limit SMALLINT;
  IF NOT (OLD.branch_id <=> NEW.branch_id AND OLD.enterprise_id <=> NEW.enterprise_id AND OLD.owner_member_id <=> NEW.owner_member_id AND OLD.status <=> NEW.status AND OLD.category <=> NEW.category AND OLD.source <=> NEW.source AND OLD.submitted_at <=> NEW.submitted_at AND OLD.accepted_at <=> NEW.accepted_at) THEN
    SELECT response_limit_hours INTO v_response_limit FROM stats_settings WHERE id = 1 LOCK IN SHARE MODE;
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0),
           -COUNT(*), -SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END),
           -SUM(CASE WHEN d.accepted_at IS NOT NULL AND d.accepted_at <= d.submitted_at + INTERVAL v_response_limit HOUR THEN 1 ELSE 0 END)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed),
        stats_demand_counts.response_met = stats_demand_counts.response_met + VALUES(response_met);
    INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, -COUNT(*)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0),
           +COUNT(*), +SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END),
           +SUM(CASE WHEN d.accepted_at IS NOT NULL AND d.accepted_at <= d.submitted_at + INTERVAL v_response_limit HOUR THEN 1 ELSE 0 END)
    FROM (SELECT NEW.branch_id AS branch_id, NEW.enterprise_id AS enterprise_id, NEW.owner_member_id AS owner_member_id, NEW.status AS status, NEW.category AS category, NEW.source AS source, NEW.submitted_at AS submitted_at, NEW.accepted_at AS accepted_at, NEW.due_date AS due_date, NEW.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed),
        stats_demand_counts.response_met = stats_demand_counts.response_met + VALUES(response_met);
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
  DECLARE v_response_limit SMALLINT;
  IF OLD.accepted_at IS NOT NULL OR OLD.status NOT IN ('pending_review', 'submitted') THEN
    SELECT response_limit_hours INTO v_response_limit FROM stats_settings WHERE id = 1 LOCK IN SHARE MODE;
    INSERT INTO stats_demand_counts (branch_id, grain, period, enterprise_id, owner_member_id, demands, closed, response_met)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.enterprise_id, COALESCE(d.owner_member_id, 0),
           -COUNT(*), -SUM(CASE WHEN d.status = 'closed' THEN 1 ELSE 0 END),
           -SUM(CASE WHEN d.accepted_at IS NOT NULL AND d.accepted_at <= d.submitted_at + INTERVAL v_response_limit HOUR THEN 1 ELSE 0 END)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5
    ON DUPLICATE KEY UPDATE stats_demand_counts.demands = stats_demand_counts.demands + VALUES(demands),
        stats_demand_counts.closed = stats_demand_counts.closed + VALUES(closed),
        stats_demand_counts.response_met = stats_demand_counts.response_met + VALUES(response_met);
    INSERT INTO stats_demand_groups (branch_id, grain, period, status, category, source, demands)
    SELECT d.branch_id, g.grain, CASE g.grain WHEN 'd' THEN DATE(d.submitted_at + INTERVAL 8 HOUR) ELSE DATE(d.submitted_at + INTERVAL 8 HOUR) - INTERVAL (DAYOFMONTH(DATE(d.submitted_at + INTERVAL 8 HOUR)) - 1) DAY END, d.status, d.category, d.source, -COUNT(*)
    FROM (SELECT OLD.branch_id AS branch_id, OLD.enterprise_id AS enterprise_id, OLD.owner_member_id AS owner_member_id, OLD.status AS status, OLD.category AS category, OLD.source AS source, OLD.submitted_at AS submitted_at, OLD.accepted_at AS accepted_at, OLD.due_date AS due_date, OLD.satisfaction AS satisfaction) d CROSS JOIN (SELECT 'd' AS grain UNION ALL SELECT 'm' AS grain) g
    WHERE (d.accepted_at IS NOT NULL OR d.status NOT IN ('pending_review', 'submitted'))
    GROUP BY 1, 2, 3, 4, 5, 6
    ON DUPLICATE KEY UPDATE stats_demand_groups.demands = stats_demand_groups.demands + VALUES(demands);
  END IF;
END;
