-- +goose Up
-- Accounts that can log in. Organization data (officers, teams, certificates)
-- arrives with its own migrations; a user is only who logs in and in which role.
CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    username      text        NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    display_name  text        NOT NULL CHECK (display_name <> ''),
    role          text        NOT NULL CHECK (role IN ('officer', 'team_leader', 'dept_reviewer', 'grid_operator', 'community', 'admin')),
    password_hash text        NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE users;
