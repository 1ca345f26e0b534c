package calendar_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

// TestParseOfficial reads a small export reproducing each trap of the
// official dataset and checks every kept holiday against the embedded,
// normalised data.
func TestParseOfficial(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/official-sample.csv")
	require.NoError(t, err)
	defer f.Close()
	got, err := calendar.ParseOfficial(f, "")
	require.NoError(t, err)

	type key struct{ year, desc string }
	embedded := map[key]calendar.Holiday{}
	for _, h := range calendar.ZoneC() {
		embedded[key{h.SchoolYear, h.Description}] = h
	}

	var summary []string
	for _, h := range got {
		summary = append(summary, h.SchoolYear+" "+h.Description+" "+h.First.String()+" "+h.Resume.String())
		want, ok := embedded[key{h.SchoolYear, h.Description}]
		if assert.True(t, ok, "%s %s is in the embedded data", h.SchoolYear, h.Description) {
			assert.Equal(t, want, h, "%s %s as embedded", h.SchoolYear, h.Description)
		}
	}
	assert.Equal(t, []string{
		"2017-2018 Vacances d'Été 2018-07-07 2018-09-03",           // pupils' row, not the teachers' (30 Aug)
		"2018-2019 Vacances de la Toussaint 2018-10-20 2018-11-05", // one row kept of three (duplicate, other académie)
		"2018-2019 Vacances de Noël 2018-12-22 2019-01-07",         // winter-time midnights (23:00 UTC)
		"2018-2019 Vacances d'Hiver 2019-02-23 2019-03-11",         // Créteil's, not Lille's
		"2018-2019 Vacances de Printemps 2019-04-20 2019-05-06",
		"2018-2019 Pont de l'Ascension 2019-05-30 2019-06-03", // bridge from the Wednesday
		"2018-2019 Vacances d'Été 2019-07-06 2019-09-02",
		"2020-2021 Vacances d'Été 2021-07-07 2021-09-02",      // weekday end of classes: next day
		"2025-2026 Pont de l'Ascension 2026-05-14 2026-05-18", // bridge from the Thursday
		"2026-2027 Pont de l'Ascension 2027-05-06 2027-05-10", // one-day bridge (the Friday)
		"2026-2027 Vacances d'Été 2027-07-03 ",                // "Début des Vacances d'Été", end unpublished
	}, summary)

	// The imported holidays make a full year.
	y, err := calendar.NewYear("2018-2019", got)
	require.NoError(t, err)
	want := mustYear(t, "2018-2019")
	assert.Equal(t, want.Periods(), y.Periods())
	assert.Equal(t, want.Weeks(), y.Weeks())
}

func TestParseOfficialLocation(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/official-sample.csv")
	require.NoError(t, err)
	defer f.Close()
	got, err := calendar.ParseOfficial(f, "Lille")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, calendar.Holiday{SchoolYear: "2018-2019", Description: "Vacances d'Hiver", Zone: "B",
		First: calendar.MustParseDate("2019-02-09"), Resume: calendar.MustParseDate("2019-02-25")}, got[0])
}

func TestParseOfficialErrors(t *testing.T) {
	t.Parallel()
	const header = "description;population;start_date;end_date;location;zones;annee_scolaire\n"
	tests := []struct {
		name     string
		give     string
		wantLine string
	}{
		{name: "empty", give: "", wantLine: "empty file"},
		{name: "missing column", give: "description;population;start_date;end_date;location;zones\n", wantLine: `line 1: no column "annee_scolaire"`},
		{name: "short row", give: header + "Vacances de Noël;-;2018-12-21T23:00:00+00:00\n", wantLine: "line 2"},
		{name: "bad date", give: header +
			"Vacances de Noël;-;2018-12-21T23:00:00+00:00;2019-01-06T23:00:00+00:00;Créteil;Zone C;2018-2019\n" +
			"Vacances d'Hiver;-;23/02/2019;2019-03-10T23:00:00+00:00;Créteil;Zone C;2018-2019\n", wantLine: "line 3: start_date"},
		{name: "end before start", give: header + "Vacances de Noël;-;2019-01-06T23:00:00+00:00;2018-12-21T23:00:00+00:00;Créteil;Zone C;2018-2019\n", wantLine: "line 2: end_date"},
		{name: "bad school year", give: header + "Vacances de Noël;-;2018-12-21T23:00:00+00:00;2019-01-06T23:00:00+00:00;Créteil;Zone C;2018\n", wantLine: "line 2"},
		{name: "contradicting rows", give: header +
			"Vacances de Noël;-;2018-12-21T23:00:00+00:00;2019-01-06T23:00:00+00:00;Créteil;Zone C;2018-2019\n" +
			"Vacances de Noël;Élèves;2018-12-14T23:00:00+00:00;2019-01-06T23:00:00+00:00;Créteil;Zone C;2018-2019\n", wantLine: "line 3: 2018-2019 Vacances de Noël"},
		{name: "bridge far from Ascension", give: header + "Pont de l'Ascension;-;2019-05-20T22:00:00+00:00;2019-05-22T22:00:00+00:00;Créteil;Zone C;2018-2019\n", wantLine: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := calendar.ParseOfficial(strings.NewReader(tt.give), "Créteil")
			require.ErrorIs(t, err, calendar.ErrMalformed)
			assert.Contains(t, err.Error(), tt.wantLine)
		})
	}
}

func TestParseHolidaysErrors(t *testing.T) {
	t.Parallel()
	const header = "annee_scolaire,description,zone,debut,fin\n"
	tests := []struct {
		name     string
		give     string
		wantLine string
	}{
		{name: "empty", give: "# only a comment\n", wantLine: "empty file"},
		{name: "wrong header", give: "year,description,zone,debut,fin\n", wantLine: "line 1: header"},
		{name: "bad date", give: header + "2025-2026,Vacances de Noël,C,2025-12-20,2026-01-32\n", wantLine: "line 2: fin"},
		{name: "fields", give: header + "2025-2026,Vacances de Noël,C,2025-12-20\n", wantLine: "line 2: 4 fields"},
		{name: "reversed", give: header + "# comment\n2025-2026,Vacances de Noël,C,2026-01-05,2025-12-20\n", wantLine: "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := calendar.ParseHolidays(strings.NewReader(tt.give))
			require.ErrorIs(t, err, calendar.ErrMalformed)
			assert.Contains(t, err.Error(), tt.wantLine)
		})
	}
}

func TestParseOfficialVariants(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile("testdata/official-sample.csv")
	require.NoError(t, err)
	want, err := calendar.ParseOfficial(strings.NewReader(string(sample)), "")
	require.NoError(t, err)

	tests := []struct {
		name string
		give string
	}{
		{name: "CRLF line ends", give: strings.ReplaceAll(string(sample), "\n", "\r\n")},
		{name: "curly apostrophes", give: strings.ReplaceAll(string(sample), "'", "’")},
		{name: "columns reordered, extra column", give: reorder(string(sample))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseOfficial(strings.NewReader(tt.give), "créteil")
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// reorder moves annee_scolaire first and appends a column.
func reorder(csv string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(csv, "\n"), "\n") {
		f := strings.Split(line, ";")
		last := f[len(f)-1]
		out = append(out, last+";"+strings.Join(f[:len(f)-1], ";")+";extra")
	}
	return strings.Join(out, "\n") + "\n"
}

func FuzzParseOfficial(f *testing.F) {
	sample, err := os.ReadFile("testdata/official-sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("description;population;start_date;end_date;location;zones;annee_scolaire\nPont de l'Ascension;-;2027-05-06;2027-05-06;Créteil;Zone C;2026-2027\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hs, err := calendar.ParseOfficial(bytes.NewReader(b), "")
		if err != nil {
			return
		}
		for _, h := range hs {
			if !h.Resume.IsZero() && !h.First.Before(h.Resume) {
				t.Fatalf("holiday %+v ends before it starts", h)
			}
		}
	})
}
