// Package storetest runs store tests on every dialect and builds test data.
//
// EachDialect runs a test on a fresh SQLite file always, and on a fresh
// PostgreSQL schema when TEST_DATABASE_URL is set. With REQUIRE_POSTGRES=1
// (CI) a missing or unreachable PostgreSQL is a failure, not a skip.
//
// SQLite files are copies of one template that each test binary migrates
// once (migrating took most of a test's setup); PostgreSQL schemas are
// migrated per test (see NewPostgresURL).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/classemobile/classemobile/internal/store"
)

// EachDialect runs fn as a subtest on each available dialect, with a
// freshly migrated, empty database that is dropped when the test ends.
func EachDialect(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, NewSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, NewPostgres(t))
	})
}

// EachDialectBare is EachDialect with an empty, unmigrated database, for
// tests of a migration (store.DB.MigrateTo, then rows in the old schema,
// then store.DB.Migrate).
func EachDialectBare(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, open(t, filepath.Join(t.TempDir(), "test.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, open(t, postgresSchemaURL(t)))
	})
}

// Logger returns a logger writing to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// NewSQLite returns a migrated database in a new SQLite file.
func NewSQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, NewSQLiteFile(t))
}

// NewSQLiteFile writes a migrated, empty SQLite database into a new file
// removed at the end of the test, and returns its path (for tests that
// open it themselves, as the command line does).
func NewSQLiteFile(t testing.TB) string {
	t.Helper()
	data, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("migrate the SQLite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write test database: %v", err)
	}
	return path
}

var sqliteTmpl struct {
	once sync.Once
	data []byte
	err  error
}

// sqliteTemplate migrates an SQLite database once per test binary and
// returns the bytes of its file. The file is read after a checkpoint and
// the close, so it holds the whole database (the WAL is empty), and it is
// removed at once: nothing outlives the test binary.
func sqliteTemplate() ([]byte, error) {
	sqliteTmpl.once.Do(func() {
		sqliteTmpl.data, sqliteTmpl.err = buildSQLiteTemplate()
	})
	return sqliteTmpl.data, sqliteTmpl.err
}

func buildSQLiteTemplate() (_ []byte, err error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if _, err := db.Bun().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	err, db = db.Close(), nil
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// PostgresURL returns TEST_DATABASE_URL, skipping the test when it is not
// set, or failing it when REQUIRE_POSTGRES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			t.Fatal("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
		}
		t.Skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
	}
	return u
}

// NewPostgres returns a migrated database in a new schema of the database
// at TEST_DATABASE_URL; the schema is dropped at the end of the test.
func NewPostgres(t testing.TB) *store.DB {
	t.Helper()
	db := open(t, newSchema(t))
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return db
}

// NewPostgresURL creates a fresh, migrated PostgreSQL schema (dropped at the
// end of the test) and returns a URL selecting it, so a test can open several
// independent store handles, as several instances would.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	dsn := newSchema(t)
	if err := open(t, dsn).Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

var (
	extOnce sync.Once
	extErr  error
)

// newSchema creates an empty PostgreSQL schema, dropped at the end of the
// test, and returns a URL selecting it.
//
// PostgreSQL keeps a schema per test, migrated by the test, rather than a
// database copied from a migrated template: CREATE DATABASE … TEMPLATE is
// fast, but DROP DATABASE forces a checkpoint of the whole server, which
// on a server shared with other work made the suite slower, not faster.
func newSchema(t testing.TB) string {
	t.Helper()
	return postgresSchemaURL(t)
}

// postgresSchemaURL creates a schema dropped at the end of the test and
// returns the URL that uses it.
func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer admin.Close()
	ctx := context.Background()
	// Extensions live in public, once per database: creating them inside a
	// test schema would drop them with it.
	extOnce.Do(func() {
		_, extErr = admin.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
		if extErr != nil && strings.Contains(extErr.Error(), "already exists") {
			extErr = nil
		}
	})
	if extErr != nil {
		t.Fatalf("create extension btree_gist: %v", extErr)
	}
	schema := "t_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema (is PostgreSQL up at TEST_DATABASE_URL?): %v", err)
	}
	// Registered before the test opens handles on the schema, so it runs
	// after their own cleanups have closed them.
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	// A test schema is thrown away, so its commits need not wait for the
	// WAL to reach the disk: visibility, locks and constraints are the same,
	// and the migrations' and the concurrency tests' commits stop waiting on
	// fsync.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	// Test databases share one server (100 connections by default) with
	// the parallel tests of every package: a pool of 16 keeps the whole
	// suite below that; concurrency tests with more clients than that
	// queue for a connection, and still race inside the database.
	db, err := store.Open(ctx, dsn, store.Options{Logger: Logger(t), MaxOpenConns: 16})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Unique returns a short random string, for unique names in factories.
func Unique() string { return randomHex(4) }

// uaiCounter makes distinct valid UAI codes within one process.
var (
	uaiMu      sync.Mutex
	uaiCounter = 0
)

// NewUAI returns a valid UAI code not used by other factories of this process.
func NewUAI() string {
	uaiMu.Lock()
	defer uaiMu.Unlock()
	uaiCounter++
	return fmt.Sprintf("093%04dX", uaiCounter)
}

// EachDialectURL runs fn as a subtest on each available dialect with the
// URL of a fresh database, for tests that open it themselves (the command
// line): an SQLite file path (not created yet), or a PostgreSQL URL
// selecting a new, migrated schema.
func EachDialectURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, NewPostgresURL(t))
	})
}
