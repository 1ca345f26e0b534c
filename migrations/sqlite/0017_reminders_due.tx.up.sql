-- Reminders, second migration: the nightly computation reads the
-- ledger rows of the last weeks (to insert only what is new), by due date.
CREATE INDEX reminders_due ON reminders (due_date);
