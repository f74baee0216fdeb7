-- +goose Up
-- Seconded officers' performance records 实绩档案 (backend/assess/performance.go, issue 16): the
-- events the street records by hand (commendations, complaints, other), each for the street where
-- the officer served at the event's time. The automatic events are not stored: they are derived
-- by query from the facts (cases, their history, deadlines, evidence reviews, inspection reviews)
-- for the period asked, so that the same request gives the same events later. A withdrawn event
-- (recorded in error) is kept for the record and counts no more.
CREATE TABLE performance_events (
    id                uuid        PRIMARY KEY,
    officer_code      text        NOT NULL REFERENCES officers (code),
    street_code       text        NOT NULL REFERENCES streets (code),
    polarity          text        NOT NULL CHECK (polarity IN ('positive', 'negative')),
    kind              text        NOT NULL CHECK (kind IN ('commendation', 'complaint', 'other')),
    at                timestamptz NOT NULL,
    points            integer     NOT NULL CHECK (points > 0),
    reason            text        NOT NULL CHECK (reason <> ''),
    recorded_by       uuid        NOT NULL REFERENCES users,
    recorded_at       timestamptz NOT NULL,
    version           integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    withdrawn_at      timestamptz,
    withdrawn_by      uuid        REFERENCES users,
    withdrawal_reason text,
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL)),
    CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL))
);
CREATE INDEX performance_events_officer ON performance_events (officer_code, at, id);
CREATE INDEX performance_events_street ON performance_events (street_code, at);

-- case_holder_at is the officer holding case c at instant t (NULL when a department's queue or the
-- team leader held it, or before its first routing): the assignee of the case's last event up to
-- t that names one (routing, reassignment, objection, matter change). The history is never
-- rewritten, so the answer for a past instant stays the same.
-- +goose StatementBegin
CREATE FUNCTION case_holder_at(c uuid, t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN e.assignee->>'kind' = 'officer' THEN e.assignee->>'code' END
    FROM case_events e
    WHERE e.case_id = c AND e.assignee IS NOT NULL AND e.at <= t
    ORDER BY e.at DESC, e.id DESC LIMIT 1
$$;
-- +goose StatementEnd

-- Escalations and reviews are found by their time in the period.
CREATE INDEX deadlines_escalated ON deadlines (escalated_at) WHERE escalated_at IS NOT NULL;
CREATE INDEX evidence_reviews_returned ON evidence_reviews (at) WHERE verdict = 'returned';
CREATE INDEX inspection_reviews_returned ON inspection_reviews (at) WHERE decision = 'return';
CREATE INDEX case_events_concluded ON case_events (at) WHERE kind = 'transition' AND to_state = 'concluded';

-- +goose Down
DROP INDEX case_events_concluded, inspection_reviews_returned, evidence_reviews_returned, deadlines_escalated;
DROP FUNCTION case_holder_at(uuid, timestamptz);
DROP TABLE performance_events;
