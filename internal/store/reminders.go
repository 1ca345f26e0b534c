package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// ReminderKind names what a reminder is about.
type ReminderKind string

// The reminder kinds, one per loan step that needs a nudge. Offsets and
// recipients are decided by the jobs package; the store only keeps the
// ledger.
const (
	// ReminderTraining: the teacher's training is still not done before pickup.
	ReminderTraining ReminderKind = "training"
	// ReminderAgreement: the loan agreement is not signed before pickup.
	ReminderAgreement ReminderKind = "agreement"
	// ReminderPickup: the pickup is near (what to bring, the inventory sheet).
	ReminderPickup ReminderKind = "pickup"
	// ReminderReturn: the return is near.
	ReminderReturn ReminderKind = "return"
	// ReminderOverdue: the return day has passed and the pack is still out.
	ReminderOverdue ReminderKind = "overdue"
	// ReminderAssessment: the assessment (bilan) is still not written.
	ReminderAssessment ReminderKind = "assessment"
	// ReminderExtension: an extension request awaits the coordinator.
	ReminderExtension ReminderKind = "extension"
)

// ReminderKinds lists the kinds in a stable order.
var ReminderKinds = []ReminderKind{ReminderTraining, ReminderAgreement, ReminderPickup, ReminderReturn,
	ReminderOverdue, ReminderAssessment, ReminderExtension}

// Valid reports whether k is a known kind.
func (k ReminderKind) Valid() bool { return slices.Contains(ReminderKinds, k) }

// ReminderStatus is where a reminder is in its life.
type ReminderStatus string

// The reminder statuses.
const (
	// ReminderPending: due, not sent yet (possibly after failed attempts).
	ReminderPending ReminderStatus = "pending"
	// ReminderSent: delivered (handed to the SMTP server or the outbox).
	ReminderSent ReminderStatus = "sent"
	// ReminderFailed: every attempt failed; a coordinator may retry it.
	ReminderFailed ReminderStatus = "failed"
	// ReminderSkipped: no longer applies or too late; SkippedReason says why.
	ReminderSkipped ReminderStatus = "skipped"
)

// ReminderStatuses lists the statuses in a stable order.
var ReminderStatuses = []ReminderStatus{ReminderPending, ReminderSent, ReminderFailed, ReminderSkipped}

// Valid reports whether s is a known status.
func (s ReminderStatus) Valid() bool { return slices.Contains(ReminderStatuses, s) }

// Reminder is one row of the reminder ledger: one reminder of one loan to
// one person, due on one day.
type Reminder struct {
	ID     int64        `json:"id"`
	LoanID int64        `json:"loan_id"`
	Kind   ReminderKind `json:"kind"`
	// DueDate is the calendar day the reminder is due.
	DueDate calendar.Date `json:"due_date"`
	// SendOn is the day it goes out: DueDate, or the school day before
	// when DueDate is a weekend or a public holiday.
	SendOn        calendar.Date `json:"send_on"`
	RecipientRole Role          `json:"recipient_role"`
	RecipientID   int64         `json:"recipient_id"`
	// RecipientName and RecipientEmail are filled by ListReminders.
	RecipientName  string `json:"recipient_name,omitempty"`
	RecipientEmail string `json:"recipient_email,omitempty"`
	// LoanLabel names the loan (« prêt n° 9, ECOLE … »), filled by
	// ListReminders.
	LoanLabel string         `json:"loan_label,omitempty"`
	Status    ReminderStatus `json:"status"`
	Attempts  int            `json:"attempts"`
	LastError string         `json:"last_error,omitempty"`
	MessageID string         `json:"message_id,omitempty"`
	// NextAttemptAt is, for a pending reminder after a failed attempt, the
	// earliest time of the next one.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	SkippedReason string     `json:"skipped_reason,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

type reminderRow struct {
	bun.BaseModel `bun:"table:reminders,alias:r"`

	ID            int64      `bun:"id,pk,autoincrement"`
	LoanID        int64      `bun:"loan_id,notnull"`
	Kind          string     `bun:"kind,notnull"`
	DueDate       sqlDate    `bun:"due_date,notnull"`
	SendOn        sqlDate    `bun:"send_on,notnull"`
	RecipientRole string     `bun:"recipient_role,notnull"`
	RecipientID   int64      `bun:"recipient_id,notnull"`
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

	RecipientName  string `bun:"recipient_name,scanonly"`
	RecipientEmail string `bun:"recipient_email,scanonly"`
	LoanLabel      string `bun:"loan_label,scanonly"`
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r reminderRow) reminder() Reminder {
	rem := Reminder{ID: r.ID, LoanID: r.LoanID, Kind: ReminderKind(r.Kind), DueDate: r.DueDate.Date, SendOn: r.SendOn.Date,
		RecipientRole: Role(r.RecipientRole), RecipientID: r.RecipientID, RecipientName: r.RecipientName,
		RecipientEmail: r.RecipientEmail, LoanLabel: r.LoanLabel, Status: ReminderStatus(r.Status),
		Attempts: r.Attempts, LastError: r.LastError, MessageID: r.MessageID, SentAt: utcp(r.SentAt),
		SkippedReason: r.SkippedReason, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if rem.Status == ReminderPending && rem.Attempts > 0 && r.LeaseOwner == "" {
		rem.NextAttemptAt = utcp(r.LeaseUntil)
	}
	return rem
}

// reminderInsertBatch bounds the rows of one INSERT (SQLite allows 32766
// bound values; bun inlines them, but statements stay reasonable).
const reminderInsertBatch = 1000

// InsertReminders adds due reminders to the ledger, ignoring those already
// there (same loan, kind, due date and recipient): running the nightly
// computation twice, or on two instances, inserts each reminder once. A
// reminder given with Status skipped (and its reason) is recorded as
// skipped; any other status is recorded as pending. It returns the number
// of rows actually inserted. Returns ErrInvalidReference if a loan or a
// user does not exist.
func (db *DB) InsertReminders(ctx context.Context, rs []Reminder) (inserted int, err error) {
	defer wrapf(&err, "InsertReminders(%d)", len(rs))
	if len(rs) == 0 {
		return 0, nil
	}
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inserted = 0
		// Each night recomputes the reminders of the last weeks, most of
		// them recorded already: reading their keys is much cheaper than
		// letting thousands of inserts conflict. ON CONFLICT stays for
		// concurrent writers.
		rs, err := withoutRecorded(ctx, tx, rs)
		if err != nil {
			return err
		}
		rows := make([]reminderRow, 0, min(len(rs), reminderInsertBatch))
		for start := 0; start < len(rs); start += reminderInsertBatch {
			rows = rows[:0]
			for _, r := range rs[start:min(start+reminderInsertBatch, len(rs))] {
				row := reminderRow{LoanID: r.LoanID, Kind: string(r.Kind), DueDate: sqlDate{r.DueDate}, SendOn: sqlDate{r.SendOn},
					RecipientRole: string(r.RecipientRole), RecipientID: r.RecipientID, Status: string(ReminderPending),
					CreatedAt: now, UpdatedAt: now}
				if row.SendOn.IsZero() {
					row.SendOn = row.DueDate
				}
				if r.Status == ReminderSkipped {
					row.Status, row.SkippedReason = string(ReminderSkipped), r.SkippedReason
				}
				rows = append(rows, row)
			}
			res, err := tx.NewInsert().Model(&rows).
				On("CONFLICT (loan_id, kind, due_date, recipient_id) DO NOTHING").
				Returning("NULL").Exec(ctx)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted += int(n)
		}
		return nil
	})
	return inserted, err
}

type reminderKey struct {
	loan int64
	kind ReminderKind
	due  calendar.Date
	user int64
}

// withoutRecorded returns the reminders of rs not in the ledger yet.
func withoutRecorded(ctx context.Context, tx bun.Tx, rs []Reminder) ([]Reminder, error) {
	from := rs[0].DueDate
	for _, r := range rs {
		if r.DueDate.Before(from) {
			from = r.DueDate
		}
	}
	var keys []struct {
		LoanID      int64   `bun:"loan_id"`
		Kind        string  `bun:"kind"`
		DueDate     sqlDate `bun:"due_date"`
		RecipientID int64   `bun:"recipient_id"`
	}
	if err := tx.NewRaw(`SELECT loan_id, kind, CAST(due_date AS TEXT) AS due_date, recipient_id FROM reminders WHERE due_date >= ?`,
		sqlDate{from}).Scan(ctx, &keys); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return rs, nil
	}
	have := make(map[reminderKey]bool, len(keys))
	for _, k := range keys {
		have[reminderKey{k.LoanID, ReminderKind(k.Kind), k.DueDate.Date, k.RecipientID}] = true
	}
	out := make([]Reminder, 0, len(rs))
	for _, r := range rs {
		if !have[reminderKey{r.LoanID, r.Kind, r.DueDate, r.RecipientID}] {
			out = append(out, r)
		}
	}
	return out, nil
}

// reminderLockKey is the first key of the transaction-level advisory locks
// that give one claimer at a time each recipient's reminders on
// PostgreSQL ("rmdr").
const reminderLockKey = 0x726d6472

// ClaimReminders leases the pending reminders of up to maxRecipients
// recipients to owner until until: pending rows whose lease is free or
// expired at now. All of a recipient's claimable reminders are claimed
// together, so they go out in one message. Concurrent claimers never get
// the same row: on PostgreSQL rows are locked with FOR UPDATE SKIP LOCKED
// and recipients with transaction advisory locks; on SQLite the claim is
// one BEGIN IMMEDIATE transaction. The result is sorted by recipient, then
// loan, due date and kind.
func (db *DB) ClaimReminders(ctx context.Context, owner string, now, until time.Time, maxRecipients int) (_ []Reminder, err error) {
	defer wrapf(&err, "ClaimReminders(%s)", owner)
	if owner == "" {
		return nil, fmt.Errorf("empty lease owner")
	}
	now, until = now.UTC().Truncate(time.Microsecond), until.UTC().Truncate(time.Microsecond)
	var rows []reminderRow
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if db.dialect == Postgres {
			// A recipient picked from a snapshot taken just before another
			// claimer committed yields no row; try again (each statement
			// sees a fresh snapshot) while claimable rows remain.
			for attempt := 0; attempt < 3; attempt++ {
				if err := claimPostgres(ctx, tx, owner, now, until, maxRecipients, &rows); err != nil || len(rows) > 0 {
					return err
				}
				var left bool
				if err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM reminders WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?))`,
					now).Scan(ctx, &left); err != nil || !left {
					return err
				}
			}
			return nil
		}
		var recipients []int64
		if err := tx.NewSelect().Model((*reminderRow)(nil)).Distinct().Column("recipient_id").
			Where("status = 'pending'").Where("lease_until IS NULL OR lease_until < ?", now).
			OrderExpr("recipient_id").Limit(int64(maxRecipients)).Scan(ctx, &recipients); err != nil {
			return err
		}
		if len(recipients) == 0 {
			return nil
		}
		return tx.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
			Set("lease_owner = ?", owner).Set("lease_until = ?", until).Set("updated_at = ?", now).
			Where("recipient_id IN (?)", bun.List(recipients)).
			Where("status = 'pending'").Where("(lease_until IS NULL OR lease_until < ?)", now).
			Returning("*").Scan(ctx, &rows)
	})
	if err != nil {
		return nil, err
	}
	out := make([]Reminder, len(rows))
	for i, r := range rows {
		out[i] = r.reminder()
	}
	slices.SortFunc(out, compareReminders)
	return out, nil
}

// claimPostgres is one claim statement: pick recipients with claimable
// rows, lock each with a transaction advisory lock (so two claimers never
// split a recipient), lock their rows with FOR UPDATE SKIP LOCKED and lease
// them.
func claimPostgres(ctx context.Context, tx bun.Tx, owner string, now, until time.Time, maxRecipients int, rows *[]reminderRow) error {
	return tx.NewRaw(`
WITH candidates AS (
    SELECT DISTINCT recipient_id FROM reminders
    WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?0)
), picked AS (
    SELECT recipient_id FROM candidates
    WHERE pg_try_advisory_xact_lock(?1, (recipient_id % 2147483647)::int)
    LIMIT ?2
), claimable AS (
    SELECT id FROM reminders
    WHERE recipient_id IN (SELECT recipient_id FROM picked)
      AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?0)
    FOR UPDATE SKIP LOCKED
)
UPDATE reminders AS r SET lease_owner = ?3, lease_until = ?4, updated_at = ?0
FROM claimable WHERE r.id = claimable.id
RETURNING r.*`, now, reminderLockKey, maxRecipients, owner, until).Scan(ctx, rows)
}

func compareReminders(a, b Reminder) int {
	switch {
	case a.RecipientID != b.RecipientID:
		return cmp.Compare(a.RecipientID, b.RecipientID)
	case a.LoanID != b.LoanID:
		return cmp.Compare(a.LoanID, b.LoanID)
	case a.DueDate != b.DueDate:
		return a.DueDate.Compare(b.DueDate)
	case a.Kind != b.Kind:
		return slices.Index(ReminderKinds, a.Kind) - slices.Index(ReminderKinds, b.Kind)
	}
	return cmp.Compare(a.ID, b.ID)
}

// MarkRemindersSent records that the reminders ids, leased by owner, went
// out in the message messageID. Rows no longer leased by owner (the lease
// expired and someone else took them) are left alone; it returns the
// number of rows marked.
func (db *DB) MarkRemindersSent(ctx context.Context, owner string, ids []int64, messageID string, at time.Time) (n int, err error) {
	defer wrapf(&err, "MarkRemindersSent(%s, %d)", owner, len(ids))
	if len(ids) == 0 {
		return 0, nil
	}
	at = at.UTC().Truncate(time.Microsecond)
	res, err := db.bun.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
		Set("status = 'sent'").Set("sent_at = ?", at).Set("message_id = ?", messageID).
		Set("attempts = attempts + 1").Set("last_error = ''").
		Set("lease_owner = ''").Set("lease_until = NULL").Set("updated_at = ?", at).
		Where("id IN (?)", bun.List(ids)).Where("status = 'pending'").Where("lease_owner = ?", owner).
		Exec(ctx)
	if err != nil {
		return 0, err
	}
	m, err := res.RowsAffected()
	return int(m), err
}

// MarkRemindersAttemptFailed records a failed delivery of the reminders ids
// leased by owner: one more attempt, the error, and either failed (after
// maxAttempts attempts) or pending again with its lease free from retryAt
// (the backoff). It returns how many rows became failed.
func (db *DB) MarkRemindersAttemptFailed(ctx context.Context, owner string, ids []int64, cause string, at, retryAt time.Time, maxAttempts int) (failed int, err error) {
	defer wrapf(&err, "MarkRemindersAttemptFailed(%s, %d)", owner, len(ids))
	if len(ids) == 0 {
		return 0, nil
	}
	if len(cause) > 1000 {
		cause = cause[:1000]
	}
	at, retryAt = at.UTC().Truncate(time.Microsecond), retryAt.UTC().Truncate(time.Microsecond)
	// PostgreSQL types a bare literal in a CASE as text; SQLite must not
	// cast (it would turn the timestamp into a number).
	retryExpr := "?"
	if db.dialect == Postgres {
		retryExpr = "CAST(? AS TIMESTAMPTZ)"
	}
	var rows []reminderRow
	err = db.bun.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
		Set("attempts = attempts + 1").Set("last_error = ?", cause).
		Set("status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END", maxAttempts).
		Set("lease_owner = ''").Set("lease_until = CASE WHEN attempts + 1 >= ? THEN NULL ELSE "+retryExpr+" END", maxAttempts, retryAt).
		Set("updated_at = ?", at).
		Where("id IN (?)", bun.List(ids)).Where("status = 'pending'").Where("lease_owner = ?", owner).
		Returning("status").Scan(ctx, &rows)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if r.Status == string(ReminderFailed) {
			failed++
		}
	}
	return failed, nil
}

// SkipReminders marks reminders leased by owner (or free pending ones when
// owner is empty) as skipped, each with its reason. It returns the number
// of rows marked.
func (db *DB) SkipReminders(ctx context.Context, owner string, reasons map[int64]string, at time.Time) (n int, err error) {
	defer wrapf(&err, "SkipReminders(%s, %d)", owner, len(reasons))
	if len(reasons) == 0 {
		return 0, nil
	}
	at = at.UTC().Truncate(time.Microsecond)
	byReason := map[string][]int64{}
	for id, reason := range reasons {
		if reason == "" {
			return 0, fmt.Errorf("reminder %d: empty skip reason", id)
		}
		byReason[reason] = append(byReason[reason], id)
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for reason, ids := range byReason {
			res, err := tx.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
				Set("status = 'skipped'").Set("skipped_reason = ?", reason).
				Set("lease_owner = ''").Set("lease_until = NULL").Set("updated_at = ?", at).
				Where("id IN (?)", bun.List(ids)).Where("status = 'pending'").Where("lease_owner = ?", owner).
				Exec(ctx)
			if err != nil {
				return err
			}
			m, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(m)
		}
		return nil
	})
	return n, err
}

// ReleaseReminders gives back the leases owner holds on ids without an
// attempt (a run stopping early).
func (db *DB) ReleaseReminders(ctx context.Context, owner string, ids []int64) (err error) {
	defer wrapf(&err, "ReleaseReminders(%s, %d)", owner, len(ids))
	if len(ids) == 0 {
		return nil
	}
	_, err = db.bun.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
		Set("lease_owner = ''").Set("lease_until = NULL").
		Where("id IN (?)", bun.List(ids)).Where("status = 'pending'").Where("lease_owner = ?", owner).
		Exec(ctx)
	return err
}

// NextReminderRelease returns the earliest time a pending reminder now
// held (leased by an instance, or waiting after a failed attempt) becomes
// claimable again, and false when no pending reminder is held. A run waits
// for it to retry failed deliveries and to take over the leases of an
// instance that died.
func (db *DB) NextReminderRelease(ctx context.Context) (_ time.Time, ok bool, err error) {
	defer wrapf(&err, "NextReminderRelease")
	var rows []reminderRow
	if err := db.bun.NewSelect().Model(&rows).Column("lease_until").
		Where("status = 'pending'").Where("lease_until IS NOT NULL").
		OrderExpr("lease_until").Limit(1).Scan(ctx); err != nil {
		return time.Time{}, false, err
	}
	if len(rows) == 0 || rows[0].LeaseUntil == nil {
		return time.Time{}, false, nil
	}
	return rows[0].LeaseUntil.UTC(), true, nil
}

// ReminderFilter selects reminders in ListReminders. Zero fields match all.
type ReminderFilter struct {
	LoanID  int64
	LoanIDs []int64
	Status  ReminderStatus
	// AfterID returns rows with a greater id (paging).
	AfterID int64
	// Limit bounds the result. Defaults to 500.
	Limit int
}

// ListReminders returns ledger rows by id, with their recipients' names
// and e-mail addresses.
func (db *DB) ListReminders(ctx context.Context, f ReminderFilter) (_ []Reminder, err error) {
	defer wrapf(&err, "ListReminders")
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var rows []reminderRow
	q := db.bun.NewSelect().Model(&rows).ColumnExpr("r.*").
		ColumnExpr("u.name AS recipient_name, u.email AS recipient_email").
		ColumnExpr(loanLabelSQL+" AS loan_label").
		Join("JOIN users AS u ON u.id = r.recipient_id").
		Join(loanLabelJoin, bun.Ident("r")).
		OrderExpr("r.id").Limit(int64(f.Limit))
	if f.LoanID != 0 {
		q = q.Where("r.loan_id = ?", f.LoanID)
	}
	if len(f.LoanIDs) > 0 {
		q = q.Where("r.loan_id IN (?)", bun.List(f.LoanIDs))
	}
	if f.Status != "" {
		q = q.Where("r.status = ?", string(f.Status))
	}
	if f.AfterID > 0 {
		q = q.Where("r.id > ?", f.AfterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Reminder, len(rows))
	for i, r := range rows {
		out[i] = r.reminder()
	}
	return out, nil
}

// ReminderByID returns one ledger row. Returns ErrNotFound.
func (db *DB) ReminderByID(ctx context.Context, id int64) (_ Reminder, err error) {
	defer wrapf(&err, "ReminderByID(%d)", id)
	var row reminderRow
	if err := db.bun.NewSelect().Model(&row).Where("r.id = ?", id).Scan(ctx); err != nil {
		return Reminder{}, err
	}
	return row.reminder(), nil
}

// RetryReminder puts a failed reminder back to pending with its attempts
// reset, for the next run to send. Returns ErrNotFound for an unknown id and
// ErrConflict when the reminder is not failed.
func (db *DB) RetryReminder(ctx context.Context, actor Actor, id int64) (_ Reminder, err error) {
	defer wrapf(&err, "RetryReminder(%d)", id)
	now := db.Now()
	var out Reminder
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var before reminderRow
		if err := tx.NewSelect().Model(&before).Where("r.id = ?", id).Scan(ctx); err != nil {
			return err
		}
		var rows []reminderRow
		if err := tx.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
			Set("status = 'pending'").Set("attempts = 0").Set("lease_owner = ''").Set("lease_until = NULL").
			Set("updated_at = ?", now).
			Where("id = ?", id).Where("status = 'failed'").Returning("*").Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("%w: reminder %d is %s, not failed", ErrConflict, id, before.Status)
		}
		out = rows[0].reminder()
		return Audit(ctx, tx, now, actor, "reminder.retry", "reminder", id, before.reminder(), out)
	})
	return out, err
}
