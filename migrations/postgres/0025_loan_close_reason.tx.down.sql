ALTER TABLE loans DROP COLUMN close_reason;
