-- Where an incident was found: an item missing at the pickup (the town's
-- own gap, written on the pickup sheet) or missing or damaged at the
-- return (« non restitué », « endommagé »).
ALTER TABLE loan_incidents ADD COLUMN stage TEXT NOT NULL DEFAULT 'return' CHECK (stage IN ('pickup', 'return'));

-- An item taken out of service: it stays for the inventory sheets that
-- name it, is no longer checked at pickups and returns, and keeps the
-- reason. Its position is moved out of the active numbering.
ALTER TABLE pack_items ADD COLUMN retired_at TIMESTAMP;
ALTER TABLE pack_items ADD COLUMN retired_reason TEXT NOT NULL DEFAULT '';

-- Desk checklists recorded, by the key the form carried when it was
-- rendered: a form posted again (a retry after a lost connection) finds
-- its key taken and records nothing twice.
CREATE TABLE desk_submissions (
    idempotency_key TEXT PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 16 AND 64),
    loan_id         INTEGER NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('pickup', 'return')),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX desk_submissions_loan ON desk_submissions (loan_id);
