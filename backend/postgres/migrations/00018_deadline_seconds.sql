-- +goose Up
-- A work order's own limit is an instant written on the order: its deadline counts seconds from
-- the order's receipt (casework.UnitSeconds), so it falls due exactly at that instant.
ALTER TABLE deadlines DROP CONSTRAINT deadlines_period_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_period_check CHECK (period ~ '^[1-9][0-9]*(d|wd|h|s)$');

-- +goose Down
DELETE FROM deadlines WHERE period LIKE '%s';
ALTER TABLE deadlines DROP CONSTRAINT deadlines_period_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_period_check CHECK (period ~ '^[1-9][0-9]*(d|wd|h)$');
