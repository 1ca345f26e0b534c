package store

import (
	"context"
	"time"
)

// RenewReminderLeases extends to until the leases owner holds on pending
// reminders, so that a live run keeps them with short leases while a dead
// run's expire within one lease. Returns the number of rows renewed.
func (db *DB) RenewReminderLeases(ctx context.Context, owner string, until time.Time) (_ int, err error) {
	defer wrapf(&err, "RenewReminderLeases(%s)", owner)
	res, err := db.bun.NewUpdate().Model((*reminderRow)(nil)).ModelTableExpr("reminders").
		Set("lease_until = ?", until.UTC().Truncate(time.Microsecond)).
		Where("status = 'pending'").Where("lease_owner = ?", owner).Where("lease_until IS NOT NULL").
		Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ReminderLease is a run's hold on pending reminders.
type ReminderLease struct {
	Owner string
	// Until is the latest expiry of the owner's leases.
	Until     time.Time
	Reminders int
}

// ReminderLeases returns the runs holding pending reminders, by owner.
func (db *DB) ReminderLeases(ctx context.Context) (_ []ReminderLease, err error) {
	defer wrapf(&err, "ReminderLeases")
	var rows []struct {
		Owner string    `bun:"lease_owner"`
		Until time.Time `bun:"until"`
		N     int       `bun:"n"`
	}
	if err := db.bun.NewSelect().Model((*reminderRow)(nil)).
		ColumnExpr("lease_owner").ColumnExpr("max(lease_until) AS until").ColumnExpr("count(*) AS n").
		Where("status = 'pending'").Where("lease_owner <> ''").Where("lease_until IS NOT NULL").
		GroupExpr("lease_owner").OrderExpr("lease_owner").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]ReminderLease, len(rows))
	for i, r := range rows {
		out[i] = ReminderLease{Owner: r.Owner, Until: r.Until.UTC(), Reminders: r.N}
	}
	return out, nil
}
