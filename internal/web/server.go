// Package web is classemobile's JSON API under /api/v1 and the health
// checks. Its Bearer routes to the printable loan pages call the pages'
// printer (app.LoanPrinter); the iCal feeds are package feed's.
//
// Handlers return errors; one adapter (handle) renders them with the error
// shape of the API contract. Every /api/v1 route names the roles allowed
// to call it; there is no default access.
package web

import (
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/store"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	// DB is the store. Required.
	DB *store.DB
	// Logger receives request errors. Defaults to a discarding logger.
	Logger *slog.Logger
	// BaseURL is the public URL of the service, used in feed URLs.
	// Defaults to http://localhost:8080.
	BaseURL string
	// LoanWeeks is the default loan length in school weeks. Defaults to 6.
	LoanWeeks int
	// Location is the schools' time zone. Defaults to Europe/Paris.
	Location *time.Location
	// NowFunc returns the current time. Defaults to time.Now.
	NowFunc func() time.Time
	// Feeds is the server of the iCal feeds, told when a feed's token is
	// revoked or rotated (feed.Server.Forget), and which renders a loan's
	// calendar file. Defaults to one of its own over DB.
	Feeds *feed.Server
	// Printer renders the printable loan pages and the agreement's terms
	// (app.LoanPrinter); nil answers those routes 404.
	Printer Printer
	// Metrics receives the API's measures. Nil records nothing.
	Metrics *metrics.Metrics
	// Notices tells the parties of an agreement when someone signs it
	// (app.AgreementNotifier, the pages' own); nil tells no one.
	Notices Notices
}

// Notices tells the parties of a loan agreement that by signed it.
type Notices interface {
	AgreementSigned(l store.Loan, by store.User)
}

// Printer renders the printable loan pages (agreement, inventory sheet)
// of the loan named by the request's {id} for u, and the terms of a
// loan's agreement that a signer signs. The pages' package implements it
// (app.LoanPrinter), so both faces print the same pages.
type Printer interface {
	LoanPrintable(w http.ResponseWriter, r *http.Request, u store.User, kind string) error
	AgreementTerms(r *http.Request, d store.LoanDetail) (string, error)
	AgreementText(r *http.Request, u store.User, loanID int64) (string, error)
}

// Server serves the HTTP API.
type Server struct {
	db        *store.DB
	logger    *slog.Logger
	baseURL   string
	loanWeeks int
	loc       *time.Location
	now       func() time.Time
	feeds     *feed.Server
	printer   Printer
	metrics   *metrics.Metrics
	notices   Notices
	mux       *routeMux
}

// New returns the HTTP handler of the service.
func New(d Deps) (*Server, error) {
	s := &Server{db: d.DB, logger: d.Logger, baseURL: d.BaseURL, loanWeeks: d.LoanWeeks, loc: d.Location, now: d.NowFunc,
		feeds: d.Feeds, printer: d.Printer, metrics: d.Metrics, notices: d.Notices}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.baseURL == "" {
		s.baseURL = "http://localhost:8080"
	}
	if s.loanWeeks == 0 {
		s.loanWeeks = 6
	}
	if s.loc == nil {
		loc, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			return nil, err
		}
		s.loc = loc
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.feeds == nil {
		feeds, err := feed.New(feed.Deps{DB: s.db, Logger: s.logger, BaseURL: s.baseURL, NowFunc: s.now})
		if err != nil {
			return nil, err
		}
		s.feeds = feeds
	}
	s.mux = &routeMux{ServeMux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["X-Content-Type-Options"] = hNosniff
	s.mux.ServeHTTP(w, r)
}

// hNosniff is the value of X-Content-Type-Options.
var hNosniff = []string{"nosniff"}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.Ping(r.Context()); err != nil {
		s.logger.ErrorContext(r.Context(), "Health check failed", "error", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "indisponible"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return errNotFound
}

// Route is one registered route: its ServeMux pattern and, for a route
// behind allow, the action it performs ("" for a route without a role
// check: the health check, the feeds, the API description).
type Route struct {
	Pattern string
	Action  store.Action
}

// Routes lists the registered routes in registration order, so that the
// API description can be checked against the router.
func (s *Server) Routes() []Route { return slices.Clone(s.mux.routes) }

// routeMux is the server's ServeMux; it remembers each pattern and the
// action of the routes registered through allow.
type routeMux struct {
	*http.ServeMux
	routes []Route
}

// Handle registers h for pattern, like http.ServeMux.Handle.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	rt := Route{Pattern: pattern}
	if a, ok := h.(*allowed); ok {
		rt.Action = a.act
	}
	m.routes = append(m.routes, rt)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern, like http.ServeMux.HandleFunc.
func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}
