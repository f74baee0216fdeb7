-- +goose Up
-- An act whose entity already existed with the same content (recorded
-- online first, say) is recorded with verdict duplicate. The device's wall
-- time is kept as the exact text it signed, beside the instant it names, so
-- that a stored act's signature can be checked again whatever the device's
-- formatting (clock_wall keeps microseconds only).
ALTER TABLE sync_mutations
    DROP CONSTRAINT sync_mutations_verdict_check,
    ADD CONSTRAINT sync_mutations_verdict_check
        CHECK (verdict IN ('applied', 'duplicate', 'accepted_with_exceptions', 'rejected')),
    ADD COLUMN clock_wall_text text;

-- +goose Down
ALTER TABLE sync_mutations
    DROP COLUMN clock_wall_text,
    DROP CONSTRAINT sync_mutations_verdict_check,
    ADD CONSTRAINT sync_mutations_verdict_check
        CHECK (verdict IN ('applied', 'accepted_with_exceptions', 'rejected')) NOT VALID;
