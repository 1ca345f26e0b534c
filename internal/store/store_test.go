package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		require.NoError(t, db.Migrate(context.Background()), "second migrate is a no-op")
		require.NoError(t, db.Ping(context.Background()))
	})
}

func TestSchools(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := storetest.School(t, db, &storetest.SchoolOpts{UAI: "0930001A", Name: "École Anatole France", SectorID: "centre"})
		assert.Equal(t, 1, s.Version)

		_, err := db.CreateSchool(ctx, store.Actor{}, store.School{UAI: "0930001A", Name: "Doublon"})
		assert.ErrorIs(t, err, store.ErrConflict, "same UAI twice")

		_, err = db.CreateSchool(ctx, store.Actor{}, store.School{UAI: "0930002B", Name: "X", SectorID: "nowhere"})
		assert.ErrorIs(t, err, store.ErrInvalidReference, "unknown sector")

		_, err = db.CreateSchool(ctx, store.Actor{}, store.School{UAI: "bad", Name: "X"})
		assert.Error(t, err, "malformed UAI refused by the schema")

		got, err := db.School(ctx, "0930001A")
		require.NoError(t, err)
		assert.Equal(t, "centre", got.SectorID)

		got.Name = "École Anatole France (rénovée)"
		upd, err := db.UpdateSchool(ctx, store.Actor{}, got)
		require.NoError(t, err)
		assert.Equal(t, 2, upd.Version)

		_, err = db.UpdateSchool(ctx, store.Actor{}, got) // still version 1
		assert.ErrorIs(t, err, store.ErrStale)

		_, err = db.School(ctx, "0930009Z")
		assert.ErrorIs(t, err, store.ErrNotFound)

		trail, err := db.AuditTrail(ctx, "school", "0930001A")
		require.NoError(t, err)
		require.Len(t, trail, 2)
		assert.Equal(t, "school.create", trail[0].Action)
		assert.Equal(t, "school.update", trail[1].Action)
		assert.Contains(t, string(trail[1].Before), "Anatole France\"")
		assert.Contains(t, string(trail[1].After), "rénovée")
	})
}

func TestPacks(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := storetest.Pack(t, db, &storetest.PackOpts{Code: "CM-01"})
		require.Len(t, p.Items, 14)
		assert.Equal(t, store.PackAvailable, p.Status)

		_, err := db.CreatePack(ctx, store.Actor{}, store.Pack{Code: "CM-01"})
		assert.ErrorIs(t, err, store.ErrConflict, "same code twice")

		_, err = db.CreatePack(ctx, store.Actor{}, store.Pack{Code: "CM-02", Items: []store.PackItem{{Kind: store.ItemTablet, Label: "T", Serial: "CM-01-T01"}}})
		assert.ErrorIs(t, err, store.ErrConflict, "serial already used by another pack")
		_, err = db.Pack(ctx, 999)
		assert.ErrorIs(t, err, store.ErrNotFound)
		packs, err := db.ListPacks(ctx)
		require.NoError(t, err)
		assert.Len(t, packs, 1, "the failed create left nothing behind")

		// Drop the access point, rename a tablet, add a stylus.
		items := append([]store.PackItem(nil), p.Items[:13]...)
		items[0].Label = "Tablette 01 (écran changé)"
		items = append(items, store.PackItem{Kind: store.ItemAccessory, Label: "Stylet"})
		p.Items, p.Status = items, store.PackMaintenance
		upd, err := db.UpdatePack(ctx, store.Actor{}, p)
		require.NoError(t, err)
		require.Len(t, upd.Items, 14)
		assert.Equal(t, p.Items[0].ID, upd.Items[0].ID, "items keep their identity")
		assert.Equal(t, "Tablette 01 (écran changé)", upd.Items[0].Label)
		assert.Equal(t, "Stylet", upd.Items[13].Label)
		assert.Equal(t, 14, upd.Items[13].Position)
		assert.Equal(t, store.PackMaintenance, upd.Status)

		_, err = db.UpdatePack(ctx, store.Actor{}, p)
		assert.ErrorIs(t, err, store.ErrStale)
	})
}

func TestUsersAndTokens(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := storetest.School(t, db, nil)
		u, token := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI, Email: "prof@example.fr"})
		assert.NotEmpty(t, token)

		got, err := db.UserByToken(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.ID)
		assert.Equal(t, s.UAI, got.SchoolUAI)

		_, err = db.UserByToken(ctx, token+"x")
		assert.ErrorIs(t, err, store.ErrNotFound)

		var stored int
		require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM api_tokens WHERE token_hash = ?", token).Scan(ctx, &stored))
		assert.Zero(t, stored, "the clear token is never stored")

		_, _, err = db.CreateUser(ctx, store.Actor{}, store.User{Email: "prof@example.fr", Name: "X", Role: store.RoleTeacher, SchoolUAI: s.UAI})
		assert.ErrorIs(t, err, store.ErrConflict, "same e-mail twice")

		_, _, err = db.CreateUser(ctx, store.Actor{}, store.User{Email: "dir@example.fr", Name: "X", Role: store.RoleDirector})
		assert.Error(t, err, "a director needs a school")

		_, _, err = db.CreateUser(ctx, store.Actor{}, store.User{Email: "it@example.fr", Name: "X", Role: store.RoleIT, SchoolUAI: s.UAI})
		assert.Error(t, err, "an IT user has no school")

		_, _, err = db.CreateUser(ctx, store.Actor{}, store.User{Email: "t2@example.fr", Name: "X", Role: store.RoleTeacher, SchoolUAI: "0939999Z"})
		assert.True(t, errors.Is(err, store.ErrInvalidReference), "unknown school: %v", err)
	})
}

// TestOpenSQLitePathWithHash: a plain path is a file name, even with the
// characters a URI reads otherwise ('#' ends the name, '%' escapes): the
// database lands at that very path (a subtest's temporary directory is
// named "sqlite#01" when a test runs EachDialect twice).
func TestOpenSQLitePathWithHash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#01 50%")
	require.NoError(t, os.Mkdir(dir, 0o700))
	path := filepath.Join(dir, "test.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	require.NoError(t, db.Migrate(ctx))
	require.NoError(t, db.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "the database is at the path given")
	db, err = store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	fresh, err := db.IsFresh(ctx)
	require.NoError(t, err)
	assert.True(t, fresh, "reopened: migrated and empty")
}
