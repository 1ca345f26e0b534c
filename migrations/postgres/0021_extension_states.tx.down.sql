DROP INDEX loan_extensions_pending;
ALTER TABLE loan_extensions DROP CONSTRAINT loan_extensions_state_check;

UPDATE loan_extensions SET state = CASE state
    WHEN 'granted' THEN 'confirmed'
    WHEN 'requested' THEN 'granted'
    WHEN 'lapsed' THEN 'rejected'
    WHEN 'refused' THEN CASE WHEN decided_at IS NULL THEN 'refused' ELSE 'rejected' END
    ELSE state END;

ALTER TABLE loan_extensions ADD CONSTRAINT loan_extensions_state_check
    CHECK (state IN ('granted', 'refused', 'confirmed', 'rejected'));
CREATE UNIQUE INDEX loan_extensions_pending ON loan_extensions (loan_id) WHERE state = 'granted';
