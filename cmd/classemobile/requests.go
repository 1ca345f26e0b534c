package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

const requestsUsage = "requests export --year Y [--format csv|json] [--out FILE] [--db URL]"

func runRequests(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile "+requestsUsage)
		if len(args) == 0 {
			return usagef("requests: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "export":
		return runRequestsExport(ctx, e, args[1:])
	default:
		return usagef("requests: unknown subcommand %q", args[0])
	}
}

// runRequestsExport writes the synthesis table (tableau de synthèse) of the
// validated requests of a school year, as CSV for French Excel or as JSON.
func runRequestsExport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "requests export", requestsUsage+"\n\n"+
		"Writes the synthesis table of the validated requests of a school year: CSV for French\n"+
		"Excel (';', UTF-8 with BOM, DD/MM/YYYY) or JSON, on stdout or to FILE. The capacity\n"+
		"totals use the year's loan length and loan policy (the administration's school years).")
	year := fs.String("year", "", "school year, e.g. 2026-2027 (required)")
	format := fs.String("format", "csv", "csv or json")
	out := fs.String("out", "", "output file (default stdout)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("requests export: unexpected argument %q", fs.Arg(0))
	case *year == "":
		return usagef("requests export: --year is required (e.g. --year 2026-2027)")
	case *format != "csv" && *format != "json":
		return usagef("requests export: --format must be csv or json, not %q", *format)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	syn, err := db.Synthesis(ctx, *year)
	var re *store.RuleError
	if errors.As(err, &re) && re.Kind == store.RuleInvalid {
		return usagef("requests export: school year %q: %s", *year, re.Message)
	}
	if err != nil {
		return err
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(syn)
	} else {
		err = web.WriteSynthesisCSV(w, syn)
	}
	if err != nil {
		return fmt.Errorf("export synthesis %s: %w", *year, err)
	}
	if f, ok := w.(*os.File); ok {
		if err := f.Close(); err != nil {
			return fmt.Errorf("export synthesis %s: %w", *year, err)
		}
		fmt.Fprintf(e.stderr, "Synthesis of %s: %d validated requests written to %s.\n", *year, len(syn.Rows), *out)
	}
	return nil
}
