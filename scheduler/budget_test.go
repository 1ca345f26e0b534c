package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/scheduler"
)

// On medium the fixed effort stops short of the optimum (59757 of 59812);
// with the whole time budget the search goes on, proves the optimum and
// returns at once, with the same plan every time; progress reports never
// lose ground and end on the result.
func TestSolveWholeBudgetProves(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("medium skipped with -race (slow)")
	}
	inst := loadInstance(t, "medium")
	ctx := context.Background()
	fixed, err := scheduler.Solve(ctx, inst, scheduler.Options{TimeLimit: time.Minute, FixedEffort: true})
	require.NoError(t, err)
	assert.Equal(t, "effort", fixed.Stats.StoppedBy, "the fixed effort ends without a proof on medium")
	assert.Less(t, fixed.Objective, publicOptima["medium"], "the fixed-effort plan is below the optimum")

	var seen []scheduler.Progress
	opt := scheduler.Options{TimeLimit: time.Minute, Progress: func(p scheduler.Progress) { seen = append(seen, p) }}
	a, err := scheduler.Solve(ctx, inst, opt)
	require.NoError(t, err)
	assert.Equal(t, "optimal", a.Stats.StoppedBy)
	assert.True(t, a.ProvedOptimal)
	assert.Equal(t, publicOptima["medium"], a.Objective, "the optimum")
	assert.Zero(t, a.Gap)
	assert.Equal(t, fixed.Objective, a.Stats.FirstObjective, "the first plan is the fixed-effort plan")
	require.NotEmpty(t, seen, "progress reported")
	for i := 1; i < len(seen); i++ {
		assert.GreaterOrEqual(t, seen[i].Objective, seen[i-1].Objective, "plan value never decreases (report %d)", i)
		assert.GreaterOrEqual(t, seen[i].UpperBound, seen[i].Objective, "bound above the plan (report %d)", i)
	}
	last := seen[len(seen)-1]
	assert.Equal(t, a.Objective, last.Objective, "last report is the result")
	assert.Equal(t, a.UpperBound, last.UpperBound, "last report is the result")

	b, err := scheduler.Solve(ctx, inst, scheduler.Options{TimeLimit: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, a.Plan, b.Plan, "a search ended by a proof gives the same plan")
}

// Where no proof comes, the search runs to the time limit and says so,
// with a valid bound and a plan no worse than the fixed-effort one. The
// clock stands still until the fixed effort ends (its "lns" progress
// report), then jumps past the limit.
func TestSolveWholeBudgetTimeLimit(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("large-rerun skipped with -race (slow)")
	}
	skipLarge(t, "large-rerun")
	inst := loadInstance(t, "large-rerun")
	ctx := context.Background()
	fixed, err := scheduler.Solve(ctx, inst, scheduler.Options{TimeLimit: time.Hour, FixedEffort: true})
	require.NoError(t, err)
	require.False(t, fixed.ProvedOptimal, "large-rerun is not proved by the fixed effort")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	res, err := scheduler.Solve(ctx, inst, scheduler.Options{TimeLimit: time.Minute, NowFunc: clock,
		Progress: func(p scheduler.Progress) {
			if p.Phase == "lns" {
				now = start.Add(2 * time.Minute)
			}
		}})
	require.NoError(t, err)
	assert.Equal(t, "time-limit", res.Stats.StoppedBy)
	assert.Equal(t, fixed.Objective, res.Stats.FirstObjective, "the first plan is the fixed-effort plan")
	assert.GreaterOrEqual(t, res.Objective, fixed.Objective, "the whole budget never loses to the fixed effort")
	assert.GreaterOrEqual(t, res.UpperBound, publicOptima["large-rerun"], "the bound stays valid")
	assert.InDelta(t, float64(res.UpperBound-res.Objective)/float64(res.UpperBound), res.Gap, 1e-12)
	ev, err := scheduler.Evaluate(inst, res.Plan)
	require.NoError(t, err)
	assert.True(t, ev.Feasible)
	assert.Equal(t, res.Objective, ev.Objective)
}
