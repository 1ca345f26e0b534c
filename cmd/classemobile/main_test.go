package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
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
