-- Statistics read the confirmations and resolutions of a period across all demands: find them by kind and time.
ALTER TABLE demand_events ADD INDEX ix_demand_events_kind_created (kind, created_at);
