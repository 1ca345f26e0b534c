DROP INDEX IF EXISTS reminders_due;
