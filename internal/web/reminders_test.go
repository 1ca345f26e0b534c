package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestRemindersAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := newTestServer(t, db)
		school := storetest.School(t, db, nil)
		teacher, teacherToken := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		coord, coordToken := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		_, itToken := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		loan := storetest.ReminderLoan(t, db, storetest.LoanEnv{CoordinatorID: coord.ID},
			storetest.LoanFixture{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: "picked_up", TrainingDone: true})
		due := calendar.NewDate(2026, 2, 9)
		_, err := db.InsertReminders(ctx, []store.Reminder{
			{LoanID: loan, Kind: store.ReminderReturn, DueDate: due, RecipientRole: store.RoleTeacher, RecipientID: teacher.ID},
			{LoanID: loan, Kind: store.ReminderReturn, DueDate: due.AddDays(6), RecipientRole: store.RoleTeacher, RecipientID: teacher.ID},
		})
		require.NoError(t, err, "insert reminders")
		now := time.Date(2026, 2, 9, 1, 0, 0, 0, time.UTC)
		claimed, err := db.ClaimReminders(ctx, "test", now, now.Add(time.Minute), 10)
		require.NoError(t, err, "claim")
		require.Len(t, claimed, 2, "claimed")
		_, err = db.MarkRemindersAttemptFailed(ctx, "test", []int64{claimed[0].ID}, "451 boîte pleine", now, now, 1)
		require.NoError(t, err, "fail the first")
		require.NoError(t, db.ReleaseReminders(ctx, "test", []int64{claimed[1].ID}), "release the second")
		failedID, pendingID := claimed[0].ID, claimed[1].ID

		res := call(t, ts, "GET", "/api/v1/reminders", teacherToken, nil)
		assert.Equal(t, 403, res.Status, "teachers may not list reminders")
		res = call(t, ts, "GET", "/api/v1/reminders", itToken, nil)
		assert.Equal(t, 403, res.Status, "IT may not list reminders")
		res = call(t, ts, "GET", "/api/v1/reminders", "", nil)
		assert.Equal(t, 401, res.Status, "anonymous")

		res = call(t, ts, "GET", fmt.Sprintf("/api/v1/reminders?loan=%d", loan), coordToken, nil)
		require.Equal(t, 200, res.Status, "list: %s", res.Body)
		list, _ := res.JSON["reminders"].([]any)
		require.Len(t, list, 2, "two reminders of the loan")
		first, _ := list[0].(map[string]any)
		assert.Equal(t, "failed", first["status"], "status visible")
		assert.Equal(t, float64(1), first["attempts"], "attempts visible")
		assert.Equal(t, "451 boîte pleine", first["last_error"], "last error visible")
		assert.Equal(t, "2026-02-09", first["due_date"], "civil date")
		assert.Equal(t, teacher.Email, first["recipient_email"], "recipient's address")
		assert.Equal(t, teacher.Name, first["recipient_name"], "recipient's name")

		res = call(t, ts, "GET", "/api/v1/reminders?status=failed", coordToken, nil)
		require.Equal(t, 200, res.Status, "list failed")
		list, _ = res.JSON["reminders"].([]any)
		assert.Len(t, list, 1, "status filter")
		res = call(t, ts, "GET", "/api/v1/reminders?loan=999999", coordToken, nil)
		require.Equal(t, 200, res.Status, "unknown loan")
		list, _ = res.JSON["reminders"].([]any)
		assert.NotNil(t, list, "empty list, not null")
		assert.Empty(t, list, "no reminder")

		for _, tt := range []struct {
			name       string
			giveQuery  string
			wantStatus int
			wantField  string
		}{
			{name: "bad status", giveQuery: "status=done", wantStatus: 422, wantField: "status"},
			{name: "bad loan", giveQuery: "loan=abc", wantStatus: 400, wantField: "loan"},
			{name: "negative loan", giveQuery: "loan=-3", wantStatus: 422, wantField: "loan"},
			{name: "limit too big", giveQuery: "limit=5000", wantStatus: 422, wantField: "limit"},
			{name: "limit zero", giveQuery: "limit=-1", wantStatus: 422, wantField: "limit"},
		} {
			res := call(t, ts, "GET", "/api/v1/reminders?"+tt.giveQuery, coordToken, nil)
			assert.Equal(t, tt.wantStatus, res.Status, "%s: status", tt.name)
			assert.Contains(t, res.ErrorFields(), tt.wantField, "%s: field", tt.name)
		}

		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/reminders/%d/retry", failedID), teacherToken, nil)
		assert.Equal(t, 403, res.Status, "teachers may not retry")
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/reminders/%d/retry", pendingID), coordToken, nil)
		assert.Equal(t, 409, res.Status, "a pending reminder cannot be retried")
		assert.Equal(t, "reminder_not_failed", res.ErrorCode(), "error code")
		res = call(t, ts, "POST", "/api/v1/reminders/999999/retry", coordToken, nil)
		assert.Equal(t, 404, res.Status, "unknown reminder")
		res = call(t, ts, "POST", "/api/v1/reminders/abc/retry", coordToken, nil)
		assert.Equal(t, 404, res.Status, "malformed id")
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/reminders/%d/retry", failedID), coordToken, nil)
		require.Equal(t, 200, res.Status, "retry: %s", res.Body)
		assert.Equal(t, "pending", res.JSON["status"], "pending again")
		assert.Equal(t, float64(0), res.JSON["attempts"], "attempts reset")
	})
}
