-- +goose Up
-- A department's review of a case's evidence (issue 15): accepted, or returned with reasons per
-- item, and the answer of the officer holding the case (a note, the items uploaded since).

CREATE TABLE evidence_reviews (
    id               uuid        PRIMARY KEY,
    case_id          uuid        NOT NULL REFERENCES cases,
    department_code  text        NOT NULL,
    reviewer_user_id uuid        NOT NULL REFERENCES users,
    verdict          text        NOT NULL CHECK (verdict IN ('accepted', 'returned')),
    -- The items returned, each {evidence_id, reason, note} (backend/review.Item); [] when accepted.
    items            jsonb       NOT NULL DEFAULT '[]',
    at               timestamptz NOT NULL,
    status           text        NOT NULL CHECK (status IN ('accepted', 'returned', 'answered')),
    -- The answer to a return: {note, evidence_ids, by, at}.
    answer           jsonb,
    version          integer     NOT NULL CHECK (version > 0),
    CHECK ((status = 'answered') = (answer IS NOT NULL)),
    CHECK ((verdict = 'accepted') = (status = 'accepted'))
);
CREATE INDEX evidence_reviews_case ON evidence_reviews (case_id, at DESC, id);

-- +goose Down
DROP TABLE evidence_reviews;
