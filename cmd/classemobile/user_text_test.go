package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUserAddRefusesControlCharacters: a name with a line break would
// break every e-mail to that person; user add refuses it (the store's
// rule) and writes nothing.
func TestUserAddRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "cli.db")}
	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runCLI(t, env, "user", "add", "--email", "e@example.fr", "--name", "Élodie\r\nBcc: x@evil.example", "--role", "coordinator")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout, "no token")
	assert.Contains(t, stderr, "retour à la ligne interdit")
	code, _, stderr = runCLI(t, env, "user", "add", "--email", "e@example.fr", "--name", "Élodie", "--role", "coordinator")
	assert.Equal(t, 0, code, "the e-mail is still free: %s", stderr)
}
