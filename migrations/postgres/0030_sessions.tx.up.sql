-- Sign-in for people: one-use login tokens sent by e-mail, the sessions
-- they open, and the attempts that rate-limit link requests. Secrets are
-- stored as SHA-256 hashes only.

CREATE TABLE login_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the token, hex; the token itself is never stored
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- set once, when the token opens a session: a token works once
    used_at    TIMESTAMPTZ,
    CHECK (expires_at > created_at),
    CHECK (used_at IS NULL OR used_at >= created_at)
);
CREATE INDEX login_tokens_user ON login_tokens (user_id);

CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the cookie's secret, hex
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    -- absolute end of the session, whatever its activity
    expires_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    user_agent   TEXT NOT NULL DEFAULT '',
    CHECK (expires_at > created_at),
    CHECK (last_seen_at >= created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One row per request for a sign-in link: per e-mail address (hashed, so
-- the table keeps no address that is not a user's) and per client address.
CREATE TABLE login_attempts (
    id   BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'ip')),
    key  TEXT NOT NULL CHECK (key <> ''),
    at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (kind, key, at);
