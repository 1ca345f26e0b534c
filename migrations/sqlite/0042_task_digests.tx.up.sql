-- Task digests: the e-mails that tell people a request reached them (a
-- director has a request to authorise, a referent an opinion to give, the
-- coordinator a decision to take, a teacher and a director a decision to
-- read). One digest per person and day at most; each task is announced
-- once, in one digest (task_notices' unique key), whatever the number of
-- runs or instances.

CREATE TABLE task_digests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES users (id),
    -- the Europe/Paris day the digest goes (or went) out
    day          DATE NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    -- a pending digest is being sent by lease_owner until lease_until; after
    -- a failed attempt lease_until is the earliest retry
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMP,
    sent_at      TIMESTAMP,
    skipped_reason TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (recipient_id, day),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status <> 'sent' OR message_id <> ''),
    CHECK (status <> 'skipped' OR skipped_reason <> '')
);
-- At most one digest waiting to go out per person: new tasks join it.
CREATE UNIQUE INDEX task_digests_open ON task_digests (recipient_id) WHERE status = 'pending';

CREATE TABLE task_notices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    digest_id    INTEGER NOT NULL REFERENCES task_digests (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL REFERENCES users (id),
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('authorise', 'opinion', 'decide', 'decided')),
    -- the request's submission the task belongs to (submitted_at in
    -- microseconds since 1970): a request sent back to draft and submitted
    -- again is a new task
    cycle        BIGINT NOT NULL,
    UNIQUE (recipient_id, request_id, kind, cycle)
);
CREATE INDEX task_notices_digest ON task_notices (digest_id);
