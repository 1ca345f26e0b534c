-- Dated maintenance windows of packs: a pack is away (repair, update,
-- inventory) from first_day to last_day, both included. A window never
-- overlaps another window of the same pack nor the busy range
-- [pickup_day, busy_until) of a live (not cancelled) loan of the pack, and
-- no loan is booked onto a pack during one of its windows. Both directions
-- are checked by triggers that first lock the pack row (FOR NO KEY UPDATE,
-- the lock loans.lockPacks takes in id order before writing loan_packs), so
-- a window and a loan written at the same time on one pack queue behind
-- each other: in READ COMMITTED each statement of the trigger function sees
-- what the other committed while it waited, and exactly one of them wins.
-- Violations are raised as exclusion violations (23P01) naming the
-- constraint and, in the message, the conflicting loan or window.

CREATE TABLE pack_maintenance (
    id         BIGSERIAL PRIMARY KEY,
    pack_id    BIGINT NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    first_day  DATE NOT NULL,
    -- inclusive: the pack is back on the day after
    last_day   DATE NOT NULL,
    reason     TEXT NOT NULL CHECK (reason <> ''),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (last_day >= first_day),
    CONSTRAINT pack_maintenance_no_overlap EXCLUDE USING gist (
        pack_id WITH =, daterange(first_day, last_day, '[]') WITH &&
    )
);

CREATE FUNCTION pack_maintenance_no_loan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocking BIGINT;
BEGIN
    PERFORM 1 FROM packs WHERE id = NEW.pack_id FOR NO KEY UPDATE;
    SELECT lp.loan_id INTO blocking FROM loan_packs AS lp
    WHERE lp.pack_id = NEW.pack_id AND NOT lp.cancelled
      AND daterange(lp.pickup_day, lp.busy_until, '[)') && daterange(NEW.first_day, NEW.last_day, '[]')
    ORDER BY lp.pickup_day, lp.loan_id LIMIT 1;
    IF blocking IS NOT NULL THEN
        RAISE EXCEPTION 'pack_unavailable: maintenance window meets loan %', blocking
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'pack_maintenance_no_loan';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER pack_maintenance_no_loan BEFORE INSERT OR UPDATE ON pack_maintenance
FOR EACH ROW EXECUTE FUNCTION pack_maintenance_no_loan();

CREATE FUNCTION loan_packs_no_maintenance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocking BIGINT;
BEGIN
    IF NEW.cancelled THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM packs WHERE id = NEW.pack_id FOR NO KEY UPDATE;
    SELECT m.id INTO blocking FROM pack_maintenance AS m
    WHERE m.pack_id = NEW.pack_id
      AND daterange(NEW.pickup_day, NEW.busy_until, '[)') && daterange(m.first_day, m.last_day, '[]')
    ORDER BY m.first_day LIMIT 1;
    IF blocking IS NOT NULL THEN
        RAISE EXCEPTION 'pack_unavailable: loan meets maintenance window %', blocking
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'loan_packs_no_maintenance';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER loan_packs_no_maintenance BEFORE INSERT OR UPDATE OF pack_id, pickup_day, busy_until, cancelled ON loan_packs
FOR EACH ROW EXECUTE FUNCTION loan_packs_no_maintenance();
