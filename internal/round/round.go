package round

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// Input is what Run needs to compute a round.
type Input struct {
	// SchoolYear is the year of the round ("2026-2027"). Required.
	SchoolYear string
	// LoanWeeks is the base loan length in school weeks. 0 means
	// store.DefaultLoanWeeks.
	LoanWeeks int
	// LoanPolicy says where a loan may lie (calendar.LoanPolicy); empty
	// means the school year's setting (YearSettings).
	LoanPolicy calendar.LoanPolicy
	// TurnaroundDays is the number of calendar days a pack stays busy after
	// a return. 0 means store.DefaultTurnaroundDays; negative means none.
	TurnaroundDays int
	// Weights of the objective; nil means scheduler.DefaultWeights (on a
	// re-run, the round's).
	Weights *scheduler.Weights
	// WeightsByName overrides some weights by their JSON name (see
	// WeightNames) on top of Weights; an unknown name is refused.
	WeightsByName map[string]int
	// Pins are the coordinator's decisions: serve a request (at a start
	// week when given) or exclude it.
	Pins []store.RoundPin
	// TimeLimit bounds the solver. 0 means DefaultTimeLimit.
	TimeLimit time.Duration
	// Today is the day the round is run as of; the zero Date means today
	// in Paris (the store's clock).
	Today calendar.Date
	// Replaces is a draft that the new round replaces (a re-run): it is
	// discarded when the new one is stored.
	Replaces int64
	// progress, when set, receives the engine's progress (background
	// solves, Start).
	progress func(store.SolveProgress)
}

// MaxPins bounds the requests a round pins or excludes.
const MaxPins = 1000

// DefaultTimeLimit bounds the solver when a round does not say.
const DefaultTimeLimit = 10 * time.Second

// MaxTimeLimit is the longest solve a round may ask for.
const MaxTimeLimit = 5 * time.Minute

// Spec defaults of the objective (ALLOCATION-SPEC section 5).
const (
	defaultSchoolPeriodFree = 1
	defaultSchoolYearFree   = 2
)

// validate checks the input and fills in the defaults.
func (in *Input) validate() error {
	e := store.FieldErrors{}
	if !store.ValidSchoolYear(in.SchoolYear) {
		e.Add("year", "année scolaire attendue au format 2026-2027")
	}
	if in.TurnaroundDays < -1 {
		e.Add("turnaround_days", "délai de remise en état hors de 0 à 60 jours")
	}
	if len(in.Pins) > MaxPins {
		e.Add("pins", "%d demandes épinglées ou exclues au plus", MaxPins)
	}
	if in.LoanWeeks == 0 {
		in.LoanWeeks = store.DefaultLoanWeeks
	}
	store.CheckLoanWeeks(e, "loan_weeks", in.LoanWeeks)
	if in.LoanPolicy != "" {
		if _, err := calendar.ParseLoanPolicy(string(in.LoanPolicy)); err != nil {
			e.Add("loan_policy", "politique de prêt inconnue : %q (within_period, across_breaks ou period_length)", in.LoanPolicy)
		}
	}
	switch {
	case in.TurnaroundDays == 0:
		in.TurnaroundDays = store.DefaultTurnaroundDays
	case in.TurnaroundDays < 0:
		in.TurnaroundDays = 0
	case in.TurnaroundDays > 60:
		e.Add("turnaround_days", "délai de remise en état hors de 0 à 60 jours : %d", in.TurnaroundDays)
	}
	if in.TimeLimit == 0 {
		in.TimeLimit = DefaultTimeLimit
	}
	if in.TimeLimit < 0 || in.TimeLimit > MaxTimeLimit {
		e.Add("time_limit", "temps de calcul hors de 0 à %s : %s", MaxTimeLimit, in.TimeLimit)
	}
	if in.Weights == nil {
		w := scheduler.DefaultWeights()
		in.Weights = &w
	}
	if in.WeightsByName != nil {
		w := *in.Weights
		fields := weightFields(&w)
		for name, v := range in.WeightsByName {
			p, ok := fields[name]
			switch {
			case !ok:
				e.Add("weights."+name, "poids inconnu")
			case v < 0 || v > 100000:
				e.Add("weights."+name, "poids hors de 0 à 100000")
			default:
				*p = v
			}
		}
		in.Weights, in.WeightsByName = &w, nil
	}
	for name, v := range weightFields(in.Weights) {
		if *v < 0 || *v > 100000 {
			e.Add("weights."+name, "poids hors de 0 à 100000 : %d", *v)
		}
	}
	seen := map[int64]int{}
	for i, p := range in.Pins {
		field := fmt.Sprintf("pins[%d]", i)
		if p.Kind != store.PinServe && p.Kind != store.PinExclude {
			e.Add(field+".kind", "type attendu : serve ou exclude")
		}
		if j, dup := seen[p.RequestID]; dup {
			e.Add(field+".request_id", "la demande n° %d est déjà citée (pins[%d])", p.RequestID, j)
		}
		seen[p.RequestID] = i
		if p.Kind == store.PinExclude && (p.StartWeek != nil || p.ExtensionWeeks != 0) {
			e.Add(field+".start_week", "une demande exclue n'a pas de semaine de début")
		}
	}
	return e.Err()
}

// weightFields names the weights, for validation and merging.
func weightFields(w *scheduler.Weights) map[string]*int {
	return map[string]*int{"base": &w.Base, "first_year": &w.FirstYear, "training_done": &w.TrainingDone,
		"preferred_period": &w.PreferredPeriod, "extension_granted": &w.ExtensionGranted,
		"school_period_excess": &w.SchoolPeriodExcess, "school_year_excess": &w.SchoolYearExcess,
		"sector_period_excess": &w.SectorPeriodExcess, "churn_move": &w.ChurnMove,
		"churn_extension": &w.ChurnExtension, "churn_drop": &w.ChurnDrop}
}

func projectID(id int64) string { return strconv.FormatInt(id, 10) }

// Run computes a round for a school year and stores it as a draft:
// it builds the engine's instance from the database (the calendar of the
// year, the packs available, the validated requests with their
// participation year and preferences, schools and sectors, and the live
// loans of the year as the previous plan, locked when started, signed or
// reserved by hand), solves it within the time limit, and stores the
// proposed loans, the unserved requests with the engine's reasons, the
// objective term by term and its upper bound.
//
// Returns a *RoundInputError for bad input (an unknown request pinned, an
// illegal start week…), an error wrapping calendar.ErrUnknownYear or
// calendar.ErrInvalidYear for a year without calendar.
func Run(ctx context.Context, db *store.DB, actor store.Actor, in Input) (_ store.Round, err error) {
	defer wrapf(&err, "round.Run(%s)", in.SchoolYear)
	if err := in.validate(); err != nil {
		return store.Round{}, err
	}
	b, err := build(ctx, db, in)
	if err != nil {
		return store.Round{}, err
	}
	start := time.Now()
	r, err := b.solve(ctx)
	if err != nil {
		return store.Round{}, err
	}
	db.ReportSolve(time.Since(start), r.Objective, r.UpperBound, r.ProvedOptimal)
	if err := db.SaveRound(ctx, actor, &r, in.Replaces); err != nil {
		return store.Round{}, err
	}
	return r, nil
}

// Instance returns the engine's instance that Run would solve
// for in (pins with a start week appear as locked loans of the previous
// plan), in the "tablet-pack-allocation/v1" format, so that it can be
// inspected or solved with "classemobile plan solve". Project ids are
// request ids, school ids UAI codes, pack numbers index
// store.RoundParams.PackIDs. Returns the errors of Run.
func Instance(ctx context.Context, db *store.DB, in Input) (_ *scheduler.Instance, err error) {
	defer wrapf(&err, "round.Instance(%s)", in.SchoolYear)
	if err := in.validate(); err != nil {
		return nil, err
	}
	b, err := build(ctx, db, in)
	if err != nil {
		return nil, err
	}
	return b.inst, nil
}

// Plan returns the loans of a round as a plan of the
// "tablet-pack-allocation-plan/v1" format for the instance of Instance
// (same date and packs).
func Plan(r store.Round) *scheduler.Plan {
	plan := &scheduler.Plan{Format: scheduler.PlanFormat, Instance: "round-" + r.SchoolYear,
		ProducedBy: fmt.Sprintf("classemobile round %d", r.ID), Loans: []scheduler.Loan{}}
	for _, l := range r.Loans {
		base := r.Params.LoanWeeks
		for _, st := range r.Params.ShortStarts {
			if st.Week == l.StartWeek {
				base = st.Weeks
			}
		}
		sl := scheduler.Loan{Project: projectID(l.RequestID), StartWeek: l.StartWeek,
			ExtensionWeeks: max(0, l.Weeks+l.ExtensionWeeks-base), Packs: []int{}}
		for _, id := range l.PackIDs {
			if i := slices.Index(r.Params.PackIDs, id); i >= 0 {
				sl.Packs = append(sl.Packs, i+1)
			}
		}
		plan.Loans = append(plan.Loans, sl)
	}
	obj := r.Objective
	plan.Objective = &obj
	return plan
}

// Rerun computes a new draft from the parameters of round id, changed
// by the non-zero fields of in (pins are replaced when in.Pins is not nil;
// in.SchoolYear must be empty: a re-run keeps the round's year).
// When round id is a draft it is discarded. Returns store.ErrNotFound.
func Rerun(ctx context.Context, db *store.DB, actor store.Actor, id int64, in Input) (_ store.Round, err error) {
	defer wrapf(&err, "round.Rerun(%d)", id)
	if in.SchoolYear != "" {
		return store.Round{}, store.FieldErrors{"year": "un nouveau calcul garde l'année du tour"}.Err()
	}
	old, err := db.Round(ctx, id)
	if err != nil {
		return store.Round{}, err
	}
	in.SchoolYear = old.SchoolYear
	if in.LoanWeeks == 0 {
		in.LoanWeeks = old.Params.LoanWeeks
	}
	if in.TurnaroundDays == 0 {
		in.TurnaroundDays = old.Params.TurnaroundDays
		if in.TurnaroundDays == 0 {
			in.TurnaroundDays = -1
		}
	}
	if in.Weights == nil {
		w := scheduler.Weights(old.Weights)
		in.Weights = &w
	}
	if in.TimeLimit == 0 {
		in.TimeLimit, _ = time.ParseDuration(old.Params.TimeLimit)
	}
	if in.LoanPolicy == "" {
		in.LoanPolicy = calendar.LoanPolicy(old.Params.LoanPolicy)
	}
	if in.Pins == nil {
		in.Pins = old.Pins
	}
	if old.State == store.RoundDraft {
		in.Replaces = id
	}
	return Run(ctx, db, actor, in)
}

// frenchDay names a day as people read it: « lundi 19 avril 2027 ».
func frenchDay(d calendar.Date) string { return d.French(calendar.FrenchLong) }

// wrapf wraps *errp, when set, with the operation it comes from.
func wrapf(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}
