package planning_test

import (
	"fmt"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// A school's view of two packs in P2 of 2026-2027: its own loan by name,
// another school's as « prêté », with its extension into P3 over the
// Christmas holidays.
func ExampleBuild() {
	y, err := calendar.NewYear("2026-2027", calendar.ZoneC())
	if err != nil {
		panic(err)
	}
	weeks := y.Weeks()
	in := planning.Input{
		Year:  y,
		Packs: []planning.Pack{{ID: 1, Code: "P-01"}, {ID: 2, Code: "P-02"}},
		Loans: []planning.Loan{
			{RequestID: 7, SchoolUAI: "0930001A", SchoolName: "École Jean-Jaurès", Class: "CM2", PackIDs: []int64{1},
				StartWeek: 7, Weeks: 6, PickupDay: weeks[7].First, ReturnDay: weeks[12].Last, TurnaroundDays: 7},
			{RequestID: 8, SchoolUAI: "0930002B", SchoolName: "École Pasteur", Class: "CE2", PackIDs: []int64{2},
				StartWeek: 8, Weeks: 6, ExtensionWeeks: 2, PickupDay: weeks[8].First, ReturnDay: weeks[15].Last, TurnaroundDays: 7},
		},
		Today:  calendar.MustParseDate("2026-09-01"),
		Viewer: planning.Viewer{Schools: []string{"0930001A"}},
	}
	g, err := planning.Build(in, planning.Options{Period: "P2"})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Caption)
	fmt.Printf("%s (%d semaines), %s\n", g.Groups[0].Name, g.Groups[0].Span, g.Groups[0].Dates)
	for _, r := range g.Rows {
		fmt.Print(r.Pack.Code, ":")
		for _, c := range r.Cells {
			text := c.Text
			if text == "" {
				text = "·"
			}
			fmt.Printf(" [%s ×%d]", text, c.Span)
		}
		fmt.Println()
	}
	// Output:
	// Planning des packs, année scolaire 2026-2027, P2 · Toussaint → Noël
	// P2 · Toussaint → Noël (7 semaines), du lundi 2 novembre au vendredi 18 décembre 2026
	// P-01: [École Jean-Jaurès ×6] [remise en état ×1]
	// P-02: [· ×1] [prêté ×6]
}
