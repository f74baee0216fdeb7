-- +goose Up
-- Cases (issue 14): problems from intake to conclusion, their sources, the routing decisions
-- with every candidate and reason, and the history of each case.

CREATE TABLE cases (
    id               uuid        PRIMARY KEY,
    street_code      text        NOT NULL REFERENCES streets (code),
    team_code        text        NOT NULL REFERENCES teams (code),
    number           text        UNIQUE,
    -- The matter as the catalogue stood at intake (or at the last matter change).
    matter_code      text        NOT NULL,
    matter_version   integer     NOT NULL,
    department_code  text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('clue', 'filed', 'investigating', 'decided', 'served',
                                                           'executed', 'concluded', 'withdrawn')),
    outcome          text        CHECK (outcome IN ('penalty', 'no_penalty', 'transferred')),
    -- Who holds the case: an officer, a department's district queue, or the team leader.
    assignee_kind    text        NOT NULL CHECK (assignee_kind IN ('officer', 'department', 'team_leader')),
    assignee_code    text        NOT NULL,
    first_receiver_kind text     NOT NULL,
    first_receiver_code text     NOT NULL,
    address          text        NOT NULL,
    lat              double precision,
    lng              double precision,
    description      text        NOT NULL,
    merged_into      uuid        REFERENCES cases,
    version          integer     NOT NULL CHECK (version > 0),
    -- The case as served (backend/casework.Record), sources included.
    doc              jsonb       NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX cases_street ON cases (street_code, created_at DESC, id);
CREATE INDEX cases_assignee ON cases (assignee_kind, assignee_code) WHERE state NOT IN ('concluded', 'withdrawn');
CREATE INDEX cases_department ON cases (department_code, created_at DESC, id);
CREATE INDEX cases_matter ON cases (street_code, matter_code, created_at);

-- Each origin of a case; a merge moves the merged case's sources to the case it joins.
CREATE TABLE case_sources (
    id                bigserial   PRIMARY KEY,
    case_id           uuid        NOT NULL REFERENCES cases,
    kind              text        NOT NULL CHECK (kind IN ('inspection', 'work_order', 'community_report', 'supervision_notice')),
    inspection_id     uuid        REFERENCES inspections,
    channel           text,
    work_order_number text,
    nature            text,
    contact_name      text,
    contact_phone     text,
    received_at       timestamptz NOT NULL,
    time_limit        timestamptz,
    address           text        NOT NULL,
    lat               double precision,
    lng               double precision,
    description       text        NOT NULL,
    taken_by          uuid        NOT NULL REFERENCES users
);
CREATE INDEX case_sources_case ON case_sources (case_id);
CREATE INDEX case_sources_taken_by ON case_sources (taken_by);
-- An inspection record opens one case, however often it is approved.
CREATE UNIQUE INDEX case_sources_inspection ON case_sources (inspection_id) WHERE inspection_id IS NOT NULL;

-- Every routing decision, with the candidates considered and why each was or was not chosen.
CREATE TABLE case_routings (
    id              bigserial   PRIMARY KEY,
    case_id         uuid        NOT NULL REFERENCES cases,
    at              timestamptz NOT NULL,
    matter_code     text        NOT NULL,
    matter_version  integer     NOT NULL,
    department_code text        NOT NULL,
    destination     text        NOT NULL CHECK (destination IN ('officer', 'district_queue', 'unroutable')),
    officer_code    text,
    reason          jsonb       NOT NULL,
    candidates      jsonb       NOT NULL
);
CREATE INDEX case_routings_case ON case_routings (case_id, id);

-- The history of a case: nothing is overwritten.
CREATE TABLE case_events (
    id            bigserial   PRIMARY KEY,
    case_id       uuid        NOT NULL REFERENCES cases,
    version       integer     NOT NULL,
    kind          text        NOT NULL,
    at            timestamptz NOT NULL,
    actor_user_id uuid        NOT NULL REFERENCES users,
    from_state    text,
    to_state      text,
    reason        text,
    assignee      jsonb
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- +goose Down
DROP TABLE case_events, case_routings, case_sources, cases;
