package main

import (
	"context"
	"fmt"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// seedDemoRound publishes an allocation round for the current school year,
// as the coordinator would: the loans of the loans step (already in every
// state of the lifecycle) are kept as the previous plan, and the other
// validated requests are served where packs are free, as reserved loans.
func seedDemoRound(ctx context.Context, d *demo) error {
	today := calendar.ParisDate(d.now)
	coord := store.Actor{UserID: d.users["coordinator"].ID}
	r, err := d.db.RunRound(ctx, coord, store.RoundInput{
		SchoolYear: calendar.CurrentSchoolYear(today),
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
	fmt.Fprintf(d.out, "Demo round %d published for %s: %d loan(s) planned, %d request(s) not served, Z = %d (bound %d).\n",
		r.ID, r.SchoolYear, len(r.Loans), len(r.Unserved), r.Objective, r.UpperBound)
	return nil
}
