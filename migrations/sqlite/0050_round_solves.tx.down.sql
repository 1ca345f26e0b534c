DROP TABLE round_pin_edits;
ALTER TABLE round_pins DROP COLUMN reason;
DROP TABLE round_solves;
