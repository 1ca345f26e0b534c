package scheduler_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// publicOptima are the proven optima of ALLOCATION-SPEC.md §9.
var publicOptima = map[string]int{
	"small": 5394, "medium": 59812, "large": 527490,
	"small-rerun": 5304, "medium-rerun": 59880, "large-rerun": 526832,
}

// skipLarge skips the large instances in -short mode and under the race
// detector (several times slower).
func skipLarge(t *testing.T, name string) {
	t.Helper()
	if name[0] == 'l' && (testing.Short() || raceEnabled) {
		t.Skip("large instance skipped in -short mode and with -race")
	}
}

// benchDir returns the bench folder of the design documents if present:
// $CLASSEMOBILE_BENCH_DIR, else ../../shared/bench.
func benchDir() string {
	if d := os.Getenv("CLASSEMOBILE_BENCH_DIR"); d != "" {
		return d
	}
	d, _ := filepath.Abs(filepath.Join("..", "..", "shared", "bench"))
	if _, err := os.Stat(filepath.Join(d, "evaluate.py")); err == nil {
		return d
	}
	return ""
}

// checkWithPython re-scores a plan with the reference checker evaluate.py
// when python3 and the bench folder are available.
func checkWithPython(t *testing.T, instName string, plan *scheduler.Plan, wantZ int) {
	t.Helper()
	dir := benchDir()
	py, err := exec.LookPath("python3")
	if dir == "" || err != nil {
		t.Log("evaluate.py cross-check skipped: set CLASSEMOBILE_BENCH_DIR and install python3")
		return
	}
	tmp := t.TempDir()
	instPath := filepath.Join(tmp, "instance.json")
	require.NoError(t, os.WriteFile(instPath, readTestdata(t, instName+".json"), 0o644))
	data, err := json.Marshal(plan)
	require.NoError(t, err)
	planPath := filepath.Join(tmp, "plan.json")
	require.NoError(t, os.WriteFile(planPath, data, 0o644))
	out, err := exec.Command(py, filepath.Join(dir, "evaluate.py"), instPath, planPath, "--json").Output()
	require.NoError(t, err, "evaluate.py on the plan of %s: %s", instName, out)
	var ev struct {
		Feasible  bool `json:"feasible"`
		Objective int  `json:"objective"`
	}
	require.NoError(t, json.Unmarshal(out, &ev))
	assert.True(t, ev.Feasible, "evaluate.py feasibility of %s", instName)
	assert.Equal(t, wantZ, ev.Objective, "evaluate.py objective of %s", instName)
}

func TestSolvePublicInstances(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"small", "small-rerun", "medium", "medium-rerun", "large", "large-rerun"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			skipLarge(t, name)
			inst := loadInstance(t, name)
			// The fixed-effort plan: what the README's table measures.
			res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: 60 * time.Second, FixedEffort: true})
			require.NoError(t, err)
			ev, err := scheduler.Evaluate(inst, res.Plan)
			require.NoError(t, err)
			assert.True(t, ev.Feasible, "feasibility of %s: %v", name, ev.Violations)
			assert.Equal(t, ev.Objective, res.Objective, "reported objective of %s", name)
			assert.Equal(t, ev.Terms, res.Terms, "reported terms of %s", name)
			opt := publicOptima[name]
			assert.GreaterOrEqual(t, float64(res.Objective), 0.995*float64(opt), "quality on %s", name)
			assert.GreaterOrEqual(t, res.UpperBound, opt, "upper bound of %s", name)
			assert.Len(t, res.Explanations, len(inst.Projects), "one explanation per project of %s", name)
			checkWithPython(t, name, res.Plan, res.Objective)
		})
	}
}

func TestSolveLockedLoansKept(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"small-rerun", "medium-rerun"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, name)
			res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
			require.NoError(t, err)
			got := map[string]scheduler.Loan{}
			for _, l := range res.Plan.Loans {
				got[l.Project] = l
			}
			n := 0
			for _, l := range inst.PreviousPlan.Loans {
				if !l.Locked {
					continue
				}
				n++
				g, ok := got[l.Project]
				if assert.True(t, ok, "locked loan of %s kept", l.Project) {
					assert.Equal(t, l.StartWeek, g.StartWeek, "start week of locked %s", l.Project)
					assert.Equal(t, l.ExtensionWeeks, g.ExtensionWeeks, "extension of locked %s", l.Project)
				}
			}
			assert.Positive(t, n, "the instance has locked loans")
		})
	}
}

func TestSolveDeterministic(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"small", "medium"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "medium" && raceEnabled {
				t.Skip("medium skipped with -race (slow); small checks the same code")
			}
			inst := loadInstance(t, name)
			opt := scheduler.Options{TimeLimit: 5 * time.Minute, Seed: 7}
			a, err := scheduler.Solve(context.Background(), inst, opt)
			require.NoError(t, err)
			b, err := scheduler.Solve(context.Background(), inst, opt)
			require.NoError(t, err)
			assert.Equal(t, a.Plan, b.Plan, "same plan twice for %s", name)
			assert.Equal(t, a.UpperBound, b.UpperBound, "same bound twice for %s", name)
			assert.Equal(t, a.Explanations, b.Explanations, "same explanations twice for %s", name)
		})
	}
}

func TestSolveProvesOptimumOnRealSize(t *testing.T) {
	t.Parallel()
	var optima map[string]struct {
		Optimum int `json:"optimum"`
	}
	require.NoError(t, json.Unmarshal(readTestdata(t, "gen/optima.json"), &optima))
	names := slices.Sorted(maps.Keys(optima))
	require.GreaterOrEqual(t, len(names), 14, "instances listed in gen/optima.json")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, "gen/"+name)
			res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: 2 * time.Minute})
			require.NoError(t, err)
			assert.Equal(t, optima[name].Optimum, res.Objective, "objective of %s", name)
			assert.True(t, res.ProvedOptimal, "optimality of %s proved (bound %d)", name, res.UpperBound)
			assert.Equal(t, "optimal", res.Stats.StoppedBy)
		})
	}
}

func TestSolveTimeLimit(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "medium")
	start := time.Now()
	res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: 20 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "time limit respected")
	ev, err := scheduler.Evaluate(inst, res.Plan)
	require.NoError(t, err)
	assert.True(t, ev.Feasible, "plan found within the time limit is feasible")
}

func TestSolveCancelled(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "medium-rerun")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	res, err := scheduler.Solve(ctx, inst, scheduler.Options{})
	require.NoError(t, err, "a cancelled solve returns its best plan")
	assert.Less(t, time.Since(start), 2*time.Second, "cancelled solve returns promptly")
	assert.Equal(t, "cancelled", res.Stats.StoppedBy)
	ev, err := scheduler.Evaluate(inst, res.Plan)
	require.NoError(t, err)
	assert.True(t, ev.Feasible, "plan of a cancelled solve is feasible: %v", ev.Violations)
	assert.Positive(t, ev.Stats.Served, "the greedy plan serves projects")
}

func TestSolveFakeClock(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	// A clock that jumps an hour at each reading: the time limit expires
	// at once, and the solve still returns a feasible plan.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Hour); return now }
	res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: time.Minute, NowFunc: clock})
	require.NoError(t, err)
	assert.Equal(t, "time-limit", res.Stats.StoppedBy)
	ev, err := scheduler.Evaluate(inst, res.Plan)
	require.NoError(t, err)
	assert.True(t, ev.Feasible)
}
