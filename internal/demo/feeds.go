package demo

import (
	"context"
	"fmt"

	"github.com/classemobile/classemobile/internal/store"
)

// seedDemoFeeds issues the iCal feeds of the first demo school (whose
// teacher has the extended loan) and of all loans, and prints their paths:
// only the tokens' hashes are stored, so this is the only time they show.
func seedDemoFeeds(ctx context.Context, d *demo) error {
	if len(d.schools) == 0 {
		return nil
	}
	school := d.schools[0]
	_, schoolToken, err := d.db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	if err != nil {
		return err
	}
	_, allToken, err := d.db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedAll})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "iCal feeds:\n  %s: %s\n  all loans: %s\n",
		school.Name, d.url("/ics/"+schoolToken+".ics"), d.url("/ics/"+allToken+".ics"))
	return nil
}
