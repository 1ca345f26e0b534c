package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/notify"
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
	logger := newLogger(e, cfg.LogLevel)
	if e.getenv("GOGC") == "" {
		// The live heap is small (tens of MB: feed caches, pools), so the
		// default GOGC=100 collects very often under feed polling; 400
		// trades a little memory for ~10 % more requests per second
		// (scripts/feedbench.sh). GOGC in the environment wins.
		debug.SetGCPercent(400)
	}
	db, err := openDB(ctx, e, cfg.DatabaseURL, logger)
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
		if err := seedDemoWith(ctx, db, demoOptions{Out: e.stdout, Logger: logger, Now: time.Now(), BaseURL: cfg.BaseURL, DatabaseURL: cfg.DatabaseURL}); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	rate := float64(cfg.FeedRatePerMinute)
	if rate == 0 {
		rate = -1 // web.FeedOptions: negative disables the limit
	}
	srv, err := web.New(web.Deps{DB: db, Logger: logger, BaseURL: cfg.BaseURL, LoanWeeks: cfg.LoanWeeks, Location: cfg.Location,
		Feeds: web.FeedOptions{RatePerMinute: rate, Burst: cfg.FeedBurst}})
	if err != nil {
		return err
	}
	mailer, err := notify.New(notify.Options{SMTPURL: cfg.SMTPURL, From: cfg.MailFrom, OutboxDir: cfg.OutboxDir})
	if err != nil {
		return err
	}
	pages, err := app.New(app.Deps{DB: db, Mailer: mailer, API: srv, Printer: srv, Logger: logger,
		BaseURL: cfg.BaseURL, Town: cfg.Town, Location: cfg.Location})
	if err != nil {
		return err
	}
	defer pages.Wait() // sign-in e-mails still being sent
	if !cfg.NoJobs {
		stopJobs, err := startJobs(cfg, e, db, logger)
		if err != nil {
			return fmt.Errorf("start jobs: %w", err)
		}
		defer stopJobs()
	}
	return serveHTTP(ctx, ln, pages, logger, cfg.BaseURL)
}

// serveHTTP serves on ln until ctx is done, then shuts down gracefully,
// letting requests in flight finish for up to 10 seconds.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, baseURL string) error {
	hs := web.HTTPServer(h, logger)
	ln = web.Listener(ln) // with hs.ConnContext: a feed leaves in one write
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

func newLogger(e env, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l}))
}
