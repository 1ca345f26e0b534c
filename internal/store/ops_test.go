package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestPendingMigrations(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		pending, err := db.PendingMigrations(context.Background())
		require.NoError(t, err)
		assert.Empty(t, pending, "a migrated database")
	})
	t.Run("sqlite never migrated", func(t *testing.T) {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "new.db"), store.Options{})
		require.NoError(t, err)
		defer db.Close()
		pending, err := db.PendingMigrations(context.Background())
		require.NoError(t, err)
		assert.NotEmpty(t, pending, "every migration is pending")
	})
}

// TestIsFresh: a migrated database is fresh until it has a school or a
// person (a sector alone does not count), and is not empty.
func TestIsFresh(t *testing.T) {
	t.Parallel()
	t.Run("school", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
			ctx := context.Background()
			fresh, err := db.IsFresh(ctx)
			require.NoError(t, err)
			assert.True(t, fresh, "a migrated database")
			empty, err := db.IsEmpty(ctx)
			require.NoError(t, err)
			assert.False(t, empty, "a migrated database has tables")
			require.NoError(t, db.SaveSector(ctx, store.Actor{}, store.Sector{ID: "centre", Name: "Centre", PeriodCap: 2}))
			fresh, err = db.IsFresh(ctx)
			require.NoError(t, err)
			assert.True(t, fresh, "a sector alone")
			storetest.School(t, db, &storetest.SchoolOpts{SectorID: "centre"})
			fresh, err = db.IsFresh(ctx)
			require.NoError(t, err)
			assert.False(t, fresh, "a school")
		})
	})
	t.Run("person", func(t *testing.T) {
		storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
			storetest.User(t, db, nil)
			fresh, err := db.IsFresh(context.Background())
			require.NoError(t, err)
			assert.False(t, fresh, "a person")
		})
	})
}
