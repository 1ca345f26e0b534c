-- Allocation rounds: one run of the allocation engine for a school
-- year, stored as a draft with the parameters and weights it used, the loans
-- it proposes, the requests it leaves unserved (with the engine's reason)
-- and the coordinator's pins. Publishing creates the loans and supersedes
-- the previous published round, in one transaction; the partial unique index
-- keeps one published round per school year, so of two racing publishes
-- exactly one wins.

CREATE TABLE rounds (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    school_year       TEXT NOT NULL CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    state             TEXT NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft', 'published', 'superseded', 'discarded')),
    -- JSON documents: the parameters used (loan weeks, turnaround, today
    -- week, packs, time limit…), the objective weights, the objective term
    -- by term, and the solver's statistics
    params            TEXT NOT NULL,
    weights           TEXT NOT NULL,
    terms             TEXT NOT NULL,
    stats             TEXT NOT NULL DEFAULT '{}',
    objective         INTEGER NOT NULL,
    upper_bound       INTEGER NOT NULL,
    proved_optimal    BOOLEAN NOT NULL,
    -- the published round this one was built on (its previous plan)
    previous_round_id INTEGER REFERENCES rounds (id),
    created_by        INTEGER REFERENCES users (id),
    created_at        TIMESTAMP NOT NULL,
    published_at      TIMESTAMP,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK ((state IN ('published', 'superseded')) = (published_at IS NOT NULL)),
    CHECK (upper_bound >= objective)
);
CREATE UNIQUE INDEX rounds_one_published ON rounds (school_year) WHERE state = 'published';
CREATE INDEX rounds_year ON rounds (school_year, id);

-- The loans a round proposes. loan_id names the live loan kept as is
-- (locked, or unchanged since the previous plan) or, once published, the
-- loan created for it.
CREATE TABLE round_loans (
    round_id        INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    start_week      INTEGER NOT NULL CHECK (start_week >= 0),
    weeks           INTEGER NOT NULL CHECK (weeks >= 1),
    extension_weeks INTEGER NOT NULL DEFAULT 0 CHECK (extension_weeks >= 0),
    -- the period of the start week ('P1'…)
    period          TEXT NOT NULL DEFAULT '',
    pickup_day      DATE NOT NULL CHECK (pickup_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    return_day      DATE NOT NULL CHECK (return_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    loan_id         INTEGER REFERENCES loans (id),
    code            TEXT NOT NULL DEFAULT '',
    message         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, request_id),
    CHECK (return_day >= pickup_day)
);

CREATE TABLE round_loan_packs (
    round_id   INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    pack_id    INTEGER NOT NULL REFERENCES packs (id),
    PRIMARY KEY (round_id, request_id, position),
    FOREIGN KEY (round_id, request_id) REFERENCES round_loans (round_id, request_id) ON DELETE CASCADE
);

-- Requests the round leaves unserved, with the engine's reason.
CREATE TABLE round_unserved (
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    code       TEXT NOT NULL CHECK (code <> ''),
    message    TEXT NOT NULL CHECK (message <> ''),
    PRIMARY KEY (round_id, request_id)
);

-- The coordinator's pins: serve a request (at a given start week when set)
-- or exclude it from the round.
CREATE TABLE round_pins (
    round_id   INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL CHECK (kind IN ('serve', 'exclude')),
    start_week INTEGER CHECK (start_week >= 0),
    PRIMARY KEY (round_id, request_id),
    CHECK (kind = 'serve' OR start_week IS NULL)
);
