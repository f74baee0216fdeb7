-- +goose Up
-- officer_team_at is the one rule, in SQL, for "an officer's team at a
-- moment" (org.Membership.ActiveAt): the membership whose window holds the
-- moment (from inclusive, to exclusive), the latest started if windows
-- overlap. Every query that needs an officer's team or street at a moment
-- calls it with the store's clock, never PostgreSQL's now().
-- +goose StatementBegin
CREATE FUNCTION officer_team_at(officer uuid, at timestamptz) RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT m.team_id FROM team_memberships m
    WHERE m.officer_id = officer AND m.valid_from <= at AND (m.valid_to IS NULL OR m.valid_to > at)
    ORDER BY m.valid_from DESC, m.id LIMIT 1
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION officer_team_at(uuid, timestamptz);
