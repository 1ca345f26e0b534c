ALTER TABLE round_pins DROP COLUMN extension_weeks;
