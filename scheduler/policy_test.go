package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/scheduler"
)

// yearInstance builds an instance on the zone C calendar of a school year
// (its holidays included), with packs packs and n one-pack projects of
// distinct schools and sectors that prefer period prefer.
func yearInstance(t *testing.T, year string, policy calendar.LoanPolicy, packs, n int, prefer string) *scheduler.Instance {
	t.Helper()
	y, err := calendar.NewYear(year, calendar.ZoneC())
	require.NoError(t, err, "calendar %s", year)
	weeks := y.Weeks()
	day0 := weeks[0].Monday
	cal := scheduler.Calendar{SchoolYear: year, Day0: day0.String()}
	for _, p := range y.Periods() {
		cal.Periods = append(cal.Periods, scheduler.Period{ID: p.ID, Label: p.Label, FirstDay: p.First.String(), LastDay: p.Last.String()})
	}
	for _, w := range weeks {
		cal.Weeks = append(cal.Weeks, scheduler.Week{Index: w.Index, Monday: w.Monday.String(), Day: w.Monday.DaysSince(day0), Period: w.Period})
	}
	hol, err := json.Marshal(y.Holidays())
	require.NoError(t, err)
	cal.Holidays = hol
	inst := &scheduler.Instance{Format: scheduler.InstanceFormat, Name: year + "-" + string(policy), Calendar: cal,
		Params: scheduler.Params{Packs: packs, LoanWeeks: 6, TurnaroundDays: 7, MaxParticipationYear: 2,
			SchoolPeriodFree: 1, SchoolYearFree: 2, Weights: scheduler.DefaultWeights(), LoanPolicy: string(policy)}}
	for i := range n {
		s := fmt.Sprintf("E%02d", i)
		inst.Sectors = append(inst.Sectors, scheduler.Sector{ID: "S" + s, PeriodCap: 10})
		inst.Schools = append(inst.Schools, scheduler.School{ID: s, Sector: "S" + s})
		inst.Projects = append(inst.Projects, scheduler.Project{ID: fmt.Sprintf("p%02d", i), School: s, Packs: 1, Year: 1,
			PreferredPeriods: []string{prefer}})
	}
	return inst
}

// startsIn returns the loans of plan that start in period per.
func startsIn(inst *scheduler.Instance, plan *scheduler.Plan, per string) []scheduler.Loan {
	var out []scheduler.Loan
	for _, l := range plan.Loans {
		if inst.Calendar.Weeks[l.StartWeek].Period == per {
			out = append(out, l)
		}
	}
	return out
}

// In 2026-2027, P3 (weeks 14-18) has 5 school weeks: no 6-week loan may
// start there within one period; across breaks, a loan from P3 runs over
// the winter break into P4; with period_length, P3 gets 5-week loans.
func TestLoanPolicies2026(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		policy     calendar.LoanPolicy
		wantP3     int // loans starting in P3 with 1 pack and every project preferring P3
		wantWeeks  int // their base length
		wantPhrase string
	}{
		{name: "within", policy: calendar.WithinPeriod, wantP3: 0},
		{name: "default", policy: "", wantP3: 0},
		{name: "across", policy: calendar.AcrossBreaks, wantP3: 1, wantWeeks: 6,
			wantPhrase: "prêt de 6 semaines à cheval sur les vacances d'hiver"},
		{name: "period-length", policy: calendar.PeriodLength, wantP3: 1, wantWeeks: 5,
			wantPhrase: "prêt raccourci à 5 semaines, la longueur de P3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := yearInstance(t, "2026-2027", tc.policy, 1, 8, "P3")
			res, err := scheduler.Solve(ctx, inst, scheduler.Options{})
			require.NoError(t, err)
			ev, err := scheduler.Evaluate(inst, res.Plan)
			require.NoError(t, err)
			assert.True(t, ev.Feasible, "plan feasible under %q: %v", tc.policy, ev.Violations)
			assert.Equal(t, res.Objective, ev.Objective, "objective of the plan")
			p3 := startsIn(inst, res.Plan, "P3")
			require.Len(t, p3, tc.wantP3, "loans starting in P3")
			for _, l := range p3 {
				for _, ex := range res.Explanations {
					if ex.Project == l.Project {
						assert.Equal(t, tc.wantWeeks, ex.Weeks, "base weeks of %s", l.Project)
						assert.Contains(t, ex.Message, tc.wantPhrase, "explanation of %s", l.Project)
					}
				}
				if tc.policy == calendar.AcrossBreaks {
					assert.Equal(t, "P4", inst.Calendar.Weeks[l.StartWeek+5].Period, "the loan runs into P4")
				}
			}
			// One pack, 36 school weeks: within_period fits 4 loans (P1,
			// P2, P4, P5 — P5 has 11 weeks, but a turnaround week follows
			// each loan); the other policies fit a fifth one through P3.
			if tc.wantP3 > 0 {
				within := yearInstance(t, "2026-2027", calendar.WithinPeriod, 1, 8, "P3")
				rw, err := scheduler.Solve(ctx, within, scheduler.Options{})
				require.NoError(t, err)
				assert.Greater(t, len(res.Plan.Loans), len(rw.Plan.Loans), "loans served with P3 usable")
				// The same plan is illegal within one period.
				evw, err := scheduler.Evaluate(within, res.Plan)
				require.NoError(t, err)
				assert.False(t, evw.Feasible, "a loan starting in P3 is illegal within one period")
			}
		})
	}
}

// Evaluate applies the instance's policy: a loan across the winter break
// is legal only under across_breaks; a shortened loan starts on its
// period's first week only.
func TestLoanPolicyEvaluate(t *testing.T) {
	t.Parallel()
	y, err := calendar.NewYear("2026-2027", calendar.ZoneC())
	require.NoError(t, err)
	p3, _ := y.Period("P3")
	p2, _ := y.Period("P2")
	for _, tc := range []struct {
		name     string
		policy   calendar.LoanPolicy
		start    int
		feasible bool
	}{
		{"within P2", calendar.WithinPeriod, p2.FirstWeek, true},
		{"within P3", calendar.WithinPeriod, p3.FirstWeek, false},
		{"across from P3", calendar.AcrossBreaks, p3.FirstWeek, true},
		{"across from P2 end", calendar.AcrossBreaks, p2.LastWeek, true},
		{"period length first week", calendar.PeriodLength, p3.FirstWeek, true},
		{"period length second week", calendar.PeriodLength, p3.FirstWeek + 1, false},
		{"period length long period", calendar.PeriodLength, p2.FirstWeek + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := yearInstance(t, "2026-2027", tc.policy, 1, 1, "P3")
			plan := &scheduler.Plan{Format: scheduler.PlanFormat, Loans: []scheduler.Loan{{Project: "p00", StartWeek: tc.start, Packs: []int{1}}}}
			ev, err := scheduler.Evaluate(inst, plan)
			require.NoError(t, err)
			assert.Equal(t, tc.feasible, ev.Feasible, "start week %d under %s: %v", tc.start, tc.policy, ev.Violations)
		})
	}
	inst := yearInstance(t, "2026-2027", "sometimes", 1, 1, "P3")
	_, err = scheduler.Solve(context.Background(), inst, scheduler.Options{})
	var ve *scheduler.ValidationError
	require.ErrorAs(t, err, &ve, "an unknown policy is refused")
	assert.True(t, strings.Contains(ve.Error(), "loan_policy"), "the error names the field: %v", ve)
}
