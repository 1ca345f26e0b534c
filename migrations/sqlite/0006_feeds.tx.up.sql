-- iCal feeds: secret feed tokens per scope (a school, a pack, or
-- everything for the coordinator), and the revisions of feed events.

-- One row per token ever issued. Only the SHA-256 of the token is kept. A
-- rotation ends the active token (revoked_reason 'rotated') and inserts the
-- new one in the same transaction; a revocation just ends it. At most one
-- active token per scope target, enforced by feed_tokens_active.
CREATE TABLE feed_tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    scope          TEXT NOT NULL CHECK (scope IN ('school', 'pack', 'all')),
    school_uai     TEXT REFERENCES schools (uai),
    pack_id        INTEGER REFERENCES packs (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is never stored
    token_hash     TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by     INTEGER REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP,
    revoked_reason TEXT CHECK (revoked_reason IN ('rotated', 'revoked')),
    -- hash of the last rendered feed and when it last changed: the HTTP
    -- Last-Modified, shared by every instance
    content_hash   TEXT NOT NULL DEFAULT '',
    content_changed_at TIMESTAMP NOT NULL,
    CHECK ((scope = 'school') = (school_uai IS NOT NULL)),
    CHECK ((scope = 'pack') = (pack_id IS NOT NULL)),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE UNIQUE INDEX feed_tokens_active ON feed_tokens (scope, COALESCE(school_uai, ''), COALESCE(pack_id, 0))
    WHERE revoked_at IS NULL;

-- The revision of each feed event, per (loan, kind) and shared by every
-- feed scope: when the content hash of an event changes, its sequence is
-- raised and changed_at (its DTSTAMP and LAST-MODIFIED) set. No foreign key
-- to loans: the rows are derived data, harmless if a loan goes away.
CREATE TABLE feed_event_revisions (
    loan_id    INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind <> ''),
    hash       TEXT NOT NULL,
    sequence   INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (loan_id, kind)
);

-- Each feed request reads max(updated_at) of the tables feeds show, to
-- know whether its cached rendering is still current: one index probe each.
CREATE INDEX feed_gen_schools ON schools (updated_at);
CREATE INDEX feed_gen_packs ON packs (updated_at);
