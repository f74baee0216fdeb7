-- +goose Up
-- Offline sync: what each device pushed (exactly once), and what each scope
-- publishes for devices to pull.

-- A device's sync state; its row is locked while one of its mutations is
-- applied, so the last applied number moves with the mutation's effects.
CREATE TABLE device_sync (
    device_id        uuid PRIMARY KEY REFERENCES devices,
    last_seq         bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_push_at     timestamptz,
    last_pull_at     timestamptz,
    queue_depth      integer,
    oldest_unsent_at timestamptz,
    clock_skew_ms    bigint,
    app_version      text NOT NULL DEFAULT ''
);

-- Every processed mutation, with the exact bytes that were signed, so an act
-- stays attributable and a retry gets the first answer.
CREATE TABLE sync_mutations (
    device_id           uuid        NOT NULL REFERENCES devices,
    seq                 bigint      NOT NULL CHECK (seq > 0),
    name                text        NOT NULL,
    entity_id           uuid        NOT NULL,
    args                bytea       NOT NULL,
    clock_wall          timestamptz NOT NULL,
    clock_since_boot_ms bigint      NOT NULL,
    signature           bytea       NOT NULL,
    payload_hash        bytea       NOT NULL,
    verdict             text        NOT NULL CHECK (verdict IN ('applied', 'accepted_with_exceptions', 'rejected')),
    result              jsonb       NOT NULL,
    received_at         timestamptz NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX sync_mutations_entity ON sync_mutations (entity_id);

-- Per-scope version counters. A writer takes the next version by updating
-- the scope's row, which stays locked until it commits: versions of a scope
-- therefore become visible in the order they were taken, and a reader's
-- cursor never skips a change. purged is the highest version of a purged
-- tombstone: older cursors must re-bootstrap.
CREATE TABLE sync_scopes (
    scope   text   PRIMARY KEY,
    version bigint NOT NULL,
    purged  bigint NOT NULL DEFAULT 0
);

-- The latest state of each entity in each scope, or its tombstone.
CREATE TABLE sync_changes (
    scope         text        NOT NULL,
    entity_type   text        NOT NULL,
    entity_id     text        NOT NULL,
    version       bigint      NOT NULL,
    op            text        NOT NULL CHECK (op IN ('upsert', 'delete')),
    state         jsonb,
    origin_device uuid,
    origin_seq    bigint,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, entity_type, entity_id),
    CHECK ((op = 'upsert') = (state IS NOT NULL))
);
CREATE UNIQUE INDEX sync_changes_scope_version ON sync_changes (scope, version);
CREATE INDEX sync_changes_tombstones ON sync_changes (changed_at) WHERE op = 'delete';

-- +goose Down
DROP TABLE sync_changes, sync_scopes, sync_mutations, device_sync;
