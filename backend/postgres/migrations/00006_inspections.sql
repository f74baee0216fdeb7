-- +goose Up
-- On-site inspection records, every version of them, and the review loop.

CREATE TABLE inspections (
    id            uuid        PRIMARY KEY,
    team_code     text        NOT NULL REFERENCES teams (code),
    street_code   text        NOT NULL REFERENCES streets (code),
    version       integer     NOT NULL CHECK (version > 0),
    act_at        timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    recorded_by   text        NOT NULL,
    device_id     uuid        REFERENCES devices,
    tier          text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('evidence_pending', 'complete')),
    review        text        NOT NULL CHECK (review IN ('none', 'pending', 'returned', 'approved')),
    matter_codes  text[]      NOT NULL,
    officer_codes text[]      NOT NULL,
    state         jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX inspections_street_act ON inspections (street_code, act_at DESC);
CREATE INDEX inspections_review ON inspections (street_code, review) WHERE review = 'pending';
CREATE INDEX inspections_matters ON inspections USING gin (matter_codes);
CREATE INDEX inspections_officers ON inspections USING gin (officer_codes);

-- Nothing is overwritten: every version stays, with its author and reason.
CREATE TABLE inspection_versions (
    inspection_id  uuid        NOT NULL REFERENCES inspections,
    version        integer     NOT NULL,
    author_user_id uuid        NOT NULL,
    reason         text        NOT NULL,
    at             timestamptz NOT NULL,
    record         jsonb       NOT NULL,
    review         text        NOT NULL,
    exceptions     integer     NOT NULL,
    PRIMARY KEY (inspection_id, version)
);

CREATE TABLE inspection_reviews (
    id               bigserial   PRIMARY KEY,
    inspection_id    uuid        NOT NULL REFERENCES inspections,
    version          integer     NOT NULL,
    decision         text        NOT NULL CHECK (decision IN ('approve', 'return')),
    reasons          jsonb       NOT NULL,
    reviewer_user_id uuid        NOT NULL,
    at               timestamptz NOT NULL
);
CREATE INDEX inspection_reviews_inspection ON inspection_reviews (inspection_id, id);

-- The evidence each record expects, to link files that arrive before or
-- after their record.
CREATE TABLE inspection_evidence (
    client_id     uuid PRIMARY KEY,
    inspection_id uuid NOT NULL REFERENCES inspections
);
CREATE INDEX inspection_evidence_inspection ON inspection_evidence (inspection_id);

-- Numbered documents: blocks of numbers issued to a device while online,
-- and the numbers used by acts.
CREATE TABLE number_blocks (
    id         uuid        PRIMARY KEY,
    device_id  uuid        NOT NULL REFERENCES devices,
    doc_type   text        NOT NULL,
    prefix     text        NOT NULL,
    first      bigint      NOT NULL CHECK (first > 0),
    last       bigint      NOT NULL,
    issued_at  timestamptz NOT NULL,
    CHECK (last >= first)
);
CREATE INDEX number_blocks_device ON number_blocks (device_id, doc_type);
CREATE TABLE form_numbers (
    number        text        PRIMARY KEY,
    inspection_id uuid        REFERENCES inspections,
    voided_reason text,
    used_at       timestamptz NOT NULL,
    CHECK ((inspection_id IS NULL) = (voided_reason IS NOT NULL))
);

-- +goose Down
DROP TABLE form_numbers, number_blocks, inspection_evidence, inspection_reviews, inspection_versions, inspections;
