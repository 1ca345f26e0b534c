ALTER TABLE requests DROP COLUMN training_recorded_at;
ALTER TABLE requests DROP COLUMN training_recorded_by;
ALTER TABLE requests DROP COLUMN training_by;
ALTER TABLE requests DROP COLUMN training_planned_on;
