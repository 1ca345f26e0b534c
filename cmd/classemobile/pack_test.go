package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackMaintenanceCommand(t *testing.T) {
	t.Parallel()
	path := demoDB(t)
	env := map[string]string{"DATABASE_URL": path}

	// The demo has one window (PACK code printed by list).
	code, out, stderr := runCLI(t, env, "pack", "maintenance", "list")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 1, "the demo window: %s", out)
	demoPack := strings.Split(lines[0], "\t")[1]

	// A new window in the summer (no loans then).
	code, out, stderr = runCLI(t, env, "pack", "maintenance", "add", "--pack", demoPack,
		"--from", "2027-07-12", "--to", "2027-07-23", "--reason", "Mise à jour et inventaire d'été")
	require.Equal(t, 0, code, stderr)
	f := strings.Split(strings.TrimSpace(out), "\t")
	require.Len(t, f, 5, "id, pack, first, last, reason: %q", out)
	id := f[0]
	assert.Equal(t, []string{demoPack, "2027-07-12", "2027-07-23", "Mise à jour et inventaire d'été"}, f[1:])

	code, out, _ = runCLI(t, env, "pack", "maintenance", "list", "--pack", demoPack)
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2, "two windows on the pack")

	// Overlap: refused with the French reason, exit 1.
	code, _, stderr = runCLI(t, env, "pack", "maintenance", "add", "--pack", demoPack,
		"--from", "2027-07-20", "--to", "2027-07-30", "--reason", "autre")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "a déjà une maintenance")

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"missing flags", []string{"pack", "maintenance", "add", "--pack", demoPack}, "required"},
		{"bad date", []string{"pack", "maintenance", "add", "--pack", demoPack, "--from", "12/07/2027", "--to", "2027-07-23", "--reason", "x"}, "not a date"},
		{"unknown op", []string{"pack", "maintenance", "frob"}, "unknown subcommand"},
		{"no op", []string{"pack"}, "missing subcommand"},
	} {
		code, _, stderr := runCLI(t, env, tt.args...)
		assert.Equal(t, 2, code, tt.name)
		assert.Contains(t, stderr, tt.want, tt.name)
	}
	code, _, stderr = runCLI(t, env, "pack", "maintenance", "add", "--pack", demoPack, "--from", "2027-07-23", "--to", "2027-07-12", "--reason", "x")
	assert.Equal(t, 1, code, "end before start")
	assert.Contains(t, stderr, "précède")

	code, _, stderr = runCLI(t, env, "pack", "maintenance", "remove", "--pack", demoPack, "--id", id)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "supprimée")
	code, _, stderr = runCLI(t, env, "pack", "maintenance", "remove", "--pack", demoPack, "--id", id)
	assert.Equal(t, 1, code, "removed twice")
	assert.NotContains(t, stderr, "supprimée", "removed twice: nothing to report as removed")
	code, out, _ = runCLI(t, env, "pack", "maintenance", "list", "--pack", demoPack)
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 1, "back to the demo window")
}
