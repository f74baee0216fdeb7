-- +goose Up
-- Phones, sessions and refresh tokens, and the login throttle.

-- A phone registered by its Ed25519 public key, bound to one user at a time.
-- Handing a phone to another officer is a revocation and a new registration
-- with a new key: a key, once registered, is never registered again.
CREATE TABLE devices (
    id             uuid        PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users,
    public_key     bytea       NOT NULL UNIQUE CHECK (length(public_key) = 32),
    name           text        NOT NULL DEFAULT '',
    registered_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text,
    UNIQUE (id, user_id), -- target of the sessions' (device, user) key
    CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL)
);
CREATE INDEX devices_user ON devices (user_id);

-- A session: what one login opened, on a device or (device_id NULL) in a
-- browser. Its id is the "sid" claim of every access token issued in it, and
-- the family of the refresh tokens that rotation produces from it. Revoking
-- it ends all of them at once.
CREATE TABLE refresh_families (
    id             uuid        PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users,
    device_id      uuid,
    created_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text,
    FOREIGN KEY (device_id, user_id) REFERENCES devices (id, user_id),
    UNIQUE (id, user_id, device_id), -- target of the refresh tokens' key
    CHECK (revoked_reason IS NULL OR revoked_at IS NOT NULL)
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_device ON refresh_families (device_id) WHERE device_id IS NOT NULL;

-- Refresh tokens, stored as the SHA-256 of the opaque token, never the token.
-- Each is spent once (rotated_at); presenting a spent one revokes its family.
CREATE TABLE refresh_tokens (
    id         uuid        PRIMARY KEY,
    family_id  uuid        NOT NULL,
    device_id  uuid        NOT NULL REFERENCES devices,
    user_id    uuid        NOT NULL REFERENCES users,
    token_hash bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
    rotated_at timestamptz,
    revoked_at timestamptz,
    FOREIGN KEY (family_id, user_id, device_id) REFERENCES refresh_families (id, user_id, device_id)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed logins per key ("user:<username>" or "addr:<ip>") in fixed windows.
CREATE TABLE login_throttle (
    key          text        PRIMARY KEY,
    failures     int         NOT NULL CHECK (failures > 0),
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
DROP TABLE devices;
