-- The notices of a published round: one per person the round affects (the
-- teachers and directors of the schools whose loans it creates, moves or
-- cancels), computed by the store at publish and sent once by e-mail
-- (sent_at is set by the sender that claims it).
CREATE TABLE round_notices (
    id         BIGSERIAL PRIMARY KEY,
    round_id   BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    -- JSON array of the notice's items (new, moved, cancelled loans)
    items      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    claimed_at TIMESTAMPTZ,
    sent_at    TIMESTAMPTZ,
    message_id TEXT NOT NULL DEFAULT '',
    UNIQUE (round_id, user_id)
);
CREATE INDEX round_notices_user ON round_notices (user_id);
