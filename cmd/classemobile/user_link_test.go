package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
)

func TestUserLink(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "cm.db")
	env := map[string]string{"DATABASE_URL": dbPath, "BASE_URL": "https://classemobile.example.fr/"}
	code, _, stderr := runCLI(t, env, "user", "add", "--email", "claire@example.fr", "--name", "Claire", "--role", "coordinator")
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr := runCLI(t, env, "user", "link", "--email", "Claire@Example.fr")
	require.Equal(t, 0, code, stderr)
	link := strings.TrimSpace(stdout)
	require.True(t, strings.HasPrefix(link, "https://classemobile.example.fr/connexion/lien?jeton="), "link alone on stdout: %q", stdout)

	db, err := store.Open(context.Background(), dbPath, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	_, _, u, err := db.ConsumeLoginToken(context.Background(), link[strings.Index(link, "jeton=")+6:], "test")
	require.NoError(t, err, "the printed link signs in")
	assert.Equal(t, "claire@example.fr", u.Email)

	code, stdout, stderr = runCLI(t, env, "user", "link", "--email", "personne@example.fr")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "no active person")
	code, _, _ = runCLI(t, env, "user", "link")
	assert.Equal(t, 2, code, "--email is required")
}
