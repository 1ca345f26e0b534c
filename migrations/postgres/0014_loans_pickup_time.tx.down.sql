ALTER TABLE loans DROP COLUMN pickup_time;
