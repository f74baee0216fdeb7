-- +goose Up
-- The act a device's queue is stuck on: the sequence number that failed
-- transiently at its last push and how many times in a row it did. After
-- the sync service's retry limit the act is rejected (retry_exhausted), so
-- that no act keeps a queue from draining. Recording any act clears both.
ALTER TABLE device_sync
    ADD COLUMN failing_seq bigint,
    ADD COLUMN failures    integer NOT NULL DEFAULT 0 CHECK (failures >= 0);

-- +goose Down
ALTER TABLE device_sync DROP COLUMN failing_seq, DROP COLUMN failures;
