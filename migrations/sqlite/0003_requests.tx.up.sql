-- Participation requests (demandes de participation), the referents'
-- opinions on them, and the participation history that gives each request
-- its participation year.

CREATE TABLE requests (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    school_year          TEXT NOT NULL CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    school_uai           TEXT NOT NULL REFERENCES schools (uai),
    teacher_id           INTEGER NOT NULL REFERENCES users (id),
    state                TEXT NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'submitted', 'authorised', 'in_review', 'validated', 'rejected', 'withdrawn')),
    -- comma-separated levels, e.g. 'CE2,CM1' for a multi-level class
    class_levels         TEXT NOT NULL CHECK (class_levels <> ''),
    pupils               INTEGER NOT NULL CHECK (pupils BETWEEN 1 AND 35),
    title                TEXT NOT NULL CHECK (title <> ''),
    motivation           TEXT NOT NULL DEFAULT '',
    curriculum_links     TEXT NOT NULL DEFAULT '',
    school_project_links TEXT NOT NULL DEFAULT '',
    coherence            TEXT NOT NULL DEFAULT '',
    digital_skills       TEXT NOT NULL DEFAULT '',
    commit_secure_use    BOOLEAN NOT NULL DEFAULT FALSE,
    commit_visits        BOOLEAN NOT NULL DEFAULT FALSE,
    commit_parents       BOOLEAN NOT NULL DEFAULT FALSE,
    commit_feedback      BOOLEAN NOT NULL DEFAULT FALSE,
    secure_storage       BOOLEAN NOT NULL DEFAULT FALSE,
    classroom_wifi       BOOLEAN NOT NULL DEFAULT FALSE,
    printing             BOOLEAN NOT NULL DEFAULT FALSE,
    backups              BOOLEAN NOT NULL DEFAULT FALSE,
    other_partner_scheme BOOLEAN NOT NULL DEFAULT FALSE,
    training_status      TEXT NOT NULL DEFAULT 'not_planned' CHECK (training_status IN ('not_planned', 'planned', 'done')),
    -- civil date as 'YYYY-MM-DD' text, NULL when no training is planned
    training_date        DATE CHECK (training_date IS NULL OR training_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    -- comma-separated period ids of the year ('P1,P4')
    preferred_periods    TEXT NOT NULL DEFAULT '',
    excluded_periods     TEXT NOT NULL DEFAULT '',
    extension_weeks      INTEGER NOT NULL DEFAULT 0 CHECK (extension_weeks IN (0, 2, 6)),
    -- packs needed: 1, or 2 above 24 pupils, unless the coordinator
    -- overrode it, in which case packs_reason says why
    packs                INTEGER NOT NULL CHECK (packs BETWEEN 1 AND 3),
    packs_reason         TEXT NOT NULL DEFAULT '',
    -- the director's last refusal (back to draft)
    refusal_reason       TEXT NOT NULL DEFAULT '',
    decision_reason      TEXT NOT NULL DEFAULT '',
    decided_by           INTEGER REFERENCES users (id),
    decided_at           TIMESTAMP,
    withdrawn_reason     TEXT NOT NULL DEFAULT '',
    -- maintained by the loans: TRUE while a non-cancelled loan exists;
    -- a request with a loan cannot be withdrawn
    has_loan             BOOLEAN NOT NULL DEFAULT FALSE,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    submitted_at         TIMESTAMP,
    CHECK ((training_status = 'not_planned') = (training_date IS NULL)),
    -- past the draft, the commitments and the secure charging storage are
    -- required (seed 3.1)
    CHECK (state IN ('draft', 'withdrawn') OR
           (commit_secure_use AND commit_visits AND commit_parents AND commit_feedback AND secure_storage)),
    -- a rejection always has its reason; a decision its author
    CHECK (state <> 'rejected' OR decision_reason <> ''),
    CHECK (state NOT IN ('validated', 'rejected') OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    CHECK (NOT has_loan OR state = 'validated')
);
CREATE INDEX requests_year_state ON requests (school_year, state);
CREATE INDEX requests_school ON requests (school_uai, school_year);
CREATE INDEX requests_teacher ON requests (teacher_id, school_year);

CREATE TABLE request_opinions (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    -- inspection: pedagogical; it: technical feasibility; education: city
    role       TEXT NOT NULL CHECK (role IN ('inspection', 'it', 'education')),
    verdict    TEXT NOT NULL CHECK (verdict IN ('favourable', 'reserved', 'unfavourable')),
    comment    TEXT NOT NULL DEFAULT '',
    author_id  INTEGER NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (request_id, role)
);

-- One row per school year in which a teacher took part at a school: a loan
-- of theirs was picked up. The loans record it at pickup; the demo and
-- imports of earlier years write it directly.
CREATE TABLE participation_history (
    teacher_id  INTEGER NOT NULL REFERENCES users (id),
    school_uai  TEXT NOT NULL REFERENCES schools (uai),
    school_year TEXT NOT NULL CHECK (school_year GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    source      TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (teacher_id, school_uai, school_year)
);
