package web_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

func mustDate(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	require.NoError(t, err)
	return d
}

// csvReader reads a synthesis CSV as French Excel does: BOM, then ';'.
func csvReader(s string) *csv.Reader {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF")))
	r.Comma = ';'
	return r
}

func TestSynthesisCSVEmpty(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, web.WriteSynthesisCSV(&buf, store.Synthesis{SchoolYear: "2026-2027", LoanWeeks: 6}))
	assert.True(t, strings.HasPrefix(buf.String(), "\uFEFFN° demande;École;"), "BOM then French header")
	assert.Contains(t, buf.String(), "\r\n", "CRLF line ends")
	recs, err := csvReader(buf.String()).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, web.SynthesisHeader, recs[0])
	assert.Equal(t, "2026-2027", recs[len(recs)-1][1], "totals without rows")
}
