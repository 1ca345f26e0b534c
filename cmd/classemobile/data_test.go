package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDataExportErase drives data export and data erase from the command
// line: the export is JSON with the person, the erase anonymises them.
func TestDataExportErase(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "cli.db")}
	code, _, stderr := runCLI(t, env, "user", "add", "--email", "claire@example.fr", "--name", "Claire Martin", "--role", "coordinator")
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr := runCLI(t, env, "data", "export", "--email", "Claire@Example.fr")
	require.Equal(t, 0, code, stderr)
	var data map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &data), "JSON export")
	user := data["user"].(map[string]any)
	assert.Equal(t, "Claire Martin", user["name"])
	assert.Contains(t, data, "audit_events")

	code, stdout, stderr = runCLI(t, env, "data", "erase", "--email", "claire@example.fr")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "anonymisée")
	code, _, stderr = runCLI(t, env, "data", "export", "--email", "claire@example.fr")
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(stderr, "aucune personne"), stderr)

	code, stdout, stderr = runCLI(t, env, "data", "retention")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Retention (kept from")
}
