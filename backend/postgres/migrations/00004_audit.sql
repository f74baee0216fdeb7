-- +goose Up
-- The full-process record (全过程留痕): an append-only, hash-chained trail of
-- every state change and every evidence access. See package backend/audit.
-- chain is collated "C" so that the database orders chains bytewise, as Go does.
CREATE TABLE audit_entries (
    id            bigserial   PRIMARY KEY,   -- order across chains, for paging; not hashed
    chain         text        COLLATE "C" NOT NULL CHECK (chain <> ''),
    seq           bigint      NOT NULL CHECK (seq >= 1),
    at            timestamptz NOT NULL,
    actor_user_id uuid,                      -- NULL: the system itself
    device_id     uuid,
    request_id    text        NOT NULL DEFAULT '',
    action        text        NOT NULL CHECK (action <> ''),
    entity_type   text        NOT NULL CHECK (entity_type <> ''),
    entity_id     text        NOT NULL DEFAULT '',
    before_digest text        NOT NULL DEFAULT '' CHECK (before_digest = '' OR before_digest ~ '^[0-9a-f]{64}$'),
    after_digest  text        NOT NULL DEFAULT '' CHECK (after_digest = '' OR after_digest ~ '^[0-9a-f]{64}$'),
    prev_hash     text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash          text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    UNIQUE (chain, seq)
);

-- The query filters; each ends in id, the paging key.
CREATE INDEX audit_entries_entity ON audit_entries (entity_type, entity_id, id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_user_id, id) WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_entries_action ON audit_entries (action, id);
CREATE INDEX audit_entries_chain_id ON audit_entries (chain, id);
CREATE INDEX audit_entries_at ON audit_entries (at);

-- The trail is append-only: no role, the owner included, may change or remove
-- an entry. Superusers and the owner can still switch triggers off, which is
-- why chain heads are also anchored, signed, in the evidence bucket.
-- +goose StatementBegin
CREATE FUNCTION audit_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the audit trail can only be appended to';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();

CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM PUBLIC;
-- The role running the migrations owns the table and is usually the role the
-- service runs as; it gives up these privileges too (an owner could grant them
-- back, which needs a deliberate statement, not a bug).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM CURRENT_USER;

-- One row per chain: its last seq and hash. Appending locks the chain's row
-- (SELECT ... FOR UPDATE) until the appending transaction ends, so concurrent
-- writers in one street queue and never fork the chain. The row is a lock and
-- a cache; verification recomputes the chain from audit_entries and uses it
-- only to notice a chain that ends early.
CREATE TABLE audit_chain_heads (
    chain text   COLLATE "C" PRIMARY KEY,
    seq   bigint NOT NULL CHECK (seq >= 0),
    hash  text   NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- +goose Down
DROP TABLE audit_chain_heads;
DROP TABLE audit_entries;
DROP FUNCTION audit_entries_append_only();
