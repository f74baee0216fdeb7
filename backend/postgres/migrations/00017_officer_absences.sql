-- +goose Up
-- Officer absences (backend/org/absence.go, issue 14): the times an officer is away (on leave, in
-- training, sick, other), recorded by the team leader of the officer's street or an administrator.
-- Case routing passes over an officer absent at the routing instant (reason ON_LEAVE) when the
-- absence's kind is configured as unavailable (WHISTLE_CASE_UNAVAILABLE_KINDS). The period is
-- half-open: from_at <= t < until_at. A withdrawn absence (recorded in error, or cancelled) is kept
-- for the record and counts no more.
CREATE TABLE officer_absences (
    id           uuid        PRIMARY KEY,
    officer_code text        NOT NULL REFERENCES officers (code),
    street_code  text        NOT NULL REFERENCES streets (code),
    kind         text        NOT NULL CHECK (kind IN ('leave', 'training', 'sick', 'other')),
    from_at      timestamptz NOT NULL,
    until_at     timestamptz NOT NULL,
    reason       text        NOT NULL DEFAULT '',
    recorded_by  uuid        NOT NULL REFERENCES users,
    recorded_at  timestamptz NOT NULL,
    withdrawn_at timestamptz,
    withdrawn_by uuid        REFERENCES users,
    CHECK (from_at < until_at),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
CREATE INDEX officer_absences_officer ON officer_absences (officer_code, from_at DESC, id);
CREATE INDEX officer_absences_current ON officer_absences (officer_code, until_at) WHERE withdrawn_at IS NULL;

-- +goose Down
DROP TABLE officer_absences;
