DROP INDEX feed_tokens_active;
DELETE FROM feed_tokens WHERE name <> '' AND revoked_at IS NULL;
CREATE UNIQUE INDEX feed_tokens_active ON feed_tokens (scope, COALESCE(school_uai, ''), COALESCE(pack_id, 0))
    WHERE revoked_at IS NULL;
ALTER TABLE feed_tokens DROP COLUMN last_used_at;
ALTER TABLE feed_tokens DROP COLUMN name;
DROP TABLE loan_agreement_signatures;
