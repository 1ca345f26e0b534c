-- A decision taken before the three referents (inspection, IT, education)
-- have given their opinion records the coordinator's reason for it.
ALTER TABLE requests ADD COLUMN decision_override TEXT NOT NULL DEFAULT '';
