package calendar_test

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	stamp  = time.Date(2025, 6, 20, 14, 3, 9, 0, time.UTC)
	paris  = time.FixedZone("CEST", 2*3600) // a fixed zone: timed events must not need the tz database
	d      = calendar.MustParseDate
	school = "École élémentaire Jean Jaurès 1, 12 rue de Paris, 93800 Épinay-sur-Seine"
)

// loanEvents are the events of one loan as the feeds will produce them.
func loanEvents() []calendar.Event {
	return []calendar.Event{
		{UID: "loan-42-return-school-0930001A@classemobile", Modified: stamp, Sequence: 1,
			Summary: "Retour de la classe mobile 3 (CM1 de Mme Durand)", Location: school,
			Categories: []string{"Prêt", "Retour"}, StartDate: d("2026-06-12")},
		{UID: "loan-42-loan-school-0930001A@classemobile", Modified: stamp, Sequence: 1,
			Summary:     "Prêt de la classe mobile 3 (CM1)",
			Description: "Prêt de 6 semaines de classe, période P5.\nRetrait le lundi 4 mai, retour le vendredi 12 juin.",
			Categories:  []string{"Prêt"}, StartDate: d("2026-05-04"), EndDate: d("2026-06-13")},
		{UID: "loan-42-pickup-school-0930001A@classemobile", Modified: stamp, Sequence: 1,
			Summary: "Retrait de la classe mobile 3", Location: school,
			Categories: []string{"Prêt", "Retrait"}, StartDate: d("2026-05-04")},
	}
}

func goldenFeeds() map[string]calendar.Feed {
	long := strings.Repeat("Les élèves découvrent la programmation avec des tablettes 📱, ", 6)
	return map[string]calendar.Feed{
		"empty": {Name: "Classe mobile — École Jean Jaurès 1"},
		"allday": {Name: "Classe mobile — École Jean Jaurès 1", Description: "Prêts de tablettes de l'école",
			Events: loanEvents()},
		"timed": {Name: "Classe mobile — coordination", Events: []calendar.Event{
			{UID: "loan-42-training-all@classemobile", Modified: stamp, Summary: "Formation avant le retrait",
				Location: "DSI, hôtel de ville", Busy: true,
				StartTime: time.Date(2026, 4, 28, 16, 30, 0, 0, paris), EndTime: time.Date(2026, 4, 28, 18, 0, 0, 0, paris)},
			{UID: "loan-43-pickup-all@classemobile", Modified: stamp, Summary: "Retrait (hiver)",
				StartTime: time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC), EndTime: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)},
		}},
		"cancelled": {Name: "Classe mobile — pack 3", Events: []calendar.Event{
			{UID: "loan-44-loan-pack-3@classemobile", Modified: stamp.Add(48 * time.Hour), Sequence: 3,
				Status: calendar.StatusCancelled, Summary: "Prêt annulé : classe mobile 3 (CE2)",
				StartDate: d("2026-03-09"), EndDate: d("2026-04-18")},
		}},
		"french": {Name: "Classe mobile — École Jean Jaurès 1 ; secteur « Centre-ville », Épinay", Events: []calendar.Event{
			{UID: "loan-45-assessment-school-0930001A@classemobile", Modified: stamp,
				Summary:     "Bilan à rédiger 📝 : « Écrire, coder, partager » ; CM2, salle 3",
				Description: "Première ligne\r\nDeuxième ligne\rTroisième ligne\\ fin\n" + long + "\x00\x07ok",
				Location:    school, StartDate: d("2026-06-19")},
		}},
	}
}

func render(t testing.TB, feed calendar.Feed) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, calendar.WriteICS(&buf, feed))
	return buf.Bytes()
}

func TestWriteICSGolden(t *testing.T) {
	t.Parallel()
	for name, feed := range goldenFeeds() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := render(t, feed)
			path := filepath.Join("testdata", name+".ics")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "golden file (run go test ./calendar -update)")
			assert.Equal(t, string(want), string(got), "output of %s", name)

			checkLines(t, got)
			assert.Equal(t, got, render(t, feed), "two renders are byte-identical")

			shuffled := feed
			shuffled.Events = append([]calendar.Event(nil), feed.Events...)
			rand.Shuffle(len(shuffled.Events), func(i, j int) {
				shuffled.Events[i], shuffled.Events[j] = shuffled.Events[j], shuffled.Events[i]
			})
			assert.Equal(t, got, render(t, shuffled), "event order does not matter")

			cal, err := calendar.ParseICS(bytes.NewReader(got))
			require.NoError(t, err, "go-ical reads the output back")
			checkCalendar(t, feed, cal)
		})
	}
}

// checkLines checks the framing: CRLF only as line ends, every line at most
// 75 octets and valid UTF-8, continuation lines starting with one space.
func checkLines(t *testing.T, b []byte) {
	t.Helper()
	require.True(t, bytes.HasSuffix(b, []byte("\r\n")), "ends with CRLF")
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	for i, line := range lines {
		assert.LessOrEqual(t, len(line), 75, "line %d is at most 75 octets: %q", i+1, line)
		assert.True(t, utf8.ValidString(line), "line %d is valid UTF-8: %q", i+1, line)
		assert.NotContains(t, line, "\r", "no CR inside line %d", i+1)
		assert.NotContains(t, line, "\n", "no LF inside line %d", i+1)
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") {
			n := len(line) - len(strings.TrimRight(line, `\`))
			assert.Zero(t, n%2, "line %d does not end inside an escape sequence: %q", i+1, line)
		}
	}
	s := string(b)
	assert.True(t, strings.HasPrefix(s, "BEGIN:VCALENDAR\r\n"))
	assert.NotContains(t, s, "METHOD:")
	assert.NotContains(t, s, "VALARM")
	for _, want := range []string{"VERSION:2.0\r\n", "PRODID:", "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
		"X-PUBLISHED-TTL:PT1H\r\n", "X-WR-TIMEZONE:Europe/Paris\r\n", "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"} {
		assert.Contains(t, s, want)
	}
}

// checkCalendar compares what go-ical reads back (after unfolding and
// unescaping) with the feed.
func checkCalendar(t *testing.T, feed calendar.Feed, cal *ical.Calendar) {
	t.Helper()
	name, err := cal.Props.Text(ical.PropName)
	require.NoError(t, err)
	assert.Equal(t, feed.Name, name, "NAME")
	wrName, err := cal.Props.Text("X-WR-CALNAME")
	require.NoError(t, err)
	assert.Equal(t, feed.Name, wrName, "X-WR-CALNAME")

	events := cal.Events()
	require.Len(t, events, len(feed.Events))
	byUID := map[string]calendar.Event{}
	for _, ev := range feed.Events {
		byUID[ev.UID] = ev
	}
	for _, got := range events {
		uid, err := got.Props.Text(ical.PropUID)
		require.NoError(t, err)
		want, ok := byUID[uid]
		require.True(t, ok, "UID %s", uid)
		summary, err := got.Props.Text(ical.PropSummary)
		require.NoError(t, err)
		assert.Equal(t, want.Summary, summary, "SUMMARY of %s", uid)
		if want.Description != "" {
			desc, err := got.Props.Text(ical.PropDescription)
			require.NoError(t, err)
			assert.Equal(t, cleanForCompare(want.Description), desc, "DESCRIPTION of %s", uid)
		}
		stampGot, err := got.Props.DateTime(ical.PropDateTimeStamp, nil)
		require.NoError(t, err)
		assert.True(t, want.Modified.Equal(stampGot), "DTSTAMP of %s", uid)
		start, err := got.DateTimeStart(time.UTC)
		require.NoError(t, err)
		end, err := got.DateTimeEnd(time.UTC)
		require.NoError(t, err)
		if !want.StartDate.IsZero() {
			assert.Equal(t, want.StartDate.Time(), start, "DTSTART of %s", uid)
			wantEnd := want.EndDate
			if wantEnd.IsZero() {
				wantEnd = want.StartDate.AddDays(1)
			}
			assert.Equal(t, wantEnd.Time(), end, "exclusive DTEND of %s", uid)
		} else if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
			_ = loc // go-ical loads TZID itself
			assert.True(t, want.StartTime.Equal(start), "DTSTART of %s: %s vs %s", uid, want.StartTime, start)
			assert.True(t, want.EndTime.Equal(end), "DTEND of %s", uid)
		}
	}
}

// cleanForCompare is what a description becomes: CR turned to LF, control
// characters dropped.
func cleanForCompare(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
}

func TestWriteICSFolding(t *testing.T) {
	t.Parallel()
	// Every length around the fold point, with 1- to 4-octet characters
	// at the cut.
	for _, unit := range []string{"a", "é", "€", "📱", ",", `\`, "é;"} {
		for n := 60; n < 160; n++ {
			text := strings.Repeat(unit, n/len(unit)) + strings.Repeat("x", n%len(unit))
			feed := calendar.Feed{Name: "Pliage", Events: []calendar.Event{{UID: "fold@test", Modified: stamp,
				Summary: text, Description: text + ", " + text, StartDate: d("2026-01-05")}}}
			b := render(t, feed)
			checkLines(t, b)
			cal, err := calendar.ParseICS(bytes.NewReader(b))
			require.NoError(t, err)
			got, err := cal.Events()[0].Props.Text(ical.PropSummary)
			require.NoError(t, err)
			require.Equal(t, text, got, "unfolded summary of %d octets of %q", n, unit)
		}
	}
}

func TestWriteICSEscaping(t *testing.T) {
	t.Parallel()
	b := string(render(t, calendar.Feed{Name: "Échappements", Events: []calendar.Event{{UID: "esc@test", Modified: stamp,
		Summary: `a;b,c\d` + "\r\ne:f", Categories: []string{"Prêt, retour", "Retrait"}, StartDate: d("2026-01-05")}}}))
	assert.Contains(t, b, "SUMMARY:a\\;b\\,c\\\\d\\ne:f\r\n")
	assert.Contains(t, b, "CATEGORIES:Prêt\\, retour,Retrait\r\n")
}

func TestWriteICSInvalid(t *testing.T) {
	t.Parallel()
	ok := calendar.Event{UID: "x@test", Modified: stamp, Summary: "Prêt", StartDate: d("2026-01-05")}
	with := func(f func(*calendar.Event)) []calendar.Event {
		ev := ok
		f(&ev)
		return []calendar.Event{ev}
	}
	tests := []struct {
		name     string
		giveFeed calendar.Feed
		wantErr  string
	}{
		{name: "no name", giveFeed: calendar.Feed{}, wantErr: "no calendar name"},
		{name: "no UID", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.UID = "" })}, wantErr: "UID"},
		{name: "UID with newline", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.UID = "a\nb" })}, wantErr: "UID"},
		{name: "no stamp", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.Modified = time.Time{} })}, wantErr: "Modified"},
		{name: "no summary", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.Summary = " " })}, wantErr: "Summary"},
		{name: "no start", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.StartDate = calendar.Date{} })}, wantErr: "exactly one"},
		{name: "both starts", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.StartTime = stamp; e.EndTime = stamp.Add(time.Hour) })}, wantErr: "exactly one"},
		{name: "end date not after start", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.EndDate = e.StartDate })}, wantErr: "exclusive"},
		{name: "timed without end", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.StartDate = calendar.Date{}; e.StartTime = stamp })}, wantErr: "EndTime"},
		{name: "bad status", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.Status = "DONE" })}, wantErr: "Status"},
		{name: "negative sequence", giveFeed: calendar.Feed{Name: "n", Events: with(func(e *calendar.Event) { e.Sequence = -1 })}, wantErr: "Sequence"},
		{name: "duplicate UID", giveFeed: calendar.Feed{Name: "n", Events: []calendar.Event{ok, ok}}, wantErr: "duplicate UID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := calendar.WriteICS(&buf, tt.giveFeed)
			require.ErrorIs(t, err, calendar.ErrInvalidFeed)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Zero(t, buf.Len(), "nothing written on error")
		})
	}
}

func TestParseICSMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give string
	}{
		{name: "empty", give: ""},
		{name: "not a calendar", give: "BEGIN:VEVENT\r\nEND:VEVENT\r\n"},
		{name: "param without end (go-ical panics)", give: "BEGIN:VCALENDAR\r\nX;A=b"},
		{name: "param then garbage (go-ical panics)", give: "BEGIN:VCALENDAR\r\nX;A=\"b\"c:d\r\nEND:VCALENDAR\r\n"},
		{name: "unterminated", give: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"},
		{name: "no colon", give: "BEGIN:VCALENDAR\r\nVERSION\r\nEND:VCALENDAR\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cal, err := calendar.ParseICS(strings.NewReader(tt.give))
			assert.ErrorIs(t, err, calendar.ErrInvalidICS)
			assert.Nil(t, cal)
		})
	}
}

func FuzzParseICS(f *testing.F) {
	for _, feed := range goldenFeeds() {
		b, err := calendar.MarshalICS(feed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nX;A=b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = calendar.ParseICS(bytes.NewReader(b)) // must not panic
	})
}

func BenchmarkWriteICS200(b *testing.B) {
	feed := calendar.Feed{Name: "Classe mobile — coordination"}
	for i := range 200 {
		ev := loanEvents()[i%3]
		ev.UID = strings.Replace(ev.UID, "42", string(rune('a'+i%26))+strings.Repeat("x", i/26), 1)
		ev.StartDate = d("2025-09-01").AddDays(i)
		ev.EndDate = calendar.Date{}
		feed.Events = append(feed.Events, ev)
	}
	b.ReportAllocs()
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := calendar.WriteICS(&out, feed); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(out.Len()))
}
