package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestFeedCommand(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "feed.db")
	env := map[string]string{"DATABASE_URL": dbPath, "BASE_URL": "https://classemobile.example.fr/"}
	code, _, stderr := runCLI(t, env, "migrate")
	require.Equal(t, 0, code, stderr)
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	require.NoError(t, err)
	defer db.Close()
	school := storetest.School(t, db, nil)
	pack := storetest.Pack(t, db, nil)
	lookup := db.NewFeedLookup()
	defer lookup.Close()
	tokenOf := func(url string) string {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(url), "https://classemobile.example.fr/ics/"), ".ics")
	}

	for _, tt := range []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string
	}{
		{name: "no subcommand", giveArgs: []string{"feed"}, wantCode: 2, wantErr: "Usage"},
		{name: "unknown subcommand", giveArgs: []string{"feed", "list"}, wantCode: 2, wantErr: "unknown subcommand"},
		{name: "no scope", giveArgs: []string{"feed", "create"}, wantCode: 2, wantErr: "--scope"},
		{name: "school without UAI", giveArgs: []string{"feed", "create", "--scope", "school"}, wantCode: 2, wantErr: "--school"},
		{name: "pack with school", giveArgs: []string{"feed", "create", "--scope", "pack", "--pack", "X", "--school", "0930001A"}, wantCode: 2, wantErr: "--pack"},
		{name: "bad base URL", giveArgs: []string{"feed", "create", "--scope", "all", "--base-url", "ftp://x"}, wantCode: 2, wantErr: "base-url"},
		{name: "unknown school", giveArgs: []string{"feed", "create", "--scope", "school", "--school", "0999999Z"}, wantCode: 1, wantErr: "no such school"},
		{name: "rotate without feed", giveArgs: []string{"feed", "rotate", "--scope", "all"}, wantCode: 1, wantErr: "no active feed"},
	} {
		code, stdout, stderr := runCLI(t, env, tt.giveArgs...)
		assert.Equal(t, tt.wantCode, code, "%s: exit code; stderr: %s", tt.name, stderr)
		assert.Contains(t, stderr, tt.wantErr, tt.name)
		assert.Empty(t, stdout, "%s: nothing on stdout", tt.name)
	}

	code, stdout, stderr := runCLI(t, env, "feed", "create", "--scope", "school", "--school", strings.ToLower(school.UAI))
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `^https://classemobile\.example\.fr/ics/[A-Za-z0-9_-]{43}\.ics\n$`, stdout, "the URL alone on stdout")
	assert.Contains(t, stderr, "webcal://classemobile.example.fr/ics/")
	first := tokenOf(stdout)
	_, err = lookup.FeedByToken(context.Background(), first)
	assert.NoError(t, err, "the printed URL's token resolves")

	code, _, stderr = runCLI(t, env, "feed", "create", "--scope", "school", "--school", school.UAI)
	assert.Equal(t, 1, code, "second create")
	assert.Contains(t, stderr, "feed rotate")

	code, stdout, stderr = runCLI(t, env, "feed", "rotate", "--scope", "school", "--school", school.UAI, "--base-url", "http://localhost:9999")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "http://localhost:9999/ics/"), "--base-url: %s", stdout)
	second := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(stdout), "http://localhost:9999/ics/"), ".ics")
	_, err = lookup.FeedByToken(context.Background(), first)
	assert.ErrorIs(t, err, store.ErrNotFound, "rotated token is dead")
	_, err = lookup.FeedByToken(context.Background(), second)
	assert.NoError(t, err, "new token works")

	code, stdout, stderr = runCLI(t, env, "feed", "create", "--scope", "pack", "--pack", pack.Code)
	require.Equal(t, 0, code, stderr)
	packToken := tokenOf(stdout)
	code, stdout, stderr = runCLI(t, env, "feed", "revoke", "--scope", "pack", "--pack", pack.Code)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "revoked")
	_, err = lookup.FeedByToken(context.Background(), packToken)
	assert.ErrorIs(t, err, store.ErrNotFound, "revoked token is dead")

	code, stdout, stderr = runCLI(t, env, "feed", "create", "--scope", "all")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "/ics/")
}
