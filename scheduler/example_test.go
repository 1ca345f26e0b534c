package scheduler_test

import (
	"context"
	"fmt"

	"github.com/classemobile/classemobile/scheduler"
)

// tinyInstance has one pack, two 7-week periods and three projects.
func tinyInstance() *scheduler.Instance {
	cal := scheduler.Calendar{Day0: "2025-09-01", Periods: []scheduler.Period{
		{ID: "P1", FirstDay: "2025-09-01", LastDay: "2025-10-17"},
		{ID: "P2", FirstDay: "2025-11-03", LastDay: "2025-12-19"}}}
	for w := 0; w < 14; w++ {
		day, per := 7*w, "P1"
		if w >= 7 {
			day, per = 7*w+14, "P2" // two weeks of holidays
		}
		cal.Weeks = append(cal.Weeks, scheduler.Week{Index: w, Day: day, Period: per,
			Monday: fmt.Sprintf("day %d", day)})
	}
	return &scheduler.Instance{
		Format: scheduler.InstanceFormat, Name: "tiny", Calendar: cal,
		Params: scheduler.Params{Packs: 1, LoanWeeks: 6, TurnaroundDays: 7, MaxParticipationYear: 2,
			SchoolPeriodFree: 1, SchoolYearFree: 2, Weights: scheduler.Weights{Base: 100, FirstYear: 60,
				TrainingDone: 30, PreferredPeriod: 20, ExtensionGranted: 6, SchoolPeriodExcess: 40,
				SchoolYearExcess: 30, SectorPeriodExcess: 15, ChurnMove: 25, ChurnExtension: 5, ChurnDrop: 50}},
		Sectors: []scheduler.Sector{{ID: "S1", PeriodCap: 1}},
		Schools: []scheduler.School{{ID: "E1", Sector: "S1"}, {ID: "E2", Sector: "S1"}},
		Projects: []scheduler.Project{
			{ID: "A", School: "E1", Packs: 1, Year: 1, TrainingDone: true, PreferredPeriods: []string{"P1"}},
			{ID: "B", School: "E2", Packs: 1, Year: 2, PreferredPeriods: []string{"P1"}, ExtensionWeeks: 2},
			{ID: "C", School: "E2", Packs: 1, Year: 3},
		},
	}
}

func ExampleSolve() {
	res, err := scheduler.Solve(context.Background(), tinyInstance(), scheduler.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range res.Plan.Loans {
		fmt.Printf("%s: week %d, +%d weeks, packs %v\n", l.Project, l.StartWeek, l.ExtensionWeeks, l.Packs)
	}
	fmt.Println("objective", res.Objective, "upper bound", res.UpperBound, "proved", res.ProvedOptimal)
	for _, ex := range res.Explanations {
		fmt.Printf("%s %s: %s\n", ex.Project, ex.Code, ex.Message)
	}
	// Output:
	// A: week 1, +0 weeks, packs [1]
	// B: week 8, +0 weeks, packs [1]
	// objective 310 upper bound 310 proved true
	// A preferred-period: servi en P1, période demandée
	// B other-period: servi en P2, meilleure période libre : P1 complète ; prolongation de 2 semaines impossible : elle dépasserait la dernière semaine de l'année
	// C ineligible: inéligible : 2 années de participation au maximum
}

func ExampleEvaluate() {
	plan := &scheduler.Plan{Format: scheduler.PlanFormat, Loans: []scheduler.Loan{
		{Project: "A", StartWeek: 0, Packs: []int{1}},
		{Project: "B", StartWeek: 1, Packs: []int{1}}, // same pack, overlapping
	}}
	ev, err := scheduler.Evaluate(tinyInstance(), plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("feasible", ev.Feasible, "objective", ev.Objective)
	for _, v := range ev.Violations {
		fmt.Println(v.Rule, v.Message)
	}
	fmt.Printf("%+v\n", ev.Terms)
	// Output:
	// feasible false objective 315
	// pack-overlap pack 1: A busy until day 46, B starts day 7
	// {ServedValue:290 PreferenceBonus:40 ExtensionBonus:0 SchoolPeriodPenalty:0 SchoolYearPenalty:0 SectorPeriodPenalty:15 ChurnPenalty:0}
}

func ExamplePlanCapacity() {
	rep, err := scheduler.PlanCapacity(context.Background(), tinyInstance(), scheduler.CapacityOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range rep.Periods {
		fmt.Printf("%s: %d/%d pack-weeks, %d loan(s), preferred by %d\n",
			p.Period, p.PackWeeksUsed, p.PackWeeksAvailable, p.Loans, p.PreferredBy)
	}
	fmt.Println("packs to serve every eligible project:", rep.PacksToServeAll)
	// Output:
	// P1: 6/7 pack-weeks, 1 loan(s), preferred by 2
	// P2: 6/7 pack-weeks, 1 loan(s), preferred by 0
	// packs to serve every eligible project: 1
}
