package scheduler_test

import (
	"context"
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplanations(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{})
	require.NoError(t, err)
	served := map[string]bool{}
	for _, l := range res.Plan.Loans {
		served[l.Project] = true
	}
	codes := map[string]int{}
	for _, ex := range res.Explanations {
		codes[ex.Code]++
		assert.Equal(t, served[ex.Project], ex.Served, "served flag of %s", ex.Project)
		assert.NotEmpty(t, ex.Message, "message of %s", ex.Project)
		switch ex.Code {
		case scheduler.ExplainIneligible:
			assert.Equal(t, "inéligible : 2 années de participation au maximum", ex.Message)
		case scheduler.ExplainCapacity:
			assert.NotEmpty(t, ex.FullPeriods, "full periods of %s", ex.Project)
			assert.Contains(t, ex.Message, "capacité", "message of %s", ex.Project)
			assert.Contains(t, ex.Fix, "de plus en P", "fix of %s", ex.Project)
		case scheduler.ExplainPreferredPeriod, scheduler.ExplainOtherPeriod, scheduler.ExplainNoPreference:
			assert.NotEmpty(t, ex.Period, "period of %s", ex.Project)
			assert.Contains(t, ex.Message, "servi en "+ex.Period, "message of %s", ex.Project)
		}
	}
	assert.Equal(t, 1, codes[scheduler.ExplainIneligible], "one ineligible project in small: %v", codes)
	assert.Positive(t, codes[scheduler.ExplainCapacity], "capacity explanations: %v", codes)
	assert.Positive(t, codes[scheduler.ExplainPreferredPeriod], "preferred-period explanations: %v", codes)
}

func TestExplanationNoLegalSlot(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	inst.Projects[0].PreferredPeriods = nil
	inst.Projects[0].ExcludedPeriods = []string{"P1", "P2", "P3", "P4", "P5"}
	inst.Projects[1].Packs = 7
	res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{ExactMaxProjects: -1})
	require.NoError(t, err)
	byID := map[string]scheduler.Explanation{}
	for _, ex := range res.Explanations {
		byID[ex.Project] = ex
	}
	assert.Equal(t, scheduler.ExplainNoLegalSlot, byID[inst.Projects[0].ID].Code)
	assert.Contains(t, byID[inst.Projects[0].ID].Message, "périodes exclues P1, P2, P3, P4 et P5")
	if inst.Projects[1].Year <= 2 {
		assert.Equal(t, scheduler.ExplainTooManyPacks, byID[inst.Projects[1].ID].Code)
	}
}

func TestPlanCapacity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		giveLoanWeeks int
		wantLoanWeeks int
	}{
		{name: "instance loan length", wantLoanWeeks: 6},
		{name: "five-week loans", giveLoanWeeks: 5, wantLoanWeeks: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.giveLoanWeeks == 0 && (raceEnabled || testing.Short()) {
				t.Skip("one capacity search is enough with -race or -short")
			}
			inst := loadInstance(t, "small")
			fast := scheduler.Options{ExactMaxProjects: -1}
			rep, err := scheduler.PlanCapacity(context.Background(), inst, scheduler.CapacityOptions{
				LoanWeeks: tt.giveLoanWeeks, Solve: fast})
			require.NoError(t, err)
			assert.Equal(t, tt.wantLoanWeeks, rep.LoanWeeks)
			assert.Equal(t, 6, rep.Packs)
			assert.Equal(t, 39, rep.Eligible)
			assert.Greater(t, rep.PacksToServeAll, 6, "6 packs do not serve the 39 eligible projects")
			assert.LessOrEqual(t, rep.PacksToServeAll, 39)
			require.Len(t, rep.Periods, 5)
			for _, p := range rep.Periods {
				assert.LessOrEqual(t, p.PackWeeksUsed, p.PackWeeksAvailable, "use of %s", p.Period)
			}
			// The answer serves everyone, one pack less does not.
			for _, give := range []struct {
				packs   int
				wantAll bool
			}{{rep.PacksToServeAll, true}, {rep.PacksToServeAll - 1, false}} {
				in := *inst
				in.Params.Packs = give.packs
				if tt.giveLoanWeeks > 0 {
					in.Params.LoanWeeks = tt.giveLoanWeeks
				}
				res, err := scheduler.Solve(context.Background(), &in, fast)
				require.NoError(t, err)
				assert.Equal(t, give.wantAll, len(res.Plan.Loans) >= rep.Schedulable,
					"%d packs serve all: served %d of %d", give.packs, len(res.Plan.Loans), rep.Schedulable)
			}
		})
	}
}
