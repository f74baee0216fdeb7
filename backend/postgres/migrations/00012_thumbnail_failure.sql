-- +goose Up
-- Thumbnails are River jobs (backend/jobs), one per item, with bounded
-- attempts: an item whose thumbnail could not be made ends 'failed', with
-- the reason here and a thumbnail_failed custody event. The pending index
-- served the polling worker they replace.
ALTER TABLE evidence ADD COLUMN thumbnail_failure text NOT NULL DEFAULT '';
DROP INDEX evidence_thumbnail_pending;
ALTER TABLE evidence_custody DROP CONSTRAINT evidence_custody_event_check;
ALTER TABLE evidence_custody ADD CONSTRAINT evidence_custody_event_check CHECK (event IN ('declared_capture',
    'upload_started', 'completed', 'verified', 'quarantined', 'rejected', 'terminated', 'locked', 'linked', 'derived',
    'thumbnail_failed', 'viewed', 'downloaded', 'exported', 'integrity_failed'));

-- +goose Down
ALTER TABLE evidence_custody DROP CONSTRAINT evidence_custody_event_check;
ALTER TABLE evidence_custody ADD CONSTRAINT evidence_custody_event_check CHECK (event IN ('declared_capture',
    'upload_started', 'completed', 'verified', 'quarantined', 'rejected', 'terminated', 'locked', 'linked', 'derived',
    'viewed', 'downloaded', 'exported', 'integrity_failed'));
CREATE INDEX evidence_thumbnail_pending ON evidence (completed_at) WHERE thumbnail = 'pending';
ALTER TABLE evidence DROP COLUMN thumbnail_failure;
