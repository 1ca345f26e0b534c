-- Background solves of allocation rounds: one row per run or re-run asked
-- from the pages, with its progress (best objective so far, bound,
-- elapsed time) and, once done, the draft it stored or the error. At most
-- one solve runs per school year (partial unique index); a solve whose
-- heartbeat stopped (the process died) is marked abandoned by the next
-- start, so a crash never blocks the year.
CREATE TABLE round_solves (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    school_year     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'abandoned')),
    -- the draft re-run (NULL for a new round) and the round stored
    source_round_id INTEGER REFERENCES rounds (id),
    round_id        INTEGER REFERENCES rounds (id),
    -- JSON document: the parameters asked
    spec            TEXT NOT NULL,
    time_limit_ms   INTEGER NOT NULL CHECK (time_limit_ms >= 0),
    started_by      INTEGER REFERENCES users (id),
    started_at      TIMESTAMP NOT NULL,
    heartbeat_at    TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    phase           TEXT NOT NULL DEFAULT '',
    objective       INTEGER,
    upper_bound     INTEGER,
    elapsed_ms      INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    CHECK (state <> 'done' OR round_id IS NOT NULL)
);
CREATE UNIQUE INDEX round_solves_one_running ON round_solves (school_year) WHERE state = 'running';
CREATE INDEX round_solves_year ON round_solves (school_year, id);

-- Why the coordinator pinned or excluded a request in a round.
ALTER TABLE round_pins ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- Pins and exclusions asked on a draft, applied by its next re-run: serve
-- the request (from start_week when set), exclude it, or drop its pin
-- ('unpin'); each with the coordinator's reason.
CREATE TABLE round_pin_edits (
    round_id        INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    kind            TEXT NOT NULL CHECK (kind IN ('serve', 'exclude', 'unpin')),
    start_week      INTEGER CHECK (start_week >= 0),
    extension_weeks INTEGER NOT NULL DEFAULT 0 CHECK (extension_weeks >= 0),
    reason          TEXT NOT NULL,
    created_by      INTEGER REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, request_id),
    CHECK (kind = 'serve' OR (start_week IS NULL AND extension_weeks = 0))
);
