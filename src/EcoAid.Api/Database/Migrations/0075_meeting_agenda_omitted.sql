-- A meeting's agenda lists at most Meetings:AgendaLimitPerReason lines per reason (what one meeting can discuss); how many
-- more there were, per reason, is kept here so the agenda can say so and link to the full list.
CREATE TABLE meeting_agenda_omitted (
    meeting_id BIGINT      NOT NULL,
    reason     VARCHAR(20) NOT NULL,
    omitted    INT         NOT NULL,
    PRIMARY KEY (meeting_id, reason),
    CONSTRAINT ck_meeting_agenda_omitted_count CHECK (omitted > 0),
    CONSTRAINT fk_meeting_agenda_omitted_meeting FOREIGN KEY (meeting_id) REFERENCES meetings (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
