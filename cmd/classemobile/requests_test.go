package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestRequestsExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbPath := storetest.NewSQLiteFile(t)
	env := map[string]string{"DATABASE_URL": dbPath}
	db, err := store.Open(ctx, dbPath, store.Options{})
	require.NoError(t, err)
	school := storetest.School(t, db, &storetest.SchoolOpts{SectorID: "orgemont", Name: "École Jean Jaurès"})
	storetest.Pack(t, db, nil)
	q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: school.UAI, Pupils: 30, State: store.RequestValidated, PreferredPeriods: []string{"P4"}})
	require.NoError(t, db.Close())

	code, stdout, stderr := runCLI(t, env, "requests", "export", "--year", "2026-2027")
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "\uFEFF"), "BOM")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(stdout, "\uFEFF")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 2)
	assert.Equal(t, "N° demande", recs[0][0])
	assert.Equal(t, []string{"École Jean Jaurès", school.UAI, "Quartier orgemont"}, recs[1][1:4], "request row")
	assert.Equal(t, "2", recs[1][8], "30 pupils: 2 packs")

	code, stdout, stderr = runCLI(t, env, "requests", "export", "--year", "2026-2027", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var syn store.Synthesis
	require.NoError(t, json.Unmarshal([]byte(stdout), &syn))
	require.Len(t, syn.Rows, 1)
	assert.Equal(t, q.ID, syn.Rows[0].RequestID)
	assert.Equal(t, 1, syn.PacksAvailable)

	out := filepath.Join(t.TempDir(), "synthese.csv")
	code, stdout, stderr = runCLI(t, env, "requests", "export", "--year", "2026-2027", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "1 validated requests written")

	for _, tt := range []struct {
		name     string
		giveArgs []string
		wantCode int
		wantErr  string
	}{
		{name: "no subcommand", giveArgs: []string{"requests"}, wantCode: 2, wantErr: "requests export"},
		{name: "unknown subcommand", giveArgs: []string{"requests", "import"}, wantCode: 2, wantErr: "unknown subcommand"},
		{name: "no year", giveArgs: []string{"requests", "export"}, wantCode: 2, wantErr: "--year is required"},
		{name: "bad format", giveArgs: []string{"requests", "export", "--year", "2026-2027", "--format", "xlsx"}, wantCode: 2, wantErr: "csv or json"},
		{name: "bad year", giveArgs: []string{"requests", "export", "--year", "2026"}, wantCode: 2, wantErr: "school year"},
		{name: "help", giveArgs: []string{"requests", "export", "-h"}, wantCode: 0, wantErr: "--format"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, env, tt.giveArgs...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
		})
	}
}
