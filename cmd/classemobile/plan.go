package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/scheduler"
)

const planUsage = `plan solve --instance F [--out P] [--time-limit D] [--seed N]
       classemobile plan evaluate --instance F --plan P [--json]
       classemobile plan capacity --instance F [--loan-weeks N] [--packs N] [--loan-policy P] [--time-limit D] [--json]

Works on allocation files in the bench/ALLOCATION-SPEC.md formats:
  solve     solve an instance; writes the plan with objective, upper_bound,
            proved_optimal and an explanation per project
  evaluate  check a plan (every hard rule) and print its objective term by term
  capacity  utilisation per period and the number of packs that would serve
            every eligible project (optionally with another loan length)`

func runPlan(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stderr, "Usage: classemobile "+planUsage)
		if len(args) == 0 {
			return usagef("plan: missing subcommand")
		}
		return errHelpShown
	}
	switch args[0] {
	case "solve":
		return runPlanSolve(ctx, e, args[1:])
	case "evaluate":
		return runPlanEvaluate(e, args[1:])
	case "capacity":
		return runPlanCapacity(ctx, e, args[1:])
	default:
		fmt.Fprintln(e.stderr, "Usage: classemobile "+planUsage)
		return usagef("plan: unknown subcommand %q", args[0])
	}
}

// solveOutput is the plan format of the spec plus the solver's verdict.
type solveOutput struct {
	Format        string                  `json:"format"`
	Instance      string                  `json:"instance,omitempty"`
	ProducedBy    string                  `json:"produced_by,omitempty"`
	Loans         []scheduler.Loan        `json:"loans"`
	Objective     int                     `json:"objective"`
	UpperBound    int                     `json:"upper_bound"`
	ProvedOptimal bool                    `json:"proved_optimal"`
	Terms         scheduler.Terms         `json:"terms"`
	Stats         scheduler.SolveStats    `json:"stats"`
	Explanations  []scheduler.Explanation `json:"explanations"`
}

func runPlanSolve(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "plan solve", "plan solve --instance F [--out P] [--time-limit D] [--seed N] [--fixed-effort] [--progress]\n\n"+
		"Solves an allocation instance and writes the plan (JSON) to P or stdout;\n"+
		"a one-line summary goes to stderr. The search goes on until it proves the plan optimal\n"+
		"or the time limit stops it; with --fixed-effort it stops after a fixed amount of work\n"+
		"(the same plan for the same instance). On a terminal, progress (plan, bound, gap,\n"+
		"elapsed time) is shown on stderr while it runs.")
	instPath := fs.String("instance", "", "instance file (tablet-pack-allocation/v1) (required)")
	out := fs.String("out", "", "write the plan to this file instead of stdout")
	timeLimit := fs.Duration("time-limit", 10*time.Second, "time limit of the solve (Go duration)")
	seed := fs.Uint64("seed", 1, "seed of the search's pseudo-random choices")
	fixed := fs.Bool("fixed-effort", false, "stop after a fixed amount of work instead of using the whole time limit (deterministic)")
	progress := fs.String("progress", "auto", "show progress on stderr: auto (when stderr is a terminal), always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *instPath == "" {
		return usagef("plan solve: --instance is required")
	}
	if *progress != "auto" && *progress != "always" && *progress != "never" {
		return usagef("plan solve: --progress must be auto, always or never")
	}
	if *timeLimit <= 0 {
		return usagef("plan solve: --time-limit must be positive")
	}
	if fs.NArg() > 0 {
		return usagef("plan solve: unexpected argument %q", fs.Arg(0))
	}
	inst, err := readInstance(*instPath)
	if err != nil {
		return err
	}
	opt := scheduler.Options{TimeLimit: *timeLimit, Seed: *seed, FixedEffort: *fixed}
	var pw *progressWriter
	if *progress == "always" || (*progress == "auto" && isTerminal(e.stderr)) {
		pw = &progressWriter{w: e.stderr}
		opt.Progress = pw.show
	}
	res, err := scheduler.Solve(ctx, inst, opt)
	pw.done()
	if err != nil {
		return fmt.Errorf("solve %s: %w", *instPath, err)
	}
	o := solveOutput{Format: res.Plan.Format, Instance: res.Plan.Instance, ProducedBy: res.Plan.ProducedBy,
		Loans: res.Plan.Loans, Objective: res.Objective, UpperBound: res.UpperBound,
		ProvedOptimal: res.ProvedOptimal, Terms: res.Terms, Stats: res.Stats, Explanations: res.Explanations}
	data, err := json.MarshalIndent(o, "", " ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	data = append(data, '\n')
	if *out != "" {
		if err := os.WriteFile(*out, data, 0o644); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	} else if _, err := e.stdout.Write(data); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	eligible := 0
	for _, x := range res.Explanations {
		if x.Code != scheduler.ExplainIneligible {
			eligible++
		}
	}
	fmt.Fprintf(e.stderr, "objective=%d upper_bound=%d proved_optimal=%v served=%d/%d time=%v stopped_by=%s gap=%.5f%% first_plan=%v first_objective=%d\n",
		res.Objective, res.UpperBound, res.ProvedOptimal, len(res.Plan.Loans), eligible,
		res.Stats.Elapsed.Round(time.Millisecond), res.Stats.StoppedBy, 100*res.Gap,
		res.Stats.FirstPlan.Round(time.Millisecond), res.Stats.FirstObjective)
	return nil
}

// progressWriter shows the progress of a solve on one terminal line,
// rewritten at most ten times a second (and at each phase's end).
type progressWriter struct {
	w     io.Writer
	last  time.Duration
	shown bool
}

func (p *progressWriter) show(pr scheduler.Progress) {
	if pr.Phase == "" && p.shown && pr.Elapsed-p.last < 100*time.Millisecond {
		return
	}
	p.last, p.shown = pr.Elapsed, true
	bound, gap := "—", "—"
	if pr.UpperBound < math.MaxInt32 {
		bound, gap = fmt.Sprint(pr.UpperBound), fmt.Sprintf("%.3f %%", 100*pr.Gap())
	}
	fmt.Fprintf(p.w, "\r\x1b[Kplan %d  bound %s  gap %s  %v", pr.Objective, bound, gap, pr.Elapsed.Round(time.Millisecond))
}

// done ends the progress line.
func (p *progressWriter) done() {
	if p != nil && p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runPlanEvaluate(e env, args []string) error {
	fs := newFlagSet(e, "plan evaluate", "plan evaluate --instance F --plan P [--json]\n\n"+
		"Checks every hard rule of the spec and prints the objective term by term.\n"+
		"Exits with status 1 if the plan is infeasible.")
	instPath := fs.String("instance", "", "instance file (required)")
	planPath := fs.String("plan", "", "plan file (required)")
	asJSON := fs.Bool("json", false, "print the evaluation as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *instPath == "" || *planPath == "" {
		return usagef("plan evaluate: --instance and --plan are required")
	}
	if fs.NArg() > 0 {
		return usagef("plan evaluate: unexpected argument %q", fs.Arg(0))
	}
	inst, err := readInstance(*instPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*planPath)
	if err != nil {
		return fmt.Errorf("read plan: %w", err)
	}
	plan, err := scheduler.ParsePlan(data)
	if err != nil {
		return fmt.Errorf("plan %s: %w", *planPath, err)
	}
	ev, err := scheduler.Evaluate(inst, plan)
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	if *asJSON {
		data, err := json.MarshalIndent(ev, "", " ")
		if err != nil {
			return fmt.Errorf("encode evaluation: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", data)
	} else {
		printEvaluation(e.stdout, ev)
	}
	if !ev.Feasible {
		return fmt.Errorf("plan infeasible: %d violated rule(s)", len(ev.Violations))
	}
	return nil
}

func printEvaluation(w io.Writer, ev *scheduler.Evaluation) {
	fmt.Fprintf(w, "feasible=%v objective=%d\n", ev.Feasible, ev.Objective)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	t := ev.Terms
	for _, row := range []struct {
		name string
		v    int
	}{{"served_value", t.ServedValue}, {"preference_bonus", t.PreferenceBonus}, {"extension_bonus", t.ExtensionBonus},
		{"school_period_penalty", -t.SchoolPeriodPenalty}, {"school_year_penalty", -t.SchoolYearPenalty},
		{"sector_period_penalty", -t.SectorPeriodPenalty}, {"churn_penalty", -t.ChurnPenalty}, {"objective", ev.Objective}} {
		fmt.Fprintf(tw, "  %s\t%d\t\n", row.name, row.v)
	}
	tw.Flush()
	s := ev.Stats
	fmt.Fprintf(w, "served %d/%d eligible (%d first year, %d packs), %d preferences honoured, %d extensions granted\n",
		s.Served, s.Eligible, s.ServedFirstYear, s.ServedPacks, s.PreferencesHonoured, s.ExtensionsGranted)
	fmt.Fprintf(w, "churn: %d dropped, %d moved, %d extension changed\n", s.Churn.Dropped, s.Churn.Moved, s.Churn.ExtensionChanged)
	for i, v := range ev.Violations {
		if i == 20 {
			fmt.Fprintf(w, "  ... and %d more\n", len(ev.Violations)-20)
			break
		}
		fmt.Fprintf(w, "  ERROR %s: %s\n", v.Rule, v.Message)
	}
}

func runPlanCapacity(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "plan capacity", "plan capacity --instance F [--loan-weeks N] [--packs N] [--loan-policy P] [--time-limit D] [--json]\n\n"+
		"Prints the use of the packs per period and the smallest number of packs that\n"+
		"would serve every eligible project (bisection over the packs, one solve each).")
	instPath := fs.String("instance", "", "instance file (required)")
	loanWeeks := fs.Int("loan-weeks", 0, "what if loans lasted N school weeks (default: the instance's)")
	packs := fs.Int("packs", 0, "what if the city had N packs (default: the instance's)")
	policy := fs.String("loan-policy", "", "what if loans followed this policy: within_period, across_breaks or period_length (default: the instance's)")
	timeLimit := fs.Duration("time-limit", 10*time.Second, "time limit of each solve (Go duration)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *instPath == "" {
		return usagef("plan capacity: --instance is required")
	}
	if *loanWeeks < 0 || *packs < 0 || *timeLimit <= 0 {
		return usagef("plan capacity: --loan-weeks, --packs and --time-limit must be positive")
	}
	if fs.NArg() > 0 {
		return usagef("plan capacity: unexpected argument %q", fs.Arg(0))
	}
	if _, err := calendar.ParseLoanPolicy(*policy); err != nil {
		return usagef("plan capacity: --loan-policy: %v", err)
	}
	inst, err := readInstance(*instPath)
	if err != nil {
		return err
	}
	rep, err := scheduler.PlanCapacity(ctx, inst, scheduler.CapacityOptions{LoanWeeks: *loanWeeks, Packs: *packs, LoanPolicy: *policy,
		Solve: scheduler.Options{TimeLimit: *timeLimit}})
	if err != nil {
		return fmt.Errorf("capacity %s: %w", *instPath, err)
	}
	if *asJSON {
		data, err := json.MarshalIndent(rep, "", " ")
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\n", data)
		return nil
	}
	w := e.stdout
	fmt.Fprintf(w, "packs=%d loan_weeks=%d loan_policy=%s served=%d/%d eligible (%d with a legal slot) objective=%d upper_bound=%d\n",
		rep.Packs, rep.LoanWeeks, rep.LoanPolicy, rep.Served, rep.Eligible, rep.Schedulable, rep.Objective, rep.UpperBound)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "period\tweeks\tpack-weeks used\tavailable\tuse %\tloans\tpreferred by\t(packs)\tno preference\t")
	for _, p := range rep.Periods {
		pct := 0.0
		if p.PackWeeksAvailable > 0 {
			pct = 100 * float64(p.PackWeeksUsed) / float64(p.PackWeeksAvailable)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t\n", p.Period, p.Weeks, p.PackWeeksUsed,
			p.PackWeeksAvailable, pct, p.Loans, p.PreferredBy, p.PreferredPacks, p.NoPreference)
	}
	tw.Flush()
	if rep.PacksToServeAll < 0 {
		fmt.Fprintln(w, "no number of packs serves every eligible project")
	} else {
		fmt.Fprintf(w, "packs needed to serve every eligible project with a legal slot: %d\n", rep.PacksToServeAll)
	}
	return nil
}

// readInstance reads and validates an instance file.
func readInstance(path string) (*scheduler.Instance, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read instance: %w", err)
	}
	inst, err := scheduler.ParseInstance(data)
	if err != nil {
		var ve *scheduler.ValidationError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("instance %s: %w", path, err)
		}
		return nil, fmt.Errorf("instance %s: %s", path, strings.TrimPrefix(err.Error(), "decode instance: "))
	}
	return inst, nil
}
