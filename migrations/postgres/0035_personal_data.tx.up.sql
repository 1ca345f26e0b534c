-- Personal data retention: an audit entry older than the retention keeps
-- the actor's role, not the actor (actor_id becomes NULL), and is marked
-- anonymised; requests and users anonymised are listed in anonymised (a
-- table of its own: their tables are read with "SELECT *"), so the
-- nightly job does each once.
ALTER TABLE audit_events ADD COLUMN actor_role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN anonymised BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE anonymised (
    entity    TEXT NOT NULL CHECK (entity IN ('request', 'user')),
    entity_id BIGINT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (entity, entity_id)
);
