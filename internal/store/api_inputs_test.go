package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// invalidFields asserts err is the one invalid-input error and returns the
// fields it names.
func invalidFields(t *testing.T, err error) map[string]string {
	t.Helper()
	re, ok := store.AsRule(err)
	require.True(t, ok, "a rule error: %v", err)
	assert.Equal(t, store.RuleInvalid, re.Kind)
	assert.Equal(t, store.InvalidCode, re.Code, "one code for invalid input")
	return re.FieldMessages
}

// The input rules of the request workflow, the request and reminder
// filters, the training record and the exports' school year are checked
// by the store's methods, whoever calls them.
func TestStoreChecksActionInput(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestSubmitted})
		dir, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: q.SchoolUAI})
		a := store.Actor{UserID: dir.ID}

		_, err := db.RefuseRequest(ctx, a, q.ID, q.Version, "motif\x00caché")
		assert.Contains(t, invalidFields(t, err), "reason", "a NUL in the reason")
		_, err = db.RefuseRequest(ctx, a, q.ID, q.Version, "   ")
		assert.Contains(t, invalidFields(t, err), "reason", "an empty reason")
		_, err = db.WithdrawRequest(ctx, store.Actor{UserID: q.TeacherID}, q.ID, q.Version, string(make([]byte, store.MaxTextLen+1)))
		assert.Contains(t, invalidFields(t, err), "reason", "a reason too long")
		_, err = db.AuthorizeRequest(ctx, a, q.ID, -1)
		assert.Contains(t, invalidFields(t, err), "version", "a negative version")
		_, err = db.DecideRequestOverride(ctx, store.Actor{}, q.ID, 0, store.RequestValidated, "", "sans\x00avis")
		assert.Contains(t, invalidFields(t, err), "override_reason")
		got, err := db.Request(ctx, q.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestSubmitted, got.State, "nothing changed")

		_, err = db.ListRequests(ctx, store.RequestFilter{State: "perdue"})
		assert.Contains(t, invalidFields(t, err), "state", "an unknown state is refused, not an empty list")
		_, err = db.ListRequests(ctx, store.RequestFilter{SchoolYear: "2026-2027-2028"})
		assert.Contains(t, invalidFields(t, err), "school_year")

		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = db.RecordTraining(ctx, it, q.ID, store.TrainingInput{PlannedOn: calendar.MustParseDate("2026-10-01"), By: "Mme\x00X"}, calendar.MustParseDate("2026-09-20"))
		assert.Contains(t, invalidFields(t, err), "by")

		_, err = db.ListAssessments(ctx, "2026")
		assert.Contains(t, invalidFields(t, err), "school_year")
		_, err = db.Synthesis(ctx, "2026-2028")
		assert.Contains(t, invalidFields(t, err), "school_year")

		for _, f := range []store.ReminderFilter{{Status: "lu"}, {LoanID: -3}, {AfterID: -1}, {Limit: store.MaxReminderPage + 1}} {
			_, err = db.ListRemindersPage(ctx, f)
			assert.Len(t, invalidFields(t, err), 1, "%+v", f)
		}
		rs, err := db.ListRemindersPage(ctx, store.ReminderFilter{})
		require.NoError(t, err)
		assert.NotNil(t, rs)

		_, err = db.PublishRoundConfirmed(ctx, store.Actor{}, 1, make([]int64, store.MaxConfirmedCancellations+1))
		assert.Contains(t, invalidFields(t, err), "confirm_cancellations")
	})
}

// What a page offers on a request is decided by the store from the
// person's roles and the request's state.
func TestActionsOn(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestSubmitted})
		teacher, err := db.User(context.Background(), q.TeacherID)
		require.NoError(t, err)
		dir, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: q.SchoolUAI})
		other, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: storetest.School(t, db, nil).UAI})
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})

		assert.Equal(t, store.RequestActions{Withdraw: true}, teacher.ActionsOn(q), "the teacher of a submitted request")
		assert.Equal(t, store.RequestActions{Authorize: true}, dir.ActionsOn(q), "its school's director")
		assert.False(t, other.ActionsOn(q).Authorize, "another school's director")
		assert.Equal(t, store.RequestActions{Authorize: true, Packs: true, Withdraw: true}, coord.ActionsOn(q))
		assert.Equal(t, store.RequestActions{}, insp.ActionsOn(q), "no opinion before the authorisation")

		q.State = store.RequestInReview
		assert.Equal(t, store.RequestActions{Opinion: true, OpinionRole: store.RoleInspection, Decide: true}, insp.ActionsOn(q), "the action table lets the inspection decide")
		assert.True(t, coord.ActionsOn(q).Decide)

		q.State = store.RequestDraft
		assert.True(t, teacher.ActionsOn(q).Edit)
		assert.NoError(t, teacher.CheckDraftEdit(q))
		assert.Error(t, dir.CheckDraftEdit(q), "not their draft")
		q.State = store.RequestSubmitted
		re, ok := store.AsRule(teacher.CheckDraftEdit(q))
		require.True(t, ok)
		assert.Equal(t, store.RuleConflict, re.Kind, "sent: no longer a draft")

		assert.True(t, teacher.OwnRequestsOnly())
		assert.False(t, dir.OwnRequestsOnly())
		assert.Equal(t, q.SchoolUAI, dir.DirectorSchool())
		assert.Equal(t, []store.Role{store.RoleDirector}, dir.HeldRoles())
	})
}
