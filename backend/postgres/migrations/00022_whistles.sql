-- +goose Up
-- Whistles and reports (吹哨/报到, issue 16; backend/whistle). The whistle's whole state is kept
-- in doc (what the API and the phones read); its calls, reports, escalations, objections and
-- ratings are also kept as plain rows, written in the same transaction, so that the assessment
-- counts them by department, street and time in SQL.

-- One counter for every gapless number of a street's year, by series (archive, whistle): the
-- archive counters of 00021 move here.
CREATE TABLE number_counters (
    series      text    NOT NULL CHECK (series IN ('archive', 'whistle')),
    street_code text    NOT NULL REFERENCES streets (code),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    next        integer NOT NULL CHECK (next > 0),
    PRIMARY KEY (series, street_code, year)
);
INSERT INTO number_counters (series, street_code, year, next) SELECT 'archive', street_code, year, next FROM archive_counters;
DROP TABLE archive_counters;

CREATE TABLE whistles (
    id          uuid        PRIMARY KEY,
    street_code text        NOT NULL REFERENCES streets (code),
    team_code   text        NOT NULL,
    year        integer     NOT NULL,
    seq         integer     NOT NULL CHECK (seq > 0),
    number      text        NOT NULL,
    type        text        NOT NULL CHECK (type IN ('emergency', 'key', 'regular')),
    source      text        NOT NULL CHECK (source IN ('grid_worker', 'community', 'hotline', 'patrol')),
    scope       text        NOT NULL CHECK (scope IN ('common', 'individual')),
    state       text        NOT NULL CHECK (state IN ('open', 'closed')),
    case_id     uuid        REFERENCES cases,
    raised_at   timestamptz NOT NULL,
    raised_by   uuid        NOT NULL REFERENCES users,
    filed_at    timestamptz NOT NULL,
    closed_at   timestamptz,
    version     integer     NOT NULL CHECK (version > 0),
    doc         jsonb       NOT NULL,
    UNIQUE (street_code, year, seq)
);
CREATE UNIQUE INDEX whistles_number ON whistles (number);
CREATE INDEX whistles_street_raised ON whistles (street_code, raised_at DESC, id);
CREATE INDEX whistles_raised ON whistles (raised_at DESC, id);

-- A department called by a whistle, with the due instant and the act (the department's own time)
-- of each step. status: called (must report), released (objection accepted).
CREATE TABLE whistle_calls (
    whistle_id      uuid        NOT NULL REFERENCES whistles,
    department_code text        NOT NULL REFERENCES departments (code),
    street_code     text        NOT NULL,
    type            text        NOT NULL,
    called_at       timestamptz NOT NULL,
    status          text        NOT NULL CHECK (status IN ('called', 'released')),
    ack_due         timestamptz NOT NULL,
    arrive_due      timestamptz NOT NULL,
    finish_due      timestamptz NOT NULL,
    ack_at          timestamptz,
    arrive_at       timestamptz,
    finish_at       timestamptz,
    PRIMARY KEY (whistle_id, department_code)
);
CREATE INDEX whistle_calls_department ON whistle_calls (department_code, called_at, whistle_id);
CREATE INDEX whistle_calls_street ON whistle_calls (street_code, called_at);

-- Each report (报到) as received: the act's time (at), when the server got it, and late: done after
-- the step's due instant.
CREATE TABLE whistle_reports (
    whistle_id      uuid        NOT NULL REFERENCES whistles,
    department_code text        NOT NULL,
    step            text        NOT NULL CHECK (step IN ('ack', 'arrive', 'finish')),
    at              timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    by_user_id      uuid        NOT NULL REFERENCES users,
    due_at          timestamptz NOT NULL,
    late            boolean     NOT NULL,
    PRIMARY KEY (whistle_id, department_code, step)
);
CREATE INDEX whistle_reports_department ON whistle_reports (department_code, at);

-- A step that was still not done at its due instant, escalated to the street director and the
-- district coordination office.
CREATE TABLE whistle_escalations (
    whistle_id      uuid        NOT NULL REFERENCES whistles,
    department_code text        NOT NULL,
    step            text        NOT NULL CHECK (step IN ('ack', 'arrive', 'finish')),
    due_at          timestamptz NOT NULL,
    escalated_at    timestamptz NOT NULL,
    street_code     text        NOT NULL,
    PRIMARY KEY (whistle_id, department_code, step)
);
CREATE INDEX whistle_escalations_department ON whistle_escalations (department_code, escalated_at);

-- A called department's objection (not its remit) and the street's ruling on it.
CREATE TABLE whistle_objections (
    id              uuid        PRIMARY KEY,
    whistle_id      uuid        NOT NULL REFERENCES whistles,
    department_code text        NOT NULL,
    street_code     text        NOT NULL,
    at              timestamptz NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('pending', 'accepted', 'overruled')),
    ruled_at        timestamptz
);
CREATE INDEX whistle_objections_department ON whistle_objections (department_code, at);
CREATE UNIQUE INDEX whistle_objections_pending ON whistle_objections (whistle_id, department_code) WHERE outcome = 'pending';

-- A rating of a closed whistle, once per rater (the source, the street's communities).
CREATE TABLE whistle_ratings (
    whistle_id    uuid        NOT NULL REFERENCES whistles,
    rater_user_id uuid        NOT NULL REFERENCES users,
    rater_role    text        NOT NULL,
    rating        text        NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'not_satisfied')),
    at            timestamptz NOT NULL,
    street_code   text        NOT NULL,
    PRIMARY KEY (whistle_id, rater_user_id)
);
CREATE INDEX whistle_ratings_street ON whistle_ratings (street_code, at);

-- +goose Down
DROP TABLE whistle_ratings;
DROP TABLE whistle_objections;
DROP TABLE whistle_escalations;
DROP TABLE whistle_reports;
DROP TABLE whistle_calls;
DROP TABLE whistles;
CREATE TABLE archive_counters (
    street_code text    NOT NULL REFERENCES streets (code),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    next        integer NOT NULL CHECK (next > 0),
    PRIMARY KEY (street_code, year)
);
INSERT INTO archive_counters (street_code, year, next) SELECT street_code, year, next FROM number_counters WHERE series = 'archive';
DROP TABLE number_counters;
