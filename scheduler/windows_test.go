package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackUnavailabilityValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		give     scheduler.PackUnavailability
		wantElem string
		wantMsg  string
	}{
		{"pack zero", scheduler.PackUnavailability{Pack: 0, FromDay: 7, ToDay: 14}, "pack_unavailability[1]", "pack is 0, want a pack number in 1..6"},
		{"pack beyond P", scheduler.PackUnavailability{Pack: 7, FromDay: 7, ToDay: 14}, "pack_unavailability[1]", "pack is 7, want a pack number in 1..6"},
		{"empty interval", scheduler.PackUnavailability{Pack: 2, FromDay: 14, ToDay: 14}, "pack_unavailability[1]", "to_day 14 is not after from_day 14"},
		{"reversed", scheduler.PackUnavailability{Pack: 2, FromDay: 20, ToDay: 10}, "pack_unavailability[1]", "to_day 10 is not after from_day 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, "small")
			inst.PackUnavailability = []scheduler.PackUnavailability{{Pack: 1, FromDay: 0, ToDay: 7}, tt.give}
			err := inst.Validate()
			var ve *scheduler.ValidationError
			require.True(t, errors.As(err, &ve), "validation error, got %v", err)
			require.Len(t, ve.Problems, 1, "one problem: %v", err)
			assert.Equal(t, tt.wantElem, ve.Problems[0].Element)
			assert.Contains(t, ve.Problems[0].Message, tt.wantMsg)
		})
	}
}

func TestPackUnavailabilityLockedLoan(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small-rerun")
	var locked *scheduler.PreviousLoan
	for i, l := range inst.PreviousPlan.Loans {
		if l.Locked {
			locked = &inst.PreviousPlan.Loans[i]
			break
		}
	}
	require.NotNil(t, locked, "small-rerun has a locked loan")
	day := inst.Calendar.Weeks[locked.StartWeek].Day
	inst.PackUnavailability = []scheduler.PackUnavailability{{Pack: locked.Packs[0], FromDay: day + 2, ToDay: day + 3}}
	err := inst.Validate()
	var ve *scheduler.ValidationError
	require.True(t, errors.As(err, &ve), "a window under a locked loan is refused, got %v", err)
	assert.Contains(t, ve.Problems[0].Message, "meets pack_unavailability[0]")
}

func TestEvaluateRejectsLoanInWindow(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	// One loan of small-highs alone (other loans share its pack).
	l := loadPlan(t, "small-highs").Loans[0]
	plan := &scheduler.Plan{Format: scheduler.PlanFormat, Loans: []scheduler.Loan{l}}
	start := inst.Calendar.Weeks[l.StartWeek].Day
	ev, err := scheduler.Evaluate(inst, plan)
	require.NoError(t, err)
	require.True(t, ev.Feasible, "one loan is feasible without windows")

	// The day after the turnaround ends is free; the last busy day is not.
	last := l.StartWeek + inst.Params.LoanWeeks + l.ExtensionWeeks - 1
	free := inst.Calendar.Weeks[last].Day + 4 + inst.Params.TurnaroundDays
	inst.PackUnavailability = []scheduler.PackUnavailability{{Pack: l.Packs[0], FromDay: free, ToDay: free + 10},
		{Pack: l.Packs[0], FromDay: start - 10, ToDay: start}}
	ev, err = scheduler.Evaluate(inst, plan)
	require.NoError(t, err)
	assert.True(t, ev.Feasible, "windows just outside the busy interval: %v", ev.Violations)

	inst.PackUnavailability = []scheduler.PackUnavailability{{Pack: l.Packs[0], FromDay: free - 1, ToDay: free + 10}}
	ev, err = scheduler.Evaluate(inst, plan)
	require.NoError(t, err)
	assert.False(t, ev.Feasible)
	require.Len(t, ev.Violations, 1)
	assert.Equal(t, scheduler.RulePackUnavailable, ev.Violations[0].Rule)
	assert.Equal(t, l.Project, ev.Violations[0].Project)
	assert.Equal(t, l.Packs[0], ev.Violations[0].Pack)
}

// precolourInstance has W consecutive school weeks in one period, 4-week
// loans, no turnaround and 3 packs: pack 1 is down in weeks 0-3, pack 2 in
// weeks 4-7, and pack 3 carries B's locked loan in weeks 0-3. Project A
// (from week 1) fits the weekly count at weeks 1-3 — some legal loan
// covering each of those weeks (B's) ends before pack 1 is back, so the
// relaxation cannot leave pack 1 out there — but no pack is free for a
// loan over weeks 1-4, 2-5 or 3-6: precoloured interval colouring.
func precolourInstance(weeks int) *scheduler.Instance {
	cal := scheduler.Calendar{Day0: "2025-09-01", Periods: []scheduler.Period{{ID: "Q"}}}
	for w := range weeks {
		cal.Weeks = append(cal.Weeks, scheduler.Week{Index: w, Day: 7 * w, Period: "Q", Monday: fmt.Sprintf("day %d", 7*w)})
	}
	return &scheduler.Instance{Format: scheduler.InstanceFormat, Name: "precolour", Calendar: cal,
		Params: scheduler.Params{Packs: 3, LoanWeeks: 4, TurnaroundDays: 0, TodayWeek: 1, MaxParticipationYear: 2,
			SchoolPeriodFree: 1, SchoolYearFree: 2, Weights: scheduler.DefaultWeights()},
		Sectors: []scheduler.Sector{{ID: "S1", PeriodCap: 4}},
		Schools: []scheduler.School{{ID: "E1", Sector: "S1"}, {ID: "E2", Sector: "S1"}},
		Projects: []scheduler.Project{{ID: "A", School: "E1", Packs: 1, Year: 1},
			{ID: "B", School: "E2", Packs: 1, Year: 1}},
		PreviousPlan: &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{
			{Project: "B", StartWeek: 0, Packs: []int{3}, Locked: true}}},
		PackUnavailability: []scheduler.PackUnavailability{
			{Pack: 1, FromDay: 0, ToDay: 28}, {Pack: 2, FromDay: 28, ToDay: 56}},
	}
}

// briefInstance: 10 consecutive weeks, periods Q0 (weeks 0-1), Q1 (2-5)
// and Q2 (6-9), 2 packs, pack 1 down in weeks 0-3 and pack 2 in weeks
// 4-7; A prefers Q1, where its only loan (weeks 2-5) meets both windows.
func briefInstance() *scheduler.Instance {
	inst := precolourInstance(10)
	inst.Calendar.Periods = []scheduler.Period{{ID: "Q0"}, {ID: "Q1"}, {ID: "Q2"}}
	for w := range inst.Calendar.Weeks {
		inst.Calendar.Weeks[w].Period = []string{"Q0", "Q1", "Q2"}[min(2, max(0, (w+2)/4))]
	}
	inst.Params.Packs, inst.Params.TodayWeek = 2, 0
	inst.Projects = inst.Projects[:1]
	inst.Projects[0].PreferredPeriods = []string{"Q1"}
	inst.PreviousPlan = nil
	return inst
}

func TestSolvePrecolouredNumbering(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, inst *scheduler.Instance, res *scheduler.Result) {
		t.Helper()
		ev, err := scheduler.Evaluate(inst, res.Plan)
		require.NoError(t, err)
		assert.True(t, ev.Feasible, "%v", ev.Violations)
		assert.Equal(t, ev.Objective, res.Objective)
		assert.GreaterOrEqual(t, res.UpperBound, res.Objective)
	}
	t.Run("repaired: moved to a later start", func(t *testing.T) {
		t.Parallel()
		inst := precolourInstance(10)
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		check(t, inst, res)
		require.Len(t, res.Plan.Loans, 2)
		a := res.Plan.Loans[0]
		assert.Equal(t, "A", a.Project)
		assert.GreaterOrEqual(t, a.StartWeek, 4, "weeks 1-3 have no free pack")
		assert.False(t, res.ProvedOptimal, "the engine's first plan (A at the first start, week 1) was repaired")
		assert.Equal(t, []int{3}, res.Plan.Loans[1].Packs, "the locked loan keeps its pack")
	})
	t.Run("repaired: no start left", func(t *testing.T) {
		t.Parallel()
		inst := precolourInstance(7) // A may start in weeks 1-3 only
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		check(t, inst, res)
		require.Len(t, res.Plan.Loans, 1, "only the locked loan")
		assert.Equal(t, "B", res.Plan.Loans[0].Project)
		assert.False(t, res.ProvedOptimal, "a repaired plan is not proved optimal")
	})
	t.Run("the brief's case is caught by the weekly capacity", func(t *testing.T) {
		t.Parallel()
		inst := briefInstance()
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		check(t, inst, res)
		require.Len(t, res.Plan.Loans, 1)
		assert.Equal(t, 6, res.Plan.Loans[0].StartWeek, "every loan covering weeks 2-5 meets a window: Q2")
		assert.Equal(t, []int{1}, res.Plan.Loans[0].Packs)
		assert.True(t, res.ProvedOptimal, "no repair, the bound holds")
	})
}

// TestSolveRespectsWindows solves public instances with random windows and
// checks every plan with Evaluate (which knows the windows).
func TestSolveRespectsWindows(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"small", "small-rerun", "medium"} {
		for seed := range uint64(6) {
			t.Run(fmt.Sprintf("%s/%d", name, seed), func(t *testing.T) {
				t.Parallel()
				if testing.Short() && name == "medium" {
					t.Skip("short")
				}
				inst := loadInstance(t, name)
				rng := rand.New(rand.NewPCG(seed, 7))
				weeks := inst.Calendar.Weeks
				n := 1 + rng.IntN(max(2, inst.Params.Packs/2))
				for range n {
					from := weeks[inst.Params.TodayWeek+rng.IntN(len(weeks)-inst.Params.TodayWeek)].Day
					if seed%2 == 1 {
						from += rng.IntN(7) // not aligned on Mondays
					}
					inst.PackUnavailability = append(inst.PackUnavailability, scheduler.PackUnavailability{
						Pack: 1 + rng.IntN(inst.Params.Packs), FromDay: from, ToDay: from + 1 + rng.IntN(40)})
				}
				if err := inst.Validate(); err != nil {
					t.Skipf("windows under locked loans: %v", err)
				}
				res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{Effort: 0.3, ExactMaxProjects: 60})
				require.NoError(t, err)
				ev, err := scheduler.Evaluate(inst, res.Plan)
				require.NoError(t, err)
				assert.True(t, ev.Feasible, "plan feasible with windows %v: %v", inst.PackUnavailability, ev.Violations)
				assert.Equal(t, ev.Objective, res.Objective, "objective")
				assert.GreaterOrEqual(t, res.UpperBound, res.Objective, "bound")
				if res.ProvedOptimal {
					assert.Equal(t, res.UpperBound, res.Objective)
				}
			})
		}
	}
}

func TestPlanCapacityWithWindows(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	inst.Params.Packs = 30
	inst.PackUnavailability = []scheduler.PackUnavailability{{Pack: 30, FromDay: 126, ToDay: 175}}
	rep, err := scheduler.PlanCapacity(context.Background(), inst, scheduler.CapacityOptions{})
	require.NoError(t, err, "fewer packs than the window's pack are tried")
	assert.Greater(t, rep.Served, 0)
	assert.Greater(t, rep.PacksToServeAll, 0)
	assert.Less(t, rep.PacksToServeAll, 30)
}
