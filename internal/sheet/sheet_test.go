package sheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/sheet"
)

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		give, want string
	}{
		{`=HYPERLINK("https://evil.example";"Cliquez")`, `'=HYPERLINK("https://evil.example";"Cliquez")`},
		{"+33 1 23 45 67 89", "'+33 1 23 45 67 89"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"＝1+1", "'＝1+1"},
		{"Classe motivée", "Classe motivée"},
		{"", ""},
		{"12", "12"},
		{"a=b", "a=b"},
		{"'déjà", "'déjà"},
		{"🙂 bien", "🙂 bien"},
	} {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, sheet.Neutralise(tt.give))
		})
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, sheet.Write(&buf, [][]string{{"Nom", "Texte"}, {"=1+1", "a;b \"c\""}}))
	out := buf.String()
	require.True(t, strings.HasPrefix(out, "\uFEFF"), "byte order mark")
	assert.Contains(t, out, "\r\n", "CRLF")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"Nom", "Texte"}, {"'=1+1", "a;b \"c\""}}, rows)
}
