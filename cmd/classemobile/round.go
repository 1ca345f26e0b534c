package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
)

const roundUsage = `round run --year Y [--publish] [--time-limit D] [--loan-weeks N] [--loan-policy P] [--date YYYY-MM-DD] [--json] [--save-instance F] [--save-plan P] [--db URL]
       classemobile round publish --id N [--json] [--db URL]
       classemobile round show --id N [--json] [--db URL]
       classemobile round list [--year Y] [--db URL]`

func runRound(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile "+roundUsage)
		if len(args) == 0 {
			return usagef("round: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "run":
		return runRoundRun(ctx, e, args[1:])
	case "publish":
		return runRoundByID(ctx, e, "publish", args[1:])
	case "show":
		return runRoundByID(ctx, e, "show", args[1:])
	case "list":
		return runRoundList(ctx, e, args[1:])
	default:
		return usagef("round: unknown subcommand %q", args[0])
	}
}

func runRoundRun(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "round run", "round run --year Y [--publish] [--time-limit D] [--loan-weeks N] [--loan-policy P] [--date YYYY-MM-DD] [--json] [--db URL]\n\n"+
		"Runs the allocation engine on the validated requests of a school year and stores the result\n"+
		"as a draft round; with --publish, publishes it (creates the loans) at once.")
	year := fs.String("year", "", "school year, e.g. 2026-2027 (required)")
	publish := fs.Bool("publish", false, "publish the round: create its loans, supersede the previous round")
	timeLimit := fs.Duration("time-limit", round.DefaultTimeLimit, "solver time limit")
	loanWeeks := fs.Int("loan-weeks", 0, "loan length in school weeks [LOAN_WEEKS, else 6]")
	policy := fs.String("loan-policy", "", "where a loan may lie: within_period, across_breaks (over one short break) or period_length (a short period gets loans of its length); defaults to the school year's setting")
	date := fs.String("date", "", "run as of this day (YYYY-MM-DD); defaults to today in Paris")
	asJSON := fs.Bool("json", false, "print the round as JSON")
	saveInstance := fs.String("save-instance", "", "also write the engine's instance (ALLOCATION-SPEC format) to this file")
	savePlan := fs.String("save-plan", "", "also write the round's plan (ALLOCATION-SPEC format) to this file")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in := round.Input{SchoolYear: strings.TrimSpace(*year), LoanWeeks: *loanWeeks, TimeLimit: *timeLimit,
		LoanPolicy: calendar.LoanPolicy(*policy)}
	if _, err := calendar.ParseLoanPolicy(*policy); err != nil {
		return usagef("round run: --loan-policy %q: want within_period, across_breaks or period_length", *policy)
	}
	switch {
	case fs.NArg() > 0:
		return usagef("round run: unexpected argument %q", fs.Arg(0))
	case in.SchoolYear == "":
		return usagef("round run: --year is required")
	case *timeLimit <= 0 || *timeLimit > round.MaxTimeLimit:
		return usagef("round run: --time-limit must be in (0, %s]", round.MaxTimeLimit)
	}
	if in.LoanWeeks == 0 {
		in.LoanWeeks = 6
		if v, err := strconv.Atoi(e.getenv("LOAN_WEEKS")); err == nil {
			in.LoanWeeks = v
		}
	}
	if *date != "" {
		d, err := calendar.ParseDate(*date)
		if err != nil {
			return usagef("round run: --date %q is not a YYYY-MM-DD date", *date)
		}
		in.Today = d
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if *saveInstance != "" {
		inst, err := round.Instance(ctx, db, in)
		if err != nil {
			return roundCLIError(err)
		}
		if err := writeJSONFile(*saveInstance, inst); err != nil {
			return err
		}
	}
	r, err := round.Run(ctx, db, store.Actor{}, in)
	if err != nil {
		return roundCLIError(err)
	}
	if *savePlan != "" {
		if err := writeJSONFile(*savePlan, round.Plan(r)); err != nil {
			return err
		}
	}
	if *publish {
		if r, err = db.PublishRound(ctx, store.Actor{}, r.ID); err != nil {
			return roundCLIError(err)
		}
	}
	if *asJSON {
		return printJSON(e.stdout, r)
	}
	printRound(e.stdout, r)
	return nil
}

func runRoundByID(ctx context.Context, e env, action string, args []string) error {
	fs := newFlagSet(e, "round "+action, "round "+action+" --id N [--json] [--db URL]")
	id := fs.Int64("id", 0, "round id (required)")
	asJSON := fs.Bool("json", false, "print the round as JSON")
	confirm := fs.String("confirm-cancel", "", "publish: the loans the draft cancels, confirmed (comma-separated ids)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("round %s: unexpected argument %q", action, fs.Arg(0))
	}
	if *id <= 0 {
		return usagef("round %s: --id is required", action)
	}
	var confirmed []int64
	for _, f := range strings.Split(*confirm, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			return usagef("round %s: --confirm-cancel: %q is not a loan id", action, f)
		}
		confirmed = append(confirmed, n)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	var r store.Round
	if action == "publish" {
		r, err = db.PublishRoundConfirmed(ctx, store.Actor{}, *id, confirmed)
	} else {
		r, err = db.Round(ctx, *id)
	}
	if err != nil {
		return roundCLIError(err)
	}
	if *asJSON {
		return printJSON(e.stdout, r)
	}
	printRound(e.stdout, r)
	return nil
}

func runRoundList(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "round list", "round list [--year Y] [--db URL]")
	year := fs.String("year", "", "school year, e.g. 2026-2027 (all years when empty)")
	dbURL := dbFlag(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("round list: unexpected argument %q", fs.Arg(0))
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	rounds, err := db.ListRounds(ctx, *year)
	if err != nil {
		return err
	}
	if len(rounds) == 0 {
		fmt.Fprintln(e.stdout, "Aucun tour d'attribution.")
	}
	for _, r := range rounds {
		fmt.Fprintf(e.stdout, "n° %d  %s  %-10s  Z = %d (borne %d)  servies %d, non servies %d  calculé le %s\n",
			r.ID, r.SchoolYear, store.RoundStateLabel(r.State), r.Objective, r.UpperBound, r.Stats.Served, r.Stats.Unserved,
			r.CreatedAt.Format("2006-01-02 15:04"))
	}
	return nil
}

// roundCLIError turns the store's broken rules into readable messages.
func roundCLIError(err error) error {
	re, ok := store.AsRule(err)
	if !ok {
		return err
	}
	if len(re.Fields) > 0 {
		var b strings.Builder
		b.WriteString("paramètres du tour invalides :")
		for _, k := range re.Fields {
			fmt.Fprintf(&b, "\n  %s : %s", k, re.FieldMessages[k])
		}
		return fmt.Errorf("%s", b.String())
	}
	switch re.Code {
	case "round_superseded":
		return fmt.Errorf("tour : un autre tour a été publié (ou un prêt a changé) depuis son calcul : relancez-le")
	case "round_not_draft":
		return fmt.Errorf("tour : ce n'est plus un brouillon (état : %s)", re.State.Label())
	}
	return fmt.Errorf("%s", re.Message)
}

func writeJSONFile(path string, v any) error {
	var b strings.Builder
	if err := printJSON(&b, v); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// frDate writes a date the French way (01/09/2026).
func frDate(d calendar.Date) string {
	if d.IsZero() {
		return "—"
	}
	return fmt.Sprintf("%02d/%02d/%d", d.Day(), int(d.Month()), d.Year())
}

// printRound writes a French summary of a round: parameters, loans,
// unserved requests with their reasons, objective and bound.
func printRound(w io.Writer, r store.Round) {
	p := r.Params
	fmt.Fprintf(w, "Tour d'attribution n° %d — année scolaire %s — %s\n", r.ID, r.SchoolYear, store.RoundStateLabel(r.State))
	fmt.Fprintf(w, "Paramètres : %d pack(s) disponible(s) (%s), prêts de %d semaines, remise en état %d jours,\n",
		p.Packs, strings.Join(p.PackCodes, ", "), p.LoanWeeks, p.TurnaroundDays)
	fmt.Fprintf(w, "             au %s : première semaine ouverte n° %d, %d demande(s) validée(s), %d prêt(s) verrouillé(s)\n",
		frDate(p.Today), p.TodayWeek, p.Requests, len(p.Locked))
	if p.LoanPolicy != "" {
		fmt.Fprintf(w, "Politique de prêt : %s (%s)\n", p.LoanPolicy, calendar.LoanPolicy(p.LoanPolicy).Label())
	}
	for _, m := range p.Maintenance {
		fmt.Fprintf(w, "Maintenance : pack %s indisponible du %s au %s (%s)\n", m.PackCode, frDate(m.FirstDay), frDate(m.LastDay), m.Reason)
	}
	wt := r.Weights
	fmt.Fprintf(w, "Poids : base %d, 1re année %d, formation faite %d, période préférée %d, prolongation %d ;\n"+
		"        excès école/période %d, école/année %d, secteur/période %d ; changement : déplacement %d, prolongation %d, abandon %d\n",
		wt.Base, wt.FirstYear, wt.TrainingDone, wt.PreferredPeriod, wt.ExtensionGranted,
		wt.SchoolPeriodExcess, wt.SchoolYearExcess, wt.SectorPeriodExcess, wt.ChurnMove, wt.ChurnExtension, wt.ChurnDrop)
	for _, pin := range r.Pins {
		switch {
		case pin.Kind == store.PinExclude:
			fmt.Fprintf(w, "Épinglage : demande n° %d exclue\n", pin.RequestID)
		case pin.StartWeek != nil:
			start := fmt.Sprintf("de la semaine scolaire n° %d", *pin.StartWeek)
			for _, l := range r.Loans {
				if l.RequestID == pin.RequestID && l.StartWeek == *pin.StartWeek {
					start = "du " + frDate(l.PickupDay)
				}
			}
			fmt.Fprintf(w, "Épinglage : demande n° %d servie à partir %s\n", pin.RequestID, start)
		default:
			fmt.Fprintf(w, "Épinglage : demande n° %d servie\n", pin.RequestID)
		}
	}
	for _, c := range r.Cancellations {
		fmt.Fprintf(w, "À confirmer à la publication (--confirm-cancel %d) : ce tour %s\n", c.LoanID, c.Message)
	}
	for _, c := range r.Moves {
		fmt.Fprintf(w, "Changement : ce tour %s\n", c.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Demandes servies : %d (%d pack(s) prêtés)\n", len(r.Loans), r.Stats.ServedPacks)
	for _, l := range r.Loans {
		last := l.StartWeek + l.Weeks + l.ExtensionWeeks - 1
		ext := ""
		if l.ExtensionWeeks > 0 {
			ext = fmt.Sprintf(" (+%d sem. de prolongation)", l.ExtensionWeeks)
		}
		flag := ""
		if l.Locked {
			flag = " [verrouillé]"
		}
		fmt.Fprintf(w, "  %-3s sem. %2d–%-2d  %s → %s  %-14s n° %-4d %s — %s%s%s\n", l.Period, l.StartWeek, last,
			frDate(l.PickupDay), frDate(l.ReturnDay), strings.Join(l.PackCodes, ","), l.RequestID, l.SchoolName,
			l.RequestTitle, ext, flag)
		if l.Message != "" && l.Code != "served" {
			fmt.Fprintf(w, "        %s\n", l.Message)
		}
	}
	fmt.Fprintf(w, "\nDemandes non servies : %d\n", len(r.Unserved))
	for _, u := range r.Unserved {
		fmt.Fprintf(w, "  n° %-4d %s — %s\n        [%s] %s\n", u.RequestID, u.SchoolName, u.RequestTitle, u.Code, u.Message)
	}
	t := r.Terms
	fmt.Fprintln(w)
	proof := fmt.Sprintf("écart maximal à l'optimum : %d, soit %.3f %%", r.UpperBound-r.Objective, 100*r.Stats.Gap)
	if r.ProvedOptimal || r.UpperBound == r.Objective {
		proof = "optimum prouvé"
	}
	fmt.Fprintf(w, "Objectif Z = %d (borne supérieure %d — %s)\n", r.Objective, r.UpperBound, proof)
	fmt.Fprintf(w, "  valeur des demandes +%d, périodes préférées +%d, prolongations +%d,\n"+
		"  excès école/période −%d, école/année −%d, secteur/période −%d, changements −%d\n",
		t.ServedValue, t.PreferenceBonus, t.ExtensionBonus, t.SchoolPeriodPenalty, t.SchoolYearPenalty,
		t.SectorPeriodPenalty, t.ChurnPenalty)
	c := r.Stats.Churn
	if r.PreviousRoundID != nil {
		fmt.Fprintf(w, "Par rapport au tour publié n° %d : %d déplacé(s), %d abandonné(s), %d prolongation(s) modifiée(s)\n",
			*r.PreviousRoundID, c.Moved, c.Dropped, c.ExtensionChanged)
	}
	fmt.Fprintf(w, "Calcul : %s (arrêt : %s)\n", (time.Duration(r.Stats.ElapsedMS) * time.Millisecond).String(), r.Stats.StoppedBy)
	switch r.State {
	case store.RoundDraft:
		fmt.Fprintf(w, "Brouillon enregistré. Pour le publier : classemobile round publish --id %d\n", r.ID)
	case store.RoundPublished:
		fmt.Fprintf(w, "Tour publié le %s : les prêts sont réservés.\n", r.PublishedAt.Format("2006-01-02 15:04"))
	}
}
