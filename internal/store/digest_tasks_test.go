package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestDigestTasksPerRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		submitted := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: store.RequestSubmitted})
		// DriveRequest makes a director (and referents) per request it drives.
		inReview := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: store.RequestInReview, InspectionOnly: true})
		rejected := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: store.RequestRejected})
		storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: store.RequestWithdrawn})
		storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, TeacherID: teacher.ID}) // draft
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleEducation})

		tasks, err := db.DigestTasks(ctx, store.DigestTaskFilter{DecidedSince: time.Now().Add(-time.Hour)})
		require.NoError(t, err)
		type key struct {
			kind    store.DigestTaskKind
			role    store.Role
			request int64
		}
		got := map[key]int{}
		for _, tk := range tasks {
			got[key{tk.Kind, tk.Role, tk.RequestID}]++
		}
		directors, err := db.ListUsers(ctx, store.RoleDirector, school.UAI)
		require.NoError(t, err)
		n := len(directors)
		// Driving the rejected request made referents too: every IT and
		// education referent owes an opinion on the request in review.
		its, err := db.ListUsers(ctx, store.RoleIT, "")
		require.NoError(t, err)
		edus, err := db.ListUsers(ctx, store.RoleEducation, "")
		require.NoError(t, err)
		assert.Equal(t, map[key]int{
			{store.DigestAuthorise, store.RoleDirector, submitted.ID}: n,
			// In review with the inspection's opinion: the IT and
			// education referents still owe theirs.
			{store.DigestOpinion, store.RoleIT, inReview.ID}:        len(its),
			{store.DigestOpinion, store.RoleEducation, inReview.ID}: len(edus),
			{store.DigestDecided, store.RoleTeacher, rejected.ID}:   1,
			{store.DigestDecided, store.RoleDirector, rejected.ID}:  n,
		}, got)
		for _, tk := range tasks {
			if tk.Kind == store.DigestDecided {
				assert.Equal(t, "Projet trop peu détaillé.", tk.DecisionReason)
			}
		}

		// One person's tasks, and no decisions without DecidedSince.
		mine, err := db.DigestTasks(ctx, store.DigestTaskFilter{RecipientIDs: []int64{teacher.ID}})
		require.NoError(t, err)
		assert.Empty(t, mine, "a teacher has nothing to do but read decisions")
		mine, err = db.DigestTasks(ctx, store.DigestTaskFilter{RecipientIDs: []int64{directors[0].ID}})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, store.DigestAuthorise, mine[0].Kind)
		assert.Equal(t, school.Name, mine[0].SchoolName)

		// A disabled director is told nothing.
		for _, d := range directors {
			_, err := db.DisableUser(ctx, store.Actor{}, d.ID)
			require.NoError(t, err)
		}
		tasks, err = db.DigestTasks(ctx, store.DigestTaskFilter{})
		require.NoError(t, err)
		for _, tk := range tasks {
			assert.NotEqual(t, store.RoleDirector, tk.Role)
		}
	})
}
