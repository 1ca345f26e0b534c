package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// TaskDigest is one e-mail of the task digests' ledger: the tasks that
// reached one person, announced once, in at most one digest a day.
type TaskDigest struct {
	ID          int64         `json:"id"`
	RecipientID int64         `json:"recipient_id"`
	Day         calendar.Date `json:"day"`
	Status      string        `json:"status"`
	Attempts    int           `json:"attempts"`
	MessageID   string        `json:"message_id,omitempty"`
	// Tasks are the digest's tasks still current when it was claimed.
	Tasks []DigestTask `json:"tasks,omitempty"`
}

// The statuses of a task digest.
const (
	DigestPending = "pending"
	DigestSent    = "sent"
	DigestFailed  = "failed"
	DigestSkipped = "skipped"
)

type taskDigestRow struct {
	bun.BaseModel `bun:"table:task_digests,alias:d"`

	ID            int64      `bun:"id,pk,autoincrement"`
	RecipientID   int64      `bun:"recipient_id,notnull"`
	Day           sqlDate    `bun:"day,notnull"`
	Status        string     `bun:"status,notnull"`
	Attempts      int        `bun:"attempts,notnull"`
	LastError     string     `bun:"last_error,notnull"`
	MessageID     string     `bun:"message_id,notnull"`
	LeaseOwner    string     `bun:"lease_owner,notnull"`
	LeaseUntil    *time.Time `bun:"lease_until"`
	SentAt        *time.Time `bun:"sent_at"`
	SkippedReason string     `bun:"skipped_reason,notnull"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	UpdatedAt     time.Time  `bun:"updated_at,notnull"`
}

type taskNoticeRow struct {
	bun.BaseModel `bun:"table:task_notices,alias:n"`

	ID          int64  `bun:"id,pk,autoincrement"`
	DigestID    int64  `bun:"digest_id,notnull"`
	RecipientID int64  `bun:"recipient_id,notnull"`
	RequestID   int64  `bun:"request_id,notnull"`
	Kind        string `bun:"kind,notnull"`
	Cycle       int64  `bun:"cycle,notnull"`
}

type taskKey struct {
	request int64
	kind    DigestTaskKind
	cycle   int64
}

func (t DigestTask) key() taskKey { return taskKey{t.RequestID, t.Kind, t.Cycle} }

// ClaimTaskDigests records the tasks not announced yet and leases, to
// owner until until, the digest of each person that has something to
// announce: the person's pending digest (one that failed to go out, which
// the new tasks join) or a new digest of day. A person who already had a
// digest on day gets nothing more that day: their new tasks wait for the
// next day. Every task is recorded in one digest only (a unique key), so
// it is announced once whatever the number of runs or instances. tasks
// are the current tasks (Tasks); each returned digest carries those of
// its tasks still current, and a digest left with none is skipped. Sorted
// by recipient.
func (db *DB) ClaimTaskDigests(ctx context.Context, owner string, day calendar.Date, now, until time.Time, tasks []DigestTask) (_ []TaskDigest, err error) {
	defer wrapf(&err, "ClaimTaskDigests(%s, %s)", owner, day)
	if owner == "" {
		return nil, fmt.Errorf("empty lease owner")
	}
	now, until = now.UTC().Truncate(time.Microsecond), until.UTC().Truncate(time.Microsecond)
	byRecipient := map[int64][]DigestTask{}
	for _, t := range tasks {
		byRecipient[t.RecipientID] = append(byRecipient[t.RecipientID], t)
	}
	// People with a digest waiting to go out (a failed attempt, a crash)
	// are claimed even without new tasks.
	var waiting []int64
	if err := db.bun.NewSelect().Model((*taskDigestRow)(nil)).Column("recipient_id").
		Where("status = 'pending'").Scan(ctx, &waiting); err != nil {
		return nil, err
	}
	for _, id := range waiting {
		if _, ok := byRecipient[id]; !ok {
			byRecipient[id] = nil
		}
	}
	var out []TaskDigest
	for _, uid := range slices.Sorted(func(yield func(int64) bool) {
		for k := range byRecipient {
			if !yield(k) {
				return
			}
		}
	}) {
		var d *TaskDigest
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			d, err = claimTaskDigest(ctx, tx, db.dialect, owner, uid, day, now, until, byRecipient[uid])
			return err
		})
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

func claimTaskDigest(ctx context.Context, tx bun.Tx, dialect Dialect, owner string, uid int64, day calendar.Date, now, until time.Time, current []DigestTask) (*TaskDigest, error) {
	var open []taskDigestRow
	q := tx.NewSelect().Model(&open).Where("recipient_id = ?", uid).Where("status = 'pending'")
	if dialect == Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	var notices []taskNoticeRow
	if len(current) > 0 {
		ids := make([]int64, 0, len(current))
		for _, t := range current {
			ids = append(ids, t.RequestID)
		}
		if err := tx.NewSelect().Model(&notices).Where("recipient_id = ?", uid).
			Where("request_id IN (?)", bun.List(slices.Compact(slices.Sorted(slices.Values(ids))))).Scan(ctx); err != nil {
			return nil, err
		}
	}
	announced := map[taskKey]bool{}
	for _, n := range notices {
		announced[taskKey{n.RequestID, DigestTaskKind(n.Kind), n.Cycle}] = true
	}
	var fresh []DigestTask
	for _, t := range current {
		if !announced[t.key()] {
			fresh = append(fresh, t)
		}
	}
	var today []taskDigestRow
	if err := tx.NewSelect().Model(&today).Where("recipient_id = ?", uid).Where("day = ?", sqlDate{day}).Scan(ctx); err != nil {
		return nil, err
	}
	var d taskDigestRow
	switch {
	case len(open) == 1:
		d = open[0]
		if d.LeaseUntil != nil && !d.LeaseUntil.Before(now) {
			return nil, nil // being sent by another instance, or waiting after a failed attempt
		}
		if d.Day.Date != day {
			if len(today) > 0 {
				return nil, nil // one digest a day: this one goes tomorrow
			}
			d.Day = sqlDate{day}
		}
	case len(fresh) == 0 || len(today) > 0:
		return nil, nil // nothing new, or today's digest went out already
	default:
		d = taskDigestRow{RecipientID: uid, Day: sqlDate{day}, Status: DigestPending, CreatedAt: now, UpdatedAt: now}
		res, err := tx.NewInsert().Model(&d).On("CONFLICT DO NOTHING").Returning("id").Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil // another instance took it
		}
	}
	if len(fresh) > 0 {
		rows := make([]taskNoticeRow, len(fresh))
		for i, t := range fresh {
			rows[i] = taskNoticeRow{DigestID: d.ID, RecipientID: uid, RequestID: t.RequestID, Kind: string(t.Kind), Cycle: t.Cycle}
		}
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return nil, err
		}
	}
	var mine []taskNoticeRow
	if err := tx.NewSelect().Model(&mine).Where("digest_id = ?", d.ID).Scan(ctx); err != nil {
		return nil, err
	}
	in := map[taskKey]bool{}
	for _, n := range mine {
		in[taskKey{n.RequestID, DigestTaskKind(n.Kind), n.Cycle}] = true
	}
	out := &TaskDigest{ID: d.ID, RecipientID: uid, Day: day, Status: DigestPending, Attempts: d.Attempts}
	for _, t := range current {
		if in[t.key()] {
			out.Tasks = append(out.Tasks, t)
		}
	}
	if len(out.Tasks) == 0 {
		_, err := tx.NewUpdate().Model((*taskDigestRow)(nil)).ModelTableExpr("task_digests").
			Set("status = 'skipped'").Set("skipped_reason = ?", "plus rien à faire").Set("day = ?", d.Day).
			Set("lease_owner = ''").Set("lease_until = NULL").Set("updated_at = ?", now).
			Where("id = ?", d.ID).Exec(ctx)
		return nil, err
	}
	_, err := tx.NewUpdate().Model((*taskDigestRow)(nil)).ModelTableExpr("task_digests").
		Set("day = ?", d.Day).Set("lease_owner = ?", owner).Set("lease_until = ?", until).Set("updated_at = ?", now).
		Where("id = ?", d.ID).Exec(ctx)
	return out, err
}

// MarkTaskDigestSent records that the digest id, leased by owner, went out
// as messageID. It reports false when the lease was lost.
func (db *DB) MarkTaskDigestSent(ctx context.Context, owner string, id int64, messageID string, at time.Time) (_ bool, err error) {
	defer wrapf(&err, "MarkTaskDigestSent(%d)", id)
	at = at.UTC().Truncate(time.Microsecond)
	res, err := db.bun.NewUpdate().Model((*taskDigestRow)(nil)).ModelTableExpr("task_digests").
		Set("status = 'sent'").Set("sent_at = ?", at).Set("message_id = ?", messageID).
		Set("attempts = attempts + 1").Set("last_error = ''").
		Set("lease_owner = ''").Set("lease_until = NULL").Set("updated_at = ?", at).
		Where("id = ?", id).Where("status = 'pending'").Where("lease_owner = ?", owner).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MarkTaskDigestFailed records a failed delivery of the digest id leased
// by owner: one more attempt and the error; the digest stays pending
// (retried from retryAt by a later run) until maxAttempts, then failed.
// It reports whether the digest is now failed.
func (db *DB) MarkTaskDigestFailed(ctx context.Context, owner string, id int64, cause string, at, retryAt time.Time, maxAttempts int) (failed bool, err error) {
	defer wrapf(&err, "MarkTaskDigestFailed(%d)", id)
	if len(cause) > 1000 {
		cause = cause[:1000]
	}
	at, retryAt = at.UTC().Truncate(time.Microsecond), retryAt.UTC().Truncate(time.Microsecond)
	var rows []taskDigestRow
	err = db.bun.NewUpdate().Model((*taskDigestRow)(nil)).ModelTableExpr("task_digests").
		Set("attempts = attempts + 1").Set("last_error = ?", cause).
		Set("status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END", maxAttempts).
		Set("lease_owner = ''").Set("lease_until = ?", retryAt).Set("updated_at = ?", at).
		Where("id = ?", id).Where("status = 'pending'").Where("lease_owner = ?", owner).
		Returning("status").Scan(ctx, &rows)
	if err != nil {
		return false, err
	}
	return len(rows) == 1 && rows[0].Status == DigestFailed, nil
}

// TaskDigests returns the ledger's digests of one person, newest day
// first, without their tasks.
func (db *DB) TaskDigests(ctx context.Context, recipientID int64) (_ []TaskDigest, err error) {
	defer wrapf(&err, "TaskDigests(%d)", recipientID)
	var rows []taskDigestRow
	if err := db.bun.NewSelect().Model(&rows).Where("recipient_id = ?", recipientID).OrderExpr("day DESC, id DESC").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]TaskDigest, len(rows))
	for i, r := range rows {
		out[i] = TaskDigest{ID: r.ID, RecipientID: r.RecipientID, Day: r.Day.Date, Status: r.Status, Attempts: r.Attempts, MessageID: r.MessageID}
	}
	return out, nil
}

// TasksToAnnounce returns, without writing anything, what ClaimTaskDigests
// would claim on day: for each person, the tasks of their pending digest
// and those not announced yet, unless a digest of theirs already went out
// on day. Keyed by recipient.
func (db *DB) TasksToAnnounce(ctx context.Context, day calendar.Date, tasks []DigestTask) (_ map[int64][]DigestTask, err error) {
	defer wrapf(&err, "TasksToAnnounce(%s)", day)
	var digests []taskDigestRow
	if err := db.bun.NewSelect().Model(&digests).Where("status = 'pending' OR day = ?", sqlDate{day}).Scan(ctx); err != nil {
		return nil, err
	}
	pending, doneToday := map[int64]int64{}, map[int64]bool{}
	for _, d := range digests {
		if d.Status == DigestPending {
			pending[d.RecipientID] = d.ID
		} else {
			doneToday[d.RecipientID] = true
		}
	}
	var notices []taskNoticeRow
	if err := db.bun.NewSelect().Model(&notices).Column("digest_id", "recipient_id", "request_id", "kind", "cycle").
		Where("request_id IN (SELECT id FROM requests WHERE submitted_at IS NOT NULL AND state NOT IN ('draft', 'withdrawn'))").
		Scan(ctx); err != nil {
		return nil, err
	}
	type who struct {
		user int64
		key  taskKey
	}
	announced := map[who]int64{}
	for _, n := range notices {
		announced[who{n.RecipientID, taskKey{n.RequestID, DigestTaskKind(n.Kind), n.Cycle}}] = n.DigestID
	}
	out := map[int64][]DigestTask{}
	for _, t := range tasks {
		if doneToday[t.RecipientID] {
			continue // one digest a day
		}
		if d, ok := announced[who{t.RecipientID, t.key()}]; ok && d != pending[t.RecipientID] {
			continue // announced in a digest that went out (or failed for good)
		}
		out[t.RecipientID] = append(out[t.RecipientID], t)
	}
	return out, nil
}
