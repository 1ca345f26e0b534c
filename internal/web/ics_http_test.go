package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

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
