package web_test

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
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

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
