-- A pin that serves a request at a given start week may also grant its
-- extension; kept with the pin so that a re-run reproduces it.
ALTER TABLE round_pins ADD COLUMN extension_weeks INTEGER NOT NULL DEFAULT 0 CHECK (extension_weeks >= 0);
