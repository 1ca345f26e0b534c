DROP TABLE anonymised;
ALTER TABLE audit_events DROP COLUMN anonymised;
ALTER TABLE audit_events DROP COLUMN actor_role;
