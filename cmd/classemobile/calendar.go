package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

const calendarUsage = `Usage: classemobile calendar <subcommand> [flags]

Subcommands:
  show    print a school year: periods, school weeks, holidays, public holidays, legal loan starts
  import  store the holidays of an official calendar file (fr-en-calendrier-scolaire) in the database
  policy  show or set the loan policy of a school year (within_period, across_breaks, period_length)

Run 'classemobile calendar <subcommand> -h' for its flags.`

func runCalendar(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stderr, calendarUsage)
		if len(args) == 0 {
			return usagef("calendar: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "show":
		return runCalendarShow(ctx, e, args[1:])
	case "import":
		return runCalendarImport(ctx, e, args[1:])
	case "policy":
		return runCalendarPolicy(ctx, e, args[1:])
	default:
		fmt.Fprintln(e.stderr, calendarUsage)
		return usagef("calendar: unknown subcommand %q", args[0])
	}
}

func runCalendarShow(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "calendar show", "calendar show [--year 2025-2026] [--json] [--loan-weeks 6] [--db URL]\n\n"+
		"Prints the school calendar of a year (zone C): periods, school weeks, holidays, public holidays\n"+
		"and the school weeks where a loan of --loan-weeks weeks may start inside one period.\n"+
		"Holidays imported with 'calendar import' replace the embedded ones for the years they cover;\n"+
		"without a database (no --db, no DATABASE_URL and no classemobile.db here) the embedded data is used.")
	year := fs.String("year", "", "school year, e.g. 2025-2026 (default: the current one)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	loanWeeks := fs.Int("loan-weeks", 6, "loan length in school weeks, for the legal start weeks")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("calendar show: unexpected argument %q", fs.Arg(0))
	case *loanWeeks < 1:
		return usagef("calendar show: --loan-weeks must be at least 1")
	}
	if *year == "" {
		*year = calendar.CurrentSchoolYear(calendar.ParisDate(time.Now()))
	}

	var (
		y      *calendar.Year
		source = "données intégrées"
		policy calendar.LoanPolicy
		err    error
	)
	if useDatabase(*dbURL) {
		db, err := openDB(ctx, e, *dbURL, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		if y, err = db.CalendarYear(ctx, *year); err != nil {
			return calendarYearError(*year, err)
		}
		set, err := db.YearSettings(ctx, *year)
		if err != nil {
			return err
		}
		policy = set.LoanPolicy
		source = "base de données " + string(db.Dialect())
	} else if y, err = calendar.NewYear(*year, calendar.ZoneC()); err != nil {
		return calendarYearError(*year, err)
	}

	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(y.Overview(*loanWeeks))
	}
	return printYear(e.stdout, y, *loanWeeks, source, policy)
}

// calendarYearError turns a calendar error into a message for the user.
func calendarYearError(year string, err error) error {
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		return usagef("calendar: --year %q is not a school year like 2025-2026", year)
	case errors.Is(err, calendar.ErrUnknownYear):
		return fmt.Errorf("%w (import the official file with 'classemobile calendar import FILE')", err)
	}
	return err
}

// useDatabase reports whether show should read the database: always for
// PostgreSQL, and for SQLite only when the file exists (show must not
// create an empty database as a side effect).
func useDatabase(url string) bool {
	if store.IsPostgresURL(url) {
		return true
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	_, err := os.Stat(path)
	return err == nil
}

// frDay formats a date the French way: "lun. 01/09/2025".
func frDay(d calendar.Date) string { return d.French(calendar.FrenchNumeric) }

// frLongDate formats "lundi 1 septembre 2025".
func frLongDate(d calendar.Date) string { return d.French(calendar.FrenchPlain) }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// printYear writes the French, human-readable view of a year.
// policy is the year's loan policy setting, "" when read without a
// database.
func printYear(w io.Writer, y *calendar.Year, loanWeeks int, source string, policy calendar.LoanPolicy) error {
	ew := &errWriter{w: w}
	weeks := y.Weeks()
	fmt.Fprintf(ew, "Calendrier scolaire %s, zone %s (%s)\n", y.Name(), y.Zone(), source)
	fmt.Fprintf(ew, "Rentrée : %s. Dernier jour de classe : %s. %s.\n",
		frLongDate(y.Rentree()), frLongDate(y.LastDay()), plural(len(weeks), "semaine de classe", "semaines de classe"))
	fmt.Fprintln(ew, "Jours de classe : du lundi au vendredi, hors vacances et jours fériés.")

	fmt.Fprintln(ew, "\nPériodes")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, p := range y.Periods() {
		fmt.Fprintf(tw, "  %s\t%s\tdu %s au %s\tsemaines %d à %d\t%s\n", p.ID, p.Label, frDay(p.First), frDay(p.Last),
			p.FirstWeek, p.LastWeek, plural(p.WeekCount(), "semaine", "semaines"))
	}
	tw.Flush()

	fmt.Fprintln(ew, "\nVacances")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, h := range y.Holidays() {
		resume := "reprise non publiée"
		last := ""
		if !h.Resume.IsZero() {
			resume = "reprise le " + frDay(h.Resume)
			last = " au " + frDay(h.Resume.AddDays(-1))
		}
		fmt.Fprintf(tw, "  %s\tdu %s%s\t%s\n", h.Description, frDay(h.First), last, resume)
	}
	tw.Flush()

	fmt.Fprintln(ew, "\nJours fériés")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, ph := range y.PublicHolidays() {
		fmt.Fprintf(tw, "  %s\t%s\n", frDay(ph.Date), ph.Name)
	}
	tw.Flush()

	fmt.Fprintln(ew, "\nSemaines de classe")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  n°\tpériode\tlundi\tclasse\tjours")
	for _, wk := range weeks {
		fmt.Fprintf(tw, "  %d\t%s\t%s\tdu %s au %s\t%d\n", wk.Index, wk.Period, frDay(wk.Monday), frDay(wk.First), frDay(wk.Last), wk.SchoolDays)
	}
	tw.Flush()

	starts := y.LegalStarts(loanWeeks)
	fmt.Fprintf(ew, "\nDébuts de prêt possibles (%s dans une même période) : ", plural(loanWeeks, "semaine", "semaines"))
	if len(starts) == 0 {
		fmt.Fprintln(ew, "aucun.")
	} else {
		s := make([]string, len(starts))
		for i, v := range starts {
			s[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(ew, "semaines %s.\n", strings.Join(s, ", "))
	}
	for _, p := range y.Periods() {
		if p.WeekCount() < loanWeeks {
			fmt.Fprintf(ew, "Attention : la période %s n'a que %s, aucun prêt de %s ne peut y commencer dans une seule période (within_period).\n",
				p.ID, plural(p.WeekCount(), "semaine", "semaines"), plural(loanWeeks, "semaine", "semaines"))
			for _, pol := range []calendar.LoanPolicy{calendar.AcrossBreaks, calendar.PeriodLength} {
				fmt.Fprintf(ew, "  %s : %s\n", pol, policyUse(y, pol, loanWeeks, p))
			}
		}
	}
	if policy != "" {
		fmt.Fprintf(ew, "Politique de prêt de l'année : %s (%s).\n", policy, policy.Label())
	}
	return ew.err
}

// policyUse says in French how loans under policy use period p.
func policyUse(y *calendar.Year, policy calendar.LoanPolicy, loanWeeks int, p calendar.Period) string {
	var weeks []string
	base, brk := 0, -1
	for _, st := range y.LoanStarts(policy, loanWeeks) {
		if st.Week >= p.FirstWeek && st.Week <= p.LastWeek {
			weeks = append(weeks, fmt.Sprint(st.Week))
			base = st.Weeks
			if st.BreakAfter >= 0 {
				brk = st.BreakAfter
			}
		}
	}
	if len(weeks) == 0 {
		return "aucun prêt ne peut y commencer."
	}
	what := "prêts de " + plural(base, "semaine", "semaines")
	if brk >= 0 {
		if h, ok := y.BreakBetween(brk); ok {
			what += " à cheval sur les " + calendar.BreakPhrase(h.Description)
		} else {
			what += " à cheval sur les vacances suivantes"
		}
	}
	if len(weeks) == 1 {
		return fmt.Sprintf("%s, début semaine %s.", what, weeks[0])
	}
	return fmt.Sprintf("%s, débuts semaines %s.", what, strings.Join(weeks, ", "))
}

// errWriter remembers the first write error so printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) Write(p []byte) (int, error) {
	if ew.err != nil {
		return len(p), nil
	}
	_, ew.err = ew.w.Write(p)
	return len(p), nil
}

func runCalendarImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "calendar import", "calendar import FILE [--location Créteil] [--years Y1,Y2] [--db URL]\n\n"+
		"Reads an export of the official dataset fr-en-calendrier-scolaire (data.education.gouv.fr,\n"+
		"';'-separated CSV), keeps the pupils' rows of one académie and stores\n"+
		"their holidays in the database. For every school year in the file (or in --years) the imported\n"+
		"holidays replace those previously imported and override the embedded ones. A year for which\n"+
		"the file has fewer holidays than the current data (a partial export) is refused without --force.")
	location := fs.String("location", calendar.DefaultLocation, "académie whose rows are kept")
	yearsFlag := fs.String("years", "", "comma-separated school years to import (default: all years in the file)")
	force := fs.Bool("force", false, "replace a year even when the file has fewer holidays for it than the current data")
	dbURL := dbFlag(fs, e)
	// Allow flags after the file name: "calendar import FILE --db URL".
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
		if err := parseFlags(fs, fs.Args()[1:]); err != nil {
			return err
		}
	}
	switch {
	case file == "":
		return usagef("calendar import: missing FILE")
	case fs.NArg() > 0:
		return usagef("calendar import: unexpected argument %q", fs.Arg(0))
	}

	f, err := os.Open(file)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("calendar import: %s: fichier introuvable", file)
		}
		return fmt.Errorf("calendar import: %w", err)
	}
	defer f.Close()
	hs, err := calendar.ParseOfficial(f, *location)
	if err != nil {
		return fmt.Errorf("calendar import %s: %w", file, err)
	}
	if *yearsFlag != "" {
		want := map[string]bool{}
		for _, y := range strings.Split(*yearsFlag, ",") {
			want[strings.TrimSpace(y)] = true
		}
		kept := hs[:0]
		for _, h := range hs {
			if want[h.SchoolYear] {
				kept = append(kept, h)
			}
		}
		hs = kept
	}
	if len(hs) == 0 {
		return fmt.Errorf("calendar import %s: aucune vacance pour l'académie %q (années %q)", file, *location, *yearsFlag)
	}

	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if !*force {
		if err := checkNotShrinking(ctx, db, hs); err != nil {
			return err
		}
	}
	years, err := db.ReplaceCalendarHolidays(ctx, store.Actor{}, filepath.Base(file), hs)
	if err != nil {
		return fmt.Errorf("calendar import %s: %w", file, err)
	}
	count := map[string]int{}
	for _, h := range hs {
		count[h.SchoolYear]++
	}
	for _, year := range years {
		line := fmt.Sprintf("%s : %s importées", year, plural(count[year], "période de vacances", "périodes de vacances"))
		if y, err := db.CalendarYear(ctx, year); err == nil {
			line += fmt.Sprintf(", %s, %s", plural(len(y.Periods()), "période", "périodes"), plural(len(y.Weeks()), "semaine de classe", "semaines de classe"))
		} else {
			line += fmt.Sprintf(" (calendrier incomplet : %v)", err)
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// checkNotShrinking refuses an import that would leave a school year with
// fewer holidays than it has now (imported, else embedded): such a file is
// a partial export, and replacing the year would silently merge periods.
func checkNotShrinking(ctx context.Context, db *store.DB, hs []calendar.Holiday) error {
	count := map[string]int{}
	for _, h := range hs {
		count[h.SchoolYear]++
	}
	embedded := map[string]int{}
	for _, h := range calendar.ZoneC() {
		embedded[h.SchoolYear]++
	}
	var short []string
	for _, year := range calendar.SchoolYears(hs) {
		current, err := db.CalendarHolidays(ctx, year)
		if err != nil {
			return err
		}
		have := len(current)
		if have == 0 {
			have = embedded[year]
		}
		if count[year] < have {
			short = append(short, fmt.Sprintf("%s (%s dans le fichier, %d actuellement)", year,
				plural(count[year], "période de vacances", "périodes de vacances"), have))
		}
	}
	if len(short) > 0 {
		return fmt.Errorf("calendar import: fichier incomplet pour %s ; choisissez les années avec --years ou forcez avec --force",
			strings.Join(short, ", "))
	}
	return nil
}

func runCalendarPolicy(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "calendar policy", "calendar policy --year Y [--set P] [--db URL]\n\n"+
		"Prints the loan policy of a school year, or sets it with --set: within_period (a loan lies\n"+
		"inside one period), across_breaks (a loan may span one short break, the pack staying at school;\n"+
		"never the summer) or period_length (a period shorter than a loan gets loans of its own length).\n"+
		"Rounds run without --loan-policy use it.")
	year := fs.String("year", "", "school year, e.g. 2026-2027 (required)")
	set := fs.String("set", "", "the policy to set")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("calendar policy: unexpected argument %q", fs.Arg(0))
	case *year == "":
		return usagef("calendar policy: --year is required")
	}
	if *set != "" {
		if _, err := calendar.ParseLoanPolicy(*set); err != nil {
			return usagef("calendar policy: --set %q: want within_period, across_breaks or period_length", *set)
		}
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var ys store.YearSettings
	if *set != "" {
		ys, err = db.SetLoanPolicy(ctx, store.Actor{}, *year, calendar.LoanPolicy(*set))
	} else {
		ys, err = db.YearSettings(ctx, *year)
	}
	if err != nil {
		return calendarYearError(*year, err)
	}
	fmt.Fprintf(e.stdout, "Politique de prêt %s : %s (%s).\n", ys.SchoolYear, ys.LoanPolicy, ys.LoanPolicy.Label())
	return nil
}
