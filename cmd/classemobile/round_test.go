package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/demo"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// demoDB seeds the demo data set as of 28 November 2026 into a new SQLite
// file and returns its path.
func demoDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := storetest.NewSQLiteFile(t)
	db, err := store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, demo.Seed(ctx, db, demo.Options{Out: io.Discard, Logger: logger, Now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}))
	return path
}

func TestRoundCommand(t *testing.T) {
	t.Parallel()
	path := demoDB(t)
	getenv := func(string) string { return "" }
	runCmd := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, getenv, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}

	out, _, err := runCmd("round", "run", "--year", "2026-2027", "--date", "2026-11-28", "--time-limit", "3s", "--db", path)
	require.NoError(t, err)
	for _, want := range []string{"Tour d'attribution n° ", "année scolaire 2026-2027 — brouillon", "Demandes servies : ",
		"Demandes non servies : ", "Objectif Z = ", "borne supérieure", "Brouillon enregistré",
		"Maintenance : pack ", "indisponible du 11/01/2027 au 22/01/2027"} {
		assert.Contains(t, out, want, "summary of a draft")
	}

	out, _, err = runCmd("round", "run", "--year", "2026-2027", "--date", "2026-11-28", "--time-limit", "3s", "--publish", "--db", path)
	require.NoError(t, err)
	assert.Contains(t, out, "— publié", "published at once")
	assert.Contains(t, out, "Tour publié le", "published at once")

	out, _, err = runCmd("round", "list", "--year", "2026-2027", "--db", path)
	require.NoError(t, err)
	assert.Contains(t, out, "brouillon", "the first draft is listed")
	assert.Contains(t, out, "publié", "the published round is listed")

	assert.Contains(t, out, "remplacé", "the demo's round is superseded")

	// Round 1 is the demo's published round, 2 the first draft above, 3
	// the round published above.
	_, _, err = runCmd("round", "publish", "--id", "2", "--db", path)
	require.Error(t, err, "the draft computed before the publication is stale")
	assert.Contains(t, err.Error(), "un autre tour a été publié")

	out, _, err = runCmd("round", "show", "--id", "3", "--json", "--db", path)
	require.NoError(t, err)
	assert.Contains(t, out, `"state": "published"`)

	for _, tc := range []struct {
		name     string
		giveArgs []string
	}{
		{name: "no subcommand", giveArgs: []string{"round"}},
		{name: "unknown subcommand", giveArgs: []string{"round", "fly"}},
		{name: "no year", giveArgs: []string{"round", "run", "--db", path}},
		{name: "bad date", giveArgs: []string{"round", "run", "--year", "2026-2027", "--date", "demain", "--db", path}},
		{name: "bad time limit", giveArgs: []string{"round", "run", "--year", "2026-2027", "--time-limit", "-1s", "--db", path}},
		{name: "no id", giveArgs: []string{"round", "show", "--db", path}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(tc.giveArgs...)
			var ue *usageError
			assert.True(t, errors.As(err, &ue), "usage error (exit 2), got %v", err)
		})
	}
}
