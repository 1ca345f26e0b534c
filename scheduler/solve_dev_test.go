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
	"github.com/stretchr/testify/require"
)

func TestDevSolve(t *testing.T) {
	names := os.Getenv("DEV_SOLVE")
	if names == "" {
		t.Skip()
	}
	opt := map[string]int{"small": 5394, "medium": 59812, "large": 527490, "small-rerun": 5304, "medium-rerun": 59880, "large-rerun": 526832}
	for _, n := range []string{"small", "small-rerun", "medium", "medium-rerun", "large", "large-rerun"} {
		if names != "all" && names != n {
			continue
		}
		inst := loadInstance(t, n)
		t0 := time.Now()
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		el := time.Since(t0)
		ev, _ := scheduler.Evaluate(inst, res.Plan)
		t.Logf("%-13s Z=%d opt=%d ratio=%.5f ub=%d proved=%v feas=%v evalZ=%d time=%v stats=%+v", n, res.Objective, opt[n], float64(res.Objective)/float64(opt[n]), res.UpperBound, res.ProvedOptimal, ev.Feasible, ev.Objective, el, res.Stats)
	}
}

func TestDevTerms(t *testing.T) {
	n := os.Getenv("DEV_TERMS")
	if n == "" {
		t.Skip()
	}
	scheduler.DebugStop(true)
	inst := loadInstance(t, n)
	res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{Effort: 0.25})
	require.NoError(t, err)
	ev, _ := scheduler.Evaluate(inst, res.Plan)
	t.Logf("%+v %+v", ev.Terms, ev.Stats)
	ref := loadPlan(t, n+"-highs")
	ev, _ = scheduler.Evaluate(inst, ref)
	t.Logf("%+v %+v", ev.Terms, ev.Stats)
}

func TestDevDir(t *testing.T) {
	dir := os.Getenv("DEV_DIR")
	if dir == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.cbc.json"))
	for _, rf := range files {
		var r struct {
			Objective float64 `json:"objective_evaluator"`
			Wall      float64 `json:"solve_wall_s"`
		}
		data, _ := os.ReadFile(rf)
		require.NoError(t, json.Unmarshal(data, &r))
		name := strings.TrimSuffix(filepath.Base(rf), ".cbc.json")
		if pat := os.Getenv("DEV_PAT"); pat != "" && !strings.Contains(name, pat) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name+".json"))
		require.NoError(t, err)
		inst, err := scheduler.ParseInstance(data)
		require.NoError(t, err)
		t0 := time.Now()
		res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
		require.NoError(t, err)
		el := time.Since(t0)
		ev, _ := scheduler.Evaluate(inst, res.Plan)
		if out, err := json.MarshalIndent(res.Plan, "", " "); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name+".ours.json"), out, 0o644)
		}
		t.Logf("%-13s Z=%d opt=%.0f ratio=%.5f ub=%d proved=%v feas=%v time=%v cbc=%.2fs %v %+v %+v", name, res.Objective, r.Objective, float64(res.Objective)/r.Objective, res.UpperBound, res.ProvedOptimal, ev.Feasible, el.Round(time.Millisecond), r.Wall, res.Stats.Trace, ev.Terms, ev.Stats)
	}
}
