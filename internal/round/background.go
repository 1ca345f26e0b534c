package round

import (
	"context"
	"math"
	"time"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// Start starts computing a new round of in.SchoolYear in the background
// and returns at once with the running solve, which store.DB.RoundSolve
// follows (best plan so far, bound, elapsed time, then the draft or the
// error). The input is checked first (nothing starts on bad input). At
// most one solve runs per school year: a *store.RuleError conflict
// "solve_running" names the running one.
func Start(ctx context.Context, db *store.DB, actor store.Actor, in Input) (_ store.RoundSolve, err error) {
	defer wrapf(&err, "round.Start(%s)", in.SchoolYear)
	if in.Replaces != 0 {
		return store.RoundSolve{}, store.FieldErrors{"replaces": "un nouveau tour ne remplace pas de brouillon : relancez le brouillon"}.Err()
	}
	check := in
	if err := check.validate(); err != nil {
		return store.RoundSolve{}, err
	}
	if err := store.CheckPinReasons(in.Pins); err != nil {
		return store.RoundSolve{}, err
	}
	if _, err := db.CalendarYear(ctx, in.SchoolYear); err != nil {
		// The refusal Run would give, before anything starts.
		if _, err := build(ctx, db, check); err != nil {
			return store.RoundSolve{}, err
		}
	}
	s, err := db.ClaimRoundSolve(ctx, actor, in.SchoolYear, 0, spec(in, check.TimeLimit))
	if err != nil {
		return store.RoundSolve{}, err
	}
	db.RunSolve(s.ID, func(ctx context.Context, progress func(store.SolveProgress)) (store.Round, error) {
		in.progress = progress
		return Run(ctx, db, actor, in)
	})
	return s, nil
}

// StartRerun starts re-running round id in the background, as Rerun,
// with the pins and exclusions asked on it since applied
// (store.DB.SetRoundPin) unless in.Pins says otherwise. Returns
// store.ErrNotFound and the errors of Start.
func StartRerun(ctx context.Context, db *store.DB, actor store.Actor, id int64, in Input) (_ store.RoundSolve, err error) {
	defer wrapf(&err, "round.StartRerun(%d)", id)
	if in.SchoolYear != "" {
		return store.RoundSolve{}, store.FieldErrors{"year": "un nouveau calcul garde l'année du tour"}.Err()
	}
	old, err := db.Round(ctx, id)
	if err != nil {
		return store.RoundSolve{}, err
	}
	if in.Pins == nil {
		if in.Pins, err = db.RerunPins(ctx, id); err != nil {
			return store.RoundSolve{}, err
		}
	}
	if err := store.CheckPinReasons(in.Pins); err != nil {
		return store.RoundSolve{}, err
	}
	check := in
	check.SchoolYear = old.SchoolYear
	if check.TimeLimit == 0 {
		check.TimeLimit, _ = time.ParseDuration(old.Params.TimeLimit)
	}
	if check.LoanWeeks == 0 {
		check.LoanWeeks = old.Params.LoanWeeks
	}
	if err := check.validate(); err != nil {
		return store.RoundSolve{}, err
	}
	s, err := db.ClaimRoundSolve(ctx, actor, old.SchoolYear, id, spec(in, check.TimeLimit))
	if err != nil {
		return store.RoundSolve{}, err
	}
	db.RunSolve(s.ID, func(ctx context.Context, progress func(store.SolveProgress)) (store.Round, error) {
		in.progress = progress
		return Rerun(ctx, db, actor, id, in)
	})
	return s, nil
}

// spec records what a solve was asked.
func spec(in Input, limit time.Duration) store.SolveSpec {
	return store.SolveSpec{LoanWeeks: in.LoanWeeks, LoanPolicy: string(in.LoanPolicy), TurnaroundDays: in.TurnaroundDays,
		Weights: in.WeightsByName, TimeLimitMS: limit.Milliseconds(), Pins: in.Pins}
}

// phases name the engine's phases for people.
var phases = map[string]string{"greedy": "premier plan", "price": "bornes", "lagrangian": "relaxation lagrangienne",
	"descent": "amélioration locale", "lns": "recherche à grand voisinage", "exact": "preuve d'optimalité",
	"search": "recherche locale"}

// reportProgress turns the engine's progress into the solve's.
func reportProgress(report func(store.SolveProgress)) func(scheduler.Progress) {
	if report == nil {
		return nil
	}
	return func(p scheduler.Progress) {
		sp := store.SolveProgress{Phase: phases[p.Phase]}
		if sp.Phase == "" {
			sp.Phase = p.Phase
		}
		if p.Objective > math.MinInt32 {
			obj := p.Objective
			sp.Objective = &obj
		}
		if p.UpperBound < math.MaxInt32 {
			ub := p.UpperBound
			sp.UpperBound = &ub
		}
		report(sp)
	}
}
