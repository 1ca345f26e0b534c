package scheduler_test

import (
	"context"
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSolveEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveMutate func(*scheduler.Instance)
		wantServed int
	}{
		{"no packs", func(i *scheduler.Instance) { i.Params.Packs = 0 }, 0},
		{"no projects", func(i *scheduler.Instance) { i.Projects = nil }, 0},
		{"all ineligible", func(i *scheduler.Instance) {
			for k := range i.Projects {
				i.Projects[k].Year = 3
			}
		}, 0},
		{"today after the last start", func(i *scheduler.Instance) { i.Params.TodayWeek = 36 }, 0},
		{"one pack, one project", func(i *scheduler.Instance) {
			i.Params.Packs = 1
			i.Projects = i.Projects[:1]
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, "small")
			tt.giveMutate(inst)
			res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
			require.NoError(t, err)
			assert.Len(t, res.Plan.Loans, tt.wantServed)
			assert.True(t, res.ProvedOptimal, "trivial instances are proved optimal (bound %d, Z %d)", res.UpperBound, res.Objective)
			ev, err := scheduler.Evaluate(inst, res.Plan)
			require.NoError(t, err)
			assert.True(t, ev.Feasible)
		})
	}
}
