-- +goose Up
-- The organization: who works where, who holds which certificate, which
-- matters each department enforces and under which procedure policy.
-- Codes are the natural keys people use; ids are for joins.

CREATE TABLE districts (
    id      uuid PRIMARY KEY,
    code    text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    name_zh text NOT NULL CHECK (name_zh <> ''),
    name_en text NOT NULL DEFAULT ''
);

CREATE TABLE streets (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    district_id uuid NOT NULL REFERENCES districts,
    name_zh     text NOT NULL CHECK (name_zh <> ''),
    name_en     text NOT NULL DEFAULT ''
);

CREATE TABLE communities (
    id        uuid PRIMARY KEY,
    code      text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    street_id uuid NOT NULL REFERENCES streets,
    name_zh   text NOT NULL CHECK (name_zh <> ''),
    name_en   text NOT NULL DEFAULT ''
);

CREATE TABLE grid_centers (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    level       text NOT NULL CHECK (level IN ('district', 'street')),
    district_id uuid NOT NULL REFERENCES districts,
    street_id   uuid REFERENCES streets,
    name_zh     text NOT NULL CHECK (name_zh <> ''),
    CHECK ((level = 'street') = (street_id IS NOT NULL))
);

CREATE TABLE departments (
    id      uuid PRIMARY KEY,
    code    text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    name_zh text NOT NULL CHECK (name_zh <> ''),
    name_en text NOT NULL DEFAULT '',
    kind    text NOT NULL CHECK (kind IN ('squad', 'resident', 'listed'))
);

CREATE TABLE teams (
    id        uuid PRIMARY KEY,
    code      text NOT NULL UNIQUE,
    street_id uuid NOT NULL UNIQUE REFERENCES streets,
    name_zh   text NOT NULL CHECK (name_zh <> '')
);

-- Officers and auxiliary staff. Auxiliary staff never hold certificates.
CREATE TABLE officers (
    id             uuid PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code <> ''),
    name_zh        text NOT NULL CHECK (name_zh <> ''),
    department_id  uuid NOT NULL REFERENCES departments,
    auxiliary      boolean NOT NULL DEFAULT false,
    auxiliary_role text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT ''
);

CREATE TABLE team_memberships (
    id         uuid PRIMARY KEY,
    team_id    uuid NOT NULL REFERENCES teams,
    officer_id uuid NOT NULL REFERENCES officers,
    position   text NOT NULL CHECK (position IN ('leader', 'deputy_leader', 'member')),
    valid_from timestamptz NOT NULL,
    valid_to   timestamptz,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX team_memberships_officer ON team_memberships (officer_id);
CREATE INDEX team_memberships_team ON team_memberships (team_id);

-- One certificate number is one officer, for ever.
CREATE TABLE certificates (
    id                    uuid PRIMARY KEY,
    number                text NOT NULL UNIQUE CHECK (number <> ''),
    officer_id            uuid NOT NULL REFERENCES officers,
    issuing_department_id uuid NOT NULL REFERENCES departments,
    valid_from            timestamptz NOT NULL,
    valid_to              timestamptz NOT NULL,
    CHECK (valid_to > valid_from)
);
CREATE INDEX certificates_officer ON certificates (officer_id);

-- The status history of a certificate; the status in force at t is the
-- latest entry with since <= t (none: active).
CREATE TABLE certificate_status (
    id             uuid PRIMARY KEY,
    certificate_id uuid NOT NULL REFERENCES certificates,
    status         text NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    since          timestamptz NOT NULL,
    reason         text NOT NULL DEFAULT '',
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificate_status_cert ON certificate_status (certificate_id, since);

-- The matter catalogue 权责清单, versioned: versions of one code have
-- consecutive validity windows.
CREATE TABLE matters (
    id              uuid PRIMARY KEY,
    code            text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{0,31}$'),
    version         integer NOT NULL CHECK (version > 0),
    name_zh         text NOT NULL CHECK (name_zh <> ''),
    name_en         text NOT NULL DEFAULT '',
    legal_basis     text NOT NULL CHECK (legal_basis <> ''),
    department_id   uuid NOT NULL REFERENCES departments,
    measures        text[] NOT NULL,
    fine_max_person integer NOT NULL DEFAULT 0 CHECK (fine_max_person BETWEEN 0 AND 200),
    fine_max_org    integer NOT NULL DEFAULT 0 CHECK (fine_max_org BETWEEN 0 AND 3000),
    default_whistle text NOT NULL CHECK (default_whistle IN ('emergency', 'key', 'regular')),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz,
    UNIQUE (code, version),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK (measures <@ ARRAY['evidence', 'summons', 'warning', 'fine_simple', 'seizure', 'refer']::text[])
);

-- Procedure policies per department, versioned by the moment they take effect.
CREATE TABLE procedure_policies (
    id                                   uuid PRIMARY KEY,
    department_id                        uuid NOT NULL REFERENCES departments,
    valid_from                           timestamptz NOT NULL,
    single_officer_simple_procedure      boolean NOT NULL,
    second_inspector_from_other_resident boolean NOT NULL,
    second_inspector_legal_basis         text NOT NULL DEFAULT '',
    mixed_crew_seizure_review            boolean NOT NULL,
    UNIQUE (department_id, valid_from),
    CHECK (NOT second_inspector_from_other_resident OR second_inspector_legal_basis <> ''),
    CHECK (NOT mixed_crew_seizure_review OR second_inspector_from_other_resident)
);

-- What an account may see: its officer, street, department or community.
CREATE TABLE user_scopes (
    user_id       uuid PRIMARY KEY REFERENCES users,
    officer_id    uuid UNIQUE REFERENCES officers,
    street_id     uuid REFERENCES streets,
    department_id uuid REFERENCES departments,
    community_id  uuid REFERENCES communities
);

-- +goose Down
DROP TABLE user_scopes, procedure_policies, matters, certificate_status, certificates,
    team_memberships, officers, teams, departments, grid_centers, communities, streets, districts;
