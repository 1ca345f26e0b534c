CREATE TABLE loan_extensions_old (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id          INTEGER NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    weeks            INTEGER NOT NULL CHECK (weeks IN (2, 6)),
    reason           TEXT NOT NULL CHECK (reason <> ''),
    requested_by     INTEGER REFERENCES users (id),
    requested_at     TIMESTAMP NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('granted', 'refused', 'confirmed', 'rejected')),
    new_return_day   DATE NOT NULL,
    blocking_loan_id INTEGER REFERENCES loans (id),
    plan_note        TEXT NOT NULL DEFAULT '',
    decided_by       INTEGER REFERENCES users (id),
    decided_at       TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT ''
);

INSERT INTO loan_extensions_old (id, loan_id, weeks, reason, requested_by, requested_at, state, new_return_day, blocking_loan_id, plan_note, decided_by, decided_at, decision_comment)
SELECT id, loan_id, weeks, reason, requested_by, requested_at, CASE e.state
    WHEN 'granted' THEN 'confirmed'
    WHEN 'requested' THEN 'granted'
    WHEN 'lapsed' THEN 'rejected'
    WHEN 'refused' THEN CASE WHEN e.decided_at IS NULL THEN 'refused' ELSE 'rejected' END
    ELSE e.state END, new_return_day, blocking_loan_id, plan_note, decided_by, decided_at, decision_comment FROM loan_extensions AS e;

DROP TABLE loan_extensions;
ALTER TABLE loan_extensions_old RENAME TO loan_extensions;
CREATE UNIQUE INDEX loan_extensions_pending ON loan_extensions (loan_id) WHERE state = 'granted';
