package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// runCLI runs the command line with an environment map and returns the
// exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	code := exitCode(err, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string
	}{
		{name: "no command", giveArgs: nil, wantCode: 2, wantErr: "Usage: classemobile"},
		{name: "help", giveArgs: []string{"-h"}, wantCode: 0, wantErr: "Commands:"},
		{name: "unknown command", giveArgs: []string{"frobnicate"}, wantCode: 2, wantErr: `unknown command "frobnicate"`},
		{name: "serve help", giveArgs: []string{"serve", "-h"}, wantCode: 0, wantErr: "--demo"},
		{name: "serve bad flag", giveArgs: []string{"serve", "--nope"}, wantCode: 2, wantErr: "flag provided but not defined"},
		{name: "serve bad loan weeks", giveArgs: []string{"serve", "--loan-weeks", "0"}, wantCode: 2, wantErr: "loan-weeks"},
		{name: "migrate help", giveArgs: []string{"migrate", "-h"}, wantCode: 0, wantErr: "migrate [--db URL]"},
		{name: "user without subcommand", giveArgs: []string{"user"}, wantCode: 2, wantErr: "user add"},
		{name: "user add missing flags", giveArgs: []string{"user", "add", "--email", "a@b.fr"}, wantCode: 2, wantErr: "required"},
		{name: "user add bad role", giveArgs: []string{"user", "add", "--email", "a@b.fr", "--name", "A", "--role", "king"}, wantCode: 2, wantErr: "unknown role"},
		{name: "teacher without school", giveArgs: []string{"user", "add", "--email", "a@b.fr", "--name", "A", "--role", "teacher"}, wantCode: 2, wantErr: "needs --school"},
		{name: "bad e-mail", giveArgs: []string{"user", "add", "--email", "not-an-address", "--name", "A", "--role", "it"}, wantCode: 2, wantErr: "not an e-mail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, nil, tt.giveArgs...)
			assert.Equal(t, tt.wantCode, code, "exit code; stderr: %s", stderr)
			assert.Contains(t, stderr, tt.wantErr)
			assert.Empty(t, stdout, "nothing on stdout")
		})
	}
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "cli.db")
	env := map[string]string{"DATABASE_URL": dbPath}

	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr := runCLI(t, env, "user", "add", "--email", "Claire@Example.fr", "--name", "Claire", "--role", "coordinator")
	require.Equal(t, 0, code, stderr)
	token := strings.TrimSpace(stdout)
	assert.Equal(t, token+"\n", stdout, "the token alone on stdout")
	assert.True(t, strings.HasPrefix(token, "cm_"))

	db, err := store.Open(context.Background(), dbPath, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	u, err := db.UserByToken(context.Background(), token)
	require.NoError(t, err)
	assert.Equal(t, "claire@example.fr", u.Email)
	assert.Equal(t, store.RoleCoordinator, u.Role)

	code, stdout, stderr = runCLI(t, env, "user", "add", "--email", "claire@example.fr", "--name", "Claire", "--role", "it")
	assert.Equal(t, 1, code, "duplicate e-mail")
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "déjà celle d'une autre personne")

	code, _, stderr = runCLI(t, env, "user", "add", "--email", "t@example.fr", "--name", "T", "--role", "teacher", "--school", "0939999Z")
	assert.Equal(t, 1, code, "unknown school: %s", stderr)
}

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		require.NoError(t, seedDemo(ctx, db, &out, logger, now))

		schools, err := db.ListSchools(ctx)
		require.NoError(t, err)
		assert.Len(t, schools, 15, "the 15 public elementary schools")
		for _, s := range schools {
			assert.NotEmpty(t, s.SectorID, "school %s has a quartier", s.UAI)
		}
		sectors, err := db.ListSectors(ctx)
		require.NoError(t, err)
		assert.Len(t, sectors, 7, "the 7 quartiers")
		packs, err := db.ListPacks(ctx)
		require.NoError(t, err)
		require.Len(t, packs, 6)
		for _, p := range packs {
			tablets := 0
			for _, it := range p.Items {
				if it.Kind == store.ItemTablet {
					tablets++
				}
			}
			assert.Equal(t, 12, tablets, "pack %s", p.Code)
		}
		for _, role := range store.Roles {
			users, err := db.ListUsers(ctx, role, "")
			require.NoError(t, err)
			assert.NotEmpty(t, users, "a demo user with role %s", role)
			assert.Contains(t, out.String(), string(role))
		}
		// One line per demo person: role, school, e-mail, API token, sign-in
		// link starting with the base URL. The coordinator's token and
		// link work.
		var token, link string
		lines := 0
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) != 5 || !store.Role(f[0]).Valid() {
				continue
			}
			lines++
			assert.True(t, strings.HasPrefix(f[4], "http://localhost:8080/connexion/lien?jeton="), "link of %s: %s", f[2], f[4])
			if f[0] == "coordinator" {
				token, link = f[3], f[4]
			}
		}
		users, err := db.ListUsers(ctx, "", "")
		require.NoError(t, err)
		assert.Equal(t, len(users), lines, "one line per demo person")
		u, err := db.UserByToken(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, store.RoleCoordinator, u.Role)
		jeton := link[strings.Index(link, "jeton=")+len("jeton="):]
		_, _, su, err := db.ConsumeLoginToken(ctx, jeton, "test")
		require.NoError(t, err, "the printed link signs in")
		assert.Equal(t, u.ID, su.ID)

		// One pack is in repair for two weeks of P3, and the published
		// round planned around it.
		windows, err := db.ListMaintenance(ctx, store.MaintenanceFilter{})
		require.NoError(t, err)
		require.Len(t, windows, 1, "one demo maintenance window")
		assert.Equal(t, "2027-01-11", windows[0].FirstDay.String(), "second Monday of P3 2026-2027")
		assert.Equal(t, "2027-01-22", windows[0].LastDay.String())
		rounds, err := db.ListRounds(ctx, "2026-2027")
		require.NoError(t, err)
		require.NotEmpty(t, rounds)
		r, err := db.Round(ctx, rounds[0].ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundPublished, r.State, "the demo round is published")
		require.Len(t, r.Params.Maintenance, 1, "the round used the window")
		assert.Equal(t, windows[0].ID, r.Params.Maintenance[0].ID)

		// A second run leaves the database alone and prints fresh links.
		out.Reset()
		require.NoError(t, seedDemo(ctx, db, &out, logger, now))
		assert.NotContains(t, out.String(), "Demo data seeded.")
		assert.NotContains(t, out.String(), token, "API tokens are printed once")
		assert.NotContains(t, out.String(), jeton, "a new link")
		var again string
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) == 5 && f[0] == "coordinator" {
				again = f[4][strings.Index(f[4], "jeton=")+len("jeton="):]
			}
		}
		_, _, su, err = db.ConsumeLoginToken(ctx, again, "test")
		require.NoError(t, err, "the fresh link signs in")
		assert.Equal(t, u.ID, su.ID)
		schools, err = db.ListSchools(ctx)
		require.NoError(t, err)
		assert.Len(t, schools, 15)
	})
}
