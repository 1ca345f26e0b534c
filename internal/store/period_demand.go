package store

import (
	"context"

	"github.com/uptrace/bun"
)

// PeriodDemand returns, for each period of school year year, how many
// requests that are sent and still alive (submitted, authorised, in
// review, validated) prefer it: how busy the period already is, as the
// request form shows it.
func (db *DB) PeriodDemand(ctx context.Context, year string) (_ map[string]int, err error) {
	defer wrapf(&err, "PeriodDemand(%s)", year)
	var rows []struct {
		Periods string `bun:"preferred_periods"`
	}
	if err := db.bun.NewSelect().TableExpr("requests").Column("preferred_periods").
		Where("school_year = ?", year).
		Where("state IN (?)", bun.List(bunList(RequestSubmitted, RequestAuthorised, RequestInReview, RequestValidated))).
		Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		for _, p := range splitList(r.Periods) {
			out[p]++
		}
	}
	return out, nil
}

func bunList(states ...RequestState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}
