-- What-ifs of allocation rounds: a round re-solved under a hypothesis (one
-- pack more or less, a pack unavailable for some days, another loan length,
-- no extensions) as a scratch plan. A what-if never creates loans nor
-- changes a round; the coordinator may adopt it once as the new draft
-- (adopted_round_id), which only a plan on existing packs allows.
CREATE TABLE round_whatifs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id         INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    -- JSON documents: the hypothesis, and the scratch plan (a round)
    spec             TEXT NOT NULL,
    result           TEXT NOT NULL,
    adoptable        BOOLEAN NOT NULL,
    adopted_round_id INTEGER UNIQUE REFERENCES rounds (id),
    created_by       INTEGER REFERENCES users (id),
    created_at       TIMESTAMP NOT NULL,
    CHECK (adoptable OR adopted_round_id IS NULL)
);
CREATE INDEX round_whatifs_round ON round_whatifs (round_id, id);
