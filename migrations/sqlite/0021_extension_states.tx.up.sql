-- Extension requests get states that say what happened: requested (by the
-- teacher, awaiting the coordinator), granted (the return day moved),
-- refused (by the plan when asked, or by the coordinator), lapsed (still
-- pending when the loan was returned or cancelled). The old states are
-- mapped without granting anything: granted (awaiting the coordinator)
-- becomes requested, or lapsed when its loan is already over; confirmed
-- becomes granted; rejected becomes refused. SQLite cannot change a CHECK
-- constraint: the table is rebuilt (nothing references it).

CREATE TABLE loan_extensions_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id          INTEGER NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    weeks            INTEGER NOT NULL CHECK (weeks IN (2, 6)),
    reason           TEXT NOT NULL CHECK (reason <> ''),
    requested_by     INTEGER REFERENCES users (id),
    requested_at     TIMESTAMP NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('requested', 'granted', 'refused', 'lapsed')),
    new_return_day   DATE NOT NULL,
    blocking_loan_id INTEGER REFERENCES loans (id),
    plan_note        TEXT NOT NULL DEFAULT '',
    decided_by       INTEGER REFERENCES users (id),
    decided_at       TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT ''
);

INSERT INTO loan_extensions_new (id, loan_id, weeks, reason, requested_by, requested_at, state, new_return_day, blocking_loan_id, plan_note, decided_by, decided_at, decision_comment)
SELECT id, loan_id, weeks, reason, requested_by, requested_at, CASE
    WHEN e.state = 'granted' AND EXISTS (SELECT 1 FROM loans AS l WHERE l.id = e.loan_id
                                         AND l.state IN ('returned', 'closed', 'cancelled')) THEN 'lapsed'
    WHEN e.state = 'granted' THEN 'requested'
    WHEN e.state = 'confirmed' THEN 'granted'
    WHEN e.state = 'rejected' THEN 'refused'
    ELSE e.state END, new_return_day, blocking_loan_id, plan_note, decided_by, decided_at, decision_comment FROM loan_extensions AS e;

DROP TABLE loan_extensions;
ALTER TABLE loan_extensions_new RENAME TO loan_extensions;

-- One extension request awaiting the coordinator per loan.
CREATE UNIQUE INDEX loan_extensions_pending ON loan_extensions (loan_id) WHERE state = 'requested';
