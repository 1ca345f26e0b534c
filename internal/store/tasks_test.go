package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// kinds returns the task kinds of u by request id.
func kinds(t *testing.T, db *store.DB, u store.User) map[int64]store.TaskKind {
	t.Helper()
	tasks, total, err := db.Tasks(context.Background(), u, storetest.RequestYear)
	require.NoError(t, err)
	assert.Equal(t, len(tasks), total)
	out := map[int64]store.TaskKind{}
	for _, tk := range tasks {
		out[tk.Request.ID] = tk.Kind
	}
	return out
}

func TestTasksPerRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := storetest.School(t, db, nil)
		other := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})

		draft := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: teacher.ID})
		submitted := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: teacher.ID, State: store.RequestSubmitted})
		elsewhere := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: other.UAI, State: store.RequestSubmitted})
		authorised := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: teacher.ID, State: store.RequestAuthorised})
		inReview := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: teacher.ID, State: store.RequestInReview, InspectionOnly: true})
		allOpinions := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: teacher.ID, State: store.RequestInReview})
		for _, u := range []store.User{it} {
			role, _ := u.ReferentRole()
			_, err := db.SetRequestOpinion(ctx, store.Actor{UserID: u.ID}, allOpinions.ID, 0, store.Opinion{Role: role, Verdict: store.OpinionFavourable})
			require.NoError(t, err)
		}
		edu, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleEducation})
		_, err := db.SetRequestOpinion(ctx, store.Actor{UserID: edu.ID}, allOpinions.ID, 0, store.Opinion{Role: store.RoleEducation, Verdict: store.OpinionReserved})
		require.NoError(t, err)

		assert.Equal(t, map[int64]store.TaskKind{draft.ID: store.TaskFinishDraft}, kinds(t, db, teacher))
		assert.Equal(t, map[int64]store.TaskKind{submitted.ID: store.TaskAuthorise}, kinds(t, db, director), "their school only")
		assert.Equal(t, map[int64]store.TaskKind{authorised.ID: store.TaskGiveOpinion}, kinds(t, db, insp),
			"the inspection gave its opinion on the requests in review (storetest drives them there with it)")
		assert.Equal(t, map[int64]store.TaskKind{authorised.ID: store.TaskGiveOpinion, inReview.ID: store.TaskGiveOpinion}, kinds(t, db, it),
			"IT gave its opinion on one only")
		assert.Equal(t, map[int64]store.TaskKind{allOpinions.ID: store.TaskDecide}, kinds(t, db, coord))
		_ = elsewhere

		// A director who also teaches: their own request is authorised by
		// the coordinator, not by themselves; their draft is theirs to finish.
		both, err := db.AddUserRole(ctx, store.Actor{}, director.ID, store.UserRole{Role: store.RoleTeacher, SchoolUAI: s.UAI})
		require.NoError(t, err)
		own := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: both.ID, State: store.RequestSubmitted})
		ownDraft := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: both.ID})
		got := kinds(t, db, both)
		assert.Equal(t, store.TaskAuthorise, got[submitted.ID])
		assert.Equal(t, store.TaskFinishDraft, got[ownDraft.ID])
		assert.NotContains(t, got, own.ID, "not their own request")
		assert.Equal(t, store.TaskAuthorise, kinds(t, db, coord)[own.ID], "the coordinator authorises a director's own request")
	})
}

func TestPeriodDemand(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		storetest.Request(t, db, &storetest.RequestOpts{PreferredPeriods: []string{"P2", "P4"}, State: store.RequestSubmitted})
		storetest.Request(t, db, &storetest.RequestOpts{PreferredPeriods: []string{"P2"}, State: store.RequestValidated})
		storetest.Request(t, db, &storetest.RequestOpts{PreferredPeriods: []string{"P2"}}) // a draft does not count
		storetest.Request(t, db, &storetest.RequestOpts{PreferredPeriods: []string{"P4"}, State: store.RequestRejected})
		got, err := db.PeriodDemand(context.Background(), storetest.RequestYear)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"P2": 2, "P4": 1}, got)
	})
}

func TestActionInputsCheckedInStore(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestSubmitted})
		_, err := db.RefuseRequest(ctx, store.Actor{}, q.ID, 0, "  ")
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, store.RuleInvalid, re.Kind)
		assert.Equal(t, "reason", re.Field)
		_, err = db.OverrideRequestPacks(ctx, store.Actor{}, q.ID, 0, 4, "x")
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "packs", re.Field)
		_, err = db.OverrideRequestPacks(ctx, store.Actor{}, q.ID, 0, 2, "")
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "reason", re.Field)
		r := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestInReview})
		_, err = db.SetRequestOpinion(ctx, store.Actor{}, r.ID, 0, store.Opinion{Role: store.RoleIT, Verdict: "bof"})
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "verdict", re.Field)
		_, err = db.DecideRequest(ctx, store.Actor{}, r.ID, 0, store.RequestRejected, "")
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, "reason", re.Field)
		got, err := db.Request(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestInReview, got.State, "nothing changed")
	})
}
