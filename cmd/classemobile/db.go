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
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	db, err := store.Open(ctx, url, store.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
