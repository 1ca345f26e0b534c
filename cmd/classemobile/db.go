package main

import (
	"context"
	"flag"
	"log/slog"

	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/store"
)

// dbFlag registers --db on fs, defaulting to DATABASE_URL, then the
// embedded default.
func dbFlag(fs *flag.FlagSet, e env) *string {
	return fs.String("db", config.DatabaseURL(e.getenv), "postgres:// URL or SQLite file path [DATABASE_URL]")
}

// openDB opens and migrates the database, logging to stderr.
func openDB(ctx context.Context, e env, url string, logger *slog.Logger) (*store.DB, error) {
	return openDBWith(ctx, e, url, store.Options{Logger: logger})
}

// openDBWith is openDB with the store's options (serve's configuration).
func openDBWith(ctx context.Context, e env, url string, opts store.Options) (*store.DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	db, err := store.Open(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
