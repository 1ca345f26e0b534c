package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

func TestCalendarShowJSON(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "absent.db")}
	code, out, errOut := runCLI(t, env, "calendar", "show", "--year", "2025-2026", "--json")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	var got calendar.Overview
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "2025-2026", got.SchoolYear)
	assert.Len(t, got.Weeks, 36)
	assert.Len(t, got.Periods, 5)
	assert.Equal(t, 6, got.LoanWeeks)
	assert.Equal(t, []int{0, 1, 7, 8, 14, 15, 21, 27, 28, 29, 30}, got.LegalStarts)
	assert.Equal(t, "2025-09-01", got.Rentree.String())
	assert.NoFileExists(t, env["DATABASE_URL"], "show does not create a database")

	code, out, _ = runCLI(t, env, "calendar", "show", "--year", "2025-2026", "--json", "--loan-weeks", "9")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, []int{27}, got.LegalStarts)
}

func TestCalendarShowText(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "absent.db")}
	code, out, errOut := runCLI(t, env, "calendar", "show", "--year", "2026-2027")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	for _, want := range []string{
		"Calendrier scolaire 2026-2027, zone C (données intégrées)",
		"Rentrée : mardi 1 septembre 2026",
		"36 semaines de classe",
		"P3  Noël → Hiver",
		"Pont de l'Ascension",
		"jeu. 06/05/2027",
		"Lundi de Pâques",
		"reprise non publiée",
		"Attention : la période P3 n'a que 5 semaines",
		"Débuts de prêt possibles (6 semaines dans une même période) : semaines 0, 1, 7, 8, 19, 25",
		"across_breaks : prêts de 6 semaines à cheval sur les vacances d'hiver, débuts semaines 14, 15, 16, 17, 18.",
		"period_length : prêts de 5 semaines, début semaine 14.",
	} {
		assert.Contains(t, out, want)
	}
}

// The school year's loan policy: shown, set, refused when unknown, and
// shown by calendar show when read from the database.
func TestCalendarPolicy(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "cm.db")}
	code, _, errOut := runCLI(t, env, "migrate")
	require.Equal(t, 0, code, "migrate: %s", errOut)
	code, out, errOut := runCLI(t, env, "calendar", "policy", "--year", "2026-2027")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Contains(t, out, "Politique de prêt 2026-2027 : within_period")
	code, _, errOut = runCLI(t, env, "calendar", "policy", "--year", "2026-2027", "--set", "sometimes")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "within_period, across_breaks or period_length")
	code, out, errOut = runCLI(t, env, "calendar", "policy", "--year", "2026-2027", "--set", "across_breaks")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Contains(t, out, "across_breaks")
	code, out, errOut = runCLI(t, env, "calendar", "show", "--year", "2026-2027")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Contains(t, out, "Politique de prêt de l'année : across_breaks")
}

func TestCalendarShowErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "absent.db")}
	tests := []struct {
		name       string
		giveArgs   []string
		wantCode   int
		wantStderr string
	}{
		{name: "unknown year", giveArgs: []string{"calendar", "show", "--year", "2027-2028"}, wantCode: 1, wantStderr: "unknown school year"},
		{name: "malformed year", giveArgs: []string{"calendar", "show", "--year", "2025"}, wantCode: 2, wantStderr: "not a school year"},
		{name: "bad loan weeks", giveArgs: []string{"calendar", "show", "--loan-weeks", "0"}, wantCode: 2, wantStderr: "--loan-weeks"},
		{name: "extra argument", giveArgs: []string{"calendar", "show", "extra"}, wantCode: 2, wantStderr: "unexpected argument"},
		{name: "no subcommand", giveArgs: []string{"calendar"}, wantCode: 2, wantStderr: "Usage: classemobile calendar"},
		{name: "unknown subcommand", giveArgs: []string{"calendar", "print"}, wantCode: 2, wantStderr: "unknown subcommand"},
		{name: "help", giveArgs: []string{"calendar", "show", "-h"}, wantCode: 0, wantStderr: "--loan-weeks"},
		{name: "import without file", giveArgs: []string{"calendar", "import"}, wantCode: 2, wantStderr: "missing FILE"},
		{name: "import missing file", giveArgs: []string{"calendar", "import", "/nonexistent/file.csv"}, wantCode: 1, wantStderr: "introuvable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, env, tt.giveArgs...)
			assert.Equal(t, tt.wantCode, code, "exit code; stderr: %s", errOut)
			assert.Contains(t, errOut, tt.wantStderr)
		})
	}
}

func TestCalendarImport(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "cal.db")
	env := map[string]string{}
	sample := filepath.Join("..", "..", "calendar", "testdata", "official-sample.csv")

	code, out, errOut := runCLI(t, env, "calendar", "import", sample, "--db", dbPath, "--years", "2017-2018,2018-2019")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Contains(t, out, "2017-2018 : 1 période de vacances importées")
	assert.Contains(t, out, "2018-2019 : 6 périodes de vacances importées, 5 périodes, 36 semaines de classe")

	code, out, errOut = runCLI(t, env, "calendar", "show", "--year", "2018-2019", "--db", dbPath, "--json")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	var got calendar.Overview
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	y, err := calendar.NewYear("2018-2019", calendar.ZoneC())
	require.NoError(t, err)
	assert.Equal(t, y.Weeks(), got.Weeks, "imported 2018-2019 matches the embedded one")

	code, out, _ = runCLI(t, env, "calendar", "show", "--year", "2018-2019", "--db", dbPath)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "(base de données sqlite)")

	code, _, errOut = runCLI(t, env, "calendar", "import", sample, "--db", dbPath)
	assert.Equal(t, 1, code, "partial years refused")
	assert.Contains(t, errOut, "2025-2026 (1 période de vacances dans le fichier, 6 actuellement)")
	code, out, errOut = runCLI(t, env, "calendar", "import", sample, "--db", dbPath, "--force")
	require.Equal(t, 0, code, "stderr: %s", errOut)
	assert.Contains(t, out, "2025-2026 : 1 période de vacances importées")

	code, _, errOut = runCLI(t, env, "calendar", "import", sample, "--db", dbPath, "--location", "Atlantis")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "Atlantis")
}
