-- Accountability (issue 13): a structured 责任单位 and 责任人 on every demand, members' own units, demands held for a
-- person's review, and the State Council's published holiday schedules as reference data (every environment).

-- 责任单位 (the unit accountable) and 责任人 (the named person), kept apart. The pre-existing responsible_unit column
-- stays the unit's name; the new columns say what kind of unit it is and who the person is.
--   responsible_unit_kind   'branch' (the Party branch or the member's own unit), 'department' (a bureau department),
--                           'other' (another named body)
--   responsible_person_kind 'member' (a task-force member: owner_member_id), 'department_contact' (a user who is the
--                           department's liaison: responsible_user_id), 'other' (a named person with a phone)
--   responsible_person_name the person's name as it stood when set (shown in exports and the timeline)
--   responsible_person_phone only for 'other' (the others' phones live on their member or user row)
ALTER TABLE demands
    ADD COLUMN responsible_unit_kind    VARCHAR(20) NULL AFTER responsible_unit,
    ADD COLUMN responsible_person_kind  VARCHAR(20) NULL AFTER responsible_unit_kind,
    ADD COLUMN responsible_person_name  VARCHAR(50) NULL AFTER responsible_person_kind,
    ADD COLUMN responsible_person_phone VARCHAR(20) NULL AFTER responsible_person_name,
    ADD COLUMN responsible_user_id      BIGINT      NULL AFTER responsible_person_phone,
    ADD CONSTRAINT fk_demands_responsible_user FOREIGN KEY (responsible_user_id) REFERENCES users (id),
    ADD CONSTRAINT ck_demands_unit_kind CHECK (responsible_unit_kind IN ('branch', 'department', 'other')),
    ADD CONSTRAINT ck_demands_person_kind CHECK (responsible_person_kind IN ('member', 'department_contact', 'other'));

-- A member may belong to a unit of their own (e.g. an enforcement brigade); a claim names it as the 责任单位.
ALTER TABLE members ADD COLUMN unit VARCHAR(100) NULL AFTER title;

-- Existing claims: the unit was often the member's own name (or a person after a meeting's reassign). A unit that is
-- neither empty nor the name of a member of the branch was given on purpose and is kept ('other'); otherwise the
-- branch is the unit.
UPDATE demands d
JOIN members m ON m.id = d.owner_member_id
JOIN party_branches ob ON ob.id = d.branch_id
LEFT JOIN members named ON named.branch_id = d.branch_id AND named.name = d.responsible_unit
SET d.responsible_unit_kind = CASE WHEN d.responsible_unit IS NULL OR named.id IS NOT NULL OR d.responsible_unit = ob.name
                                   THEN 'branch' ELSE 'other' END,
    d.responsible_person_kind = 'member',
    d.responsible_person_name = m.name
WHERE d.owner_member_id IS NOT NULL;

UPDATE demands d
JOIN party_branches b ON b.id = d.branch_id
SET d.responsible_unit = b.name
WHERE d.responsible_unit_kind = 'branch';

-- Existing transfers: the unit is the department; the person is its liaison when it has exactly one.
UPDATE demands d
JOIN departments dep ON dep.id = d.department_id
SET d.responsible_unit_kind = 'department',
    d.responsible_unit = dep.name,
    d.responsible_user_id = (SELECT MIN(u.id) FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'department_liaison'
                             WHERE u.department_id = dep.id HAVING COUNT(*) = 1),
    d.responsible_person_kind = CASE WHEN (SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'department_liaison'
                                            WHERE u.department_id = dep.id) = 1 THEN 'department_contact' END
WHERE d.department_id IS NOT NULL AND d.owner_member_id IS NULL;

UPDATE demands d JOIN users u ON u.id = d.responsible_user_id
SET d.responsible_person_name = u.display_name
WHERE d.responsible_person_kind = 'department_contact';

-- The national holiday calendar: where each year's schedule comes from.
CREATE TABLE calendar_notices (
    year         INT          NOT NULL PRIMARY KEY,
    title        VARCHAR(100) NOT NULL,
    document_no  VARCHAR(50)  NULL,
    published_on DATE         NOT NULL,
    imported_at  DATETIME(6)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO calendar_notices (year, title, document_no, published_on, imported_at) VALUES (2024, '国务院办公厅关于2024年部分节假日安排的通知', '国办发明电〔2023〕7号', '2023-10-25', UTC_TIMESTAMP(6));
INSERT IGNORE INTO calendar_notices (year, title, document_no, published_on, imported_at) VALUES (2025, '国务院办公厅关于2025年部分节假日安排的通知', '国办发明电〔2024〕12号', '2024-11-12', UTC_TIMESTAMP(6));
INSERT IGNORE INTO calendar_notices (year, title, document_no, published_on, imported_at) VALUES (2026, '国务院办公厅关于2026年部分节假日安排的通知', NULL, '2025-11-04', UTC_TIMESTAMP(6));

-- Every day of each holiday (weekend days included) and every make-up workday (调休上班), as the notices list them.
-- An administrator's own entry for a day is kept.
INSERT IGNORE INTO calendar_days (day, kind, name, updated_at) VALUES
    ('2024-01-01', 'holiday', '元旦', UTC_TIMESTAMP(6)),
    ('2024-02-10', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-11', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-12', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-13', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-14', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-15', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-16', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-17', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2024-02-04', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2024-02-18', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2024-04-04', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2024-04-05', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2024-04-06', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2024-04-07', 'workday', '清明节调休上班', UTC_TIMESTAMP(6)),
    ('2024-05-01', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2024-05-02', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2024-05-03', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2024-05-04', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2024-05-05', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2024-04-28', 'workday', '劳动节调休上班', UTC_TIMESTAMP(6)),
    ('2024-05-11', 'workday', '劳动节调休上班', UTC_TIMESTAMP(6)),
    ('2024-06-10', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2024-09-15', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2024-09-16', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2024-09-17', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2024-09-14', 'workday', '中秋节调休上班', UTC_TIMESTAMP(6)),
    ('2024-10-01', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-02', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-03', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-04', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-05', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-06', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-10-07', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2024-09-29', 'workday', '国庆节调休上班', UTC_TIMESTAMP(6)),
    ('2024-10-12', 'workday', '国庆节调休上班', UTC_TIMESTAMP(6)),
    ('2025-01-01', 'holiday', '元旦', UTC_TIMESTAMP(6)),
    ('2025-01-28', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-01-29', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-01-30', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-01-31', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-02-01', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-02-02', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-02-03', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-02-04', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2025-01-26', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2025-02-08', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2025-04-04', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2025-04-05', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2025-04-06', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2025-05-01', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2025-05-02', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2025-05-03', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2025-05-04', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2025-05-05', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2025-04-27', 'workday', '劳动节调休上班', UTC_TIMESTAMP(6)),
    ('2025-05-31', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2025-06-01', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2025-06-02', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2025-10-01', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-02', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-03', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-04', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-05', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-06', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-07', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-10-08', 'holiday', '国庆节、中秋节', UTC_TIMESTAMP(6)),
    ('2025-09-28', 'workday', '国庆节、中秋节调休上班', UTC_TIMESTAMP(6)),
    ('2025-10-11', 'workday', '国庆节、中秋节调休上班', UTC_TIMESTAMP(6)),
    ('2026-01-01', 'holiday', '元旦', UTC_TIMESTAMP(6)),
    ('2026-01-02', 'holiday', '元旦', UTC_TIMESTAMP(6)),
    ('2026-01-03', 'holiday', '元旦', UTC_TIMESTAMP(6)),
    ('2026-01-04', 'workday', '元旦调休上班', UTC_TIMESTAMP(6)),
    ('2026-02-15', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-16', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-17', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-18', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-19', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-20', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-21', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-22', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-23', 'holiday', '春节', UTC_TIMESTAMP(6)),
    ('2026-02-14', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2026-02-28', 'workday', '春节调休上班', UTC_TIMESTAMP(6)),
    ('2026-04-04', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2026-04-05', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2026-04-06', 'holiday', '清明节', UTC_TIMESTAMP(6)),
    ('2026-05-01', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2026-05-02', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2026-05-03', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2026-05-04', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2026-05-05', 'holiday', '劳动节', UTC_TIMESTAMP(6)),
    ('2026-05-09', 'workday', '劳动节调休上班', UTC_TIMESTAMP(6)),
    ('2026-06-19', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2026-06-20', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2026-06-21', 'holiday', '端午节', UTC_TIMESTAMP(6)),
    ('2026-09-25', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2026-09-26', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2026-09-27', 'holiday', '中秋节', UTC_TIMESTAMP(6)),
    ('2026-10-01', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-02', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-03', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-04', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-05', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-06', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-10-07', 'holiday', '国庆节', UTC_TIMESTAMP(6)),
    ('2026-09-20', 'workday', '国庆节调休上班', UTC_TIMESTAMP(6)),
    ('2026-10-10', 'workday', '国庆节调休上班', UTC_TIMESTAMP(6));
