-- +goose Up
-- The assessment (issue 16): the SQL selections of backend/postgres/assess.go read the acts of a
-- period by their time. A quarter of a district (about 12,500 cases) is answered from these
-- indexes, without summaries: every figure is exact as recorded, today's acts included.
CREATE INDEX case_routings_at ON case_routings (at, department_code);
CREATE INDEX case_events_objection_at ON case_events (at) WHERE kind = 'objection';
CREATE INDEX case_events_concluded_at ON case_events (at) WHERE kind = 'transition' AND to_state = 'concluded';
CREATE INDEX case_sources_work_order_received ON case_sources (received_at) WHERE kind = 'work_order';
CREATE INDEX evidence_reviews_at ON evidence_reviews (at, department_code);

-- +goose Down
DROP INDEX case_routings_at, case_events_objection_at, case_events_concluded_at, case_sources_work_order_received,
    evidence_reviews_at;
