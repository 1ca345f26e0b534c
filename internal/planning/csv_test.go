package planning_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/planning"
)

func TestSafeCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give, want string
	}{
		{"", ""},
		{"École Alpha", "École Alpha"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+33 1 23", "'+33 1 23"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, planning.SafeCell(tt.give))
		})
	}
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	y := year(t)
	a := loan(t, y, 1, "Alpha", 1, 6, 0, 1)
	b := loan(t, y, 2, "=cmd", 8, 6, 2, 1)
	b.SchoolName = "=cmd|' /C calc'!A0"
	win := planning.Window{ID: 9, PackID: 2, FirstDay: d("2026-09-14"), LastDay: d("2026-09-25"), Reason: "écrans"}
	g, err := planning.Build(planning.Input{Year: y, Packs: packs, Loans: []planning.Loan{a, b},
		Maintenance: []planning.Window{win}, Today: d("2026-08-20"), Viewer: planning.Viewer{Staff: true}}, planning.Options{})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, planning.WriteCSV(&buf, g))
	out := buf.String()
	require.True(t, strings.HasPrefix(out, "\uFEFFPériode;;P1;"), "BOM, then ';'-separated French header")
	assert.Contains(t, out, "\r\n", "CRLF line ends")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2+3, "two header lines, one per pack")
	for i, rec := range recs {
		assert.Len(t, rec, 2+len(g.Columns), "one field per column on line %d", i)
	}
	assert.Equal(t, "Pack", recs[1][0])
	assert.Equal(t, "semaine du 31/08/2026", recs[1][2])
	assert.Equal(t, "Vacances", recs[0][2+7])
	assert.Equal(t, "du 19/10/2026 au 01/11/2026", recs[1][2+7], "the Toussaint break's weeks")
	p1 := recs[2]
	assert.Equal(t, "P-01", p1[0])
	assert.Equal(t, "", p1[2], "free first week")
	for w := 1; w <= 6; w++ {
		assert.Equal(t, "École Alpha (CM1) – Quartier Alpha", p1[2+w], "loan repeated on week %d", w)
	}
	assert.Equal(t, "remise en état", p1[2+7], "turnaround over the break")
	assert.True(t, strings.HasPrefix(p1[2+9], "'=cmd"), "formula neutralised: %q", p1[2+9])
	assert.Equal(t, "prolongation : =cmd|' /C calc'!A0", p1[2+16], "extension names the school")
	assert.Equal(t, "maintenance : écrans", recs[3][2+2])
	assert.Equal(t, "vacances", recs[3][2+7], "an empty break")
}
