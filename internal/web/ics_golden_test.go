package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestFeedGoldenSchool(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		packs := feedPacks(t, db, 6)
		ids := seedEveryState(t, db, school, packs)
		path := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})

		body := b.ics(t, path)
		checkGolden(t, "feed_school.ics", body)
		checkLines(t, body)
		assert.NotContains(t, string(body), "METHOD:", "a feed has no METHOD")
		assert.NotContains(t, string(body), "VALARM", "reminders are events, not alarms")
		assert.NotContains(t, string(body), "@example.fr", "no e-mail address in a feed")
		assert.NotContains(t, string(body), "Utilisateur", "no person's name in a feed")
		assert.NotContains(t, string(body), "Projet reporté", "no free text from the loan")

		events := parseFeed(t, body)
		uid := func(name, kind string) string {
			return "loan-" + itoa64(ids[name]) + "-" + kind + "-school@classemobile.epinay-sur-seine.fr"
		}
		for _, c := range []struct {
			name, kind string
			present    bool
		}{
			{"closed", "loan", true}, {"closed", "assessment", false},
			{"returned", "assessment", true}, {"picked_up", "return", true},
			{"picked_up", "agreement", false}, {"picked_up", "training", false},
			{"signed", "training", true}, {"signed", "agreement", false},
			{"reserved", "agreement", true}, {"reserved", "training", true},
			{"cancelled", "pickup", true}, {"cancelled", "assessment", false},
			{"cancelled_long_ago", "pickup", false},
		} {
			_, ok := events[uid(c.name, c.kind)]
			assert.Equal(t, c.present, ok, "event %s of the %s loan", c.kind, c.name)
		}
		if ev := events[uid("cancelled", "loan")]; assert.NotNil(t, ev) {
			assert.Equal(t, "CANCELLED", propText(t, ev, ical.PropStatus))
		}
		if ev := events[uid("extended", "loan")]; assert.NotNil(t, ev) {
			assert.Equal(t, "20261109", propText(t, ev, ical.PropDateTimeStart))
			assert.Equal(t, "20270116", propText(t, ev, ical.PropDateTimeEnd), "DTEND is the day after the return day")
			assert.Equal(t, "DATE", ev.Props.Get(ical.PropDateTimeStart).Params.Get(ical.ParamValue))
			assert.Equal(t, "TRANSPARENT", propText(t, ev, ical.PropTransparency))
			assert.Equal(t, "20261120T100000Z", propText(t, ev, ical.PropDateTimeStamp), "DTSTAMP is the last change")
			assert.Equal(t, "20261120T100000Z", propText(t, ev, ical.PropLastModified))
		}

		assert.Equal(t, body, b.ics(t, path), "second GET is byte-identical")
		other := newFeedBundle(t, db, feed.Options{})
		assert.Equal(t, body, other.ics(t, path), "a second render (another server, empty cache) is byte-identical")
	})
}

func TestFeedGoldenPackAndAll(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		packs := feedPacks(t, db, 6)
		seedEveryState(t, db, school, packs)
		other := storetest.School(t, db, &storetest.SchoolOpts{UAI: "0935678B", Name: "École maternelle Les Écureuils"})
		storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: other.UAI, PackIDs: []int64{packs[2].ID}, ClassLevels: []string{"GS"},
			State: store.LoanReserved, Pickup: day("2027-03-08"), Return: day("2027-04-16"), Training: store.TrainingDone,
			At: at("2026-11-27T07:30:00Z")})
		// Long past: outside the coordinator's 60-day window.
		storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: other.UAI, PackIDs: []int64{packs[2].ID}, ClassLevels: []string{"MS"},
			State: store.LoanClosed, Pickup: day("2026-03-02"), Return: day("2026-04-10"), Assessed: true, At: at("2026-04-20T07:30:00Z")})

		// Returned 64 days ago, assessment due 57 days ago: only the
		// assessment is inside the coordinator's window.
		late := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: other.UAI, PackIDs: []int64{packs[5].ID}, ClassLevels: []string{"CP"},
			State: store.LoanReturned, Pickup: day("2026-09-01"), Return: day("2026-09-25"), Training: store.TrainingDone,
			At: at("2026-09-25T15:00:00Z")})

		pack := b.ics(t, b.feed(t, store.FeedTarget{Scope: store.FeedPack, PackID: packs[2].ID}))
		checkGolden(t, "feed_pack.ics", pack)
		checkLines(t, pack)
		for uid := range parseFeed(t, pack) {
			assert.Contains(t, uid, "-pack-"+itoa64(packs[2].ID)+"@", "pack feed UIDs carry the scope")
		}
		assert.Contains(t, string(pack), "École maternelle Les Écureuils", "a pack feed names the schools")

		all := b.ics(t, b.feed(t, store.FeedTarget{Scope: store.FeedAll}))
		checkGolden(t, "feed_all.ics", all)
		checkLines(t, all)
		assert.NotContains(t, string(all), "MS, EIM-3", "loans that ended more than 60 days ago are out of the coordinator's feed")
		assert.Contains(t, string(all), "GS", "future loans are in")
		allEvents := parseFeed(t, all)
		for kind, in := range map[string]bool{"assessment": true, "return": false, "loan": false, "pickup": false} {
			_, ok := allEvents["loan-"+itoa64(late)+"-"+kind+"-all@classemobile.epinay-sur-seine.fr"]
			assert.Equal(t, in, ok, "%s event of a loan returned 64 days ago in the coordinator's feed", kind)
		}
	})
}

func TestFeedGoldenEmpty(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		body := b.ics(t, b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI}))
		checkGolden(t, "feed_empty.ics", body)
		checkLines(t, body)
		assert.Empty(t, parseFeed(t, body), "no events")
		assert.Contains(t, string(body), "BEGIN:VTIMEZONE", "the time zone keeps an empty feed valid")
	})
}

// TestFeedGoldenCancelled renders a pack's feed before and after its loan
// is cancelled: same UIDs, STATUS:CANCELLED, SEQUENCE raised; 30 days
// later the events are gone.
func TestFeedGoldenCancelled(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		packs := feedPacks(t, db, 1)
		loan := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{packs[0].ID},
			ClassLevels: []string{"CE1"}, State: store.LoanReserved, Pickup: day("2027-01-04"), Return: day("2027-02-12"),
			At: at("2026-11-02T10:00:00Z")})
		path := b.feed(t, store.FeedTarget{Scope: store.FeedPack, PackID: packs[0].ID})
		before := parseFeed(t, b.ics(t, path))

		storetest.CancelFeedLoan(t, db, loan, at("2026-11-27T15:04:05Z"))
		body := b.ics(t, path)
		checkGolden(t, "feed_cancelled.ics", body)
		after := parseFeed(t, body)
		for _, kind := range []string{"pickup", "loan", "return"} {
			uid := "loan-" + itoa64(loan) + "-" + kind + "-pack-" + itoa64(packs[0].ID) + "@classemobile.epinay-sur-seine.fr"
			require.Contains(t, before, uid)
			if assert.Contains(t, after, uid, "cancelled %s event stays, same UID", kind) {
				assert.Equal(t, "CANCELLED", propText(t, after[uid], ical.PropStatus))
				assert.Equal(t, "1", propText(t, after[uid], ical.PropSequence), "sequence raised")
				assert.Equal(t, "20261127T150405Z", propText(t, after[uid], ical.PropDateTimeStamp), "stamped with the cancellation")
			}
		}
		assert.Len(t, after, 3, "deadlines of a cancelled loan are gone")

		b.clock.Set(at("2026-12-26T22:59:00Z")) // 26 Dec, 23:59 in Paris: day 29
		assert.Len(t, parseFeed(t, b.ics(t, path)), 3, "still there on day 29")
		b.clock.Set(at("2026-12-26T23:00:00Z")) // 27 Dec in Paris: day 30
		assert.Empty(t, parseFeed(t, b.ics(t, path)), "gone 30 days after the cancellation")
	})
}

// TestFeedGoldenExtension extends a loan: the loan, return and assessment
// events keep their UIDs with SEQUENCE raised; the pickup is untouched.
func TestFeedGoldenExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		packs := feedPacks(t, db, 1)
		loan := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{packs[0].ID},
			ClassLevels: []string{"CM1", "CM2"}, State: store.LoanPickedUp, Pickup: day("2026-11-09"), Return: day("2026-12-18"),
			Training: store.TrainingDone, At: at("2026-11-09T08:30:00Z")})
		path := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
		before := parseFeed(t, b.ics(t, path))

		storetest.ChangeLoan(t, db, loan, at("2026-11-27T16:20:00Z"), map[string]any{
			"extension_weeks": 2, "return_day": day("2027-01-15")})
		body := b.ics(t, path)
		checkGolden(t, "feed_extension.ics", body)
		after := parseFeed(t, body)
		assert.Equal(t, len(before), len(after), "same events")
		uid := func(kind string) string {
			return "loan-" + itoa64(loan) + "-" + kind + "-school@classemobile.epinay-sur-seine.fr"
		}
		for kind, seq := range map[string]string{"pickup": "0", "loan": "1", "return": "1", "assessment": "1"} {
			if assert.Contains(t, after, uid(kind), "%s keeps its UID", kind) {
				assert.Equal(t, seq, propText(t, after[uid(kind)], ical.PropSequence), "sequence of %s", kind)
			}
		}
		assert.Equal(t, "20270116", propText(t, after[uid("loan")], ical.PropDateTimeEnd), "new exclusive end")
		assert.Equal(t, "20261127T162000Z", propText(t, after[uid("loan")], ical.PropLastModified))
		assert.Equal(t, "20261109T083000Z", propText(t, after[uid("pickup")], ical.PropLastModified), "unchanged event keeps its stamp")
		assert.Equal(t, body, b.ics(t, path), "no change, same bytes")
	})
}

// TestFeedFolding renders French text with accents and emoji past 75
// octets: every line is at most 75 octets, folds never split a character,
// and the text reads back unchanged.
func TestFeedFolding(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newFeedBundle(t, db, feed.Options{})
	name := "École maternelle et élémentaire « Les Écureuils » 🐿️🌳 — groupe scolaire Félix-Éboué/Jean-Jaurès, Épinay-sur-Seine ✏️📚"
	school, err := db.CreateSchool(context.Background(), store.Actor{}, store.School{UAI: "0930042Z", Name: name,
		Address: "Allée des Châtaigniers — bâtiment B 🏫", City: "Épinay-sur-Seine"})
	require.NoError(t, err)
	packs := feedPacks(t, db, 1)
	storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{packs[0].ID},
		ClassLevels: []string{"CE2", "CM1", "CM2"}, Pickup: day("2027-01-04"), Return: day("2027-02-12"), At: at("2026-11-02T10:00:00Z")})
	body := b.ics(t, b.feed(t, store.FeedTarget{Scope: store.FeedAll}))
	checkLines(t, body)
	folded := 0
	for _, l := range bytes.Split(body, []byte("\r\n")) {
		if bytes.HasPrefix(l, []byte(" ")) {
			folded++
		}
	}
	assert.Greater(t, folded, 10, "long lines were folded")
	events := parseFeed(t, body)
	require.NotEmpty(t, events)
	for _, ev := range events {
		summary, err := ev.Props.Text(ical.PropSummary)
		require.NoError(t, err)
		assert.Contains(t, summary, name, "summary unfolds to the original text")
	}
}

// icaljsFeed is what parse.mjs prints of one file.
type icaljsFeed struct {
	Name      string `json:"name"`
	Timezones int    `json:"timezones"`
	Events    []struct {
		UID       string `json:"uid"`
		Summary   string `json:"summary"`
		Start     string `json:"start"`
		End       string `json:"end"`
		AllDay    bool   `json:"allDay"`
		TZID      string `json:"tzid"`
		StartUnix int64  `json:"startUnix"`
		Sequence  int    `json:"sequence"`
		Status    string `json:"status"`
		Stamp     string `json:"stamp"`
	} `json:"events"`
}

// TestFeedICalJS parses every golden feed with Mozilla's ical.js (the
// parser of Thunderbird) and checks it reads the same events as go-ical:
// UIDs, texts, dates, time zone, sequence, status. It needs node and npm;
// it installs ical.js from testdata/icaljs/package-lock.json with npm ci
// when node_modules is missing, so CI runs it wherever node is installed.
func TestFeedICalJS(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: feeds not checked with ical.js (install Node.js to run this test)")
	}
	dir := filepath.Join("testdata", "icaljs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ical.js", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm not found: cannot install ical.js")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci in %s: %s", dir, out)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "feed_*.ics"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "golden feeds")
	abs := make([]string, len(files))
	for i, f := range files {
		abs[i], err = filepath.Abs(f)
		require.NoError(t, err)
	}
	cmd := exec.Command(node, append([]string{"parse.mjs"}, abs...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "ical.js: %s", stderr.String())
	var parsed map[string]icaljsFeed
	require.NoError(t, json.Unmarshal(out, &parsed))
	paris, _ := time.LoadLocation("Europe/Paris")
	total := 0
	for i, f := range files {
		js, ok := parsed[abs[i]]
		require.True(t, ok, "ical.js output for %s", f)
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		events := parseFeed(t, body)
		assert.Equal(t, 1, js.Timezones, "%s: the Europe/Paris VTIMEZONE", f)
		assert.NotEmpty(t, js.Name, "%s: calendar name", f)
		assert.Len(t, js.Events, len(events), "%s: ical.js and go-ical see as many events", f)
		for _, ev := range js.Events {
			total++
			c, ok := events[ev.UID]
			if !assert.True(t, ok, "%s: UID %s seen by ical.js only", f, ev.UID) {
				continue
			}
			summary, err := c.Props.Text(ical.PropSummary)
			require.NoError(t, err)
			assert.Equal(t, summary, ev.Summary, "%s %s: summary", f, ev.UID)
			assert.Equal(t, propText(t, c, ical.PropSequence), strconv.Itoa(ev.Sequence), "%s %s: sequence", f, ev.UID)
			assert.Equal(t, propText(t, c, ical.PropStatus), ev.Status, "%s %s: status", f, ev.UID)
			start := c.Props.Get(ical.PropDateTimeStart)
			if ev.AllDay {
				assert.Equal(t, start.Value, strings.ReplaceAll(ev.Start, "-", ""), "%s %s: start day", f, ev.UID)
				continue
			}
			assert.Equal(t, "Europe/Paris", ev.TZID, "%s %s: time zone", f, ev.UID)
			if paris != nil {
				want, err := time.ParseInLocation("20060102T150405", start.Value, paris)
				require.NoError(t, err)
				assert.Equal(t, want.Unix(), ev.StartUnix, "%s %s: ical.js places the event at the same instant", f, ev.UID)
			}
		}
	}
	t.Logf("ical.js read %d events in %d feeds, as go-ical does", total, len(files))
}
