// Package storetest runs store tests on every dialect and builds test data.
//
// EachDialect runs a test on a fresh SQLite file always, and on a fresh
// PostgreSQL database when TEST_DATABASE_URL is set. With REQUIRE_POSTGRES=1
// (CI) a missing or unreachable PostgreSQL is a failure, not a skip.
//
// Migrating takes most of a test database's setup, so each test binary
// migrates once per dialect and every test gets a copy: an SQLite file
// written from a migrated template kept in memory, and a PostgreSQL
// database created from a migrated template database (CREATE DATABASE …
// TEMPLATE). Tests stay isolated from each other and may run in parallel.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/migrations"
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

// NewPostgres returns a migrated database in a new PostgreSQL database on
// the server of TEST_DATABASE_URL, dropped at the end of the test.
func NewPostgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, NewPostgresURL(t))
}

// NewPostgresURL creates a fresh, migrated PostgreSQL database (dropped at
// the end of the test) and returns its URL, so a test can open several
// independent store handles, as several instances would.
//
// The database is a copy of a template database that the first call of the
// test binary migrates, named after TEST_DATABASE_URL's database and a hash
// of the migrations: test binaries running at once share it, and it is
// reused until the migrations change (the older template of the same
// database is dropped then). The role needs the CREATEDB privilege.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := adminDB(base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	tmpl, err := postgresTemplate(base, admin)
	if err != nil {
		t.Fatalf("migrate the PostgreSQL template (is PostgreSQL up at TEST_DATABASE_URL?): %v", err)
	}
	name := dbPrefix(base) + "_" + randomHex(8)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+" TEMPLATE "+quoteIdent(tmpl)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	// Registered before the test opens handles on the database, so it runs
	// after their own cleanups have closed them.
	t.Cleanup(func() { dropLater(admin, name) })
	dsn, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	// A test database is thrown away, so its commits need not wait for the
	// WAL to reach the disk: visibility, locks and constraints are the same,
	// and the concurrency tests' thousands of commits stop waiting on fsync.
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse test database URL: %v", err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// drops holds the test databases to drop when the test binary ends (see M).
var drops struct {
	mu       sync.Mutex
	deferred bool
	admin    *sql.DB
	names    []string
}

// M wraps a package's testing.M so that Run, once the tests have run, drops
// the PostgreSQL databases they made. DROP DATABASE forces a checkpoint of
// the whole server: dropping each test's database as the test ends makes
// every test wait for one (seconds, or minutes on a server busy writing),
// while dropped together at the end (eight at a time) they share one
// checkpoint per batch. A package whose
// tests use PostgreSQL calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.M(m).Run()) }
//
// Without it each database is dropped when its test ends. A test binary
// killed before the end (a timeout) leaves its databases behind: they are
// named after TEST_DATABASE_URL's database, which CI drops them with.
func M(m interface{ Run() int }) interface{ Run() int } { return mainRunner{m} }

type mainRunner struct{ m interface{ Run() int } }

func (r mainRunner) Run() int {
	drops.mu.Lock()
	drops.deferred = true
	drops.mu.Unlock()
	code := r.m.Run()
	drops.mu.Lock()
	names, db := drops.names, drops.admin
	drops.names, drops.deferred = nil, false
	drops.mu.Unlock()
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for name := range work {
				dropDatabase(db, name)
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	return code
}

// dropLater drops the test database name now, or at the end of the test
// binary under M.
func dropLater(admin *sql.DB, name string) {
	drops.mu.Lock()
	if drops.deferred {
		drops.admin = admin
		drops.names = append(drops.names, name)
		drops.mu.Unlock()
		return
	}
	drops.mu.Unlock()
	dropDatabase(admin, name)
}

func dropDatabase(admin *sql.DB, name string) {
	admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
}

// admin is the test binary's pool on TEST_DATABASE_URL's own database, for
// creating and dropping test databases.
var admin struct {
	mu  sync.Mutex
	url string
	db  *sql.DB
}

func adminDB(base string) (*sql.DB, error) {
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if admin.db != nil && admin.url == base {
		return admin.db, nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	admin.url, admin.db = base, db
	return db, nil
}

var pgTmpl struct {
	once sync.Once
	name string
	err  error
}

// postgresTemplate returns the name of the migrated template database,
// building it if no test binary has yet.
func postgresTemplate(base string, admin *sql.DB) (string, error) {
	pgTmpl.once.Do(func() {
		pgTmpl.name, pgTmpl.err = buildPostgresTemplate(base, admin)
	})
	return pgTmpl.name, pgTmpl.err
}

func buildPostgresTemplate(base string, admin *sql.DB) (_ string, err error) {
	ctx := context.Background()
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	prefix := dbPrefix(base) + "_tmpl_"
	name := prefix + sum
	// One connection holds an advisory lock while it looks for the template
	// and builds it: test binaries started together wait for the first. The
	// lock is per TEST_DATABASE_URL database, not per template, so one
	// builder at a time uses the build name and drops stale templates.
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext($1))", prefix); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", prefix)
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under another name and rename when migrated, so a template is
	// never seen half built (a binary killed meanwhile leaves only the
	// build database, dropped by the next attempt).
	build := prefix + "build"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(build)+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(build)); err != nil {
		return "", err
	}
	if err := migratePostgres(ctx, base, build); err != nil {
		conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(build)+" WITH (FORCE)")
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+quoteIdent(build)+" RENAME TO "+quoteIdent(name)); err != nil {
		return "", err
	}
	// Templates of other migrations of the same database are only a cache:
	// drop them. (Two test runs of different migrations against the same
	// database at once would take each other's template away: give each
	// worktree its own TEST_DATABASE_URL.)
	rows, err := conn.QueryContext(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname <> $2", prefix, name)
	if err != nil {
		return "", err
	}
	var stale []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		stale = append(stale, n)
	}
	rows.Close()
	for _, n := range stale {
		conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(n))
	}
	return name, nil
}

// migratePostgres migrates the database name of base's server.
func migratePostgres(ctx context.Context, base, name string) error {
	dsn, err := withDatabase(base, name)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	return errors.Join(db.Migrate(ctx), db.Close())
}

// migrationsHash is a short hash of the PostgreSQL migration files, which
// names the template they build.
func migrationsHash() (string, error) {
	fsys, err := migrations.FS(migrations.Postgres)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// dbPrefix is TEST_DATABASE_URL's database name, cut so that the names
// built on it stay within PostgreSQL's 63 bytes.
func dbPrefix(base string) string {
	name := "storetest"
	if u, err := url.Parse(base); err == nil {
		if n := strings.TrimPrefix(u.Path, "/"); n != "" {
			name = n
		}
	}
	if len(name) > 40 {
		name = name[:40]
	}
	return name
}

// withDatabase returns base with its database name replaced by name.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
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
