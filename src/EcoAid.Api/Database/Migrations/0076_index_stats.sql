-- Statistics and reports aggregate a period's demands in the database (GROUP BY branch and status, category, source,
-- enterprise or owner). This index holds every column those counts read, in the order a branch's period is found
-- (branch, then submission time), so a period of two years is one range of the index and no row is read.
ALTER TABLE demands ADD KEY ix_demands_branch_stats (branch_id, submitted_at, status, category, source, enterprise_id, owner_member_id, accepted_at);

-- The monthly report finds, for each demand, its last status event, its last due-date event, its first acceptance and
-- its last confirmation before the report's moment: by demand, kind and time, answered from the index (which InnoDB
-- ends with the event's id) without reading the events themselves.
ALTER TABLE demand_events ADD KEY ix_demand_events_demand_kind (demand_id, kind, created_at);
