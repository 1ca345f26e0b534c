-- The loan agreement as each party signed it: the signed text, its
-- SHA-256 and who signed, by name and role at the time of signing. A
-- signature stays once given; when the loan's packs or dates change
-- before the pickup, the active signatures are superseded (the agreement
-- is to be signed again) but kept as history.
CREATE TABLE loan_agreement_signatures (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id          INTEGER NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    -- the party signed for: the school's direction or the IT department
    party            TEXT NOT NULL CHECK (party IN ('director', 'it')),
    signer_id        INTEGER REFERENCES users (id),
    signer_name      TEXT NOT NULL CHECK (signer_name <> ''),
    signer_role      TEXT NOT NULL CHECK (signer_role <> ''),
    signed_at        TIMESTAMP NOT NULL,
    -- the agreement's text as shown to the signer, and its SHA-256 (hex)
    text             TEXT NOT NULL CHECK (text <> ''),
    text_sha256      TEXT NOT NULL CHECK (length(text_sha256) = 64),
    superseded_at    TIMESTAMP,
    superseded_reason TEXT NOT NULL DEFAULT '',
    CHECK ((superseded_at IS NULL) = (superseded_reason = ''))
);
CREATE UNIQUE INDEX loan_agreement_signatures_active ON loan_agreement_signatures (loan_id, party)
    WHERE superseded_at IS NULL;

-- A school may hold several named calendar links; the unnamed one stays
-- unique per target, as before. last_used_at is the last time the feed was
-- fetched (recorded at most every few minutes).
ALTER TABLE feed_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_tokens ADD COLUMN last_used_at TIMESTAMP;
DROP INDEX feed_tokens_active;
CREATE UNIQUE INDEX feed_tokens_active ON feed_tokens (scope, COALESCE(school_uai, ''), COALESCE(pack_id, 0), name)
    WHERE revoked_at IS NULL;
