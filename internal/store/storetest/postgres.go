package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

// PostgreSQL test databases are schemas of the database at
// TEST_DATABASE_URL, each selected by the search_path of the URL a test is
// given. A test binary whose TestMain calls Main (or runs WithPool) keeps a
// pool of migrated schemas:
//
//   - a test takes an idle schema of the pool, or migrates a new one when
//     none is idle (so the pool grows to the number of tests that hold one
//     at the same time); a new schema must have the same definitions as
//     the pool's first one (fingerprintQuery);
//   - when the test ends, after the handles it opened are closed (the
//     pool's cleanup is registered first, so it runs last), its schema is
//     emptied and put back, in one transaction: every table is emptied
//     with DELETE, children before parents, the rows the migrations wrote
//     (bun's bookkeeping) are written back, and every sequence is set back
//     to where the migrations left it, so ids start again as in a fresh
//     schema;
//   - the schema is dropped instead when a test changed its definitions
//     (a table, column, index, trigger or function: the signature of its
//     catalog rows differs, see catalogQuery), when a connection of the
//     test is still open on it (each test's connections carry the schema's
//     name as application_name), or when a table is still not empty after
//     the DELETEs (a trigger wrote into it);
//   - when the binary's tests end, its schemas are dropped; a binary that
//     dies leaves them behind, and the next binary with a pool to start
//     drops every pooled schema whose binary has no connection left.
//
// Why: migrating a schema and dropping it at the end took most of a
// PostgreSQL test's time (hundreds of milliseconds, mostly the server
// creating and removing the files of every table and index); emptying a
// schema with DELETE touches no file and takes milliseconds. TRUNCATE
// gives each table new files and took as long as a migration. CREATE
// DATABASE … TEMPLATE is fast, but DROP DATABASE forces a checkpoint of
// the whole server, which on a server shared with other work made the
// suite slower, not faster.
//
// What a recycled schema does not undo: where rows lie in the tables (dead
// rows stay until autovacuum, whose free space new rows may fill, so a
// query without ORDER BY may return rows in another order than in a fresh
// table, as in production), and the planner's statistics. A binary
// without the pool (no Main) gets a fresh schema migrated for each test,
// dropped at its end.

// Main runs the tests of a package that uses PostgreSQL test databases,
// with a pool of migrated schemas dropped when the tests end. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
func Main(m *testing.M) {
	os.Exit(WithPool(m).Run())
}

// Runner is what TestMain runs: *testing.M, or a wrapper of it.
type Runner interface{ Run() int }

// WithPool returns m running with a pool of PostgreSQL schemas (see Main),
// for a TestMain that wraps m in something else (a goroutine leak check).
func WithPool(m Runner) Runner { return pooled{m} }

type pooled struct{ m Runner }

func (p pooled) Run() int {
	pgPool.mu.Lock()
	pgPool.enabled = true
	pgPool.mu.Unlock()
	code := p.m.Run()
	if err := closePool(); err != nil {
		fmt.Fprintf(os.Stderr, "storetest: dropping the PostgreSQL test schemas: %v\n", err)
	}
	return code
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

// NewPostgres returns a migrated, empty database in a PostgreSQL schema of
// the test's own (see NewPostgresURL).
func NewPostgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, NewPostgresURL(t))
}

// NewPostgresURL returns a URL selecting a migrated, empty PostgreSQL
// schema that no other test uses until this one ends, so a test can open
// several independent store handles on it, as several instances would.
// Handles opened on it must be closed by the end of the test (t.Cleanup
// or defer): a schema with a connection left is dropped, not reused.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	p, err := thePool(t)
	if err != nil {
		t.Fatalf("PostgreSQL test schemas (is PostgreSQL up at TEST_DATABASE_URL?): %v", err)
	}
	if p != nil {
		return p.lend(t)
	}
	dsn := postgresSchemaURL(t)
	if err := open(t, dsn).Migrate(context.Background()); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dsn
}

var (
	extOnce sync.Once
	extErr  error
)

// createExtensions creates the extensions the migrations need, in public,
// once per database: created by a migration inside a test schema, they
// would be dropped with it.
func createExtensions(ctx context.Context, admin *sql.DB) error {
	extOnce.Do(func() {
		_, extErr = admin.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
		if extErr != nil && strings.Contains(extErr.Error(), "already exists") {
			extErr = nil
		}
	})
	if extErr != nil {
		return fmt.Errorf("create extension btree_gist: %w", extErr)
	}
	return nil
}

// postgresSchemaURL creates an empty schema dropped at the end of the test
// and returns the URL that uses it: a bare schema for tests of a migration,
// and each test's schema when the binary has no pool.
func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer admin.Close()
	ctx := context.Background()
	if err := createExtensions(ctx, admin); err != nil {
		t.Fatal(err)
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
	u, err := schemaURL(base, schema, "")
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	return u
}

// schemaURL returns base selecting schema, with application_name set when
// it is not empty.
func schemaURL(base, schema, application string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	// A test schema is thrown away, so its commits need not wait for the
	// WAL to reach the disk: visibility, locks and constraints are the same,
	// and the migrations' and the concurrency tests' commits stop waiting on
	// fsync.
	q.Set("synchronous_commit", "off")
	if application != "" {
		q.Set("application_name", application)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// poolPrefix starts the name of every pooled schema, storetest_<binary>_<n>,
// and the application_name of the connections of the binary,
// storetest_<binary>, so that a binary can tell the schemas of a dead one
// from those of a live one.
const poolPrefix = "storetest_"

// schemas is a test binary's pool of PostgreSQL schemas.
type schemas struct {
	base  string  // TEST_DATABASE_URL
	name  string  // storetest_<hex>: the binary's prefix and application_name
	admin *sql.DB // creates, resets and drops the schemas
	alive *sql.Conn

	mu      sync.Mutex
	created []string          // every schema of the pool, idle or lent
	catalog map[string]string // schema → its catalogQuery when migrated
	idle    []string
	seq     int
	shapeMu sync.Mutex // held while the shape is read or compared
	shape   *shape
	stats   struct{ migrated, reused, dropped int }
}

var pgPool struct {
	mu      sync.Mutex
	enabled bool // the binary runs WithPool
	pool    *schemas
	err     error
}

// thePool returns the binary's pool, opened at the first call, or nil when
// the binary runs without one.
func thePool(t testing.TB) (*schemas, error) {
	t.Helper()
	base := PostgresURL(t)
	pgPool.mu.Lock()
	defer pgPool.mu.Unlock()
	if !pgPool.enabled {
		return nil, nil
	}
	if pgPool.pool == nil && pgPool.err == nil {
		pgPool.pool, pgPool.err = openPool(base)
	}
	return pgPool.pool, pgPool.err
}

func openPool(base string) (_ *schemas, err error) {
	ctx := context.Background()
	p := &schemas{base: base, name: poolPrefix + randomHex(6), catalog: map[string]string{}}
	dsn, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	q := dsn.Query()
	q.Set("application_name", p.name)
	dsn.RawQuery = q.Encode()
	if p.admin, err = sql.Open("pgx", dsn.String()); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.admin.Close()
		}
	}()
	// One connection kept open for the binary's life: it tells other
	// binaries that the schemas named after it are in use.
	if p.alive, err = p.admin.Conn(ctx); err != nil {
		return nil, err
	}
	if err := createExtensions(ctx, p.admin); err != nil {
		return nil, err
	}
	if err := p.sweep(ctx); err != nil {
		return nil, fmt.Errorf("drop the schemas of dead test binaries: %w", err)
	}
	return p, nil
}

// sweep drops the pooled schemas whose binary has no connection left: a
// binary killed before its end.
func (p *schemas) sweep(ctx context.Context) error {
	rows, err := p.admin.QueryContext(ctx, `
		SELECT nspname FROM pg_namespace
		WHERE nspname LIKE 'storetest\_%' AND split_part(nspname, '_', 2) NOT IN (
			SELECT split_part(application_name, '_', 2) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE 'storetest\_%')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var dead []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		dead = append(dead, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, s := range dead {
		// Another binary may be dropping it at the same time.
		p.admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE")
	}
	return nil
}

// lend returns the URL of a schema of the pool, taken until the end of
// the test.
func (p *schemas) lend(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	p.mu.Lock()
	var schema string
	create := len(p.idle) == 0
	if create {
		p.seq++
		schema = fmt.Sprintf("%s_%d", p.name, p.seq)
		p.created = append(p.created, schema)
		p.stats.migrated++
	} else {
		schema, p.idle = p.idle[len(p.idle)-1], p.idle[:len(p.idle)-1]
		p.stats.reused++
	}
	p.mu.Unlock()
	dsn, err := schemaURL(p.base, schema, schema)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	if create {
		if err := p.create(ctx, schema, dsn); err != nil {
			p.drop(schema)
			t.Fatalf("create test schema: %v", err)
		}
	}
	// Registered before the test opens handles on the schema, so it runs
	// after their own cleanups have closed them.
	t.Cleanup(func() { p.giveBack(schema) })
	return dsn
}

// create creates and migrates schema, and captures the shape of the pool's
// schemas from the first one.
func (p *schemas) create(ctx context.Context, schema, dsn string) error {
	if _, err := p.admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	db, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The first schema gives the pool its shape; the others must be built
	// alike, or the shape's statements would not reset them.
	p.shapeMu.Lock()
	defer p.shapeMu.Unlock()
	if p.shape == nil {
		sh, err := captureShape(ctx, p.admin, schema)
		if err != nil {
			return fmt.Errorf("read the migrated schema: %w", err)
		}
		p.mu.Lock()
		p.shape = sh
		p.mu.Unlock()
	} else {
		fingerprint, err := p.query(ctx, schema, fingerprintQuery)
		if err != nil {
			return err
		}
		if fingerprint != p.shape.fingerprint {
			return fmt.Errorf("the migrations built schema %s unlike the pool's first one", schema)
		}
	}
	catalog, err := p.query(ctx, schema, catalogQuery)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.catalog[schema] = catalog
	p.mu.Unlock()
	return nil
}

// query returns the one value of a query run with search_path set to
// schema.
func (p *schemas) query(ctx context.Context, schema, query string) (string, error) {
	tx, err := p.admin.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL search_path TO "+schema+", public"); err != nil {
		return "", err
	}
	var v string
	err = tx.QueryRowContext(ctx, query).Scan(&v)
	return v, err
}

// giveBack resets schema and puts it back in the pool, or drops it.
func (p *schemas) giveBack(schema string) {
	ctx := context.Background()
	if p.unused(ctx, schema) && p.reset(ctx, schema) == nil {
		p.mu.Lock()
		p.idle = append(p.idle, schema)
		p.mu.Unlock()
		return
	}
	p.drop(schema)
}

// unused waits a moment for the connections of the test on schema to end
// (a closed connection leaves the server's list a little later) and
// reports whether they did.
func (p *schemas) unused(ctx context.Context, schema string) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		var n int
		err := p.admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1`, schema).Scan(&n)
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var errChanged = errors.New("the schema is not as the migrations left it")

// reset empties schema, as the migrations left it, in one transaction.
func (p *schemas) reset(ctx context.Context, schema string) (err error) {
	p.mu.Lock()
	sh, catalog := p.shape, p.catalog[schema]
	p.mu.Unlock()
	if sh == nil || catalog == "" {
		return errChanged
	}
	tx, err := p.admin.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, "SET LOCAL search_path TO "+schema+", public; SET LOCAL synchronous_commit TO off"); err != nil {
		return err
	}
	var now string
	if err := tx.QueryRowContext(ctx, catalogQuery).Scan(&now); err != nil {
		return err
	}
	if now != catalog {
		return errChanged
	}
	if _, err := tx.ExecContext(ctx, sh.empty); err != nil {
		return err
	}
	var left string
	if err := tx.QueryRowContext(ctx, sh.nonEmpty).Scan(&left); err != nil {
		return err
	}
	if left != "" {
		return fmt.Errorf("tables not empty after the reset: %s", left)
	}
	if _, err := tx.ExecContext(ctx, sh.restore); err != nil {
		return err
	}
	return tx.Commit()
}

// drop drops schema (a connection left on it does not prevent it, an open
// transaction that locked its tables makes it wait, as with a schema per
// test).
func (p *schemas) drop(schema string) {
	p.admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	p.mu.Lock()
	p.stats.dropped++
	p.created = slices.DeleteFunc(p.created, func(s string) bool { return s == schema })
	delete(p.catalog, schema)
	p.mu.Unlock()
}

// closePool drops the schemas of the pool and closes it.
func closePool() error {
	pgPool.mu.Lock()
	p := pgPool.pool
	pgPool.pool, pgPool.enabled = nil, false
	pgPool.mu.Unlock()
	if p == nil {
		return nil
	}
	defer p.admin.Close()
	defer p.alive.Close()
	p.mu.Lock()
	all := p.created
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "storetest: PostgreSQL schemas: %d migrated, %d reused, %d dropped before the end\n",
			p.stats.migrated, p.stats.reused, p.stats.dropped)
	}
	p.mu.Unlock()
	if len(all) == 0 {
		return nil
	}
	_, err := p.alive.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+strings.Join(all, ", ")+" CASCADE")
	return err
}
