package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
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

// ReportSolve passes a round's solve to the observer set by ObserveSolves,
// if any (package round calls it).
func (db *DB) ReportSolve(d time.Duration, objective, upperBound int, proved bool) {
	if db.onSolve != nil {
		db.onSolve(d, objective, upperBound, proved)
	}
}

// TableCounts returns the number of rows of every table of the
// application (bun's migration bookkeeping included), by table name.
func (db *DB) TableCounts(ctx context.Context) (_ map[string]int64, err error) {
	defer wrapf(&err, "TableCounts")
	names, err := db.tables(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(names))
	for _, name := range names {
		var n int64
		if err := db.bun.NewRaw("SELECT count(*) FROM ?", bun.Ident(name)).Scan(ctx, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, nil
}

// tables lists the tables of the database (its current schema on
// PostgreSQL), sorted.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if db.dialect == Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	var names []string
	if err := db.bun.NewRaw(q).Scan(ctx, &names); err != nil {
		return nil, err
	}
	return names, nil
}

// IsEmpty reports whether the database has no table at all (a restore
// target).
func (db *DB) IsEmpty(ctx context.Context) (_ bool, err error) {
	defer wrapf(&err, "IsEmpty")
	names, err := db.tables(ctx)
	return len(names) == 0, err
}

// IsFresh reports whether the database has neither schools nor users: a
// fresh installation, the only kind the demo data sets are seeded into
// (unlike IsEmpty, it counts a migrated database as fresh).
func (db *DB) IsFresh(ctx context.Context) (_ bool, err error) {
	defer wrapf(&err, "IsFresh")
	for _, table := range []string{"schools", "users"} {
		some, err := db.bun.NewSelect().TableExpr(table).Exists(ctx)
		if err != nil || some {
			return false, err
		}
	}
	return true, nil
}

// VacuumInto writes a consistent copy of an SQLite database to path, which
// must not exist, while other connections go on reading and writing (the
// copy is one read transaction: it holds what was committed when it began).
func (db *DB) VacuumInto(ctx context.Context, path string) (err error) {
	defer wrapf(&err, "VacuumInto(%s)", path)
	if db.dialect != SQLite {
		return errors.New("VACUUM INTO is SQLite's")
	}
	_, err = db.bun.ExecContext(ctx, "VACUUM INTO ?", path)
	return err
}

// CheckIntegrity runs the database's own consistency checks (SQLite:
// integrity_check and foreign_key_check) and returns an error describing
// the first problems found. On PostgreSQL constraints are checked as rows
// are written, so it only checks that the database answers.
func (db *DB) CheckIntegrity(ctx context.Context) (err error) {
	defer wrapf(&err, "CheckIntegrity")
	if db.dialect != SQLite {
		return db.Ping(ctx)
	}
	var res []string
	if err := db.bun.NewRaw("PRAGMA integrity_check").Scan(ctx, &res); err != nil {
		return err
	}
	if len(res) != 1 || res[0] != "ok" {
		return fmt.Errorf("integrity_check: %s", strings.Join(res, "; "))
	}
	rows, err := db.bun.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("%s row %d → %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("foreign_key_check: %d broken references: %s", len(problems), strings.Join(problems[:min(len(problems), 5)], ", "))
	}
	return nil
}

// ConstraintCount returns the number of constraints, indexes and
// triggers of the schema, to compare a restored database with its source.
func (db *DB) ConstraintCount(ctx context.Context) (_ int, err error) {
	defer wrapf(&err, "ConstraintCount")
	q := "SELECT count(*) FROM sqlite_master WHERE type IN ('index', 'trigger')"
	if db.dialect == Postgres {
		q = `SELECT (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema())
		     + (SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal)
		     + (SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema())`
	}
	var n int
	err = db.bun.NewRaw(q).Scan(ctx, &n)
	return n, err
}
