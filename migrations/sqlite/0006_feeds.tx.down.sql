DROP INDEX feed_gen_packs;
DROP INDEX feed_gen_schools;
DROP TABLE feed_event_revisions;
DROP TABLE feed_tokens;
