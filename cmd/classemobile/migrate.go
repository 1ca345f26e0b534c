package main

import (
	"context"
	"fmt"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "migrate", "migrate [--db URL]\n\nApplies the pending database migrations.")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("migrate: unexpected argument %q", fs.Arg(0))
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stderr, "Database migrated (%s).\n", db.Dialect())
	return nil
}
