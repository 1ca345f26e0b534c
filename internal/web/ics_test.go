package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// feedBaseURL is the public URL of the test servers: UIDs end in its host.
const feedBaseURL = "https://classemobile.epinay-sur-seine.fr"

// feedToday is the fixed "now" of feed tests: Saturday 28 November 2026,
// 10:00 in Paris.
var feedToday = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for the web server.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// feedBundle is a test server with feeds, on a fixed clock.
type feedBundle struct {
	db    *store.DB
	ts    *httptest.Server
	clock *fakeClock
}

func newFeedBundle(t *testing.T, db *store.DB, opts feed.Options) feedBundle {
	t.Helper()
	clock := &fakeClock{t: feedToday}
	if opts.RatePerMinute == 0 {
		opts.RatePerMinute = -1 // unlimited unless the test says otherwise
	}
	if opts.LookupTTL == 0 {
		opts.LookupTTL = -1 // every request sees the database unless the test says otherwise
	}
	feeds, err := feed.New(feed.Deps{DB: db, Logger: storetest.Logger(t), BaseURL: feedBaseURL, NowFunc: clock.Now, Options: opts})
	require.NoError(t, err)
	srv, err := web.New(web.Deps{DB: db, Logger: storetest.Logger(t), BaseURL: feedBaseURL, NowFunc: clock.Now, Feeds: feeds})
	require.NoError(t, err)
	// The feeds beside the API, and the connection hook of classemobile
	// serve (feed.HTTPServer): every feed test goes through its one-write
	// responses.
	ts := httptest.NewUnstartedServer(feeds.Handler(checkedAPI(t, srv)))
	ts.Config.ConnContext = feed.ConnContext
	ts.Listener = feed.Listener(ts.Listener)
	ts.Start()
	t.Cleanup(ts.Close)
	return feedBundle{db: db, ts: ts, clock: clock}
}

// feed issues a feed token for target and returns its URL path.
func (b feedBundle) feed(t *testing.T, target store.FeedTarget) string {
	t.Helper()
	_, token, err := b.db.CreateFeed(context.Background(), store.Actor{}, target)
	require.NoError(t, err, "create feed %s", target)
	return "/ics/" + token + ".ics"
}

// get fetches path with optional headers.
func (b feedBundle) get(t *testing.T, method, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, b.ts.URL+path, nil)
	require.NoError(t, err)
	// Plain bytes unless the test asks otherwise (Go's client would ask
	// for gzip and decompress behind the test's back).
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.ts.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, body
}

// ics fetches a feed and checks it is a 200 calendar.
func (b feedBundle) ics(t *testing.T, path string) []byte {
	t.Helper()
	res, body := b.get(t, http.MethodGet, path)
	require.Equal(t, http.StatusOK, res.StatusCode, "GET %s: %s", path, body)
	assert.Equal(t, "text/calendar; charset=utf-8", res.Header.Get("Content-Type"))
	return body
}

// feedSchool is the school of the goldens.
func feedSchool(t *testing.T, db *store.DB) store.School {
	t.Helper()
	s, err := db.CreateSchool(context.Background(), store.Actor{}, store.School{UAI: "0931234K",
		Name: "École élémentaire Jean-Jaurès 1", Kind: "elementaire", Address: "12 rue de l'Église",
		PostalCode: "93800", City: "Épinay-sur-Seine"})
	require.NoError(t, err)
	return s
}

func feedPacks(t *testing.T, db *store.DB, n int) []store.Pack {
	t.Helper()
	packs := make([]store.Pack, n)
	for i := range packs {
		packs[i] = storetest.Pack(t, db, &storetest.PackOpts{Code: "EIM-" + string(rune('1'+i)), Tablets: 2})
	}
	return packs
}

func day(s string) calendar.Date { return calendar.MustParseDate(s) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seedEveryState writes one loan in every state at school, on packs, and
// returns the loans' IDs by name.
func seedEveryState(t *testing.T, db *store.DB, school store.School, packs []store.Pack) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	add := func(name string, o storetest.FeedLoanOpts) {
		o.SchoolUAI = school.UAI
		ids[name] = storetest.FeedLoan(t, db, o)
	}
	add("closed", storetest.FeedLoanOpts{PackIDs: []int64{packs[0].ID}, ClassLevels: []string{"CM2"}, State: store.LoanClosed,
		Pickup: day("2026-09-07"), Return: day("2026-10-16"), Training: store.TrainingDone, TrainingDate: day("2026-09-02"),
		Assessed: true, At: at("2026-10-20T14:00:00Z")})
	add("returned", storetest.FeedLoanOpts{PackIDs: []int64{packs[1].ID}, ClassLevels: []string{"CE2", "CM1"}, State: store.LoanReturned,
		Pickup: day("2026-09-14"), Return: day("2026-10-16"), Training: store.TrainingDone, TrainingDate: day("2026-09-09"),
		At: at("2026-10-16T15:30:00Z")})
	add("picked_up", storetest.FeedLoanOpts{PackIDs: []int64{packs[2].ID}, ClassLevels: []string{"CP"}, State: store.LoanPickedUp,
		Pickup: day("2026-11-02"), Return: day("2026-12-11"), Training: store.TrainingDone, TrainingDate: day("2026-10-14"),
		At: at("2026-11-02T08:15:00Z")})
	add("extended", storetest.FeedLoanOpts{PackIDs: []int64{packs[3].ID, packs[4].ID}, ClassLevels: []string{"ULIS"}, State: store.LoanPickedUp,
		Pickup: day("2026-11-09"), BaseReturn: day("2026-12-18"), Return: day("2027-01-15"), ExtensionWeeks: 2,
		Training: store.TrainingDone, TrainingDate: day("2026-10-14"), At: at("2026-11-20T10:00:00Z")})
	add("signed", storetest.FeedLoanOpts{PackIDs: []int64{packs[2].ID}, ClassLevels: []string{"CE1"}, State: store.LoanSigned,
		Pickup: day("2027-01-04"), Return: day("2027-02-12"), Training: store.TrainingPlanned, TrainingDate: day("2026-12-09"),
		At: at("2026-11-25T09:45:00Z")})
	add("reserved", storetest.FeedLoanOpts{PackIDs: []int64{packs[5].ID}, ClassLevels: []string{"CM1"}, State: store.LoanReserved,
		Pickup: day("2027-03-08"), Return: day("2027-04-16"), DirectorSigned: true, At: at("2026-11-26T11:00:00Z")})
	add("cancelled", storetest.FeedLoanOpts{PackIDs: []int64{packs[0].ID}, ClassLevels: []string{"CE2"}, State: store.LoanCancelled,
		Pickup: day("2027-01-04"), Return: day("2027-02-12"), At: at("2026-11-10T08:00:00Z"), CancelledAt: at("2026-11-24T16:00:00Z")})
	add("cancelled_long_ago", storetest.FeedLoanOpts{PackIDs: []int64{packs[1].ID}, ClassLevels: []string{"CM2"}, State: store.LoanCancelled,
		Pickup: day("2026-11-16"), Return: day("2026-12-18"), At: at("2026-09-20T08:00:00Z"), CancelledAt: at("2026-10-01T08:00:00Z")})
	return ids
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden %s (run go test -update)", path)
	assert.Equal(t, string(want), string(got), "feed differs from %s (run go test -update if intended)", path)
}

// parseFeed parses a feed back with go-ical and returns its events by UID.
func parseFeed(t *testing.T, body []byte) map[string]*ical.Component {
	t.Helper()
	cal, err := calendar.ParseICS(bytes.NewReader(body))
	require.NoError(t, err, "go-ical parses the feed")
	events := map[string]*ical.Component{}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid, err := c.Props.Text(ical.PropUID)
		require.NoError(t, err)
		require.NotContains(t, events, uid, "duplicate UID")
		events[uid] = c
	}
	return events
}

func propText(t *testing.T, c *ical.Component, name string) string {
	t.Helper()
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	return p.Value
}

// checkLines checks RFC 5545 line rules: CRLF only, at most 75 octets,
// folds on UTF-8 boundaries.
func checkLines(t *testing.T, body []byte) {
	t.Helper()
	assert.True(t, utf8.Valid(body), "valid UTF-8")
	assert.True(t, bytes.HasSuffix(body, []byte("\r\n")), "ends with CRLF")
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\r\n")), []byte("\r\n"))
	for i, l := range lines {
		assert.LessOrEqual(t, len(l), 75, "line %d is %d octets: %q", i+1, len(l), l)
		assert.NotContains(t, string(l), "\r", "bare CR in line %d", i+1)
		assert.NotContains(t, string(l), "\n", "bare LF in line %d", i+1)
		assert.True(t, utf8.Valid(l), "line %d cut inside a UTF-8 sequence: %q", i+1, l)
	}
}

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

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

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

func TestFeedConditionalRequests(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		packs := feedPacks(t, db, 1)
		loan := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{packs[0].ID},
			Pickup: day("2027-01-04"), Return: day("2027-02-12"), At: at("2026-11-02T10:00:00Z")})
		path := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})

		res, body := b.get(t, http.MethodGet, path)
		require.Equal(t, http.StatusOK, res.StatusCode)
		etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		assert.Regexp(t, `^"[0-9a-f]{32}"$`, etag, "strong ETag")
		_, err := http.ParseTime(lastMod)
		assert.NoError(t, err, "Last-Modified is an HTTP date")
		assert.Equal(t, "private, max-age=300", res.Header.Get("Cache-Control"))
		assert.Equal(t, strconv.Itoa(len(body)), res.Header.Get("Content-Length"))

		cases := []struct {
			name       string
			headers    []string
			wantStatus int
		}{
			{name: "If-None-Match", headers: []string{"If-None-Match", etag}, wantStatus: http.StatusNotModified},
			{name: "If-None-Match list", headers: []string{"If-None-Match", `"nope", ` + etag}, wantStatus: http.StatusNotModified},
			{name: "weak If-None-Match", headers: []string{"If-None-Match", "W/" + etag}, wantStatus: http.StatusNotModified},
			{name: "other ETag", headers: []string{"If-None-Match", `"0123"`}, wantStatus: http.StatusOK},
			{name: "If-Modified-Since", headers: []string{"If-Modified-Since", lastMod}, wantStatus: http.StatusNotModified},
			{name: "If-Modified-Since before", headers: []string{"If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"}, wantStatus: http.StatusOK},
			{name: "If-None-Match wins over If-Modified-Since", headers: []string{"If-None-Match", `"0123"`, "If-Modified-Since", lastMod}, wantStatus: http.StatusOK},
			{name: "odd Accept", headers: []string{"Accept", "application/json"}, wantStatus: http.StatusOK},
		}
		for _, c := range cases {
			res, got := b.get(t, http.MethodGet, path, c.headers...)
			assert.Equal(t, c.wantStatus, res.StatusCode, c.name)
			assert.Equal(t, etag, res.Header.Get("ETag"), "%s: ETag on every answer", c.name)
			if c.wantStatus == http.StatusNotModified {
				assert.Empty(t, got, "%s: no body on 304", c.name)
			} else {
				assert.Equal(t, body, got, c.name)
			}
		}

		res, got := b.get(t, http.MethodHead, path)
		assert.Equal(t, http.StatusOK, res.StatusCode, "HEAD")
		assert.Empty(t, got, "HEAD has no body")
		assert.Equal(t, etag, res.Header.Get("ETag"))
		assert.Equal(t, strconv.Itoa(len(body)), res.Header.Get("Content-Length"), "HEAD tells the length")
		res, _ = b.get(t, http.MethodHead, path, "If-None-Match", etag)
		assert.Equal(t, http.StatusNotModified, res.StatusCode, "conditional HEAD")

		// A change gives a new ETag and a later Last-Modified; the old
		// validators get the new body.
		b.clock.Set(feedToday.Add(90 * time.Second))
		storetest.ChangeLoan(t, db, loan, at("2026-11-28T09:01:00Z"), map[string]any{"director_signed_at": at("2026-11-28T09:01:00Z"),
			"director_signed_by": nil})
		res, got = b.get(t, http.MethodGet, path, "If-None-Match", etag)
		assert.Equal(t, http.StatusOK, res.StatusCode, "changed feed, old ETag")
		assert.NotEqual(t, etag, res.Header.Get("ETag"))
		assert.NotEqual(t, body, got)
		res, _ = b.get(t, http.MethodGet, path, "If-Modified-Since", lastMod)
		assert.Equal(t, http.StatusOK, res.StatusCode, "changed feed, old Last-Modified")

		res, _ = b.get(t, http.MethodPost, path)
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, "POST on a feed")
	})
}

func TestFeedNotFound(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newFeedBundle(t, db, feed.Options{})
	school := feedSchool(t, db)
	good := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	token := strings.TrimSuffix(strings.TrimPrefix(good, "/ics/"), ".ics")
	for _, path := range []string{
		"/ics/" + store.NewSecret("") + ".ics", // well-formed, unknown
		"/ics/" + token,                        // no .ics
		"/ics/" + token + ".json",
		"/ics/" + token[:20] + ".ics",
		"/ics/" + strings.Repeat("!", 43) + ".ics",
		"/ics/" + token + "x.ics",
	} {
		res, body := b.get(t, http.MethodGet, path)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
		assert.Empty(t, body, "%s: no detail in a 404", path)
		assert.Empty(t, res.Header.Get("Location"), "no redirect")
	}
	res, _ := b.get(t, http.MethodGet, good)
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestFeedRateLimit(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newFeedBundle(t, db, feed.Options{RatePerMinute: 60, Burst: 3})
	school := feedSchool(t, db)
	path := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	other := b.feed(t, store.FeedTarget{Scope: store.FeedAll})
	for i := range 3 {
		res, _ := b.get(t, http.MethodGet, path)
		assert.Equal(t, http.StatusOK, res.StatusCode, "request %d within the burst", i+1)
	}
	res, _ := b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "past the burst")
	assert.Equal(t, "1", res.Header.Get("Retry-After"), "one token per second at 60/min")
	res, _ = b.get(t, http.MethodGet, other)
	assert.Equal(t, http.StatusOK, res.StatusCode, "another token has its own bucket")
	b.clock.Set(feedToday.Add(time.Second))
	res, _ = b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusOK, res.StatusCode, "one second later, one more request")
	res, _ = b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "and only one")
}

func TestFeedAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		b := newFeedBundle(t, db, feed.Options{})
		school := feedSchool(t, db)
		otherSchool := storetest.School(t, db, nil)
		pack := storetest.Pack(t, db, nil)
		_, coord := storetest.User(t, db, nil)
		_, director := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		_, teacher := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		ts := b.ts
		path := func(r apiResponse) string {
			u, _ := r.JSON["url"].(string)
			return strings.TrimPrefix(u, feedBaseURL)
		}

		r := call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
		require.Equal(t, http.StatusCreated, r.Status, "create: %s", r.Body)
		first := path(r)
		assert.Regexp(t, `^/ics/[A-Za-z0-9_-]{43}\.ics$`, first, "https URL built on the base URL")
		assert.Equal(t, "webcal://classemobile.epinay-sur-seine.fr"+first, r.JSON["webcal_url"])
		res, _ := b.get(t, http.MethodGet, first)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the new URL works")

		r = call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
		assert.Equal(t, http.StatusConflict, r.Status, "second create")
		assert.Equal(t, "feed_exists", r.ErrorCode())

		r = call(t, ts, "POST", "/api/v1/feeds", director, map[string]any{"rotate": true})
		require.Equal(t, http.StatusOK, r.Status, "director rotates their school's feed: %s", r.Body)
		second := path(r)
		assert.NotEqual(t, first, second)
		res, body := b.get(t, http.MethodGet, first)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "the rotated URL dies at once")
		assert.Empty(t, body)
		res, _ = b.get(t, http.MethodGet, second)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the new URL works")

		r = call(t, ts, "GET", "/api/v1/feeds", director, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Len(t, r.JSON["feeds"], 1, "director sees their school's feed")
		assert.NotContains(t, string(r.Body), strings.TrimSuffix(strings.TrimPrefix(second, "/ics/"), ".ics"), "listing never shows a token")

		for _, c := range []struct {
			name       string
			token      string
			method     string
			path       string
			body       any
			wantStatus int
		}{
			{name: "director, other school", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": otherSchool.UAI}, wantStatus: http.StatusNotFound},
			{name: "director, pack feed", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "pack", "pack": pack.Code}, wantStatus: http.StatusForbidden},
			{name: "director, coordinator feed", token: director, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "all"}, wantStatus: http.StatusForbidden},
			{name: "teacher", token: teacher, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": school.UAI}, wantStatus: http.StatusForbidden},
			{name: "no token", method: "POST", path: "/api/v1/feeds", body: map[string]any{"scope": "all"}, wantStatus: http.StatusUnauthorized},
			{name: "unknown scope", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "city"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "unknown school", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "school", "school": "0999999Z"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "unknown pack", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "pack", "pack": "NOPE"}, wantStatus: http.StatusUnprocessableEntity},
			{name: "rotate without feed", token: coord, method: "POST", path: "/api/v1/feeds",
				body: map[string]any{"scope": "all", "rotate": true}, wantStatus: http.StatusNotFound},
			{name: "director revokes other school", token: director, method: "DELETE",
				path: "/api/v1/feeds?scope=school&school=" + otherSchool.UAI, wantStatus: http.StatusNotFound},
			{name: "revoke missing feed", token: coord, method: "DELETE", path: "/api/v1/feeds?scope=all", wantStatus: http.StatusNotFound},
		} {
			r := call(t, ts, c.method, c.path, c.token, c.body)
			assert.Equal(t, c.wantStatus, r.Status, "%s: %s", c.name, r.Body)
		}

		r = call(t, ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "pack", "pack": pack.Code})
		require.Equal(t, http.StatusCreated, r.Status, "pack feed: %s", r.Body)
		packPath := path(r)
		r = call(t, ts, "DELETE", "/api/v1/feeds?scope=pack&pack="+pack.Code, coord, nil)
		require.Equal(t, http.StatusOK, r.Status, "revoke: %s", r.Body)
		res, body = b.get(t, http.MethodGet, packPath)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "a revoked URL is a 404")
		assert.Empty(t, body, "with no detail")

		r = call(t, ts, "DELETE", "/api/v1/feeds", director, nil)
		require.Equal(t, http.StatusOK, r.Status, "director revokes their school's feed: %s", r.Body)
		res, _ = b.get(t, http.MethodGet, second)
		assert.Equal(t, http.StatusNotFound, res.StatusCode, "revoked by the director")
	})
}

// TestFeedLookupCache checks the token lookup cache: within LookupTTL an
// instance serves what it looked up (a change made elsewhere shows after
// it), and a rotation or revocation through this instance applies at once.
func TestFeedLookupCache(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newFeedBundle(t, db, feed.Options{LookupTTL: time.Second})
	school := feedSchool(t, db)
	packs := feedPacks(t, db, 1)
	loan := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{packs[0].ID},
		Pickup: day("2027-01-04"), Return: day("2027-02-12"), At: at("2026-11-02T10:00:00Z")})
	_, coord := storetest.User(t, db, nil)
	r := call(t, b.ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	path := strings.TrimPrefix(r.JSON["url"].(string), feedBaseURL)
	before := b.ics(t, path)

	storetest.ChangeLoan(t, db, loan, at("2026-11-28T09:00:00Z"), map[string]any{"return_day": day("2027-02-19")})
	assert.Equal(t, before, b.ics(t, path), "within LookupTTL the instance reuses its lookup")
	b.clock.Set(feedToday.Add(1500 * time.Millisecond))
	assert.NotEqual(t, before, b.ics(t, path), "after LookupTTL the change shows")

	// Revocation by the command line (another process): dead within LookupTTL.
	_, err := db.RevokeFeed(context.Background(), store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	require.NoError(t, err)
	b.clock.Set(feedToday.Add(3 * time.Second))
	res, _ := b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "revoked elsewhere: 404 after LookupTTL")

	// Rotation and revocation through this instance: at once.
	r = call(t, b.ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	path = strings.TrimPrefix(r.JSON["url"].(string), feedBaseURL)
	b.ics(t, path)
	r = call(t, b.ts, "POST", "/api/v1/feeds", coord, map[string]any{"scope": "school", "school": school.UAI, "rotate": true})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	res, _ = b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "rotated here: the old URL dies at once")
	path = strings.TrimPrefix(r.JSON["url"].(string), feedBaseURL)
	b.ics(t, path)
	r = call(t, b.ts, "DELETE", "/api/v1/feeds?scope=school&school="+school.UAI, coord, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	res, _ = b.get(t, http.MethodGet, path)
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "revoked here: dead at once")
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

// TestFeedGzip checks the compressed representation: same content, its own
// strong ETag, Vary, 304 on either validator.
func TestFeedGzip(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newFeedBundle(t, db, feed.Options{})
	school := feedSchool(t, db)
	seedEveryState(t, db, school, feedPacks(t, db, 6))
	path := b.feed(t, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	plainRes, plain := b.get(t, http.MethodGet, path)
	require.Equal(t, http.StatusOK, plainRes.StatusCode)
	assert.Empty(t, plainRes.Header.Get("Content-Encoding"))
	assert.Equal(t, "Accept-Encoding", plainRes.Header.Get("Vary"))

	for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8"} {
		res, gz := b.get(t, http.MethodGet, path, "Accept-Encoding", ae)
		require.Equal(t, http.StatusOK, res.StatusCode, ae)
		assert.Equal(t, "gzip", res.Header.Get("Content-Encoding"), ae)
		assert.Equal(t, "Accept-Encoding", res.Header.Get("Vary"))
		assert.Equal(t, strconv.Itoa(len(gz)), res.Header.Get("Content-Length"))
		assert.NotEqual(t, plainRes.Header.Get("ETag"), res.Header.Get("ETag"), "each representation has its own strong ETag")
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		require.NoError(t, err)
		got, err := io.ReadAll(zr)
		require.NoError(t, err)
		assert.Equal(t, plain, got, "%s: same bytes once decompressed", ae)
		assert.Less(t, len(gz)*3, len(plain), "compressed well")
		res, body := b.get(t, http.MethodGet, path, "Accept-Encoding", ae, "If-None-Match", res.Header.Get("ETag"))
		assert.Equal(t, http.StatusNotModified, res.StatusCode, "%s: 304 on the gzip ETag", ae)
		assert.Empty(t, body)
	}
	res, _ := b.get(t, http.MethodGet, path, "Accept-Encoding", "gzip;q=0")
	assert.Empty(t, res.Header.Get("Content-Encoding"), "gzip refused")

	// Go's own client: gzip asked and undone transparently.
	res, err := b.ts.Client().Get(b.ts.URL + path)
	require.NoError(t, err)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.True(t, res.Uncompressed, "sent compressed")
	assert.Equal(t, plain, got)
}
