package scheduler

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelperKeepsPlan: the relaxation's helper goroutine (two processors)
// changes where the work runs, not its result: the same plan, objective,
// bound and iteration counts as on one goroutine.
func TestHelperKeepsPlan(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the helper never starts")
	}
	for _, name := range []string{"medium", "medium-rerun", "large-rerun"} {
		t.Run(name, func(t *testing.T) {
			inst := loadInternal(t, name)
			solve := func(off bool) *Result {
				noHelper = off
				defer func() { noHelper = false }()
				res, err := Solve(context.Background(), inst, Options{TimeLimit: time.Minute, FixedEffort: true})
				require.NoError(t, err)
				return res
			}
			with, without := solve(false), solve(true)
			assert.Equal(t, without.Plan.Loans, with.Plan.Loans)
			assert.Equal(t, without.Objective, with.Objective)
			assert.Equal(t, without.UpperBound, with.UpperBound)
			assert.Equal(t, without.Stats.BoundIterations, with.Stats.BoundIterations)
		})
	}
}

// TestHelperKeepsTree: in the tree of the whole time budget, the helper
// takes half of the pricing and of the dual simplex's pivot rows; a
// search that ends by a proof gives the same plan and the same tree on
// one goroutine.
func TestHelperKeepsTree(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the helper never starts")
	}
	for _, name := range []string{"gen/mm40", "gen/mx52-p8"} {
		t.Run(name, func(t *testing.T) {
			inst := loadInternal(t, name)
			solve := func(off bool) *Result {
				noHelper = off
				defer func() { noHelper = false }()
				res, err := Solve(context.Background(), inst, Options{TimeLimit: time.Minute})
				require.NoError(t, err)
				require.Equal(t, "optimal", res.Stats.StoppedBy)
				return res
			}
			with, without := solve(false), solve(true)
			require.Positive(t, with.Stats.Nodes, "the tree ran")
			assert.Equal(t, without.Plan.Loans, with.Plan.Loans)
			assert.Equal(t, without.Objective, with.Objective)
			assert.Equal(t, without.Stats.Nodes, with.Stats.Nodes)
		})
	}
}

// TestHelperStops: no helper goroutine outlives its solve.
func TestHelperStops(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor: the helper never starts")
	}
	inst := loadInternal(t, "medium")
	before := runtime.NumGoroutine()
	for range 3 {
		_, err := Solve(context.Background(), inst, Options{TimeLimit: time.Minute})
		require.NoError(t, err)
	}
	// The helper sees the stop flag within microseconds. (No
	// assert.Eventually: it counts as a goroutine itself.)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before)
}
