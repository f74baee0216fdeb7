-- +goose Up
-- Department review grants (issue 15): a department routed a case gets a time-boxed, revocable
-- grant for its reviewers to see the case, its records and their evidence; the history of each
-- grant's changes (extension, revocation, terms) with who, when and why.

CREATE TABLE review_grants (
    id               uuid        PRIMARY KEY,
    case_id          uuid        NOT NULL REFERENCES cases,
    department_code  text        NOT NULL,
    granted_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    revoked_by       uuid        REFERENCES users,
    revoke_reason    text,
    download_allowed boolean     NOT NULL DEFAULT false,
    unmasked         boolean     NOT NULL DEFAULT false,
    -- Why the reviewers may see the party in full: required when unmasked.
    legal_basis      text,
    version          integer     NOT NULL CHECK (version > 0),
    created_by       uuid        NOT NULL REFERENCES users,
    CHECK (expires_at > granted_at),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
    CHECK (NOT unmasked OR coalesce(legal_basis, '') <> '')
);
CREATE INDEX review_grants_case ON review_grants (case_id, department_code);
-- A reviewer's list of cases: the department's grants not revoked, by expiry.
CREATE INDEX review_grants_department ON review_grants (department_code, expires_at) WHERE revoked_at IS NULL;

CREATE TABLE review_grant_events (
    id            bigserial   PRIMARY KEY,
    grant_id      uuid        NOT NULL REFERENCES review_grants,
    version       integer     NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('open', 'extend', 'revoke', 'terms')),
    at            timestamptz NOT NULL,
    actor_user_id uuid        NOT NULL REFERENCES users,
    reason        text,
    UNIQUE (grant_id, version)
);

-- +goose Down
DROP TABLE review_grant_events;
DROP TABLE review_grants;
