package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/demo"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/proxy"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

func runServe(ctx context.Context, e env, args []string) error {
	cfg, err := config.Load(args, e.getenv, e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return errHelpShown
	}
	if err != nil {
		return usagef("serve: %v", err)
	}
	logger := newLogger(e, cfg.LogLevel, cfg.LogFormat)
	if e.getenv("GOGC") == "" {
		// The live heap is small (tens of MB: feed caches, pools), so the
		// default GOGC=100 collects very often under feed polling; 400
		// trades a little memory for ~10 % more requests per second
		// (scripts/feedbench.sh). GOGC in the environment wins.
		debug.SetGCPercent(400)
	}
	db, err := openDBWith(ctx, e, cfg.DatabaseURL, store.Options{Logger: logger, PickupWindowDays: cfg.PickupWindowDays})
	if err != nil {
		return err
	}
	defer db.Close()
	// Listen before anything prints a URL: with --addr :0 the port is
	// only known now, and every printed URL must work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.BaseURLFromAddr {
		cfg.BaseURL = config.DefaultBaseURL(ln.Addr().String())
	}
	if cfg.Demo {
		if err := demo.Seed(ctx, db, demo.Options{Out: e.stdout, Logger: logger, Now: time.Now(), BaseURL: cfg.BaseURL, DatabaseURL: cfg.DatabaseURL}); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	metrics.Register(reg, db.SQL())
	db.ObserveSolves(m.Solve)

	rate := float64(cfg.FeedRatePerMinute)
	if rate == 0 {
		rate = -1 // feed.Options: negative disables the limit
	}
	feeds, err := feed.New(feed.Deps{DB: db, Logger: logger, BaseURL: cfg.BaseURL,
		Options: feed.Options{RatePerMinute: rate, Burst: cfg.FeedBurst}, Metrics: m})
	if err != nil {
		return err
	}
	printer, err := app.NewLoanPrinter(db, cfg.Location, nil)
	if err != nil {
		return err
	}
	mailer, err := notify.New(notify.Options{SMTPURL: cfg.SMTPURL, From: cfg.MailFrom, OutboxDir: cfg.OutboxDir})
	if err != nil {
		return err
	}
	// One notifier for both faces: a signature tells the same people
	// whether it comes through the pages or the JSON API.
	notices := app.NewAgreementNotifier(db, mailer, cfg.BaseURL, logger, nil)
	srv, err := web.New(web.Deps{DB: db, Logger: logger, BaseURL: cfg.BaseURL, LoanWeeks: cfg.LoanWeeks, Location: cfg.Location,
		Feeds: feeds, Printer: printer, Metrics: m, Notices: notices})
	if err != nil {
		return err
	}
	pages, err := app.New(app.Deps{DB: db, Mailer: mailer, API: feeds.Handler(srv), Printer: srv, Logger: logger,
		BaseURL: cfg.BaseURL, Town: cfg.Town, Location: cfg.Location, Metrics: m, Notices: notices})
	if err != nil {
		return err
	}
	defer pages.Wait() // sign-in e-mails and agreement notices still being sent
	if !cfg.NoJobs {
		stopJobs, err := startJobs(ctx, cfg, e, db, logger, m)
		if err != nil {
			return fmt.Errorf("start jobs: %w", err)
		}
		defer stopJobs()
	}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler(reg))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ms.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				logger.Error("Metrics listener stopped", "error", err)
			}
		}()
		defer ms.Close()
		logger.Info("Serving metrics", "addr", mln.Addr().String())
	}
	return serveHTTP(ctx, ln, rootHandler(cfg, pages, reg, m, logger), logger, cfg.BaseURL)
}

// rootHandler is the handler of the main listener: forwarding headers
// (trusted proxies only), then the request observer (id, metrics, log),
// then /metrics behind METRICS_TOKEN when set, and the service.
func rootHandler(cfg config.Config, srv http.Handler, reg prometheus.Gatherer, m *metrics.Metrics, logger *slog.Logger) http.Handler {
	h := srv
	if cfg.MetricsToken != "" {
		h = metricsBehindToken(srv, metrics.Handler(reg), cfg.MetricsToken)
	}
	h = observe.Handler(h, observe.Options{Metrics: m, Logger: logger, TrustRequestID: len(cfg.Proxies) > 0})
	return proxy.New(cfg.Proxies).Handler(h)
}

// metricsPattern is the route label of /metrics on the main listener.
const metricsPattern = "GET /metrics"

// metricsBehindToken serves GET /metrics to requests bearing token and
// passes everything else to next (a 404 for /metrics without the token,
// as if it did not exist).
func metricsBehindToken(next, metricsHandler http.Handler, token string) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1 {
				r.Pattern = metricsPattern
				metricsHandler.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// serveHTTP serves on ln until ctx is done, then shuts down gracefully,
// letting requests in flight finish for up to 10 seconds.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, baseURL string) error {
	hs := feed.HTTPServer(h, logger)
	ln = feed.Listener(ln) // with hs.ConnContext: a feed leaves in one write
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("Serving", "addr", ln.Addr().String(), "url", baseURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("Shutting down")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newLogger returns the logger of serve: text or JSON (for log
// collectors) on stderr, each line of a request carrying its request_id.
func newLogger(e env, level, format string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewTextHandler(e.stderr, opts)
	if format == "json" {
		h = slog.NewJSONHandler(e.stderr, opts)
	}
	return slog.New(observe.LogHandler(h))
}
