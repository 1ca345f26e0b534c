-- The physical occupation of packs: from a loan's pickup to its return the
-- pack is at the school, whatever the bookings say. One row per (loan,
-- pack) picked up; returned_at closes it. A pack has at most one open
-- occupation (unique partial index), so a pack still out with one school
-- cannot be picked up by another. The rows are written by triggers on the
-- loan's state (picked_up opens, returned closes), so no path that moves a
-- loan can forget them.

CREATE TABLE pack_occupations (
    loan_id      BIGINT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    pack_id      BIGINT NOT NULL REFERENCES packs (id),
    picked_up_at TIMESTAMPTZ NOT NULL,
    returned_at  TIMESTAMPTZ,
    PRIMARY KEY (loan_id, pack_id),
    CHECK (returned_at IS NULL OR returned_at >= picked_up_at)
);
CREATE UNIQUE INDEX pack_occupations_out ON pack_occupations (pack_id) WHERE returned_at IS NULL;

-- Loans already out: the latest pickup of each pack holds it (an earlier
-- loan still marked out on the same pack is the inconsistency this table
-- prevents from now on; it keeps its state but holds nothing).
INSERT INTO pack_occupations (loan_id, pack_id, picked_up_at)
SELECT DISTINCT ON (lp.pack_id) l.id, lp.pack_id, COALESCE(l.picked_up_at, l.updated_at)
FROM loans AS l JOIN loan_packs AS lp ON lp.loan_id = l.id
WHERE l.state = 'picked_up'
ORDER BY lp.pack_id, COALESCE(l.picked_up_at, l.updated_at) DESC, l.id DESC;

CREATE FUNCTION loans_pack_occupation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'picked_up' AND OLD.state <> 'picked_up' THEN
        INSERT INTO pack_occupations (loan_id, pack_id, picked_up_at)
        SELECT NEW.id, lp.pack_id, COALESCE(NEW.picked_up_at, NEW.updated_at)
        FROM loan_packs AS lp WHERE lp.loan_id = NEW.id;
    ELSIF OLD.state = 'picked_up' AND NEW.state <> 'picked_up' THEN
        UPDATE pack_occupations SET returned_at = GREATEST(picked_up_at, COALESCE(NEW.returned_at, NEW.updated_at))
        WHERE loan_id = NEW.id AND returned_at IS NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER loans_pack_occupation AFTER UPDATE OF state ON loans
FOR EACH ROW EXECUTE FUNCTION loans_pack_occupation();
