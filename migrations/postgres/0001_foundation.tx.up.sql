-- Foundation: schools and their sectors, packs and their items, users,
-- API tokens (hashed) and the append-only audit log.

CREATE TABLE sectors (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    name       TEXT NOT NULL CHECK (name <> ''),
    -- packs per period before the allocation engine applies a penalty
    period_cap INTEGER NOT NULL DEFAULT 2 CHECK (period_cap >= 0)
);

CREATE TABLE schools (
    uai                TEXT PRIMARY KEY CHECK (uai ~ '^[0-9]{7}[A-Z]$'),
    name               TEXT NOT NULL CHECK (name <> ''),
    kind               TEXT NOT NULL DEFAULT 'elementaire',
    address            TEXT NOT NULL DEFAULT '',
    postal_code        TEXT NOT NULL DEFAULT '',
    city               TEXT NOT NULL DEFAULT '',
    sector_id          TEXT REFERENCES sectors (id),
    site               TEXT NOT NULL DEFAULT '',
    latitude           DOUBLE PRECISION,
    longitude          DOUBLE PRECISION,
    priority_education TEXT NOT NULL DEFAULT '' CHECK (priority_education IN ('', 'REP', 'REP+')),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE packs (
    id         BIGSERIAL PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE CHECK (code <> ''),
    label      TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'maintenance', 'retired')),
    notes      TEXT NOT NULL DEFAULT '',
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE pack_items (
    id       BIGSERIAL PRIMARY KEY,
    pack_id  BIGINT NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('tablet', 'charging_case', 'access_point', 'accessory')),
    label    TEXT NOT NULL CHECK (label <> ''),
    serial   TEXT NOT NULL DEFAULT '',
    UNIQUE (pack_id, position)
);
-- A serial number identifies one device across all packs.
CREATE UNIQUE INDEX pack_items_serial ON pack_items (serial) WHERE serial <> '';

CREATE TABLE users (
    id         BIGSERIAL PRIMARY KEY,
    email      TEXT NOT NULL CHECK (email <> '' AND email = lower(email)),
    name       TEXT NOT NULL CHECK (name <> ''),
    role       TEXT NOT NULL CHECK (role IN ('coordinator', 'it', 'inspection', 'education', 'director', 'teacher')),
    school_uai TEXT REFERENCES schools (uai),
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ,
    -- directors and teachers belong to a school; nobody else does
    CHECK ((role IN ('director', 'teacher')) = (school_uai IS NOT NULL))
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is never stored
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE audit_events (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   BIGINT REFERENCES users (id),
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    before     TEXT,
    after      TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);
