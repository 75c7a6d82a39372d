-- The monthly consultation meeting (会商) of a branch: its generated agenda and the decisions taken on demands.
-- window_start is where "new since the last meeting" (whistle items, ratings) begins for this meeting.
CREATE TABLE meetings (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    branch_id    BIGINT       NOT NULL,
    month        DATE         NOT NULL,
    held_on      DATE         NULL,
    location     VARCHAR(100) NULL,
    window_start DATETIME(6)  NOT NULL,
    generated_at DATETIME(6)  NOT NULL,
    created_by   BIGINT       NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    CONSTRAINT uq_meetings_month UNIQUE (branch_id, month),
    CONSTRAINT fk_meetings_branch FOREIGN KEY (branch_id) REFERENCES party_branches (id),
    CONSTRAINT fk_meetings_creator FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One line per (reason, demand) — or per enterprise not visited — with the note as it read when generated.
CREATE TABLE meeting_agenda_items (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    meeting_id    BIGINT       NOT NULL,
    seq           INT          NOT NULL,
    reason        VARCHAR(20)  NOT NULL,
    demand_id     BIGINT       NULL,
    enterprise_id BIGINT       NOT NULL,
    due_date      DATE         NULL,
    note          VARCHAR(500) NOT NULL,
    CONSTRAINT uq_meeting_agenda_items_seq UNIQUE (meeting_id, seq),
    KEY ix_meeting_agenda_items_demand (demand_id),
    CONSTRAINT ck_meeting_agenda_items_reason CHECK (reason IN ('overdue', 'due_soon', 'reopened', 'low_rating', 'transferred', 'whistle', 'not_visited')),
    CONSTRAINT fk_meeting_agenda_items_meeting FOREIGN KEY (meeting_id) REFERENCES meetings (id),
    CONSTRAINT fk_meeting_agenda_items_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_meeting_agenda_items_enterprise FOREIGN KEY (enterprise_id) REFERENCES enterprises (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What the meeting decided (议定事项). demand_event_id is the timeline event the decision wrote on its demand.
CREATE TABLE meeting_decisions (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    meeting_id      BIGINT       NOT NULL,
    agenda_item_id  BIGINT       NULL,
    demand_id       BIGINT       NOT NULL,
    kind            VARCHAR(20)  NOT NULL,
    text            VARCHAR(500) NOT NULL,
    owner_member_id BIGINT       NULL,
    department_id   BIGINT       NULL,
    due_date        DATE         NULL,
    demand_event_id BIGINT       NULL,
    decided_by      BIGINT       NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    KEY ix_meeting_decisions_meeting (meeting_id, id),
    KEY ix_meeting_decisions_demand (demand_id),
    CONSTRAINT ck_meeting_decisions_kind CHECK (kind IN ('reassign', 'due_date', 'urge', 'escalate', 'note')),
    CONSTRAINT fk_meeting_decisions_meeting FOREIGN KEY (meeting_id) REFERENCES meetings (id),
    CONSTRAINT fk_meeting_decisions_item FOREIGN KEY (agenda_item_id) REFERENCES meeting_agenda_items (id),
    CONSTRAINT fk_meeting_decisions_demand FOREIGN KEY (demand_id) REFERENCES demands (id),
    CONSTRAINT fk_meeting_decisions_owner FOREIGN KEY (owner_member_id) REFERENCES members (id),
    CONSTRAINT fk_meeting_decisions_department FOREIGN KEY (department_id) REFERENCES departments (id),
    CONSTRAINT fk_meeting_decisions_event FOREIGN KEY (demand_event_id) REFERENCES demand_events (id),
    CONSTRAINT fk_meeting_decisions_decider FOREIGN KEY (decided_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
