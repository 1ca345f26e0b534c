-- What-ifs of allocation rounds: a round re-solved under a hypothesis (one
-- pack more or less, a pack unavailable for some days, another loan length,
-- no extensions) as a scratch plan. A what-if never creates loans nor
-- changes a round; the coordinator may adopt it once as the new draft
-- (adopted_round_id), which only a plan on existing packs allows.
CREATE TABLE round_whatifs (
    id               BIGSERIAL PRIMARY KEY,
    round_id         BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    -- JSON documents: the hypothesis, and the scratch plan (a round)
    spec             TEXT NOT NULL,
    result           TEXT NOT NULL,
    adoptable        BOOLEAN NOT NULL,
    adopted_round_id BIGINT UNIQUE REFERENCES rounds (id),
    created_by       BIGINT REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL,
    CHECK (adoptable OR adopted_round_id IS NULL)
);
CREATE INDEX round_whatifs_round ON round_whatifs (round_id, id);
