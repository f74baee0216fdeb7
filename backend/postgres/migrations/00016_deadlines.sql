-- +goose Up
-- Statutory deadlines (backend/casework/deadline.go, issue 14): one row per deadline of a subject
-- (an inspection record's seizure now, a case's decision, service and payment later, a work
-- order's limit). due_at is the due instant as of the last change (pauses closed so far): the
-- River job deadline.escalate is scheduled at it, and the lists filter on it. The subject is
-- text and has no foreign key: cases arrive in another migration.
CREATE TABLE deadlines (
    id              uuid PRIMARY KEY,
    street_code     text        NOT NULL CHECK (street_code <> ''),
    team_code       text        NOT NULL CHECK (team_code <> ''),
    department_code text        NOT NULL DEFAULT '',
    subject_kind    text        NOT NULL CHECK (subject_kind <> ''),
    subject_id      text        NOT NULL CHECK (subject_id <> ''),
    kind            text        NOT NULL CHECK (kind IN ('decision', 'service', 'payment', 'seizure', 'emergency_report', 'work_order')),
    period          text        NOT NULL CHECK (period ~ '^[1-9][0-9]*(d|wd|h)$'),
    extended        boolean     NOT NULL DEFAULT false,
    extension       text        NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    state           text        NOT NULL CHECK (state IN ('open', 'paused', 'met', 'overdue')),
    pauses          jsonb       NOT NULL DEFAULT '[]',
    officer_code    text        NOT NULL DEFAULT '',
    met_at          timestamptz,
    escalated_at    timestamptz,
    version         integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX deadlines_street_due ON deadlines (street_code, due_at, id);
CREATE INDEX deadlines_subject ON deadlines (subject_kind, subject_id);
CREATE INDEX deadlines_open_due ON deadlines (due_at) WHERE state IN ('open', 'overdue');

-- +goose Down
DROP TABLE deadlines;
