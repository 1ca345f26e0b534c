-- Reminders: the ledger of the nightly job. One row per
-- (loan, kind, due date, recipient), inserted idempotently each night for
-- what is due, then claimed with a lease, sent (or skipped with a reason)
-- and marked. The unique key is what makes a reminder go out at most once
-- whatever the number of runs.

CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id        INTEGER NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('training', 'agreement', 'pickup', 'return', 'overdue', 'assessment', 'extension')),
    -- the calendar day the reminder is due, and the day it goes out (the
    -- school day before when due on a weekend or a public holiday)
    due_date       DATE NOT NULL CHECK (due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    send_on        DATE NOT NULL CHECK (send_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    recipient_role TEXT NOT NULL CHECK (recipient_role IN ('teacher', 'director', 'it', 'coordinator')),
    recipient_id   INTEGER NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts       INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error     TEXT NOT NULL DEFAULT '',
    -- the Message-ID of the e-mail that carried it (one per recipient and night)
    message_id     TEXT NOT NULL DEFAULT '',
    -- a pending row is being sent by lease_owner until lease_until; after a
    -- failed attempt lease_until is the earliest retry (backoff)
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    TIMESTAMP,
    sent_at        TIMESTAMP,
    skipped_reason TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (loan_id, kind, due_date, recipient_id),
    CHECK (send_on <= due_date),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status <> 'sent' OR message_id <> ''),
    CHECK (status <> 'skipped' OR skipped_reason <> '')
);
CREATE INDEX reminders_pending ON reminders (recipient_id) WHERE status = 'pending';
CREATE INDEX reminders_status ON reminders (status, id);
