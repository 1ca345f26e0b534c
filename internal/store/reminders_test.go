package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

type reminderBundle struct {
	db      *store.DB
	school  store.School
	teacher store.User
	coord   store.User
	env     storetest.LoanEnv
}

func setupReminders(t *testing.T, db *store.DB) reminderBundle {
	t.Helper()
	s := storetest.School(t, db, nil)
	teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
	coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	return reminderBundle{db: db, school: s, teacher: teacher, coord: coord, env: storetest.LoanEnv{CoordinatorID: coord.ID}}
}

func (b reminderBundle) loan(t *testing.T, f storetest.LoanFixture) int64 {
	t.Helper()
	if f.SchoolUAI == "" {
		f.SchoolUAI = b.school.UAI
	}
	if f.TeacherID == 0 {
		f.TeacherID = b.teacher.ID
	}
	return storetest.ReminderLoan(t, b.db, b.env, f)
}

func TestInsertRemindersIsIdempotent(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setupReminders(t, db)
		loan := b.loan(t, storetest.LoanFixture{})
		due := calendar.NewDate(2025, 12, 22)
		rs := []store.Reminder{
			{LoanID: loan, Kind: store.ReminderTraining, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID},
			{LoanID: loan, Kind: store.ReminderPickup, DueDate: due, SendOn: due.AddDays(-1), RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID},
			{LoanID: loan, Kind: store.ReminderOverdue, DueDate: due.AddDays(-10), RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID,
				Status: store.ReminderSkipped, SkippedReason: "trop tard"},
		}
		n, err := db.InsertReminders(ctx, rs)
		require.NoError(t, err, "first insert")
		assert.Equal(t, 3, n, "rows inserted the first time")
		n, err = db.InsertReminders(ctx, rs)
		require.NoError(t, err, "second insert")
		assert.Equal(t, 0, n, "rows inserted the second time (ON CONFLICT DO NOTHING)")
		more := append(rs[:len(rs):len(rs)], store.Reminder{LoanID: loan, Kind: store.ReminderPickup, DueDate: due.AddDays(1),
			RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID})
		n, err = db.InsertReminders(ctx, more)
		require.NoError(t, err, "third insert")
		assert.Equal(t, 1, n, "only the new reminder inserted")

		got, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan})
		require.NoError(t, err, "list")
		require.Len(t, got, 4, "ledger rows")
		assert.Equal(t, due, got[0].SendOn, "send_on defaults to the due date")
		assert.Equal(t, due.AddDays(-1), got[1].SendOn, "send_on kept")
		assert.Equal(t, store.ReminderSkipped, got[2].Status, "skipped at insert")
		assert.Equal(t, "trop tard", got[2].SkippedReason, "reason")

		skipped, err := db.ListReminders(ctx, store.ReminderFilter{Status: store.ReminderSkipped})
		require.NoError(t, err, "list skipped")
		assert.Len(t, skipped, 1, "status filter")

		_, err = db.InsertReminders(ctx, []store.Reminder{{LoanID: loan + 1000, Kind: store.ReminderPickup, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID}})
		assert.ErrorIs(t, err, store.ErrInvalidReference, "unknown loan")
	})
}

func TestClaimLeaseSendFailRetry(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setupReminders(t, db)
		teacher2, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: b.school.UAI})
		l1 := b.loan(t, storetest.LoanFixture{})
		l2 := b.loan(t, storetest.LoanFixture{TeacherID: teacher2.ID, Pickup: calendar.NewDate(2026, 3, 2)})
		due := calendar.NewDate(2025, 12, 22)
		_, err := db.InsertReminders(ctx, []store.Reminder{
			{LoanID: l1, Kind: store.ReminderTraining, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID},
			{LoanID: l1, Kind: store.ReminderPickup, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: b.teacher.ID},
			{LoanID: l2, Kind: store.ReminderPickup, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: teacher2.ID},
			{LoanID: l1, Kind: store.ReminderOverdue, DueDate: due, RecipientRole: store.RoleCoordinator, RecipientID: b.coord.ID},
		})
		require.NoError(t, err, "insert")
		now := time.Date(2025, 12, 22, 1, 0, 0, 0, time.UTC)

		a, err := db.ClaimReminders(ctx, "a", now, now.Add(time.Minute), 1)
		require.NoError(t, err, "claim a")
		require.Len(t, a, 2, "one recipient claimed with all of their rows")
		assert.Equal(t, a[0].RecipientID, a[1].RecipientID, "same recipient")

		bb, err := db.ClaimReminders(ctx, "b", now, now.Add(time.Minute), 10)
		require.NoError(t, err, "claim b")
		assert.Len(t, bb, 2, "b gets the two other recipients, not a's rows")
		none, err := db.ClaimReminders(ctx, "c", now.Add(30*time.Second), now.Add(time.Minute), 10)
		require.NoError(t, err, "claim c")
		assert.Empty(t, none, "everything leased")

		// a sends its message; b fails one recipient and skips the other.
		ids := []int64{a[0].ID, a[1].ID}
		n, err := db.MarkRemindersSent(ctx, "b", ids, "m1@x", now)
		require.NoError(t, err, "mark by wrong owner")
		assert.Zero(t, n, "rows leased by a cannot be marked by b")
		n, err = db.MarkRemindersSent(ctx, "a", ids, "m1@x", now)
		require.NoError(t, err, "mark sent")
		assert.Equal(t, 2, n, "rows marked sent")

		failed, err := db.MarkRemindersAttemptFailed(ctx, "b", []int64{bb[0].ID}, "451 busy", now, now.Add(10*time.Second), 2)
		require.NoError(t, err, "attempt failed")
		assert.Zero(t, failed, "first attempt of two: still pending")
		n, err = db.SkipReminders(ctx, "b", map[int64]string{bb[1].ID: "prêt annulé"}, now)
		require.NoError(t, err, "skip")
		assert.Equal(t, 1, n, "skipped rows")

		next, ok, err := db.NextReminderRelease(ctx)
		require.NoError(t, err, "next release")
		require.True(t, ok, "a retry is waiting")
		assert.True(t, next.Equal(now.Add(10*time.Second)), "next release at the backoff, got %s", next)

		early, err := db.ClaimReminders(ctx, "c", now.Add(5*time.Second), now.Add(time.Minute), 10)
		require.NoError(t, err, "claim during backoff")
		assert.Empty(t, early, "backoff holds the row")
		again, err := db.ClaimReminders(ctx, "c", now.Add(11*time.Second), now.Add(time.Minute), 10)
		require.NoError(t, err, "claim after backoff")
		require.Len(t, again, 1, "row back after backoff")
		failed, err = db.MarkRemindersAttemptFailed(ctx, "c", []int64{again[0].ID}, "451 still busy", now, now.Add(time.Minute), 2)
		require.NoError(t, err, "second attempt failed")
		assert.Equal(t, 1, failed, "failed after the last attempt")

		r, err := db.ReminderByID(ctx, again[0].ID)
		require.NoError(t, err, "get")
		assert.Equal(t, store.ReminderFailed, r.Status, "status")
		assert.Equal(t, 2, r.Attempts, "attempts")
		assert.Equal(t, "451 still busy", r.LastError, "last error")

		sent, err := db.ReminderByID(ctx, a[0].ID)
		require.NoError(t, err, "get sent")
		assert.Equal(t, store.ReminderSent, sent.Status, "sent status")
		assert.Equal(t, "m1@x", sent.MessageID, "message id")
		require.NotNil(t, sent.SentAt, "sent_at")
		assert.True(t, sent.SentAt.Equal(now), "sent_at value")

		_, err = db.RetryReminder(ctx, store.Actor{UserID: b.coord.ID}, sent.ID)
		assert.ErrorIs(t, err, store.ErrConflict, "retry of a sent reminder")
		_, err = db.RetryReminder(ctx, store.Actor{UserID: b.coord.ID}, 999999)
		assert.ErrorIs(t, err, store.ErrNotFound, "retry of an unknown reminder")
		rr, err := db.RetryReminder(ctx, store.Actor{UserID: b.coord.ID}, r.ID)
		require.NoError(t, err, "retry")
		assert.Equal(t, store.ReminderPending, rr.Status, "pending again")
		assert.Zero(t, rr.Attempts, "attempts reset")
		trail, err := db.AuditTrail(ctx, "reminder", r.ID)
		require.NoError(t, err, "audit")
		assert.Len(t, trail, 1, "retry audited")
		last, err := db.ClaimReminders(ctx, "d", now.Add(2*time.Minute), now.Add(3*time.Minute), 10)
		require.NoError(t, err, "claim after retry")
		assert.Len(t, last, 1, "retried row claimable")
	})
}

func TestClaimConcurrentNeverShares(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setupReminders(t, db)
		var users []store.User
		for range 12 {
			u, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: b.school.UAI})
			users = append(users, u)
		}
		var fs []storetest.LoanFixture
		for i := range 60 {
			fs = append(fs, storetest.LoanFixture{SchoolUAI: b.school.UAI, TeacherID: users[i%len(users)].ID})
		}
		loans := storetest.ReminderLoans(t, db, b.env, fs)
		var rs []store.Reminder
		for i, l := range loans {
			for _, k := range []store.ReminderKind{store.ReminderTraining, store.ReminderPickup} {
				rs = append(rs, store.Reminder{LoanID: l, Kind: k, DueDate: calendar.NewDate(2025, 12, 22),
					RecipientRole: store.RoleTeacher, RecipientID: users[i%len(users)].ID})
			}
		}
		_, err := db.InsertReminders(ctx, rs)
		require.NoError(t, err, "insert")
		now := time.Date(2025, 12, 22, 1, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		seen := map[int64]string{}
		byRecipient := map[int64]string{}
		var wg sync.WaitGroup
		for w := range 4 {
			owner := string(rune('a' + w))
			wg.Go(func() {
				for {
					got, err := db.ClaimReminders(ctx, owner, now, now.Add(time.Hour), 2)
					if !assert.NoError(t, err, "claim by %s", owner) || len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						if prev, dup := seen[r.ID]; dup {
							t.Errorf("reminder %d claimed by %s and %s", r.ID, prev, owner)
						}
						seen[r.ID] = owner
						if prev, ok := byRecipient[r.RecipientID]; ok && prev != owner {
							t.Errorf("recipient %d split between %s and %s", r.RecipientID, prev, owner)
						}
						byRecipient[r.RecipientID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Len(t, seen, len(rs), "every row claimed exactly once")
	})
}

func TestReminderLoansFacts(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setupReminders(t, db)
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: b.school.UAI})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		pack := storetest.Pack(t, db, nil)
		returnedAt := time.Date(2026, 2, 12, 23, 30, 0, 0, time.UTC) // 13 February in Paris
		live := b.loan(t, storetest.LoanFixture{State: "returned", TrainingDone: true, DirectorSigned: true, ITSigned: true,
			ReturnedAt: &returnedAt, PackID: pack.ID})
		cancelled := b.loan(t, storetest.LoanFixture{State: "cancelled"})
		old := b.loan(t, storetest.LoanFixture{State: "closed", Pickup: calendar.NewDate(2024, 1, 8)})

		jan1, jan31 := calendar.NewDate(2026, 1, 1), calendar.NewDate(2026, 1, 31)
		got, err := db.ReminderLoans(ctx, store.ReminderWindow{PickupFrom: jan1, PickupTo: jan31, ReturnFrom: jan1, ReturnTo: jan31,
			ReturnedFrom: calendar.NewDate(2026, 2, 13)})
		require.NoError(t, err, "reminder loans")
		require.Len(t, got, 1, "only the live loan in the window (not cancelled %d, not old %d)", cancelled, old)
		l := got[0]
		assert.Equal(t, live, l.ID, "id")
		assert.Equal(t, b.teacher.ID, l.TeacherID, "teacher from the request")
		assert.True(t, l.TrainingDone && l.DirectorSigned && l.ITSigned, "training and signatures")
		assert.Equal(t, calendar.NewDate(2026, 2, 13), l.ReturnedOn, "returned on, Paris date")
		none, err := db.ReminderLoans(ctx, store.ReminderWindow{PickupFrom: jan1, PickupTo: jan31, ReturnFrom: jan1, ReturnTo: jan31,
			ReturnedFrom: calendar.NewDate(2026, 2, 14)})
		require.NoError(t, err, "reminder loans")
		assert.Empty(t, none, "returned the day before the window")
		assert.Equal(t, calendar.NewDate(2026, 1, 5), l.PickupDay, "pickup")

		byID, err := db.ReminderLoansByID(ctx, []int64{live, cancelled})
		require.NoError(t, err, "by id")
		assert.True(t, byID[cancelled].Cancelled(), "cancelled loan returned by id")
		assert.Equal(t, []string{pack.Code}, byID[live].Packs, "pack codes")
		assert.Equal(t, b.school.Name, byID[live].SchoolName, "school name, for messages")
		assert.Equal(t, "Tablettes et récits numériques", byID[live].Title, "project title, for messages")
		assert.Equal(t, l.ReturnedOn, byID[live].ReturnedOn, "same facts both ways")

		staff, err := db.ReminderStaff(ctx)
		require.NoError(t, err, "staff")
		assert.Equal(t, []int64{director.ID}, staff.Directors[b.school.UAI], "directors of the school")
		assert.Equal(t, []int64{it.ID}, staff.IT, "IT")
		assert.Equal(t, []int64{b.coord.ID}, staff.Coordinators, "coordinators")
	})
}
