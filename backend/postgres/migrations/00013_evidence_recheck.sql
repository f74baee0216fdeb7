-- +goose Up
-- Stored originals are re-hashed on a schedule (River job evidence.recheck):
-- when each verified item was last found intact, so the least recently
-- checked go first.
ALTER TABLE evidence ADD COLUMN hash_checked_at timestamptz;
CREATE INDEX evidence_recheck_due ON evidence ((coalesce(hash_checked_at, completed_at)))
    WHERE status = 'verified' AND integrity_failed_at IS NULL;

-- +goose Down
DROP INDEX evidence_recheck_due;
ALTER TABLE evidence DROP COLUMN hash_checked_at;
