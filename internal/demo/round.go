package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

// seedDemoRound publishes an allocation round for the current school year,
// as the coordinator would: the loans of the loans step (already in every
// state of the lifecycle) are kept as the previous plan, and the other
// validated requests are served where packs are free, as reserved loans.
// When a period of the year is too short for a loan (P3 of 2026-2027 has 5
// school weeks), the coordinator first sets the year's loan policy to
// across_breaks, so that loans starting there run over the next short
// break and the packs are not idle for the whole period.
func seedDemoRound(ctx context.Context, d *demo) error {
	today := calendar.ParisDate(d.now)
	coord := store.Actor{UserID: d.users["coordinator"].ID}
	year := calendar.CurrentSchoolYear(today)
	y, err := d.db.CalendarYear(ctx, year)
	if err != nil {
		return err
	}
	for _, p := range y.Periods() {
		if p.WeekCount() < store.DefaultLoanWeeks {
			if _, err := d.db.SetLoanPolicy(ctx, coord, year, calendar.AcrossBreaks); err != nil {
				return err
			}
			break
		}
	}
	r, err := round.Run(ctx, d.db, coord, round.Input{
		SchoolYear: year,
		Today:      today,
		TimeLimit:  5 * time.Second,
	})
	if err != nil {
		return err
	}
	r, err = d.db.PublishRound(ctx, coord, r.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "Demo round %d published for %s (loan policy %s): %d loan(s) planned, %d request(s) not served, Z = %d (bound %d).\n",
		r.ID, r.SchoolYear, r.Params.LoanPolicy, len(r.Loans), len(r.Unserved), r.Objective, r.UpperBound)
	return nil
}
