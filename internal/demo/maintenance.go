package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// seedDemoMaintenance sends one pack for repair for two weeks in the third
// period of the current school year (from the second Monday of P3 to the
// Friday after), on the last pack free then; the demo round plans around it.
func seedDemoMaintenance(ctx context.Context, d *demo) error {
	year := calendar.CurrentSchoolYear(calendar.ParisDate(d.now))
	y, err := d.db.CalendarYear(ctx, year)
	if err != nil {
		return err
	}
	var first calendar.Date
	for _, p := range y.Periods() {
		if p.ID == "P3" {
			first = p.First.Monday().AddDays(7)
		}
	}
	if first.IsZero() {
		d.logger.Warn("Demo maintenance not created: no third period", "year", year)
		return nil
	}
	coord := store.Actor{UserID: d.users["coordinator"].ID}
	for i := len(d.packs) - 1; i >= 0; i-- {
		m, err := d.db.CreateMaintenance(ctx, coord, store.NewMaintenance{PackID: d.packs[i].ID, FirstDay: first,
			LastDay: first.AddDays(11), Reason: "Réparation : deux écrans fissurés, tablettes envoyées au SAV"})
		var me *store.RuleError
		if errors.As(err, &me) {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "Demo maintenance %d: pack %s away %s → %s (%s)\n", m.ID, m.PackCode, m.FirstDay, m.LastDay, m.Reason)
		return nil
	}
	d.logger.Warn("Demo maintenance not created: every pack is lent in P3")
	return nil
}
