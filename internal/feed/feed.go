// Package feed serves classemobile's iCal feeds under /ics: a calendar
// client polls /ics/<token>.ics and gets the loans of a school, a pack or
// all of them (planned in ics_events.go, written by calendar.MarshalICS).
//
// Feeds are the hot path of the service (every calendar client polls
// them), so the package holds what makes them cheap: an in-memory cache
// keyed by the data generation (one indexed query per poll), a per-token
// rate limiter, a fast path that skips the router, and the connection
// settings that send a response in one write (HTTPServer, Listener). The
// JSON API (package web) manages the feeds' tokens; this package only
// serves them. Its benchmark is scripts/feedbench.sh with the server of
// testdata/feedbench.
package feed

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/store"
)

// Pattern is the route of the iCal feeds (see feedPath for the requests
// that skip the mux but are reported under it).
const Pattern = "GET /ics/{file}"

// Deps are what the feeds need.
type Deps struct {
	// DB is the store. Required.
	DB *store.DB
	// Logger receives feed errors. Defaults to a discarding logger.
	Logger *slog.Logger
	// BaseURL is the public URL of the service: its host names the
	// events' UIDs. Defaults to http://localhost:8080.
	BaseURL string
	// NowFunc returns the current time. Defaults to time.Now.
	NowFunc func() time.Time
	// Options configure the rate limit and the cache; zero values get
	// defaults.
	Options Options
	// Metrics receives the feeds' cache results. Nil records nothing.
	Metrics *metrics.Metrics
}

// Server serves the iCal feeds.
type Server struct {
	db      *store.DB
	logger  *slog.Logger
	now     func() time.Time
	feeds   *feedService // cache, rate limiter, token lookup
	metrics *metrics.Metrics
	mux     *http.ServeMux
}

// New returns the feeds' server.
func New(d Deps) (*Server, error) {
	s := &Server{db: d.DB, logger: d.Logger, now: d.NowFunc, metrics: d.Metrics}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	baseURL := d.BaseURL
	if baseURL == "" {
		baseURL = "http://localhost:8080"
	}
	s.feeds = newFeedService(d.Options, baseURL, s.db)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc(Pattern, s.getFeedICS) // and HEAD; no auth: the token is the secret
	return s, nil
}

// ServeHTTP serves a request under /ics/. Feed requests, which calendar
// clients poll, skip the mux (see feedPath).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["X-Content-Type-Options"] = hNosniff
	if file, ok := feedPath(r); ok {
		r.Pattern = Pattern // the route the mux would have matched, for the request's observer
		s.serveFeed(w, r, file)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Handler returns a handler that serves the requests under /ics/ and
// passes every other one to next. It forgets revoked tokens as the
// Server does (ForgetFeed), for the pages that revoke them.
func (s *Server) Handler(next http.Handler) http.Handler { return front{s, next} }

// front serves the feeds in front of another handler.
type front struct {
	feeds *Server
	next  http.Handler
}

func (f front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/ics/") {
		f.feeds.ServeHTTP(w, r)
		return
	}
	f.next.ServeHTTP(w, r)
}

// ForgetFeed is Server.Forget.
func (f front) ForgetFeed(t store.FeedTarget) { f.feeds.Forget(t) }

// Forget drops this instance's cached token lookups of a feed target, so
// that a revocation or rotation made here applies at once (other
// instances see it within Options.LookupTTL). A nil Server does nothing.
func (s *Server) Forget(t store.FeedTarget) {
	if s != nil {
		s.feeds.forgetTarget(t)
	}
}
