-- Demand lists are ordered by submitted_at DESC, id DESC within a branch; this index serves that order, so a page's
-- ids are read from the index in order instead of sorting every demand of the branch. (An enterprise's list is served
-- by ix_demands_enterprise, whose entries InnoDB already ends with the primary key.)
ALTER TABLE demands ADD KEY ix_demands_branch_recent (branch_id, submitted_at, id);
