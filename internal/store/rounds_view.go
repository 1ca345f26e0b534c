package store

import (
	"context"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// RoundView is what a round's page shows, read at once: the round, the
// grid of its plan (one page of it) and its difference with the plan it
// would replace.
type RoundView struct {
	Round   Round
	Grid    planning.Grid
	Changes planning.Changes
}

// RoundViewFor reads round id for a person who may read rounds: the
// round, its difference with the plan in force (RoundChanges) and, when
// opt is not nil, the grid of its plan (RoundGrid) as the person may see
// it; the year's calendar, requests and loans are read once (a national
// year has thousands). today is the zero Date for today in Paris. Returns
// ErrNotFound (also to a person who may not read rounds), or a
// *planning.Error for bad grid options.
func (db *DB) RoundViewFor(ctx context.Context, u User, id int64, today calendar.Date, opt *planning.Options) (_ RoundView, err error) {
	defer wrapf(&err, "RoundViewFor(%d)", id)
	if !u.Can(ActRoundRead) {
		return RoundView{}, errHidden()
	}
	r, err := db.Round(ctx, id)
	if err != nil {
		return RoundView{}, err
	}
	y, err := db.CalendarYear(ctx, r.SchoolYear)
	if err != nil {
		return RoundView{}, err
	}
	info, err := db.planInfo(ctx, r.SchoolYear)
	if err != nil {
		return RoundView{}, err
	}
	byID, live, err := db.liveLoansByID(ctx, r.SchoolYear)
	if err != nil {
		return RoundView{}, err
	}
	v := RoundView{Round: r}
	if v.Changes, err = db.roundChangesWith(ctx, r, y, info, byID, live); err != nil {
		return RoundView{}, err
	}
	if opt != nil {
		packs, err := db.ListPacks(ctx)
		if err != nil {
			return RoundView{}, err
		}
		in := roundGridInputWith(r, y, info, byID, packs, db.today(today), PlanningViewer(u))
		if v.Grid, err = planning.Build(in, *opt); err != nil {
			return RoundView{}, err
		}
	}
	return v, nil
}
