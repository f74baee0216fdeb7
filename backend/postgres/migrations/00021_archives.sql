-- +goose Up
-- Archive closing (案件归档, issue 15): a concluded or withdrawn case closed by the team leader
-- after the completeness check (backend/archive), with its gapless archive number, the check as
-- it stood at closing, its annexes (later corrections, never changes), and the explanations of
-- deadlines that were late.

ALTER TABLE cases DROP CONSTRAINT cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check CHECK (state IN ('clue', 'filed', 'investigating', 'decided', 'served',
    'executed', 'concluded', 'withdrawn', 'archived'));

-- The next archive number of a street in a year (the year in Asia/Shanghai, by the server's one
-- clock). Allocated in the closing's transaction (INSERT .. ON CONFLICT DO UPDATE SET next = next
-- + 1 RETURNING): the row stays locked until the closing commits or rolls back, and a rolled-back
-- closing gives its number back, so numbers have no gap.
CREATE TABLE archive_counters (
    street_code text    NOT NULL REFERENCES streets (code),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
    next        integer NOT NULL CHECK (next > 0),
    PRIMARY KEY (street_code, year)
);

CREATE TABLE archives (
    case_id     uuid        PRIMARY KEY REFERENCES cases,
    street_code text        NOT NULL REFERENCES streets (code),
    year        integer     NOT NULL,
    seq         integer     NOT NULL CHECK (seq > 0),
    number      text        NOT NULL,
    closed_at   timestamptz NOT NULL,
    closed_by   uuid        NOT NULL REFERENCES users,
    score       integer     NOT NULL CHECK (score BETWEEN 0 AND 100),
    -- The completeness check as it stood at closing (archive.Result).
    "check"     jsonb       NOT NULL,
    UNIQUE (street_code, year, seq)
);
CREATE UNIQUE INDEX archives_number ON archives (number);

-- A later correction or supplement of an archived case: kept beside the archive, never a change
-- of the case.
CREATE TABLE archive_annexes (
    id           uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL REFERENCES archives (case_id),
    kind         text        NOT NULL CHECK (kind IN ('correction', 'supplement')),
    text         text        NOT NULL CHECK (text <> ''),
    evidence_ids jsonb       NOT NULL DEFAULT '[]',
    created_by   uuid        NOT NULL REFERENCES users,
    created_at   timestamptz NOT NULL
);
CREATE INDEX archive_annexes_case ON archive_annexes (case_id, created_at, id);

-- Why a deadline was late, recorded by the officer answering for it or the team leader: the
-- completeness check's deadlines_met accepts a late deadline with one. The last one counts.
CREATE TABLE deadline_explanations (
    id          bigserial   PRIMARY KEY,
    deadline_id uuid        NOT NULL REFERENCES deadlines,
    reason      text        NOT NULL CHECK (reason <> ''),
    by_user_id  uuid        NOT NULL REFERENCES users,
    at          timestamptz NOT NULL
);
CREATE INDEX deadline_explanations_deadline ON deadline_explanations (deadline_id, id);

-- +goose Down
DROP TABLE deadline_explanations, archive_annexes, archives, archive_counters;
DELETE FROM case_events WHERE kind = 'archive_closed';
-- A withdrawn case recorded its reason; any other archived case was concluded.
UPDATE cases SET state = w.state, doc = jsonb_set(doc, '{state}', to_jsonb(w.state))
FROM (SELECT id, CASE WHEN coalesce(doc->'facts'->>'withdraw_reason', '') <> '' THEN 'withdrawn' ELSE 'concluded' END AS state
      FROM cases WHERE state = 'archived') w
WHERE cases.id = w.id;
ALTER TABLE cases DROP CONSTRAINT cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check CHECK (state IN ('clue', 'filed', 'investigating', 'decided', 'served',
    'executed', 'concluded', 'withdrawn'));
