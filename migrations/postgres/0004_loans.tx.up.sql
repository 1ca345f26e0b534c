-- Loans: a validated request gets one or more packs for a range
-- of school days. One row per (loan, pack) in loan_packs carries the busy
-- range [pickup_day, busy_until), busy_until being the return day plus the
-- turnaround; an exclusion constraint keeps the busy ranges of one pack
-- disjoint, ignoring cancelled loans. Every change to a loan bumps its
-- version and updated_at (the change marker feeds and reminders poll).

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE loans (
    id                 BIGSERIAL PRIMARY KEY,
    request_id         BIGINT NOT NULL REFERENCES requests (id),
    school_year        TEXT NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{4}$'),
    -- copied from the request so scoping by school needs no join
    school_uai         TEXT NOT NULL REFERENCES schools (uai),
    -- the allocation round that created the loan; NULL for a hand reservation
    round_id           BIGINT,
    state              TEXT NOT NULL DEFAULT 'reserved'
                       CHECK (state IN ('reserved', 'signed', 'picked_up', 'returned', 'closed', 'cancelled')),
    -- school week index of the first week, and the base length in school weeks
    start_week         INTEGER NOT NULL CHECK (start_week >= 0),
    weeks              INTEGER NOT NULL CHECK (weeks >= 1),
    -- school weeks added by confirmed extensions
    extension_weeks    INTEGER NOT NULL DEFAULT 0 CHECK (extension_weeks >= 0),
    pickup_day         DATE NOT NULL,
    -- the return day of the base loan, and the current one (after extensions)
    base_return_day    DATE NOT NULL,
    return_day         DATE NOT NULL,
    turnaround_days    INTEGER NOT NULL DEFAULT 7 CHECK (turnaround_days >= 0),
    director_signed_by BIGINT REFERENCES users (id),
    director_signed_at TIMESTAMPTZ,
    it_signed_by       BIGINT REFERENCES users (id),
    it_signed_at       TIMESTAMPTZ,
    picked_up_at       TIMESTAMPTZ,
    returned_at        TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    closed_by          BIGINT REFERENCES users (id),
    cancelled_at       TIMESTAMPTZ,
    cancel_reason      TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CHECK (return_day >= pickup_day AND return_day >= base_return_day),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (state <> 'cancelled' OR cancel_reason <> '')
);
-- A request has at most one live loan.
CREATE UNIQUE INDEX loans_request_live ON loans (request_id) WHERE state <> 'cancelled';
CREATE INDEX loans_year_school ON loans (school_year, school_uai);
CREATE INDEX loans_updated ON loans (updated_at);

CREATE TABLE loan_packs (
    loan_id    BIGINT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    pack_id    BIGINT NOT NULL REFERENCES packs (id),
    position   INTEGER NOT NULL,
    pickup_day DATE NOT NULL,
    -- exclusive: return day + turnaround days
    busy_until DATE NOT NULL,
    -- copied from the loan's state: cancelled loans free their packs
    cancelled  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (loan_id, pack_id),
    UNIQUE (loan_id, position),
    CHECK (busy_until > pickup_day),
    CONSTRAINT loan_packs_no_overlap EXCLUDE USING gist (
        pack_id WITH =, daterange(pickup_day, busy_until, '[)') WITH &&
    ) WHERE (NOT cancelled)
);

-- Inventory sheets: one at pickup, one at return.
CREATE TABLE loan_sheets (
    id                  BIGSERIAL PRIMARY KEY,
    loan_id             BIGINT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('pickup', 'return')),
    -- the person present for the school, and the IT user who checked
    school_person       TEXT NOT NULL CHECK (school_person <> ''),
    it_user_id          BIGINT REFERENCES users (id),
    -- items missing at pickup were accepted by the IT user with a comment
    accepted_difference BOOLEAN NOT NULL DEFAULT FALSE,
    comment             TEXT NOT NULL DEFAULT '',
    -- the IT department's technical report (return only)
    technical_report    TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (loan_id, kind)
);

CREATE TABLE loan_sheet_lines (
    sheet_id  BIGINT NOT NULL REFERENCES loan_sheets (id) ON DELETE CASCADE,
    item_id   BIGINT NOT NULL REFERENCES pack_items (id),
    pack_id   BIGINT NOT NULL REFERENCES packs (id),
    status    TEXT NOT NULL CHECK (status IN ('present', 'missing', 'damaged', 'not_issued')),
    condition TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sheet_id, item_id)
);

-- Incidents on items found missing or damaged at return; a pack with an
-- open incident is flagged before its next pickup.
CREATE TABLE loan_incidents (
    id          BIGSERIAL PRIMARY KEY,
    loan_id     BIGINT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    pack_id     BIGINT NOT NULL REFERENCES packs (id),
    item_id     BIGINT NOT NULL REFERENCES pack_items (id),
    kind        TEXT NOT NULL CHECK (kind IN ('missing', 'damaged')),
    note        TEXT NOT NULL DEFAULT '',
    opened_at   TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    resolved_by BIGINT REFERENCES users (id),
    resolution  TEXT NOT NULL DEFAULT '',
    UNIQUE (loan_id, item_id),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX loan_incidents_open ON loan_incidents (pack_id) WHERE resolved_at IS NULL;

-- Extension requests: checked against the plan when asked (granted or
-- refused), then confirmed or rejected by the coordinator.
CREATE TABLE loan_extensions (
    id               BIGSERIAL PRIMARY KEY,
    loan_id          BIGINT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    weeks            INTEGER NOT NULL CHECK (weeks IN (2, 6)),
    reason           TEXT NOT NULL CHECK (reason <> ''),
    requested_by     BIGINT REFERENCES users (id),
    requested_at     TIMESTAMPTZ NOT NULL,
    -- granted: the plan allows it, awaiting the coordinator;
    -- refused: the plan does not (blocking_loan_id names why);
    -- confirmed / rejected: the coordinator's decision
    state            TEXT NOT NULL CHECK (state IN ('granted', 'refused', 'confirmed', 'rejected')),
    new_return_day   DATE NOT NULL,
    blocking_loan_id BIGINT REFERENCES loans (id),
    plan_note        TEXT NOT NULL DEFAULT '',
    decided_by       BIGINT REFERENCES users (id),
    decided_at       TIMESTAMPTZ,
    decision_comment TEXT NOT NULL DEFAULT ''
);
-- One extension awaiting a decision per loan.
CREATE UNIQUE INDEX loan_extensions_pending ON loan_extensions (loan_id) WHERE state = 'granted';

-- The teacher's assessment (bilan) after the return.
CREATE TABLE loan_assessments (
    loan_id      BIGINT PRIMARY KEY REFERENCES loans (id) ON DELETE CASCADE,
    author_id    BIGINT REFERENCES users (id),
    human        TEXT NOT NULL CHECK (human <> ''),
    pedagogical  TEXT NOT NULL CHECK (pedagogical <> ''),
    -- JSON array of links
    productions  TEXT NOT NULL DEFAULT '[]',
    apply_again  BOOLEAN NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
