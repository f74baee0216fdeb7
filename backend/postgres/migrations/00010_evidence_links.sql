-- +goose Up
-- Evidence belongs to a record only from the record's own street and, to
-- count for it, with the bytes the record declared (evidence.LinksTo,
-- evidence.Satisfies); a client id is the phone's, not a claim on another
-- uploader's item. And an item is served only from the S3 version that was
-- verified, its bytes checked as they stream.

-- The record an item is linked to: the one it named, or, naming none, the
-- record that expects it by client id and hash.
ALTER TABLE evidence ADD COLUMN linked_record_id uuid;
UPDATE evidence SET linked_record_id = record_client_id WHERE linked_at IS NOT NULL;
CREATE INDEX evidence_linked_record ON evidence (linked_record_id) WHERE linked_record_id IS NOT NULL;

-- When bytes served from the verified version did not hash to sha256: the
-- item is not served after that.
ALTER TABLE evidence ADD COLUMN integrity_failed_at timestamptz;

-- version_id (since 00007) is the exact version that was verified: every
-- verified item has one, and it is what content, thumbnails and presigned
-- URLs read.
ALTER TABLE evidence ADD CONSTRAINT evidence_verified_version CHECK (status <> 'verified' OR version_id <> '');

-- One verified item per uploader and client id: another uploader's upload
-- under the same client id is his own item, never a takeover.
DROP INDEX evidence_client_verified;
CREATE UNIQUE INDEX evidence_client_verified ON evidence (uploader_id, client_id) WHERE status = 'verified';

-- A client id expected by one record does not stop another record from
-- expecting it (which one it belongs to is decided by street and hash).
ALTER TABLE inspection_evidence DROP CONSTRAINT inspection_evidence_pkey;
ALTER TABLE inspection_evidence ADD PRIMARY KEY (client_id, inspection_id);

ALTER TABLE evidence_custody DROP CONSTRAINT evidence_custody_event_check;
ALTER TABLE evidence_custody ADD CONSTRAINT evidence_custody_event_check CHECK (event IN ('declared_capture', 'upload_started',
    'completed', 'verified', 'quarantined', 'rejected', 'terminated', 'locked', 'linked', 'derived', 'viewed', 'downloaded',
    'exported', 'integrity_failed'));

-- +goose Down
ALTER TABLE evidence_custody DROP CONSTRAINT evidence_custody_event_check;
ALTER TABLE evidence_custody ADD CONSTRAINT evidence_custody_event_check CHECK (event IN ('declared_capture', 'upload_started',
    'completed', 'verified', 'quarantined', 'rejected', 'terminated', 'locked', 'linked', 'derived', 'viewed', 'downloaded',
    'exported'));
ALTER TABLE inspection_evidence DROP CONSTRAINT inspection_evidence_pkey;
ALTER TABLE inspection_evidence ADD PRIMARY KEY (client_id);
DROP INDEX evidence_client_verified;
CREATE UNIQUE INDEX evidence_client_verified ON evidence (client_id) WHERE status = 'verified';
ALTER TABLE evidence DROP CONSTRAINT evidence_verified_version;
ALTER TABLE evidence DROP COLUMN integrity_failed_at;
DROP INDEX evidence_linked_record;
ALTER TABLE evidence DROP COLUMN linked_record_id;
