package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/classemobile/classemobile/internal/backup"
	"github.com/classemobile/classemobile/internal/store"
)

const backupUsage = `backup --out FILE [--db URL]

Writes a consistent copy of the database to FILE (which must not exist)
while the server keeps running. SQLite: an online copy (VACUUM INTO), itself
an SQLite file. PostgreSQL: pg_dump in custom format (needs the PostgreSQL
client tools; without them the command to run is shown). Restore it with
"classemobile restore --from FILE".`

func runBackup(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "backup", backupUsage)
	dbURL := dbFlag(fs, e)
	out := fs.String("out", "", "backup file to write (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return usagef("backup: --out FILE is required, and nothing else")
	}
	db, err := store.Open(ctx, *dbURL, store.Options{Logger: quietLogger(e)})
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := backup.Backup(ctx, db, *dbURL, *out)
	if err != nil {
		return err
	}
	printResult(e.stdout, "Backup", res)
	return nil
}

const restoreUsage = `restore --from FILE [--db URL]

Restores a backup made by "classemobile backup" into an empty database
(a new SQLite file, or a PostgreSQL database without tables), refusing a
database that has tables. The restored database is then migrated to this
version and checked (SQLite: integrity and foreign keys).`

func runRestore(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "restore", restoreUsage)
	dbURL := dbFlag(fs, e)
	from := fs.String("from", "", "backup file to restore")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		return usagef("restore: --from FILE is required, and nothing else")
	}
	res, err := backup.Restore(ctx, *dbURL, *from, store.Options{Logger: quietLogger(e)})
	if errors.Is(err, backup.ErrNotEmpty) {
		return fmt.Errorf("%w: restore into a new SQLite file or an empty PostgreSQL database", err)
	}
	if err != nil {
		return err
	}
	printResult(e.stdout, "Restored", res)
	return nil
}

func quietLogger(e env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func printResult(w io.Writer, what string, r backup.Result) {
	fmt.Fprintf(w, "%s: %s (%s), %d tables, %d rows, %d bytes, %s\n", what, r.File, r.Dialect, len(r.Rows), r.TotalRows(), r.Bytes, r.Duration.Round(1e6))
}
