package scheduler_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedDir is a measuring harness, skipped unless
// CLASSEMOBILE_GEN_DIR names a folder of instances made by
// bench/gen_instance.py, each NAME.json next to the NAME.cbc.json written
// by `milp_solve.py --result-out`. It solves each instance and logs Z, the
// optimum, the ratio, the bound and the time next to CBC's
// (go test -run TestGeneratedDir -v ./scheduler/). CLASSEMOBILE_GEN_FILTER
// keeps the names containing it; CLASSEMOBILE_GEN_RUNS=N solves each
// instance N times and logs the median time (Stats.Elapsed: model build
// and solve, as printed by `classemobile plan solve`).
func TestGeneratedDir(t *testing.T) {
	dir := os.Getenv("CLASSEMOBILE_GEN_DIR")
	if dir == "" {
		t.Skip("set CLASSEMOBILE_GEN_DIR to measure the solver on generated instances")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.cbc.json"))
	require.NoError(t, err)
	for _, rf := range files {
		name := strings.TrimSuffix(filepath.Base(rf), ".cbc.json")
		if f := os.Getenv("CLASSEMOBILE_GEN_FILTER"); f != "" && !strings.Contains(name, f) {
			continue
		}
		var cbc struct {
			Objective float64 `json:"objective_evaluator"`
			Bound     float64 `json:"bound"`
			Status    string  `json:"status"`
			Wall      float64 `json:"solve_wall_s"`
		}
		data, err := os.ReadFile(rf)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &cbc))
		data, err = os.ReadFile(filepath.Join(dir, name+".json"))
		require.NoError(t, err)
		inst, err := scheduler.ParseInstance(data)
		require.NoError(t, err)
		runs, _ := strconv.Atoi(os.Getenv("CLASSEMOBILE_GEN_RUNS"))
		runs = max(runs, 1)
		var res *scheduler.Result
		times := make([]time.Duration, 0, runs)
		for range runs {
			res, err = scheduler.Solve(context.Background(), inst, scheduler.Options{})
			require.NoError(t, err)
			times = append(times, res.Stats.Elapsed)
		}
		slices.Sort(times)
		elapsed := times[len(times)/2]
		ev, err := scheduler.Evaluate(inst, res.Plan)
		require.NoError(t, err)
		assert.True(t, ev.Feasible, "feasibility on %s", name)
		t.Logf("%-16s Z=%d cbc=%.0f (%s) ratio=%.5f ub=%d proved=%v time=%v cbc_time=%.3fs time/cbc=1/%.1f nodes=%d trace=%v",
			name, res.Objective, cbc.Objective, cbc.Status, float64(res.Objective)/cbc.Objective,
			res.UpperBound, res.ProvedOptimal, elapsed.Round(10*time.Microsecond), cbc.Wall,
			cbc.Wall/elapsed.Seconds(), res.Stats.Nodes, res.Stats.Trace)
	}
}
