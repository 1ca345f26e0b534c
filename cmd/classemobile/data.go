package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

const dataUsage = `data export --email E [--db URL] | data erase --email E [--db URL] | data retention [--years 3] [--date D] [--db URL]

Personal data (see « Données personnelles » in the README).
  export     prints, as JSON, everything the database holds about a person
  erase      anonymises a person now: account, requests, opinions,
             assessments, audit entries (keeping their role); refused while
             one of their requests has a loan in progress
  retention  runs the nightly job's retention step now`

func runData(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "export" && args[0] != "erase" && args[0] != "retention") {
		fmt.Fprintf(e.stderr, "Usage: classemobile %s\n", dataUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return errHelpShown
		}
		return usagef("data: expected export, erase or retention")
	}
	sub := args[0]
	fs := newFlagSet(e, "data "+sub, dataUsage)
	dbURL := dbFlag(fs, e)
	email := fs.String("email", "", "the person's e-mail address")
	years := fs.Int("years", retentionYears(e), "past school years kept besides the current one [RETENTION_YEARS]")
	date := fs.String("date", "", "retention: as of this day, YYYY-MM-DD (default today in Europe/Paris)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("data %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if sub != "retention" && *email == "" {
		return usagef("data %s: --email is required", sub)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	addr := strings.ToLower(strings.TrimSpace(*email))
	switch sub {
	case "export":
		data, err := db.PersonalData(ctx, addr)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("aucune personne avec l'adresse %s", addr)
		}
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(data)
	case "erase":
		u, err := db.ErasePerson(ctx, addr)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("aucune personne avec l'adresse %s", addr)
		case errors.Is(err, store.ErrLoanInProgress):
			return fmt.Errorf("effacement refusé : un prêt de cette personne est en cours (%v) ; réessayez après sa clôture", err)
		case err != nil:
			return err
		}
		fmt.Fprintf(e.stdout, "Personne n° %d (%s) anonymisée.\n", u.ID, u.Role)
		return nil
	default:
		var today calendar.Date
		if *date != "" {
			if today, err = calendar.ParseDate(*date); err != nil {
				return usagef("data retention: --date: %q is not YYYY-MM-DD", *date)
			}
		}
		rep, err := db.ApplyRetention(ctx, store.RetentionOptions{Years: *years, Today: today})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Retention (kept from %s, cutoff %s): %d requests, %d loans, %d users, %d audit entries anonymised; %d revoked API tokens, %d expired sign-in links, %d ended sessions, %d old link requests deleted\n",
			rep.KeptFrom, rep.Cutoff.Format("2006-01-02"), rep.Requests, rep.Loans, rep.Users, rep.AuditEvents, rep.APITokens,
			rep.LoginTokens, rep.Sessions, rep.LoginAttempts)
		return nil
	}
}

// retentionYears reads RETENTION_YEARS, or the default.
func retentionYears(e env) int {
	var n int
	if _, err := fmt.Sscanf(e.getenv("RETENTION_YEARS"), "%d", &n); err == nil && n > 0 {
		return n
	}
	return store.DefaultRetentionYears
}
