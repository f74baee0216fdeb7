-- +goose Up
-- Evidence (photos, video, audio, signatures, documents) and its chain of
-- custody. See package media: the bytes live in the evidence bucket, this
-- schema holds what is known about them and the progress of their upload.

-- One row per evidence item. Its id is also the id of the tus upload that
-- brings its bytes (/v1/evidence/uploads/{id}). A phone may upload the same
-- client_id again after a failed attempt; only one row per client_id can be
-- verified.
CREATE TABLE evidence (
    id                    uuid        PRIMARY KEY,
    client_id             uuid        NOT NULL,            -- the phone's evidence UUID
    record_client_id      uuid,                            -- the phone's UUID of the record it belongs to
    uploader_id           uuid        NOT NULL REFERENCES users,
    device_id             uuid,
    street_code           text        NOT NULL DEFAULT '', -- street of the uploader's team at upload; '' for none
    kind                  text        NOT NULL CHECK (kind IN ('photo', 'video', 'audio', 'signature', 'document')),
    declared_content_type text        NOT NULL,
    content_type          text        NOT NULL DEFAULT '', -- detected from the bytes
    length                bigint      NOT NULL CHECK (length >= 0),
    declared_sha256       text        NOT NULL CHECK (declared_sha256 ~ '^[0-9a-f]{64}$'),
    sha256                text        NOT NULL DEFAULT '' CHECK (sha256 = '' OR sha256 ~ '^[0-9a-f]{64}$'),
    captured_at           timestamptz NOT NULL,
    lat                   double precision CHECK (lat BETWEEN -90 AND 90),
    lon                   double precision CHECK (lon BETWEEN -180 AND 180),
    upload_metadata       text        NOT NULL DEFAULT '', -- the Upload-Metadata header as sent (HEAD echoes it)
    status                text        NOT NULL CHECK (status IN ('uploading', 'verified', 'quarantined', 'rejected', 'terminated')),
    problem_code          text        NOT NULL DEFAULT '', -- why rejected or quarantined
    problem_detail        text        NOT NULL DEFAULT '',
    object_key            text        NOT NULL DEFAULT '', -- evidence/sha256/<hex> or quarantine/<id>
    version_id            text        NOT NULL DEFAULT '',
    lock_mode             text        NOT NULL DEFAULT '',
    retain_until          timestamptz,
    exif                  jsonb,
    discrepancies         jsonb       NOT NULL DEFAULT '[]',
    thumbnail             text        NOT NULL DEFAULT '', -- pending, available, none, unavailable (...)
    thumbnail_key         text        NOT NULL DEFAULT '',
    created_at            timestamptz NOT NULL,
    completed_at          timestamptz,
    linked_at             timestamptz,                     -- when its record was known to have arrived
    CHECK ((status = 'verified') = (sha256 <> '' AND sha256 = declared_sha256 AND object_key LIKE 'evidence/sha256/%'))
);
CREATE UNIQUE INDEX evidence_client_verified ON evidence (client_id) WHERE status = 'verified';
CREATE INDEX evidence_client ON evidence (client_id);
CREATE INDEX evidence_record ON evidence (record_client_id) WHERE record_client_id IS NOT NULL;
CREATE INDEX evidence_orphans ON evidence (street_code, completed_at) WHERE linked_at IS NULL AND completed_at IS NOT NULL;
CREATE INDEX evidence_thumbnail_pending ON evidence (completed_at) WHERE thumbnail = 'pending';

-- The progress of an evidence item's tus upload, so that any API instance
-- can resume it after a restart: the bytes accepted so far are the S3
-- multipart parts plus the tail (fewer than one part's worth, in a small
-- staging object), and hash_state is the running SHA-256 over all of them.
CREATE TABLE evidence_uploads (
    evidence_id   uuid        PRIMARY KEY REFERENCES evidence,
    upload_offset bigint      NOT NULL DEFAULT 0 CHECK (upload_offset >= 0),
    expires_at    timestamptz NOT NULL,
    hash_state    bytea,                               -- encoding.BinaryMarshaler of crypto/sha256's digest
    s3_key        text        NOT NULL,                -- the multipart object, uploads/<id>
    s3_upload_id  text        NOT NULL DEFAULT '',
    parts         jsonb       NOT NULL DEFAULT '[]',   -- [{"n":1,"etag":"...","size":7340032}, ...]
    next_part     integer     NOT NULL DEFAULT 1 CHECK (next_part BETWEEN 1 AND 10001),
    tail_key      text        NOT NULL DEFAULT '',
    tail_version  text        NOT NULL DEFAULT '',
    tail_size     bigint      NOT NULL DEFAULT 0 CHECK (tail_size >= 0),
    head          jsonb,                               -- what the first bytes said (dimensions, EXIF)
    lease_token   uuid,                                -- the request writing to the upload now
    lease_until   timestamptz,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX evidence_uploads_expires ON evidence_uploads (expires_at);

-- The custody log of each evidence item: every event from the declared
-- capture to each view and download. Append-only, like the audit trail,
-- where every entry is also recorded.
CREATE TABLE evidence_custody (
    id            bigserial   PRIMARY KEY,
    evidence_id   uuid        NOT NULL REFERENCES evidence,
    at            timestamptz NOT NULL,
    event         text        NOT NULL CHECK (event IN ('declared_capture', 'upload_started', 'completed', 'verified',
                                  'quarantined', 'rejected', 'terminated', 'locked', 'linked', 'derived', 'viewed',
                                  'downloaded', 'exported')),
    actor_user_id uuid,
    device_id     uuid,
    request_id    text        NOT NULL DEFAULT '',
    detail        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX evidence_custody_evidence ON evidence_custody (evidence_id, id);

-- +goose StatementBegin
CREATE FUNCTION evidence_custody_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'evidence_custody is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the custody log can only be appended to';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER evidence_custody_no_update_delete
    BEFORE UPDATE OR DELETE ON evidence_custody
    FOR EACH ROW EXECUTE FUNCTION evidence_custody_append_only();

CREATE TRIGGER evidence_custody_no_truncate
    BEFORE TRUNCATE ON evidence_custody
    FOR EACH STATEMENT EXECUTE FUNCTION evidence_custody_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON evidence_custody FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON evidence_custody FROM CURRENT_USER;

-- +goose Down
DROP TABLE evidence_custody;
DROP FUNCTION evidence_custody_append_only();
DROP TABLE evidence_uploads;
DROP TABLE evidence;
