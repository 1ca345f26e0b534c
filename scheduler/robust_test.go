package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/classemobile/classemobile/scheduler"
	"github.com/stretchr/testify/assert"
)

// TestNoPanicOnOddInstances feeds odd but decodable instances to every
// entry point: each returns a result or an error, never panics.
func TestNoPanicOnOddInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveMutate func(*scheduler.Instance)
	}{
		{"no weeks", func(i *scheduler.Instance) { i.Calendar.Weeks = nil }},
		{"no periods", func(i *scheduler.Instance) { i.Calendar.Periods = nil }},
		{"loans longer than the year", func(i *scheduler.Instance) { i.Params.LoanWeeks = 40 }},
		{"zero loan weeks", func(i *scheduler.Instance) { i.Params.LoanWeeks = 0 }},
		{"huge turnaround", func(i *scheduler.Instance) { i.Params.TurnaroundDays = 1000 }},
		{"many packs", func(i *scheduler.Instance) { i.Params.Packs = 100000 }},
		{"negative packs", func(i *scheduler.Instance) { i.Params.Packs = -1 }},
		{"huge extension", func(i *scheduler.Instance) { i.Projects[0].ExtensionWeeks = 1000 }},
		{"negative extension", func(i *scheduler.Instance) { i.Projects[0].ExtensionWeeks = -2 }},
		{"school period free high", func(i *scheduler.Instance) { i.Params.SchoolPeriodFree = 100 }},
		{"zero free allowances", func(i *scheduler.Instance) { i.Params.SchoolPeriodFree, i.Params.SchoolYearFree = 0, 0 }},
		{"no sectors", func(i *scheduler.Instance) { i.Sectors = nil }},
		{"previous plan of unknown projects", func(i *scheduler.Instance) {
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{{Project: "NOPE", StartWeek: 99, Locked: true}}}
		}},
		{"previous loan out of range, not locked", func(i *scheduler.Instance) {
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{{Project: "PR00001", StartWeek: -5, Packs: []int{99}}}}
		}},
		{"locked loan with pack numbers out of range", func(i *scheduler.Instance) {
			i.PreviousPlan = &scheduler.PreviousPlan{Loans: []scheduler.PreviousLoan{{Project: "PR00001", StartWeek: 0, Packs: []int{99, -1}, Locked: true}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := loadInstance(t, "small")
			tt.giveMutate(inst)
			assert.NotPanics(t, func() {
				res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: 2 * time.Second})
				if err == nil {
					ev, err := scheduler.Evaluate(inst, res.Plan)
					if assert.NoError(t, err) {
						assert.True(t, ev.Feasible, "plan of a valid instance is feasible: %v", ev.Violations)
					}
				}
				_, _ = scheduler.Evaluate(inst, &scheduler.Plan{Loans: []scheduler.Loan{{Project: "PR00001", StartWeek: 500, Packs: []int{7}}}})
				_ = inst.Validate()
			})
		})
	}
}
