package scheduler_test

import (
	"testing"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvaluateSpecVectors reproduces every row of ALLOCATION-SPEC.md §9.
func TestEvaluateSpecVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		givePlan     string
		giveInstance string
		wantZ        int
		wantTerms    scheduler.Terms
		wantServed   int
	}{
		{"small-highs", "small", 5394, scheduler.Terms{ServedValue: 4970, PreferenceBonus: 520, ExtensionBonus: 24, SchoolYearPenalty: 120}, 29},
		{"small-greedy", "small", 4566, scheduler.Terms{ServedValue: 4250, PreferenceBonus: 400, ExtensionBonus: 36, SchoolYearPenalty: 120}, 23},
		{"medium-highs", "medium", 59812, scheduler.Terms{ServedValue: 54960, PreferenceBonus: 5680, ExtensionBonus: 312, SchoolYearPenalty: 1110, SectorPeriodPenalty: 30}, 300},
		{"medium-cbc", "medium", 59812, scheduler.Terms{ServedValue: 54930, PreferenceBonus: 5680, ExtensionBonus: 312, SchoolYearPenalty: 1080, SectorPeriodPenalty: 30}, 300},
		{"medium-greedy", "medium", 50391, scheduler.Terms{ServedValue: 47120, PreferenceBonus: 4020, ExtensionBonus: 426, SchoolPeriodPenalty: 80, SchoolYearPenalty: 1050, SectorPeriodPenalty: 45}, 248},
		{"large-highs", "large", 527490, scheduler.Terms{ServedValue: 475000, PreferenceBonus: 50000, ExtensionBonus: 2490}, 2500},
		{"large-greedy", "large", 432976, scheduler.Terms{ServedValue: 400710, PreferenceBonus: 35580, ExtensionBonus: 3306, SchoolPeriodPenalty: 1400, SchoolYearPenalty: 4560, SectorPeriodPenalty: 660}, 2109},
		{"small-rerun-greedy", "small-rerun", 4355, scheduler.Terms{ServedValue: 4440, PreferenceBonus: 400, ExtensionBonus: 30, SchoolPeriodPenalty: 40, SchoolYearPenalty: 120, SectorPeriodPenalty: 15, ChurnPenalty: 340}, 24},
		{"small-rerun-nochurn-cbc", "small-rerun", 5122, scheduler.Terms{ServedValue: 4970, PreferenceBonus: 540, ExtensionBonus: 12, SchoolYearPenalty: 150, ChurnPenalty: 250}, 29},
		{"medium-rerun-highs", "medium-rerun", 59880, scheduler.Terms{ServedValue: 55140, PreferenceBonus: 5620, ExtensionBonus: 300, SchoolYearPenalty: 1110, SectorPeriodPenalty: 45, ChurnPenalty: 25}, 300},
		{"medium-rerun-greedy", "medium-rerun", 52950, scheduler.Terms{ServedValue: 51230, PreferenceBonus: 4740, ExtensionBonus: 390, SchoolPeriodPenalty: 40, SchoolYearPenalty: 1110, SectorPeriodPenalty: 45, ChurnPenalty: 2215}, 272},
		{"medium-rerun-nochurn-cbc", "medium-rerun", 56955, scheduler.Terms{ServedValue: 55470, PreferenceBonus: 5620, ExtensionBonus: 270, SchoolYearPenalty: 1110, SectorPeriodPenalty: 45, ChurnPenalty: 3250}, 300},
		{"large-rerun-greedy", "large-rerun", 426522, scheduler.Terms{ServedValue: 431870, PreferenceBonus: 40960, ExtensionBonus: 2952, SchoolPeriodPenalty: 1680, SchoolYearPenalty: 5280, SectorPeriodPenalty: 825, ChurnPenalty: 41475}, 2273},
		{"large-rerun-nochurn-cbc", "large-rerun", 485647, scheduler.Terms{ServedValue: 475000, PreferenceBonus: 50000, ExtensionBonus: 2472, ChurnPenalty: 41825}, 2500},
	}
	for _, tt := range tests {
		t.Run(tt.givePlan, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && tt.giveInstance[0] == 'l' {
				t.Skip("large instance in -short mode")
			}
			inst := loadInstance(t, tt.giveInstance)
			plan := loadPlan(t, tt.givePlan)
			ev, err := scheduler.Evaluate(inst, plan)
			require.NoError(t, err)
			assert.True(t, ev.Feasible, "feasibility of %s: %v", tt.givePlan, ev.Violations)
			assert.Equal(t, tt.wantZ, ev.Objective, "objective of %s", tt.givePlan)
			assert.Equal(t, tt.wantTerms, ev.Terms, "terms of %s", tt.givePlan)
			assert.Equal(t, tt.wantServed, ev.Stats.Served, "served of %s", tt.givePlan)
		})
	}
}

// TestEvaluateNegative puts every loan of small-highs on pack 1.
func TestEvaluateNegative(t *testing.T) {
	t.Parallel()
	inst := loadInstance(t, "small")
	plan := loadPlan(t, "small-highs")
	for i := range plan.Loans {
		plan.Loans[i].Packs = []int{1}
	}
	ev, err := scheduler.Evaluate(inst, plan)
	require.NoError(t, err)
	assert.False(t, ev.Feasible, "all loans on pack 1 must be infeasible")
	rules := map[string]bool{}
	for _, v := range ev.Violations {
		rules[v.Rule] = true
	}
	assert.True(t, rules[scheduler.RulePackOverlap], "pack overlap reported: %v", ev.Violations)
}
