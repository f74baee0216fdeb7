-- +goose Up
-- The reporter's satisfaction with a hotline work order's answer (回访, issue 16; the 满意率 of
-- the assessment). The return call is part of the hotline loop, not a change of the case file:
-- it is kept here beside the case, with its trail entry, and never moves the case's version, so
-- that a concluded or archived case takes it without reopening its file. One answer per case
-- other than unreachable (the reporter not reached is called again).
CREATE TABLE case_satisfactions (
    id          bigserial   PRIMARY KEY,
    case_id     uuid        NOT NULL REFERENCES cases,
    street_code text        NOT NULL,
    answer      text        NOT NULL CHECK (answer IN ('satisfied', 'basically_satisfied', 'not_satisfied', 'unreachable')),
    at          timestamptz NOT NULL,
    note        text,
    recorded_by uuid        NOT NULL REFERENCES users,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX case_satisfactions_case ON case_satisfactions (case_id, at);
CREATE UNIQUE INDEX case_satisfactions_answered ON case_satisfactions (case_id) WHERE answer <> 'unreachable';

-- The assessment's whistle figures read the reports, objections, rulings and ratings of a period
-- by their own times.
CREATE INDEX whistle_reports_at ON whistle_reports (at);
CREATE INDEX whistle_objections_at ON whistle_objections (at);
CREATE INDEX whistle_objections_ruled ON whistle_objections (ruled_at) WHERE ruled_at IS NOT NULL;
CREATE INDEX whistle_ratings_at ON whistle_ratings (at);

-- +goose Down
DROP INDEX whistle_reports_at, whistle_objections_at, whistle_objections_ruled, whistle_ratings_at;
DROP TABLE case_satisfactions;
