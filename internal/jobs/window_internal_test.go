package jobs

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestWindowLosesNothing checks that the loans the nightly computation
// reads (ReminderLoans with the runner's window) give the same reminders
// as reading every loan, night after night over a school year.
func TestWindowLosesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		school := storetest.School(t, db, nil)
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		start := calendar.NewDate(2025, 9, 1)
		rng := rand.New(rand.NewPCG(7, 7))
		states := []store.LoanState{"reserved", "signed", "picked_up", "returned", "closed", "cancelled"}
		var fs []storetest.LoanFixture
		for range 400 {
			pickup := start.AddDays(rng.IntN(300))
			fs = append(fs, storetest.LoanFixture{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: states[rng.IntN(len(states))],
				Pickup: pickup, Return: pickup.AddDays(25 + rng.IntN(50)), SchoolYear: "2025-2026",
				TrainingDone: rng.IntN(2) == 0, DirectorSigned: rng.IntN(2) == 0, ITSigned: rng.IntN(2) == 0})
		}
		storetest.ReminderLoans(t, db, storetest.LoanEnv{CoordinatorID: coord.ID}, fs)
		far := func(n int) calendar.Date { return start.AddDays(n) }
		all, err := db.ReminderLoans(ctx, store.ReminderWindow{PickupFrom: far(-1000), PickupTo: far(1000),
			ReturnFrom: far(-1000), ReturnTo: far(1000), ReturnedFrom: far(-1000)})
		require.NoError(t, err, "every loan")
		staff, err := db.ReminderStaff(ctx)
		require.NoError(t, err, "staff")
		r, err := NewRunner(RunnerOptions{DB: db})
		require.NoError(t, err, "runner")
		total := 0
		for night := start; night.Before(start.AddDays(360)); night = night.AddDays(1) {
			got, err := r.Compute(ctx, night)
			require.NoError(t, err, "compute %s", night)
			want := r.due(ctx, all, staff, night)
			total += len(want)
			if !assert.ElementsMatch(t, want, got, "reminders of %s", night) {
				return
			}
		}
		assert.Greater(t, total, 1000, "the nights had reminders to compare")
	})
}
