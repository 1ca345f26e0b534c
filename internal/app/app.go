package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// Printer renders the printable loan pages (agreement, inventory sheet)
// for a signed-in person: the JSON API's server implements it, so both
// faces print the same pages.
type Printer interface {
	LoanPrintable(w http.ResponseWriter, r *http.Request, u store.User, kind string) error
}

// Deps are what the web application needs.
type Deps struct {
	// DB is the store. Required.
	DB *store.DB
	// Mailer sends the sign-in links. Required.
	Mailer notify.Sender
	// API serves /api/, /ics/, /healthz and /loans/ (the JSON API's
	// handler); nil answers them 404.
	API http.Handler
	// Printer renders the printable loan pages; nil answers them 404.
	Printer Printer
	// Logger receives errors. Defaults to a discarding logger.
	Logger *slog.Logger
	// BaseURL is the public URL, used in e-mailed links; https turns on
	// Secure cookies with the __Host- prefix. Defaults to
	// http://localhost:8080.
	BaseURL string
	// Town is the town (« Ville d'Épinay-sur-Seine ») shown in every page's header. Defaults to
	// "Ville d'Épinay-sur-Seine".
	Town string
	// Location is the schools' time zone. Defaults to Europe/Paris.
	Location *time.Location
	// NowFunc returns the current time. Defaults to time.Now.
	NowFunc func() time.Time
	// Metrics counts sign-ins; nil counts nothing.
	Metrics *metrics.Metrics
	// Notices tells the parties of an agreement when someone signs it;
	// give the JSON API the same one. Defaults to one over DB and Mailer.
	Notices *AgreementNotifier
}

// App is the web application's handler.
type App struct {
	db      *store.DB
	mailer  notify.Sender
	api     http.Handler
	printer Printer
	logger  *slog.Logger
	baseURL string
	town    string
	loc     *time.Location
	now     func() time.Time
	secure  bool // BaseURL is https: Secure cookies, __Host- prefix
	pages   *templates
	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics.Metrics
	mailWG  sync.WaitGroup // sign-in e-mails being sent
	notices *AgreementNotifier
}

// New returns the web application. It parses every template and fails if
// one is broken.
func New(d Deps) (*App, error) {
	if d.DB == nil || d.Mailer == nil {
		return nil, errors.New("app: DB and Mailer are required")
	}
	a := &App{db: d.DB, mailer: d.Mailer, api: d.API, printer: d.Printer, logger: d.Logger,
		baseURL: strings.TrimRight(d.BaseURL, "/"), town: d.Town, loc: d.Location, now: d.NowFunc, metrics: d.Metrics,
		notices: d.Notices}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.baseURL == "" {
		a.baseURL = "http://localhost:8080"
	}
	u, err := url.Parse(a.baseURL)
	if err != nil {
		return nil, err
	}
	a.secure = u.Scheme == "https"
	if a.town == "" {
		a.town = "Ville d'Épinay-sur-Seine"
	}
	if a.loc == nil {
		if a.loc, err = time.LoadLocation("Europe/Paris"); err != nil {
			return nil, err
		}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.notices == nil {
		a.notices = NewAgreementNotifier(a.db, a.mailer, a.baseURL, a.logger, a.now)
	}
	if a.pages, err = parseTemplates(); err != nil {
		return nil, err
	}
	a.mux = http.NewServeMux()
	a.routes()
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, r, errCrossOrigin)
	}))
	a.handler = cop.Handler(a.withSession(a.mux))
	return a, nil
}

// ServeHTTP dispatches the API, feeds and health check to the JSON API's
// handler and everything else to the pages.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ics/") || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/loans/") {
		if a.api == nil {
			http.NotFound(w, r)
			return
		}
		a.api.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	// Pages load nothing from elsewhere and run no inline script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	a.handler.ServeHTTP(w, r)
}

// Wait returns when the e-mails being sent in the background are sent
// (or failed): serve calls it before exiting, tests before reading the
// outbox.
func (a *App) Wait() {
	a.mailWG.Wait()
	a.notices.Wait()
}

type ctxKey int

const (
	userKey ctxKey = iota
	sessionKey
)

// currentUser returns the signed-in person, if any.
func currentUser(ctx context.Context) (store.User, bool) {
	u, ok := ctx.Value(userKey).(store.User)
	return u, ok
}
