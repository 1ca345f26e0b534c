-- Dated maintenance windows of packs: a pack is away (repair, update,
-- inventory) from first_day to last_day, both included. A window never
-- overlaps another window of the same pack nor the busy range
-- [pickup_day, busy_until) of a live (not cancelled) loan of the pack, and
-- no loan is booked onto a pack during one of its windows. SQLite has no
-- exclusion constraint: triggers abort the write, inside BEGIN IMMEDIATE
-- transactions (see store.sqliteDSN) that serialise every writer. Dates are
-- 'YYYY-MM-DD' text, which compares in date order.

CREATE TABLE pack_maintenance (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pack_id    INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    first_day  DATE NOT NULL CHECK (first_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- inclusive: the pack is back on the day after
    last_day   DATE NOT NULL CHECK (last_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    reason     TEXT NOT NULL CHECK (reason <> ''),
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (last_day >= first_day)
);
CREATE INDEX pack_maintenance_pack ON pack_maintenance (pack_id, first_day);

CREATE TRIGGER pack_maintenance_no_overlap_insert BEFORE INSERT ON pack_maintenance
BEGIN
    SELECT RAISE(ABORT, 'maintenance_overlap') WHERE EXISTS (
        SELECT 1 FROM pack_maintenance AS o
        WHERE o.pack_id = NEW.pack_id AND o.first_day <= NEW.last_day AND NEW.first_day <= o.last_day);
    SELECT RAISE(ABORT, 'pack_unavailable: maintenance window meets a loan') WHERE EXISTS (
        SELECT 1 FROM loan_packs AS lp
        WHERE lp.pack_id = NEW.pack_id AND NOT lp.cancelled
          AND lp.pickup_day <= NEW.last_day AND NEW.first_day < lp.busy_until);
END;

CREATE TRIGGER pack_maintenance_no_overlap_update BEFORE UPDATE OF pack_id, first_day, last_day ON pack_maintenance
BEGIN
    SELECT RAISE(ABORT, 'maintenance_overlap') WHERE EXISTS (
        SELECT 1 FROM pack_maintenance AS o
        WHERE o.pack_id = NEW.pack_id AND o.id <> OLD.id
          AND o.first_day <= NEW.last_day AND NEW.first_day <= o.last_day);
    SELECT RAISE(ABORT, 'pack_unavailable: maintenance window meets a loan') WHERE EXISTS (
        SELECT 1 FROM loan_packs AS lp
        WHERE lp.pack_id = NEW.pack_id AND NOT lp.cancelled
          AND lp.pickup_day <= NEW.last_day AND NEW.first_day < lp.busy_until);
END;

CREATE TRIGGER loan_packs_no_maintenance_insert BEFORE INSERT ON loan_packs
WHEN NOT NEW.cancelled
BEGIN
    SELECT RAISE(ABORT, 'pack_unavailable: loan meets a maintenance window') WHERE EXISTS (
        SELECT 1 FROM pack_maintenance AS m
        WHERE m.pack_id = NEW.pack_id AND m.first_day < NEW.busy_until AND NEW.pickup_day <= m.last_day);
END;

CREATE TRIGGER loan_packs_no_maintenance_update BEFORE UPDATE OF pack_id, pickup_day, busy_until, cancelled ON loan_packs
WHEN NOT NEW.cancelled
BEGIN
    SELECT RAISE(ABORT, 'pack_unavailable: loan meets a maintenance window') WHERE EXISTS (
        SELECT 1 FROM pack_maintenance AS m
        WHERE m.pack_id = NEW.pack_id AND m.first_day < NEW.busy_until AND NEW.pickup_day <= m.last_day);
END;
