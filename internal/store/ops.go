package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/classemobile/classemobile/migrations"
)

// PendingMigrations returns the names of the migrations of this binary not
// applied to the database (all of them on a database never migrated).
func (db *DB) PendingMigrations(ctx context.Context) (_ []string, err error) {
	defer wrapf(&err, "PendingMigrations")
	ms, err := migrations.For(string(db.dialect))
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrator(db.bun, ms)
	var exists bool
	q := "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bun_migrations')"
	if db.dialect == Postgres {
		q = "SELECT to_regclass('bun_migrations') IS NOT NULL"
	}
	if err := db.bun.NewRaw(q).Scan(ctx, &exists); err != nil {
		return nil, err
	}
	if !exists {
		var names []string
		for _, mg := range ms.Sorted() {
			names = append(names, mg.Name)
		}
		return names, nil
	}
	status, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, mg := range status.Unapplied() {
		pending = append(pending, mg.Name)
	}
	return pending, nil
}

// SQL returns the database/sql pool, for its statistics.
func (db *DB) SQL() *sql.DB { return db.bun.DB }

// SolveObserver receives each allocation solve of a round: its duration,
// objective, proven upper bound and whether it was proved optimal.
type SolveObserver func(d time.Duration, objective, upperBound int, proved bool)

// ObserveSolves makes every round's solve call f (metrics). Call it before
// the store is used concurrently.
func (db *DB) ObserveSolves(f SolveObserver) { db.onSolve = f }
