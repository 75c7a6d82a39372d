-- Content rechecks are scheduled per demand, so one demand WeChat keeps refusing to check never holds up the rest,
-- and the pending ones are found through an index instead of a scan that would lock every row on the way.
ALTER TABLE demands
    ADD COLUMN content_check_attempts INT         NOT NULL DEFAULT 0,
    ADD COLUMN content_check_next_at  DATETIME(6) NULL,
    ADD KEY ix_demands_content_check (content_check, content_check_next_at);
