package main

import (
	"context"
	"fmt"
	"log/slog"
	neturl "net/url"
	"time"

	"github.com/classemobile/classemobile/internal/demo"
	"github.com/classemobile/classemobile/internal/store"
)

const demoUsage = `demo [--size town|national] [--db URL] [--base-url URL] [--workers N]

Seeds a data set into an empty database, through the store (the same rules
as the API), and prints how to use it:
  town       the demo of serve --demo: Épinay-sur-Seine's 15 schools, 6 packs
  national   a national programme for benchmarks: 2,000 schools in 100
             sectors, 200 packs, 8,000 requests in every state (draft to
             validated, rejected and withdrawn) with their teachers, a
             director per school, the referents, and a published round of
             the current school year`

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "demo", demoUsage)
	size := fs.String("size", "town", "town or national")
	dbURL := dbFlag(fs, e)
	baseURL := fs.String("base-url", feedBaseURL(e), "public URL of the service, for printed URLs [BASE_URL]")
	workers := fs.Int("workers", 0, "parallel writers for the national set (default 4 on PostgreSQL, 1 on SQLite)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("demo: unexpected argument %q", fs.Arg(0))
	case *size != "town" && *size != "national":
		return usagef("demo: --size: %q is not town or national", *size)
	case *workers < 0 || *workers > 32:
		return usagef("demo: --workers: %d is not in 0..32", *workers)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	url := *dbURL
	if *size == "national" && store.IsPostgresURL(url) {
		// Tens of thousands of small transactions: on PostgreSQL each
		// commit waits for its WAL flush. A benchmark data set loses
		// nothing of value if the last commits of a crash are lost, so
		// this session commits without waiting (the data stays
		// consistent; durability is the only thing traded).
		url = withQueryParam(url, "synchronous_commit", "off")
	}
	db, err := openDB(ctx, e, url, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if *size == "town" {
		return demo.Seed(ctx, db, demo.Options{Out: e.stdout, Logger: logger, Now: time.Now(), BaseURL: *baseURL, DatabaseURL: *dbURL})
	}
	n := *workers
	if n == 0 {
		n = 1
		if db.Dialect() == store.Postgres {
			n = 4
		}
	}
	start := time.Now()
	st, err := demo.SeedNational(ctx, db, demo.NationalOptions{Out: e.stdout, Now: start, Workers: n, Sizes: demo.NationalSizes, DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "National data set seeded in %s (%s, %d writer(s)): %s\n",
		time.Since(start).Round(100*time.Millisecond), db.Dialect(), n, st)
	return nil
}

// withQueryParam returns rawURL with the query parameter set.
func withQueryParam(rawURL, key, value string) string {
	u, err := neturl.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
