package scheduler_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
// keeps the names containing it.
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
		start := time.Now()
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		elapsed := time.Since(start)
		ev, err := scheduler.Evaluate(inst, res.Plan)
		require.NoError(t, err)
		assert.True(t, ev.Feasible, "feasibility on %s", name)
		t.Logf("%-14s Z=%d cbc=%.0f (%s) ratio=%.5f ub=%d proved=%v time=%v cbc_time=%.2fs nodes=%d trace=%v",
			name, res.Objective, cbc.Objective, cbc.Status, float64(res.Objective)/cbc.Objective,
			res.UpperBound, res.ProvedOptimal, elapsed.Round(time.Millisecond), cbc.Wall, res.Stats.Nodes, res.Stats.Trace)
	}
}
