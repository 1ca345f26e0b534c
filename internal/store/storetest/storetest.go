// Package storetest runs store tests on every dialect and builds test data.
//
// EachDialect runs a test on a fresh SQLite file always, and on a fresh
// PostgreSQL schema when TEST_DATABASE_URL is set. With REQUIRE_POSTGRES=1
// (CI) a missing or unreachable PostgreSQL is a failure, not a skip.
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

// Logger returns a logger writing to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// NewSQLite returns a migrated database in a new SQLite file.
func NewSQLite(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	return open(t, path)
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

var (
	extOnce sync.Once
	extErr  error
)

// NewPostgres returns a migrated database in a new schema of the database
// at TEST_DATABASE_URL; the schema is dropped at the end of the test.
func NewPostgres(t testing.TB) *store.DB {
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
	u.RawQuery = q.Encode()
	return open(t, u.String())
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
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
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
