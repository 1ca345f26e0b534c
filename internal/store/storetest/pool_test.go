package storetest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
)

// The tests of the pool do not run in parallel: the pool lends the schema
// given back last, which a parallel test could take first.

func currentSchema(t *testing.T, db *store.DB) string {
	t.Helper()
	var s string
	require.NoError(t, db.Bun().NewRaw("SELECT current_schema()").Scan(context.Background(), &s))
	return s
}

func schemaExists(t *testing.T, schema string) bool {
	t.Helper()
	admin, err := sql.Open("pgx", PostgresURL(t))
	require.NoError(t, err)
	defer admin.Close()
	var ok bool
	require.NoError(t, admin.QueryRow("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema).Scan(&ok))
	return ok
}

// written writes rows through the store, one of them refused after taking
// an id from its sequence, and returns the ids given.
func written(t *testing.T, db *store.DB) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, code := range []string{"P1", "P1", "P2"} {
		p, err := db.CreatePack(ctx, store.Actor{}, store.Pack{Code: code, Label: "Classe mobile " + code,
			Items: []store.PackItem{{Kind: store.ItemTablet, Label: "Tablette", Serial: code + "-T"}}})
		if err == nil {
			ids = append(ids, p.ID, p.Items[0].ID)
		}
	}
	u, _, err := db.CreateUser(ctx, store.Actor{}, store.User{Role: store.RoleCoordinator, Email: "c@example.fr", Name: "Claire"})
	require.NoError(t, err)
	return append(ids, u.ID)
}

// TestPostgresPoolRecycles checks that a schema given back and lent again
// is as a freshly migrated one: no rows but the migrations' own, and the
// same ids.
func TestPostgresPoolRecycles(t *testing.T) {
	ctx := context.Background()
	var fresh []int64
	var freshCounts map[string]int64
	t.Run("fresh", func(t *testing.T) {
		db := open(t, postgresSchemaURL(t))
		require.NoError(t, db.Migrate(ctx))
		fresh = written(t, db)
		var err error
		freshCounts, err = db.TableCounts(ctx)
		require.NoError(t, err)
	})
	var first string
	t.Run("first", func(t *testing.T) {
		db := NewPostgres(t)
		first = currentSchema(t, db)
		assert.Equal(t, fresh, written(t, db))
	})
	t.Run("again", func(t *testing.T) {
		db := NewPostgres(t)
		require.Equal(t, first, currentSchema(t, db), "the schema given back is lent again")
		counts, err := db.TableCounts(ctx)
		require.NoError(t, err)
		for table, n := range counts {
			if table == "bun_migrations" {
				assert.Equal(t, freshCounts[table], n, "the migrations' rows are back")
			} else {
				assert.Zero(t, n, "%s is empty", table)
			}
		}
		pending, err := db.PendingMigrations(ctx)
		require.NoError(t, err)
		assert.Empty(t, pending)
		assert.Equal(t, fresh, written(t, db), "ids start again as in a fresh schema")
		counts, err = db.TableCounts(ctx)
		require.NoError(t, err)
		assert.Equal(t, freshCounts, counts)
	})
}

// TestPostgresPoolConcurrentTests checks that tests running at the same
// time get schemas of their own, where several handles see the same rows.
func TestPostgresPoolConcurrentTests(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var both sync.WaitGroup
	both.Add(2)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dsn := NewPostgresURL(t)
				one, two := open(t, dsn), open(t, dsn)
				written(t, one)
				var n int
				require.NoError(t, two.Bun().NewRaw("SELECT count(*) FROM packs").Scan(context.Background(), &n))
				assert.Equal(t, 2, n, "a second handle sees the first one's rows, and no other test's")
				mu.Lock()
				seen[currentSchema(t, two)] = true
				mu.Unlock()
				both.Done()
				both.Wait() // both tests hold their schema
			})
		}
	})
	assert.Len(t, seen, 2)
}

// TestPostgresPoolDropsChangedSchemas checks that a schema whose
// definitions a test changed is dropped, not lent again.
func TestPostgresPoolDropsChangedSchemas(t *testing.T) {
	for _, ddl := range []string{
		"ALTER TABLE schools ALTER COLUMN name SET DEFAULT 'x'",
		"CREATE INDEX schools_extra ON schools (name)",
		"ALTER TABLE pack_maintenance DISABLE TRIGGER pack_maintenance_no_loan",
		"CREATE FUNCTION extra() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
		"CREATE TABLE extra (id INTEGER)",
		"ALTER TABLE schools ADD COLUMN extra INTEGER",
		"ALTER TABLE schools DROP CONSTRAINT schools_sector_id_fkey",
	} {
		var changed string
		t.Run("change", func(t *testing.T) {
			db := NewPostgres(t)
			changed = currentSchema(t, db)
			_, err := db.Bun().ExecContext(context.Background(), ddl)
			require.NoError(t, err)
		})
		assert.False(t, schemaExists(t, changed), "%s: the schema is dropped", ddl)
		t.Run("next", func(t *testing.T) {
			db := NewPostgres(t)
			assert.NotEqual(t, changed, currentSchema(t, db))
		})
	}
}

// TestPostgresPoolDropsSchemasStillInUse checks that a schema a test left
// a connection on is dropped, not lent again.
func TestPostgresPoolDropsSchemasStillInUse(t *testing.T) {
	var leaked *sql.DB
	var schema string
	t.Run("leak", func(t *testing.T) {
		dsn := NewPostgresURL(t)
		var err error
		leaked, err = sql.Open("pgx", dsn)
		require.NoError(t, err)
		require.NoError(t, leaked.QueryRow("SELECT current_schema()").Scan(&schema))
	})
	defer leaked.Close()
	assert.False(t, schemaExists(t, schema))
}

// TestPostgresPoolSweepsDeadBinaries checks that opening a pool drops the
// schemas of binaries that have no connection left, and only those.
func TestPostgresPoolSweepsDeadBinaries(t *testing.T) {
	db := NewPostgres(t)
	mine := currentSchema(t, db)
	p, err := thePool(t)
	require.NoError(t, err)
	require.NotNil(t, p)
	dead := poolPrefix + "0123456789ab_1"
	_, err = p.admin.Exec("CREATE SCHEMA " + dead)
	require.NoError(t, err)
	t.Cleanup(func() { p.admin.Exec("DROP SCHEMA IF EXISTS " + dead) })
	require.NoError(t, p.sweep(context.Background()))
	assert.False(t, schemaExists(t, dead), "a dead binary's schema is dropped")
	assert.True(t, schemaExists(t, mine), "a live binary's schema is kept")
}

// TestPostgresWithoutPool checks the schema per test of a binary without
// the pool: migrated, and dropped at the end of the test.
func TestPostgresWithoutPool(t *testing.T) {
	PostgresURL(t)
	pgPool.mu.Lock()
	pgPool.enabled = false
	pgPool.mu.Unlock()
	defer func() {
		pgPool.mu.Lock()
		pgPool.enabled = true
		pgPool.mu.Unlock()
	}()
	var schema string
	t.Run("own", func(t *testing.T) {
		db := NewPostgres(t)
		schema = currentSchema(t, db)
		assert.True(t, strings.HasPrefix(schema, "t_"), schema)
		pending, err := db.PendingMigrations(context.Background())
		require.NoError(t, err)
		assert.Empty(t, pending)
	})
	assert.False(t, schemaExists(t, schema))
}
