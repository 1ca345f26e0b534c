-- Extension requests get states that say what happened: requested (by the
-- teacher, awaiting the coordinator), granted (the return day moved),
-- refused (by the plan when asked, or by the coordinator), lapsed (still
-- pending when the loan was returned or cancelled). The old states are
-- mapped without granting anything: granted (awaiting the coordinator)
-- becomes requested, or lapsed when its loan is already over; confirmed
-- becomes granted; rejected becomes refused.

DROP INDEX loan_extensions_pending;
ALTER TABLE loan_extensions DROP CONSTRAINT loan_extensions_state_check;

UPDATE loan_extensions AS e SET state = CASE
    WHEN e.state = 'granted' AND EXISTS (SELECT 1 FROM loans AS l WHERE l.id = e.loan_id
                                         AND l.state IN ('returned', 'closed', 'cancelled')) THEN 'lapsed'
    WHEN e.state = 'granted' THEN 'requested'
    WHEN e.state = 'confirmed' THEN 'granted'
    WHEN e.state = 'rejected' THEN 'refused'
    ELSE e.state END;

ALTER TABLE loan_extensions ADD CONSTRAINT loan_extensions_state_check
    CHECK (state IN ('requested', 'granted', 'refused', 'lapsed'));

-- One extension request awaiting the coordinator per loan.
CREATE UNIQUE INDEX loan_extensions_pending ON loan_extensions (loan_id) WHERE state = 'requested';
