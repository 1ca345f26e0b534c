package store

import (
	"context"

	"github.com/uptrace/bun"
)

// personNames returns the names of the people with these ids (ids of
// nobody are left out).
func personNames(ctx context.Context, idb bun.IDB, ids ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	var want []int64
	for _, id := range ids {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	if err := idb.NewSelect().Table("users").Column("id", "name").Where("id IN (?)", bun.List(want)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// loanLabels returns each loan's label as people read it: « prêt n° 9,
// ECOLE … ».
func loanLabels(ctx context.Context, idb bun.IDB, ids ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	var want []int64
	for _, id := range ids {
		if id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64  `bun:"id"`
		Label string `bun:"label"`
	}
	if err := idb.NewSelect().TableExpr("loans AS l").ColumnExpr("l.id AS id").
		ColumnExpr("'prêt n° ' || l.id || ', ' || s.name AS label").
		Join("JOIN schools AS s ON s.uai = l.school_uai").
		Where("l.id IN (?)", bun.List(want)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Label
	}
	return out, nil
}

// nameExtensions writes the loan's label and the people's names beside
// the ids of extensions.
func nameExtensions(ctx context.Context, idb bun.IDB, es []Extension) error {
	var people, loans []int64
	for _, e := range es {
		people = append(people, e.RequestedBy, e.DecidedBy)
		loans = append(loans, e.LoanID, e.BlockingLoanID)
	}
	names, err := personNames(ctx, idb, people...)
	if err != nil {
		return err
	}
	labels, err := loanLabels(ctx, idb, loans...)
	if err != nil {
		return err
	}
	for i := range es {
		e := &es[i]
		e.LoanLabel, e.RequestedByName, e.DecidedByName = labels[e.LoanID], names[e.RequestedBy], names[e.DecidedBy]
		e.BlockingLoanLabel = labels[e.BlockingLoanID]
	}
	return nil
}

// nameAssessment writes the loan's label and its author's name beside
// their ids.
func nameAssessment(ctx context.Context, idb bun.IDB, a *Assessment) error {
	names, err := personNames(ctx, idb, a.AuthorID)
	if err != nil {
		return err
	}
	labels, err := loanLabels(ctx, idb, a.LoanID)
	if err != nil {
		return err
	}
	a.AuthorName, a.LoanLabel = names[a.AuthorID], labels[a.LoanID]
	return nil
}

// nameMaintenance writes the name of who scheduled each window beside
// their id.
func nameMaintenance(ctx context.Context, idb bun.IDB, ms []Maintenance) error {
	var people []int64
	for _, m := range ms {
		if m.CreatedBy != nil {
			people = append(people, *m.CreatedBy)
		}
	}
	names, err := personNames(ctx, idb, people...)
	if err != nil {
		return err
	}
	for i := range ms {
		if ms[i].CreatedBy != nil {
			ms[i].CreatedByName = names[*ms[i].CreatedBy]
		}
	}
	return nil
}
