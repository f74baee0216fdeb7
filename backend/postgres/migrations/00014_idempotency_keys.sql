-- +goose Up
-- The answers of online creates sent with an Idempotency-Key, kept for
-- replay (backend/idempotency): per user, so that no user is ever answered
-- another's response; purged after WHISTLE_IDEMPOTENCY_RETENTION.
CREATE TABLE idempotency_keys (
    user_id      uuid        NOT NULL REFERENCES users (id),
    key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint  text        NOT NULL,
    status       integer     NOT NULL,
    content_type text        NOT NULL,
    location     text        NOT NULL DEFAULT '',
    etag         text        NOT NULL DEFAULT '',
    body         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
