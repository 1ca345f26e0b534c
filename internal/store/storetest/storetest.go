// Package storetest runs store tests on every dialect and builds test data.
//
// EachDialect runs a test on a fresh SQLite file always, and on an empty,
// migrated PostgreSQL schema of its own when TEST_DATABASE_URL is set. With REQUIRE_POSTGRES=1
// (CI) a missing or unreachable PostgreSQL is a failure, not a skip.
//
// SQLite files are copies of one template that each test binary migrates
// once (migrating took most of a test's setup). PostgreSQL schemas come
// from a pool of migrated schemas, emptied between tests, in the binaries
// whose TestMain calls Main (see postgres.go).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/classemobile/classemobile/internal/store"
)

// EachDialect runs fn as a subtest on each available dialect, with a
// migrated, empty database that no other test uses while it runs.
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
// URL of a database of its own, for tests that open it themselves (the
// command line): an SQLite file path (not created yet), or a PostgreSQL URL
// selecting an empty, migrated schema (see NewPostgresURL).
func EachDialectURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, NewPostgresURL(t))
	})
}
