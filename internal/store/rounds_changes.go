package store

import (
	"context"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// RoundChanges compares a round's plan with the plan it would replace. A
// draft (or a discarded draft) is compared with the plan in force: the
// live loans of its year, whose states say whether a cancelled loan was
// already signed; loans reserved by hand after the draft was computed are
// kept by publishing, so they count as unchanged. A published or
// superseded round is compared with the round published before it (with
// nothing for the first one). Returns ErrNotFound.
func (db *DB) RoundChanges(ctx context.Context, id int64) (_ planning.Changes, err error) {
	defer wrapf(&err, "RoundChanges(%d)", id)
	r, err := db.Round(ctx, id)
	if err != nil {
		return planning.Changes{}, err
	}
	y, err := db.CalendarYear(ctx, r.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	info, err := db.planInfo(ctx, r.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	byID, live, err := db.liveLoansByID(ctx, r.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	return db.roundChangesWith(ctx, r, y, info, byID, live)
}

// roundChangesWith is RoundChanges on the calendar, requests and live
// loans of the round's year already read.
func (db *DB) roundChangesWith(ctx context.Context, r Round, y *calendar.Year, info planInfo, byID map[int64]Loan, live []Loan) (planning.Changes, error) {
	switch r.State {
	case RoundDraft, RoundDiscarded:
		before := make([]planning.Loan, 0, len(live))
		for _, l := range live {
			before = append(before, planningLoan(l, info))
		}
		return planning.Compare(y, before, roundPlan(r, info, byID), r.Params.Packs, r.Params.Packs, planning.PublishedLabels), nil
	}
	var before []planning.Loan
	packsBefore := r.Params.Packs
	if r.PreviousRoundID != nil {
		prev, err := db.Round(ctx, *r.PreviousRoundID)
		if err != nil {
			return planning.Changes{}, err
		}
		before, packsBefore = roundPlanningLoans(prev, info, byID), prev.Params.Packs
	}
	return planning.Compare(y, before, roundPlanningLoans(r, info, byID), packsBefore, r.Params.Packs, planning.PublishedLabels), nil
}

// CompareRounds compares the plans of two rounds of one school year
// (before, then after), with the headings of a what-if. Returns
// ErrNotFound, or a *RuleError (invalid) when the years differ.
func (db *DB) CompareRounds(ctx context.Context, beforeID, afterID int64) (_ planning.Changes, err error) {
	defer wrapf(&err, "CompareRounds(%d, %d)", beforeID, afterID)
	a, err := db.Round(ctx, beforeID)
	if err != nil {
		return planning.Changes{}, err
	}
	b, err := db.Round(ctx, afterID)
	if err != nil {
		return planning.Changes{}, err
	}
	if a.SchoolYear != b.SchoolYear {
		return planning.Changes{}, Invalid("round", "validation_failed",
			"les tours n° %d (%s) et n° %d (%s) ne sont pas de la même année scolaire", a.ID, a.SchoolYear, b.ID, b.SchoolYear)
	}
	return db.compareRoundPlans(ctx, a, b, planning.WhatIfLabels)
}

// compareRoundPlans compares the loans of two rounds of one year.
func (db *DB) compareRoundPlans(ctx context.Context, a, b Round, labels planning.ChangeLabels) (planning.Changes, error) {
	y, err := db.CalendarYear(ctx, a.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	info, err := db.planInfo(ctx, a.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	byID, _, err := db.liveLoansByID(ctx, a.SchoolYear)
	if err != nil {
		return planning.Changes{}, err
	}
	return planning.Compare(y, roundPlanningLoans(a, info, byID), roundPlanningLoans(b, info, byID),
		a.Params.Packs, b.Params.Packs, labels), nil
}
