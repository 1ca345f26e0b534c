package store_test

import (
	"context"
	"testing"

	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// benchTownRound is a town's draft on SQLite: 6 packs, 40 validated
// requests in 8 sectors, a few of them needing two packs.
func benchTownRound(b *testing.B) (*store.DB, store.Round) {
	b.Helper()
	db := storetest.NewSQLite(b)
	d := storetest.Rounds(b, db, &storetest.RoundOpts{Packs: 6, Requests: 40, Sectors: 8, TwoPacks: []int{3, 17, 29}})
	r, err := round.Run(context.Background(), db, store.Actor{UserID: d.Coordinator.ID}, roundInput(d.Year))
	if err != nil {
		b.Fatal(err)
	}
	return db, r
}

// BenchmarkRoundGridTown reads a town's draft from the database and lays
// out its grid: the store's part of the round page.
func BenchmarkRoundGridTown(b *testing.B) {
	db, r := benchTownRound(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.RoundGrid(ctx, r.ID, storetest.RoundToday, planning.Viewer{Staff: true}, planning.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundChangesTown compares a town's draft with the plan in
// force.
func BenchmarkRoundChangesTown(b *testing.B) {
	db, r := benchTownRound(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.RoundChanges(ctx, r.ID); err != nil {
			b.Fatal(err)
		}
	}
}
