package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/store"
)

// Options configure the iCal feeds under /ics.
type Options struct {
	// RatePerMinute is the sustained number of requests per minute a feed
	// token may make (per instance). Defaults to 60; negative disables the
	// limit.
	RatePerMinute float64
	// Burst is the number of requests a token may make at once. Defaults
	// to 30.
	Burst int
	// CacheTTL is how long a cached rendering may be served while the data
	// generation says nothing changed; past it the feed is rendered again
	// (a safety net for changes the generation cannot see, such as a
	// deleted row). Defaults to 15 minutes.
	CacheTTL time.Duration
	// LookupTTL is how long an instance reuses a token lookup (the feed
	// behind a token and the data generation) before asking the database
	// again. Revocations and rotations made through this instance apply
	// at once; those made elsewhere (another instance, the command line)
	// and data changes apply within LookupTTL. Defaults to 1 second;
	// negative looks every request up in the database.
	LookupTTL time.Duration
}

// Feed caching.
//
// A feed request costs at most one database round trip: the token lookup,
// which also returns the data generation (max(updated_at) of the tables
// feeds show, see store.FeedPoll). The lookup itself is reused for
// LookupTTL (1 s): a calendar client polling an unchanged feed, or a crowd
// of them, costs each instance one indexed query per feed and second. Each instance keeps the
// rendered bytes of each feed in memory with the generation and the Paris
// day they were rendered for (feeds depend on the day: the coordinator's
// window, cancelled loans leaving after 30 days). A request whose
// generation and day match the cached entry is served from memory; any
// other renders the feed again. Because the generation is read from the
// database at every request, a change made through any instance
// invalidates every instance's cache at the next poll: there is no
// cross-instance messaging to get wrong. A render reads the loans, records
// event revisions (store.SyncFeedRevisions) and the feed's Last-Modified
// (store.SetFeedContent), all idempotent and shared by instances, so two
// instances render identical bytes.

// feedService holds the feeds' cache, rate limiter and token lookup.
type feedService struct {
	opts    Options
	host    string
	limiter *rateLimiter
	lookup  *store.FeedLookup

	// polls maps a token to its recent lookup (*feedPollEntry).
	polls     sync.Map
	pollSweep atomic.Int64 // unix seconds of the last sweep of polls

	// cache maps a feed ID to its rendering. Requests read a snapshot
	// without a lock; a render stores a new map (copy on write, under mu).
	cache     atomic.Pointer[map[int64]*feedEntry]
	mu        sync.Mutex
	lastSweep time.Time
	renders   singleflight.Group
	// today caches the Paris date of the current UTC hour (a Paris day
	// starts and summer time changes on a UTC hour).
	today atomic.Pointer[feedDay]
	// renderCount counts renders, for tests.
	renderCount atomic.Int64
}

// feedDay is the Paris date during one UTC hour.
type feedDay struct {
	hour int64 // unix hours
	day  calendar.Date
}

// parisDate returns calendar.ParisDate(now), computed once an hour.
func (fs *feedService) parisDate(now time.Time) calendar.Date {
	sec := now.Unix()
	hour := sec / 3600
	if sec < 0 && sec%3600 != 0 {
		hour--
	}
	if d := fs.today.Load(); d != nil && d.hour == hour {
		return d.day
	}
	d := &feedDay{hour: hour, day: calendar.ParisDate(now)}
	fs.today.Store(d)
	return d.day
}

// feedPollEntry is a token lookup and when it expires.
type feedPollEntry struct {
	poll    store.FeedPoll
	expires time.Time
}

// pollToken returns the feed behind a token and the data generation, from
// the lookup cache or the database. Unknown tokens are not cached.
func (fs *feedService) pollToken(ctx context.Context, token string, now time.Time) (store.FeedPoll, error) {
	if fs.opts.LookupTTL > 0 {
		if v, ok := fs.polls.Load(token); ok {
			if e := v.(*feedPollEntry); now.Before(e.expires) {
				return e.poll, nil
			}
		}
	}
	poll, err := fs.lookup.FeedByToken(ctx, token)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			fs.polls.Delete(token)
		}
		return poll, err
	}
	if fs.opts.LookupTTL > 0 {
		fs.polls.Store(token, &feedPollEntry{poll: poll, expires: now.Add(fs.opts.LookupTTL)})
		if last := fs.pollSweep.Load(); now.Unix()-last > 60 && fs.pollSweep.CompareAndSwap(last, now.Unix()) {
			fs.polls.Range(func(k, v any) bool {
				if !now.Before(v.(*feedPollEntry).expires) {
					fs.polls.Delete(k)
				}
				return true
			})
		}
	}
	return poll, nil
}

// forgetTarget drops the cached lookups of a target's tokens after its
// token was rotated or revoked through this instance, so the old URL dies
// at once here.
func (fs *feedService) forgetTarget(t store.FeedTarget) {
	fs.polls.Range(func(k, v any) bool {
		p := v.(*feedPollEntry).poll
		if p.Scope == t.Scope && p.SchoolUAI == t.SchoolUAI && p.PackID == t.PackID {
			fs.polls.Delete(k)
		}
		return true
	})
}

// feedEntry is a rendered feed and its ready-made response headers.
type feedEntry struct {
	generation string
	day        calendar.Date
	built      time.Time
	lastUsed   atomic.Int64 // unix seconds

	// plain and gzip are the two representations of the same bytes.
	plain, gzip  feedRepresentation
	lastModified time.Time
	// hLastModified is built once and shared by every response.
	hLastModified []string
}

// feedRepresentation is one encoding of a rendered feed.
type feedRepresentation struct {
	body []byte
	etag string
	// Header values, built once and shared by every response.
	hETag, hLength []string
}

func newRepresentation(body []byte, etag string) feedRepresentation {
	return feedRepresentation{body: body, etag: etag, hETag: []string{etag}, hLength: []string{strconv.Itoa(len(body))}}
}

// gzipBytes compresses b; the output depends only on b (no name, no time).
func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Fixed response header values.
var (
	hCalendarType = []string{"text/calendar; charset=utf-8"}
	hFeedCache    = []string{"private, max-age=300"}
	hNoStore      = []string{"no-store"}
	hTextPlain    = []string{"text/plain; charset=utf-8"}
	hGzip         = []string{"gzip"}
	hVary         = []string{"Accept-Encoding"}
	hNosniff      = []string{"nosniff"}
)

func newFeedService(o Options, baseURL string, db *store.DB) *feedService {
	if o.RatePerMinute == 0 {
		o.RatePerMinute = 60
	}
	if o.Burst == 0 {
		o.Burst = 30
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 15 * time.Minute
	}
	if o.LookupTTL == 0 {
		o.LookupTTL = time.Second
	}
	host := "classemobile"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	fs := &feedService{opts: o, host: host, limiter: newRateLimiter(o.RatePerMinute, o.Burst)}
	fs.cache.Store(&map[int64]*feedEntry{})
	if db != nil {
		fs.lookup = db.NewFeedLookup()
	}
	return fs
}

// feedTokenLen is the length of a feed token (256 bits in base64url).
const feedTokenLen = 43

// validFeedToken reports whether s looks like a feed token, so garbage is
// refused without a database query.
func validFeedToken(s string) bool {
	if len(s) != feedTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// feedPath returns the file of a feed request ("<token>.ics") when r is
// a GET or HEAD of /ics/<token>.ics with a well-formed token and nothing
// escaped: the requests the mux would route to getFeedICS with that file,
// which Handler sends to serveFeed directly.
func feedPath(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	p := r.URL.Path
	if len(p) != len("/ics/")+feedTokenLen+len(".ics") || r.URL.RawPath != "" ||
		p[:len("/ics/")] != "/ics/" || p[len(p)-len(".ics"):] != ".ics" {
		return "", false
	}
	file := p[len("/ics/"):]
	if !validFeedToken(file[:feedTokenLen]) {
		return "", false
	}
	return file, true
}

// getFeedICS serves GET and HEAD /ics/{file} (Pattern): file is
// "<token>.ics".
func (s *Server) getFeedICS(w http.ResponseWriter, r *http.Request) {
	s.serveFeed(w, r, r.PathValue("file"))
}

// serveFeed serves a feed file ("<token>.ics"). It reads the clock once.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, file string) {
	h := w.Header()
	token, ok := strings.CutSuffix(file, ".ics")
	if !ok || !validFeedToken(token) {
		s.metrics.Feed(metrics.FeedNotFound)
		feedNotFound(w)
		return
	}
	now := s.now()
	if ok, wait := s.feeds.limiter.allow(token, now); !ok {
		s.metrics.Feed(metrics.FeedRateLimited)
		h["Content-Type"] = hTextPlain
		h["Cache-Control"] = hNoStore
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		w.WriteHeader(http.StatusTooManyRequests)
		if r.Method != http.MethodHead {
			w.Write([]byte("Trop de requêtes pour ce flux : réessayez plus tard.\n"))
		}
		return
	}
	ctx := r.Context()
	poll, err := s.feeds.pollToken(ctx, token, now)
	if errors.Is(err, store.ErrNotFound) {
		s.metrics.Feed(metrics.FeedNotFound)
		feedNotFound(w)
		return
	}
	if err != nil {
		s.feedError(w, r, err)
		return
	}
	ent, rendered, err := s.feedEntry(ctx, poll, now)
	if err != nil {
		s.feedError(w, r, err)
		return
	}
	rep := &ent.plain
	if acceptsGzip(r) {
		rep = &ent.gzip
		h["Content-Encoding"] = hGzip
	}
	h["Cache-Control"] = hFeedCache
	h["Vary"] = hVary
	h["Etag"] = rep.hETag
	h["Last-Modified"] = ent.hLastModified
	if feedNotModified(r, ent) {
		// net/http drops Content-Type from a 304 anyway.
		delete(h, "Content-Encoding")
		s.metrics.Feed(metrics.FeedNotModified)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if rendered {
		s.metrics.Feed(metrics.FeedRender)
	} else {
		s.metrics.Feed(metrics.FeedHit)
	}
	h["Content-Type"] = hCalendarType
	h["Content-Length"] = rep.hLength
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeBody(w, r, rep.body)
}

// holdMin is the body size from which writeBody asks for one write: a
// smaller body leaves with its header in net/http's 4 KiB buffer anyway.
const holdMin = 3 << 10

// writeBody sends a 200 with body (Content-Length set) in one write when
// the request came through Listener (see coalescingConn).
func writeBody(w http.ResponseWriter, r *http.Request, body []byte) {
	f, ok := w.(http.Flusher)
	var cc *coalescingConn
	if ok && len(body) >= holdMin {
		cc = connFrom(r.Context())
	}
	if cc == nil {
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	cc.holdWrites()
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	f.Flush()
	cc.releaseWrites()
}

// acceptsGzip reports whether the client takes gzip (calendar services
// do): the feed is then sent compressed, about six times smaller. A
// "gzip;q=0" refusal is honoured; other q-values are not weighed.
func acceptsGzip(r *http.Request) bool {
	for _, ae := range r.Header["Accept-Encoding"] {
		for ae != "" {
			var part string
			part, ae, _ = strings.Cut(ae, ",")
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
				return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
			}
		}
	}
	return false
}

// feedNotFound answers 404 without saying whether the token never existed
// or was revoked.
func feedNotFound(w http.ResponseWriter) {
	h := w.Header()
	h["Cache-Control"] = hNoStore
	h["Content-Type"] = hTextPlain
	w.WriteHeader(http.StatusNotFound)
}

func (s *Server) feedError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.metrics.Feed(metrics.FeedError)
	s.logger.ErrorContext(r.Context(), "Feed failed", "path", "/ics/…", "error", err)
	w.Header()["Cache-Control"] = hNoStore
	w.WriteHeader(http.StatusInternalServerError)
}

// feedNotModified applies If-None-Match, or If-Modified-Since when there
// is no If-None-Match (RFC 9110 §13.2.2).
func feedNotModified(r *http.Request, ent *feedEntry) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == ent.plain.etag || inm == ent.gzip.etag {
			return true
		}
		for inm != "" {
			var tag string
			tag, inm, _ = strings.Cut(inm, ",")
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			// Either representation's validator: they carry the same
			// content, and a client keeps the one it holds.
			if tag == "*" || tag == ent.plain.etag || tag == ent.gzip.etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !ent.lastModified.After(t)
	}
	return false
}

// feedEntry returns the rendering of a feed for today, from the cache when
// its generation and day still hold; rendered is true when this request
// rendered it (a cache miss).
func (s *Server) feedEntry(ctx context.Context, poll store.FeedPoll, now time.Time) (_ *feedEntry, rendered bool, _ error) {
	fs := s.feeds
	today := fs.parisDate(now)
	if ent := fs.cached(poll, today, now); ent != nil {
		return ent, false, nil
	}
	// One render per feed at a time in this instance: concurrent requests
	// for the same feed and generation share it, and one that comes just
	// after finds the entry the render stored.
	key := strconv.FormatInt(poll.ID, 10) + "|" + poll.Generation + "|" + today.String()
	v, err, _ := fs.renders.Do(key, func() (any, error) {
		if ent := fs.cached(poll, today, now); ent != nil {
			return ent, nil
		}
		ent, err := s.renderFeed(context.WithoutCancel(ctx), poll, today, now)
		if err != nil {
			return nil, err
		}
		fs.store(poll.ID, ent, now)
		return ent, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.(*feedEntry), true, nil
}

// cached returns the cached rendering of a feed if it is still current:
// same data generation, same day, younger than CacheTTL.
func (fs *feedService) cached(poll store.FeedPoll, today calendar.Date, now time.Time) *feedEntry {
	ent := (*fs.cache.Load())[poll.ID]
	if ent != nil && ent.generation == poll.Generation && ent.day == today && now.Sub(ent.built) < fs.opts.CacheTTL {
		if sec := now.Unix(); ent.lastUsed.Load() != sec {
			ent.lastUsed.Store(sec) // not at every request: the cores would fight over the line
		}
		return ent
	}
	return nil
}

// store caches a rendering (unless a newer one is there) and forgets the
// feeds nobody asked for in an hour.
func (fs *feedService) store(feedID int64, ent *feedEntry, now time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	cur := *fs.cache.Load()
	if old := cur[feedID]; old != nil && old.built.After(ent.built) {
		return
	}
	next := make(map[int64]*feedEntry, len(cur)+1)
	sweep := now.Sub(fs.lastSweep) > time.Minute
	if sweep {
		fs.lastSweep = now
	}
	for id, e := range cur {
		if !sweep || now.Unix()-e.lastUsed.Load() <= 3600 {
			next[id] = e
		}
	}
	next[feedID] = ent
	fs.cache.Store(&next)
}

// renderFeed renders a feed: loans → events → revisions → bytes.
func (s *Server) renderFeed(ctx context.Context, poll store.FeedPoll, today calendar.Date, now time.Time) (*feedEntry, error) {
	s.feeds.renderCount.Add(1)
	f, err := s.db.Feed(ctx, poll.ID)
	if err != nil {
		return nil, err
	}
	body, err := s.renderFeedBytes(ctx, f, today)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:16])
	lastMod, err := s.db.SetFeedContent(ctx, poll.ID, hash)
	if err != nil {
		return nil, err
	}
	gz, err := gzipBytes(body)
	if err != nil {
		return nil, err
	}
	ent := &feedEntry{generation: poll.Generation, day: today, built: now,
		plain: newRepresentation(body, `"`+hash+`"`), gzip: newRepresentation(gz, `"`+hash+`-gz"`),
		lastModified: lastMod.UTC().Truncate(time.Second)}
	ent.lastUsed.Store(now.Unix())
	ent.hLastModified = []string{ent.lastModified.Format(http.TimeFormat)}
	return ent, nil
}

// renderFeedBytes renders the iCalendar bytes of a feed on day today.
func (s *Server) renderFeedBytes(ctx context.Context, f store.Feed, today calendar.Date) ([]byte, error) {
	// Loans whose return day is a little before the window still have
	// their assessment due inside it; planFeed drops the events before it.
	since := feedSince(f.Scope, today)
	if !since.IsZero() {
		since = since.AddDays(-assessmentDueDays)
	}
	loans, err := s.db.FeedLoans(ctx, f.FeedTarget, since)
	if err != nil {
		return nil, err
	}
	planned := planFeed(f.FeedTarget, loans, today, s.feeds.host)
	states := make(map[store.FeedEventKey]store.FeedEventState, len(planned))
	for _, p := range planned {
		states[p.key] = store.FeedEventState{Hash: p.hash, Changed: p.changed}
	}
	revs, err := s.db.SyncFeedRevisions(ctx, states)
	if err != nil {
		return nil, err
	}
	name, desc := feedName(f)
	cal := calendar.Feed{Name: name, Description: desc, Events: make([]calendar.Event, len(planned))}
	for i, p := range planned {
		ev := p.event
		rev := revs[p.key]
		ev.Sequence, ev.Modified = rev.Sequence, rev.ChangedAt
		cal.Events[i] = ev
	}
	return calendar.MarshalICS(cal)
}
