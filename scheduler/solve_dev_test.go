package scheduler_test

import (
	"context"
	"os"
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
