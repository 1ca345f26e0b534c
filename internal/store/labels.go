package store

import (
	"context"
	"slices"

	"github.com/uptrace/bun"
)

// personNames returns the names of the people with these ids (ids of
// nobody are left out).
func personNames(ctx context.Context, idb bun.IDB, ids ...int64) (map[int64]string, error) {
	return labelsByID(ctx, ids, func(want []int64) *bun.SelectQuery {
		return idb.NewSelect().Table("users").Column("id").ColumnExpr("name AS label").Where("id IN (?)", bun.List(want))
	})
}

// loanLabels returns each loan's label as people read it: « prêt n° 9,
// ECOLE … ».
func loanLabels(ctx context.Context, idb bun.IDB, ids ...int64) (map[int64]string, error) {
	return labelsByID(ctx, ids, func(want []int64) *bun.SelectQuery {
		return idb.NewSelect().TableExpr("loans AS l").ColumnExpr("l.id AS id").
			ColumnExpr("'prêt n° ' || l.id || ', ' || s.name AS label").
			Join("JOIN schools AS s ON s.uai = l.school_uai").
			Where("l.id IN (?)", bun.List(want))
	})
}

// labelsByID runs the query that query builds for the nonzero ids (its
// columns: id, label) and returns the labels by id; zero ids stand for
// nobody and are left out.
func labelsByID(ctx context.Context, ids []int64, query func(want []int64) *bun.SelectQuery) (map[int64]string, error) {
	out := map[int64]string{}
	want := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return id == 0 })
	if len(want) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64  `bun:"id"`
		Label string `bun:"label"`
	}
	if err := query(want).Scan(ctx, &rows); err != nil {
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
