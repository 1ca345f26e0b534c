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
