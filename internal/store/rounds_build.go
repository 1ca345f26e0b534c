package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/scheduler"
)

// RoundInput is what RunRound needs to compute a round.
type RoundInput struct {
	// SchoolYear is the year of the round ("2026-2027"). Required.
	SchoolYear string
	// LoanWeeks is the base loan length in school weeks. 0 means
	// DefaultLoanWeeks.
	LoanWeeks int
	// LoanPolicy says where a loan may lie (calendar.LoanPolicy); empty
	// means the school year's setting (YearSettings).
	LoanPolicy calendar.LoanPolicy
	// TurnaroundDays is the number of calendar days a pack stays busy after
	// a return. 0 means DefaultTurnaroundDays; negative means none.
	TurnaroundDays int
	// Weights of the objective; nil means scheduler.DefaultWeights (on a
	// re-run, the round's).
	Weights *scheduler.Weights
	// WeightsByName overrides some weights by their JSON name (see
	// WeightNames) on top of Weights; an unknown name is refused.
	WeightsByName map[string]int
	// Pins are the coordinator's decisions: serve a request (at a start
	// week when given) or exclude it.
	Pins []RoundPin
	// TimeLimit bounds the solver. 0 means DefaultRoundTimeLimit.
	TimeLimit time.Duration
	// Today is the day the round is run as of; the zero Date means today
	// in Paris (the store's clock).
	Today calendar.Date
	// Replaces is a draft that the new round replaces (a re-run): it is
	// discarded when the new one is stored.
	Replaces int64
}

// MaxRoundPins bounds the requests a round pins or excludes.
const MaxRoundPins = 1000

// schoolYearRE is the form of a school year name.
var schoolYearRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}$`)

// ValidSchoolYear reports whether year has the form of a school year
// ("2026-2027").
func ValidSchoolYear(year string) bool { return schoolYearRE.MatchString(year) }

// validate checks the input and fills in the defaults.
func (in *RoundInput) validate() error {
	e := FieldErrors{}
	if !ValidSchoolYear(in.SchoolYear) {
		e.Add("year", "année scolaire attendue au format 2026-2027")
	}
	if in.TurnaroundDays < -1 {
		e.Add("turnaround_days", "délai de remise en état hors de 0 à 60 jours")
	}
	if len(in.Pins) > MaxRoundPins {
		e.Add("pins", "%d demandes épinglées ou exclues au plus", MaxRoundPins)
	}
	if in.LoanWeeks == 0 {
		in.LoanWeeks = DefaultLoanWeeks
	}
	CheckLoanWeeks(e, "loan_weeks", in.LoanWeeks)
	if in.LoanPolicy != "" {
		if _, err := calendar.ParseLoanPolicy(string(in.LoanPolicy)); err != nil {
			e.Add("loan_policy", "politique de prêt inconnue : %q (within_period, across_breaks ou period_length)", in.LoanPolicy)
		}
	}
	switch {
	case in.TurnaroundDays == 0:
		in.TurnaroundDays = DefaultTurnaroundDays
	case in.TurnaroundDays < 0:
		in.TurnaroundDays = 0
	case in.TurnaroundDays > 60:
		e.Add("turnaround_days", "délai de remise en état hors de 0 à 60 jours : %d", in.TurnaroundDays)
	}
	if in.TimeLimit == 0 {
		in.TimeLimit = DefaultRoundTimeLimit
	}
	if in.TimeLimit < 0 || in.TimeLimit > MaxRoundTimeLimit {
		e.Add("time_limit", "temps de calcul hors de 0 à %s : %s", MaxRoundTimeLimit, in.TimeLimit)
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
		if p.Kind != PinServe && p.Kind != PinExclude {
			e.Add(field+".kind", "type attendu : serve ou exclude")
		}
		if j, dup := seen[p.RequestID]; dup {
			e.Add(field+".request_id", "la demande n° %d est déjà citée (pins[%d])", p.RequestID, j)
		}
		seen[p.RequestID] = i
		if p.Kind == PinExclude && (p.StartWeek != nil || p.ExtensionWeeks != 0) {
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

// noSector is the sector of schools that have none: without a cap.
const noSector = "sans-secteur"

// roundBuild is a round being computed: the instance given to the engine
// and what maps it back to the database.
type roundBuild struct {
	in     RoundInput
	year   *calendar.Year
	weeks  []calendar.Week
	params RoundParams
	// starts are the legal starts of a loan under the round's policy, by
	// start week.
	starts map[int]calendar.LoanStart
	// inst is solved (pins as locked loans); base is the same problem
	// without the pins, on which the plan is scored.
	inst, base *scheduler.Instance
	requests   map[int64]Request
	packNo     map[int64]int // pack id → engine number
	live       map[int64]Loan
	locked     map[int64]bool
	excluded   map[int64]bool
	sectors    []Sector
	previous   int64
}

func projectID(id int64) string { return strconv.FormatInt(id, 10) }

// RunRound computes a round for a school year and stores it as a draft:
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
func (db *DB) RunRound(ctx context.Context, actor Actor, in RoundInput) (_ Round, err error) {
	defer wrapf(&err, "RunRound(%s)", in.SchoolYear)
	if err := in.validate(); err != nil {
		return Round{}, err
	}
	b, err := db.buildRound(ctx, in)
	if err != nil {
		return Round{}, err
	}
	start := time.Now()
	r, err := b.solve(ctx)
	if err != nil {
		return Round{}, err
	}
	if db.onSolve != nil {
		db.onSolve(time.Since(start), r.Objective, r.UpperBound, r.ProvedOptimal)
	}
	if err := db.insertRound(ctx, actor, &r, in.Replaces); err != nil {
		return Round{}, err
	}
	return r, nil
}

// RoundInstance returns the engine's instance that RunRound would solve
// for in (pins with a start week appear as locked loans of the previous
// plan), in the "tablet-pack-allocation/v1" format, so that it can be
// inspected or solved with "classemobile plan solve". Project ids are
// request ids, school ids UAI codes, pack numbers index
// RoundParams.PackIDs. Returns the errors of RunRound.
func (db *DB) RoundInstance(ctx context.Context, in RoundInput) (_ *scheduler.Instance, err error) {
	defer wrapf(&err, "RoundInstance(%s)", in.SchoolYear)
	if err := in.validate(); err != nil {
		return nil, err
	}
	b, err := db.buildRound(ctx, in)
	if err != nil {
		return nil, err
	}
	return b.inst, nil
}

// RoundPlan returns the loans of a round as a plan of the
// "tablet-pack-allocation-plan/v1" format for the instance of
// RoundInstance (same date and packs).
func RoundPlan(r Round) *scheduler.Plan {
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

// RerunRound computes a new draft from the parameters of round id, changed
// by the non-zero fields of in (pins are replaced when in.Pins is not nil;
// in.SchoolYear must be empty: a re-run keeps the round's year).
// When round id is a draft it is discarded. Returns ErrNotFound.
func (db *DB) RerunRound(ctx context.Context, actor Actor, id int64, in RoundInput) (_ Round, err error) {
	defer wrapf(&err, "RerunRound(%d)", id)
	if in.SchoolYear != "" {
		return Round{}, FieldErrors{"year": "un nouveau calcul garde l'année du tour"}.Err()
	}
	old, err := getRound(ctx, db.bun, id)
	if err != nil {
		return Round{}, err
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
		w := old.Weights
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
	if old.State == RoundDraft {
		in.Replaces = id
	}
	return db.RunRound(ctx, actor, in)
}

func (db *DB) buildRound(ctx context.Context, in RoundInput) (*roundBuild, error) {
	y, err := db.CalendarYear(ctx, in.SchoolYear)
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		re, _ := AsRule(FieldErrors{"year": "année scolaire invalide"}.Err())
		re.Err = err
		return nil, re
	case errors.Is(err, calendar.ErrUnknownYear):
		return nil, &RuleError{Kind: RuleInvalid, Code: "unknown_year", Err: err, Field: "year", Fields: []string{"year"},
			Message:       "Le calendrier de cette année scolaire n'est pas connu (pas encore publié ou non importé).",
			FieldMessages: map[string]string{"year": "calendrier scolaire inconnu"}}
	case err != nil:
		return nil, err
	}
	b := &roundBuild{in: in, year: y, weeks: y.Weeks(), requests: map[int64]Request{}, packNo: map[int64]int{},
		live: map[int64]Loan{}, locked: map[int64]bool{}, excluded: map[int64]bool{}}
	if len(b.weeks) == 0 {
		return nil, fmt.Errorf("school year %s has no school week", in.SchoolYear)
	}
	today := in.Today
	if today.IsZero() {
		today = calendar.ParisDate(db.Now())
	}
	// The first school week not yet started: its first school day is
	// after today.
	todayWeek := len(b.weeks)
	for i, w := range b.weeks {
		if w.First.After(today) {
			todayWeek = i
			break
		}
	}
	L := in.LoanWeeks
	if in.LoanPolicy == "" {
		set, err := yearSettingsTx(ctx, db.bun, in.SchoolYear)
		if err != nil {
			return nil, err
		}
		in.LoanPolicy = set.LoanPolicy
		b.in.LoanPolicy = set.LoanPolicy
	}
	b.starts = map[int]calendar.LoanStart{}
	var short []calendar.LoanStart
	for _, st := range y.LoanStarts(in.LoanPolicy, L) {
		b.starts[st.Week] = st
		if st.Weeks != L {
			short = append(short, st)
		}
	}
	b.params = RoundParams{LoanWeeks: L, LoanPolicy: string(in.LoanPolicy), ShortStarts: short, TurnaroundDays: in.TurnaroundDays, Today: today, TodayWeek: todayWeek,
		MaxParticipationYear: MaxParticipationYears, SchoolPeriodFree: defaultSchoolPeriodFree,
		SchoolYearFree: defaultSchoolYearFree, TimeLimit: in.TimeLimit.String(),
		PackIDs: []int64{}, PackCodes: []string{}, Locked: []int64{}}

	// The published round is read first: if another is published while
	// this one is built, publishing this one is refused as stale.
	if b.previous, err = publishedRoundID(ctx, db.bun, in.SchoolYear); err != nil {
		return nil, err
	}

	// Packs: those available, numbered 1..P by code (ListPacks sorts by
	// code). Packs in maintenance or retired take no part in the round.
	packs, err := db.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range packs {
		if p.Status != PackAvailable {
			continue
		}
		b.params.PackIDs = append(b.params.PackIDs, p.ID)
		b.params.PackCodes = append(b.params.PackCodes, p.Code)
		b.packNo[p.ID] = len(b.params.PackIDs)
	}
	b.params.Packs = len(b.params.PackIDs)

	// Dated maintenance windows of those packs that meet the year (up to
	// the end of the last loan's turnaround). The engine's interval starts
	// one day before the window: a loan keeps its packs until the day after
	// its return plus the turnaround (busyUntil), one day longer than the
	// engine's free_day (Friday + turnaround), so a plan clear of the
	// shifted interval is clear of the window in the database too.
	day0 := b.weeks[0].Monday
	yearEnd := b.weeks[len(b.weeks)-1].Monday.AddDays(5 + max(in.TurnaroundDays, 0))
	windows, err := db.ListMaintenance(ctx, MaintenanceFilter{From: day0, To: yearEnd})
	if err != nil {
		return nil, err
	}
	b.params.Maintenance = []RoundMaintenance{}
	for _, w := range windows {
		n, ok := b.packNo[w.PackID]
		if !ok {
			continue
		}
		b.params.Maintenance = append(b.params.Maintenance, RoundMaintenance{ID: w.ID, PackID: w.PackID,
			PackCode: w.PackCode, Pack: n, FirstDay: w.FirstDay, LastDay: w.LastDay, Reason: w.Reason,
			FromDay: w.FirstDay.DaysSince(day0) - 1, ToDay: w.LastDay.DaysSince(day0) + 1})
	}

	reqs, err := db.ListRequests(ctx, RequestFilter{SchoolYear: in.SchoolYear, State: RequestValidated})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(reqs, func(a, c Request) int { return cmp.Compare(a.ID, c.ID) })
	for _, r := range reqs {
		b.requests[r.ID] = r
	}
	loans, err := db.ListLoans(ctx, LoanFilter{SchoolYear: in.SchoolYear})
	if err != nil {
		return nil, err
	}
	for _, l := range loans {
		if l.Live() {
			b.live[l.RequestID] = l
			// Started, signed, or reserved by hand: kept as is.
			b.locked[l.RequestID] = l.State != LoanReserved || l.RoundID == nil ||
				!l.PickupDay.After(today) || l.StartWeek < todayWeek
		}
	}
	if b.sectors, err = db.ListSectors(ctx); err != nil {
		return nil, err
	}

	// Pins.
	ie := FieldErrors{}
	pins := map[int64]RoundPin{}
	for i, p := range in.Pins {
		field := fmt.Sprintf("pins[%d]", i)
		r, ok := b.requests[p.RequestID]
		if !ok {
			ie.Add(field+".request_id", "la demande n° %d n'est pas une demande validée de l'année %s", p.RequestID, in.SchoolYear)
			continue
		}
		if p.Kind == PinExclude {
			if b.locked[r.ID] {
				ie.Add(field+".request_id", "la demande n° %d a un prêt commencé, signé ou réservé à la main : elle ne peut pas être exclue", r.ID)
				continue
			}
			b.excluded[r.ID] = true
			continue
		}
		if b.locked[r.ID] {
			if p.StartWeek != nil && *p.StartWeek != b.live[r.ID].StartWeek {
				ie.Add(field+".start_week", "la demande n° %d a un prêt verrouillé qui commence le %s", r.ID, frenchDay(b.live[r.ID].PickupDay))
			}
			continue // served anyway
		}
		if r.Eligibility.ParticipationYear > MaxParticipationYears {
			ie.Add(field+".request_id", "la demande n° %d n'est pas éligible (%de année de participation, %d au plus)",
				r.ID, r.Eligibility.ParticipationYear, MaxParticipationYears)
			continue
		}
		if r.Packs > b.params.Packs {
			ie.Add(field+".request_id", "la demande n° %d demande %d packs, %d sont disponibles", r.ID, r.Packs, b.params.Packs)
			continue
		}
		if p.ExtensionWeeks != 0 && p.StartWeek == nil {
			ie.Add(field+".extension_weeks", "une prolongation épinglée demande une semaine de début")
			continue
		}
		if p.ExtensionWeeks != 0 && p.ExtensionWeeks != r.ExtensionWeeks {
			ie.Add(field+".extension_weeks", "prolongation demandée par la demande n° %d : %d semaines", r.ID, r.ExtensionWeeks)
			continue
		}
		if p.StartWeek != nil {
			s := *p.StartWeek
			switch {
			case s < 0 || s >= len(b.weeks):
				ie.Add(field+".start_week", "semaine hors de l'année scolaire")
			case !b.legal(s):
				ie.Add(field+".start_week", "un prêt de %d semaines commençant le %s n'est pas possible (politique de prêt : %s)", L, frenchDay(b.weeks[s].First), in.LoanPolicy.Label())
			case s < todayWeek:
				ie.Add(field+".start_week", "la semaine du %s a déjà commencé (premier début possible : %s)", frenchDay(b.weeks[s].First), b.weekStart(todayWeek))
			case slices.Contains(r.ExcludedPeriods, b.weeks[s].Period):
				ie.Add(field+".start_week", "la période %s est exclue par la demande n° %d", b.weeks[s].Period, r.ID)
			case s+b.baseAt(s)+p.ExtensionWeeks > len(b.weeks):
				ie.Add(field+".extension_weeks", "la prolongation dépasse la fin de l'année scolaire")
			}
		}
		pins[r.ID] = p
	}
	if err := ie.Err(); err != nil {
		return nil, err
	}
	b.base, err = b.instance(nil)
	if err != nil {
		return nil, err
	}
	if b.inst, err = b.instance(pins); err != nil {
		return nil, err
	}
	b.params.Requests = len(b.base.Projects)
	for id, l := range b.locked {
		if l && !b.excluded[id] {
			b.params.Locked = append(b.params.Locked, id)
		}
	}
	slices.Sort(b.params.Locked)
	return b, nil
}

// instance builds the engine's instance; pins with a start week become
// locked loans of the previous plan.
func (b *roundBuild) instance(pins map[int64]RoundPin) (*scheduler.Instance, error) {
	L := b.in.LoanWeeks
	day0 := b.weeks[0].Monday
	cal := scheduler.Calendar{SchoolYear: b.in.SchoolYear, Academie: "Créteil", Day0: day0.String()}
	for _, p := range b.year.Periods() {
		cal.Periods = append(cal.Periods, scheduler.Period{ID: p.ID, Label: p.Label,
			FirstDay: p.First.String(), LastDay: p.Last.String()})
	}
	periods := map[string]bool{}
	for _, p := range cal.Periods {
		periods[p.ID] = true
	}
	for _, w := range b.weeks {
		cal.Weeks = append(cal.Weeks, scheduler.Week{Index: w.Index, Monday: w.Monday.String(),
			Day: w.Monday.DaysSince(day0), Period: w.Period})
	}
	inst := &scheduler.Instance{Format: scheduler.InstanceFormat, Name: "round-" + b.in.SchoolYear, Calendar: cal,
		Params: scheduler.Params{Packs: b.params.Packs, LoanWeeks: L, TurnaroundDays: b.in.TurnaroundDays,
			TodayWeek: b.params.TodayWeek, MaxParticipationYear: MaxParticipationYears,
			SchoolPeriodFree: defaultSchoolPeriodFree, SchoolYearFree: defaultSchoolYearFree,
			Weights: *b.in.Weights, LoanPolicy: string(b.in.LoanPolicy)}}
	if hol, err := json.Marshal(b.year.Holidays()); err == nil {
		cal.Holidays = hol
		inst.Calendar.Holidays = hol
	}
	for _, w := range b.params.Maintenance {
		inst.PackUnavailability = append(inst.PackUnavailability, scheduler.PackUnavailability{
			Pack: w.Pack, FromDay: w.FromDay, ToDay: w.ToDay, Reason: w.Reason})
	}
	known := func(ps []string) []string {
		out := []string{}
		for _, p := range ps {
			if periods[p] {
				out = append(out, p)
			}
		}
		return out
	}
	schools := map[string]bool{}
	sectors := map[string]bool{}
	var prev []scheduler.PreviousLoan
	for _, id := range sortedIDs(b.requests) {
		r := b.requests[id]
		if b.excluded[id] {
			continue
		}
		sector := r.SectorID
		if sector == "" {
			sector = noSector
		}
		if !schools[r.SchoolUAI] {
			schools[r.SchoolUAI] = true
			inst.Schools = append(inst.Schools, scheduler.School{ID: r.SchoolUAI, Name: r.SchoolName, Type: "elementaire", Sector: sector})
		}
		sectors[sector] = true
		inst.Projects = append(inst.Projects, scheduler.Project{ID: projectID(id), School: r.SchoolUAI,
			ClassLevel: strings.Join(r.ClassLevels, ","), ClassSize: r.Pupils, Packs: r.Packs,
			Year: r.Eligibility.ParticipationYear, TrainingDone: r.Training.Status == TrainingDone,
			PreferredPeriods: known(r.PreferredPeriods), ExcludedPeriods: known(r.ExcludedPeriods),
			ExtensionWeeks: r.ExtensionWeeks})
		if p, ok := pins[id]; ok && p.StartWeek != nil {
			prev = append(prev, scheduler.PreviousLoan{Project: projectID(id), StartWeek: *p.StartWeek,
				ExtensionWeeks: p.ExtensionWeeks, Packs: b.packNumbers(b.live[id]), Locked: true})
			continue
		}
		l, ok := b.live[id]
		if !ok {
			continue
		}
		base := b.baseAt(l.StartWeek)
		ext := max(0, l.Weeks+l.ExtensionWeeks-base)
		if b.locked[id] && l.StartWeek+base+ext > len(b.weeks) {
			return nil, FieldErrors{"loan_weeks": fmt.Sprintf(
				"le prêt n° %d (verrouillé) ne tient pas dans l'année avec des prêts de %d semaines", l.ID, L)}.Err()
		}
		prev = append(prev, scheduler.PreviousLoan{Project: projectID(id), StartWeek: l.StartWeek,
			ExtensionWeeks: ext, Packs: b.packNumbers(l), Locked: b.locked[id]})
	}
	if len(prev) > 0 {
		inst.PreviousPlan = &scheduler.PreviousPlan{Loans: prev}
	}
	for _, s := range b.sectors {
		if sectors[s.ID] {
			inst.Sectors = append(inst.Sectors, scheduler.Sector{ID: s.ID, Name: s.Name, PeriodCap: s.PeriodCap})
		}
	}
	if sectors[noSector] {
		// Schools without a sector are not spread: no cap applies.
		inst.Sectors = append(inst.Sectors, scheduler.Sector{ID: noSector, Name: "Sans secteur", PeriodCap: 1 << 20})
	}
	return inst, nil
}

func (b *roundBuild) packNumbers(l Loan) []int {
	out := []int{}
	for _, p := range l.Packs {
		if n, ok := b.packNo[p.PackID]; ok {
			out = append(out, n)
		}
	}
	return out
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// withLock returns a copy of inst where project pid has a locked loan at
// start week s with extension e (replacing its previous loan, if any).
func withLock(inst *scheduler.Instance, pid string, s, e int, packs []int) *scheduler.Instance {
	out := *inst
	pp := &scheduler.PreviousPlan{}
	if inst.PreviousPlan != nil {
		for _, l := range inst.PreviousPlan.Loans {
			if l.Project != pid {
				pp.Loans = append(pp.Loans, l)
			}
		}
	}
	pp.Loans = append(pp.Loans, scheduler.PreviousLoan{Project: pid, StartWeek: s, ExtensionWeeks: e, Packs: packs, Locked: true})
	out.PreviousPlan = pp
	return &out
}

func loanOf(plan *scheduler.Plan, pid string) (scheduler.Loan, bool) {
	for _, l := range plan.Loans {
		if l.Project == pid {
			return l, true
		}
	}
	return scheduler.Loan{}, false
}

// pinsError turns the engine's refusal of an instance (pinned loans that do
// not fit together in the packs) into an input error.
func pinsError(err error) error {
	var ve *scheduler.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return FieldErrors{"pins": "les prêts épinglés ou verrouillés ne tiennent pas dans les packs disponibles (" + ve.Error() + ")"}.Err()
}

// solve runs the engine, serves the pinned requests that have no start
// week (trying each legal start week when the engine left one out), and
// maps the plan back to the database.
func (b *roundBuild) solve(ctx context.Context) (Round, error) {
	opt := scheduler.Options{TimeLimit: b.in.TimeLimit}
	inst := b.inst
	res, err := scheduler.Solve(ctx, inst, opt)
	if err != nil {
		return Round{}, pinsError(err)
	}
	var force []int // indices of pins to serve without a start week
	for i, p := range b.in.Pins {
		if p.Kind == PinServe && p.StartWeek == nil && !b.locked[p.RequestID] {
			force = append(force, i)
		}
	}
	for _, i := range force {
		pid := projectID(b.in.Pins[i].RequestID)
		if _, ok := loanOf(res.Plan, pid); ok {
			continue
		}
		// Keep the pinned requests served so far where they are.
		for _, j := range force {
			other := projectID(b.in.Pins[j].RequestID)
			if l, ok := loanOf(res.Plan, other); ok && j != i {
				inst = withLock(inst, other, l.StartWeek, l.ExtensionWeeks, l.Packs)
			}
		}
		r := b.requests[b.in.Pins[i].RequestID]
		var starts []int
		for _, s := range b.legalStarts() {
			if s >= b.params.TodayWeek && !slices.Contains(r.ExcludedPeriods, b.weeks[s].Period) {
				starts = append(starts, s)
			}
		}
		per := max(b.in.TimeLimit/time.Duration(len(starts)+1), 200*time.Millisecond)
		var (
			best      *scheduler.Result
			bestInst  *scheduler.Instance
			bestScore int
		)
		for _, s := range starts {
			trial := withLock(inst, pid, s, 0, b.packNumbers(b.live[r.ID]))
			tr, err := scheduler.Solve(ctx, trial, scheduler.Options{TimeLimit: per})
			if err != nil {
				continue // the pinned loans do not fit together at s
			}
			// Scored on the problem without the pins (true churn);
			// Evaluate scores a plan even if its pack numbers clash.
			score := tr.Objective
			if ev, err := scheduler.Evaluate(b.base, tr.Plan); err == nil {
				score = ev.Objective
			}
			if best == nil || score > bestScore {
				best, bestInst, bestScore = tr, trial, score
			}
		}
		if best == nil {
			return Round{}, FieldErrors{fmt.Sprintf("pins[%d]", i): fmt.Sprintf(
				"impossible de servir la demande n° %d : aucune semaine de début ne laisse assez de packs aux prêts épinglés", r.ID)}.Err()
		}
		res, inst = best, bestInst
	}
	return b.round(res)
}

// round maps a solved plan to a draft round.
func (b *roundBuild) round(res *scheduler.Result) (Round, error) {
	r := Round{SchoolYear: b.in.SchoolYear, State: RoundDraft, Params: b.params, Weights: *b.in.Weights,
		Objective: res.Objective, UpperBound: res.UpperBound, ProvedOptimal: res.ProvedOptimal, Terms: res.Terms,
		Pins: b.in.Pins, Loans: []RoundLoan{}, Unserved: []RoundUnserved{}}
	if r.Pins == nil {
		r.Pins = []RoundPin{}
	}
	if b.previous != 0 {
		r.PreviousRoundID = &b.previous
	}
	// Score the plan on the problem without the pins: the pins only fix
	// some loans, so the bound moves by the same constant.
	// Pack numbers do not enter the objective (spec section 4): number
	// them here so that locked loans keep the packs they hold in the
	// database. The engine's own numbering is the fallback.
	plan := clonePlan(res.Plan)
	ev, err := scheduler.Evaluate(b.base, plan)
	if err != nil {
		return Round{}, fmt.Errorf("evaluate round plan: %w", err)
	}
	if !b.assignPacks(plan) {
		plan = res.Plan
	} else if ev2, err := scheduler.Evaluate(b.base, plan); err == nil && ev2.Feasible {
		ev = ev2
	} else {
		plan = res.Plan
		if ev, err = scheduler.Evaluate(b.base, plan); err != nil {
			return Round{}, fmt.Errorf("evaluate round plan: %w", err)
		}
	}
	if !ev.Feasible {
		return Round{}, fmt.Errorf("the engine's plan is infeasible: %+v", ev.Violations)
	}
	res = &scheduler.Result{Plan: plan, Objective: res.Objective, Terms: res.Terms, UpperBound: res.UpperBound,
		ProvedOptimal: res.ProvedOptimal, Explanations: res.Explanations, Stats: res.Stats}
	if ev.Feasible {
		r.UpperBound += ev.Objective - res.Objective
		r.Objective, r.Terms = ev.Objective, ev.Terms
	}
	r.UpperBound = max(r.UpperBound, r.Objective)
	gap := 0.0
	if r.UpperBound > r.Objective && r.UpperBound > 0 {
		gap = float64(r.UpperBound-r.Objective) / float64(r.UpperBound)
	}
	r.Stats = RoundStats{Gap: gap, Served: ev.Stats.Served, Eligible: ev.Stats.Eligible, ServedPacks: ev.Stats.ServedPacks,
		PreferencesHonoured: ev.Stats.PreferencesHonoured, ExtensionsGranted: ev.Stats.ExtensionsGranted,
		Churn: ev.Stats.Churn, ElapsedMS: res.Stats.Elapsed.Milliseconds(), StoppedBy: res.Stats.StoppedBy}

	why := map[string]scheduler.Explanation{}
	for _, e := range res.Explanations {
		why[e.Project] = e
	}
	served := map[int64]bool{}
	for _, pl := range res.Plan.Loans {
		id, err := strconv.ParseInt(pl.Project, 10, 64)
		if err != nil {
			return Round{}, fmt.Errorf("plan names unknown project %q", pl.Project)
		}
		served[id] = true
		req := b.requests[id]
		rl := RoundLoan{RequestID: id, RequestTitle: req.Title, SchoolUAI: req.SchoolUAI, SchoolName: req.SchoolName,
			Packs: req.Packs, StartWeek: pl.StartWeek, Weeks: b.baseAt(pl.StartWeek), ExtensionWeeks: pl.ExtensionWeeks}
		if e, ok := why[pl.Project]; ok && e.Served && e.Code != "" {
			rl.Code, rl.Message = explanationText(e)
			rl.Message = b.datedWeeks(rl.Message)
		}
		live, hasLive := b.live[id]
		if b.locked[id] {
			// Kept as it is in the database.
			rl.StartWeek, rl.Weeks, rl.ExtensionWeeks = live.StartWeek, live.Weeks, live.ExtensionWeeks
			rl.PickupDay, rl.ReturnDay, rl.Locked, rl.LoanID = live.PickupDay, live.ReturnDay, true, &live.ID
			for _, p := range live.Packs {
				rl.PackIDs, rl.PackCodes = append(rl.PackIDs, p.PackID), append(rl.PackCodes, p.Code)
			}
			rl.Code, rl.Message = "locked", lockedLoanText(live)
		} else {
			pickup, ret, err := b.year.LoanDays(pl.StartWeek, rl.Weeks+pl.ExtensionWeeks)
			if err != nil {
				return Round{}, fmt.Errorf("loan days of request %d: %w", id, err)
			}
			rl.PickupDay, rl.ReturnDay = pickup, ret
			for _, n := range pl.Packs {
				if n < 1 || n > len(b.params.PackIDs) {
					return Round{}, fmt.Errorf("plan gives request %d pack number %d of %d", id, n, len(b.params.PackIDs))
				}
				rl.PackIDs, rl.PackCodes = append(rl.PackIDs, b.params.PackIDs[n-1]), append(rl.PackCodes, b.params.PackCodes[n-1])
			}
			if hasLive && live.StartWeek == pl.StartWeek && live.Weeks == rl.Weeks && live.ExtensionWeeks == pl.ExtensionWeeks &&
				samePacks(live, rl.PackIDs) {
				rl.LoanID = &live.ID // unchanged: the loan stays
			}
		}
		if rl.StartWeek >= 0 && rl.StartWeek < len(b.weeks) {
			rl.Period = b.weeks[rl.StartWeek].Period
		}
		if b.pinned(id) && !rl.Locked {
			rl.Code, rl.Message = "pinned", fmt.Sprintf("Épinglée par le coordinateur : servie en %s à partir du %s.", rl.Period, frenchDay(rl.PickupDay))
		}
		if rl.Code == "" {
			switch {
			case len(req.PreferredPeriods) == 0:
				rl.Code, rl.Message = "no_preference", fmt.Sprintf("Servie en %s (aucune période préférée).", rl.Period)
			case slices.Contains(req.PreferredPeriods, rl.Period):
				rl.Code, rl.Message = "preferred_period", fmt.Sprintf("Servie en %s, période préférée.", rl.Period)
			default:
				rl.Code, rl.Message = "other_period", fmt.Sprintf("Servie en %s : les périodes préférées (%s) sont prises ou impossibles.",
					rl.Period, strings.Join(req.PreferredPeriods, ", "))
			}
		}
		r.Loans = append(r.Loans, rl)
	}
	for _, id := range sortedIDs(b.requests) {
		if served[id] {
			continue
		}
		req := b.requests[id]
		u := RoundUnserved{RequestID: id, RequestTitle: req.Title, SchoolUAI: req.SchoolUAI, SchoolName: req.SchoolName}
		e, ok := why[projectID(id)]
		switch {
		case b.excluded[id]:
			u.Code, u.Message = "excluded", "Exclue de ce tour par le coordinateur."
		case ok && !e.Served && e.Code != "":
			u.Code, u.Message = explanationText(e)
			u.Message = b.datedWeeks(u.Message)
		case req.Eligibility.ParticipationYear > MaxParticipationYears:
			u.Code, u.Message = "ineligible", fmt.Sprintf("Non éligible : %de année de participation (%d au plus).",
				req.Eligibility.ParticipationYear, MaxParticipationYears)
		case req.Packs > b.params.Packs:
			u.Code, u.Message = "too_many_packs", fmt.Sprintf("Demande de %d packs : %d seulement sont disponibles.", req.Packs, b.params.Packs)
		case !b.hasSlot(req):
			u.Code, u.Message = "no_legal_slot", "Aucune semaine de début possible : les périodes restantes sont exclues par la demande ou trop courtes."
		default:
			u.Code, u.Message = "capacity", fmt.Sprintf("Non servie : pas assez de packs libres en %s, compte tenu des priorités des demandes servies.",
				strings.Join(b.openPeriods(req), ", "))
		}
		r.Unserved = append(r.Unserved, u)
	}
	r.Stats.Unserved = len(r.Unserved)
	return r, nil
}

// hasSlot reports whether a request has a legal start week left.
func (b *roundBuild) hasSlot(req Request) bool { return len(b.openPeriods(req)) > 0 }

// openPeriods lists the periods where a request could still start a loan.
func (b *roundBuild) openPeriods(req Request) []string {
	var out []string
	for _, s := range b.legalStarts() {
		p := b.weeks[s].Period
		if s >= b.params.TodayWeek && !slices.Contains(req.ExcludedPeriods, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func samePacks(l Loan, ids []int64) bool {
	if len(l.Packs) != len(ids) {
		return false
	}
	for _, p := range l.Packs {
		if !slices.Contains(ids, p.PackID) {
			return false
		}
	}
	return true
}

func clonePlan(p *scheduler.Plan) *scheduler.Plan {
	out := *p
	out.Loans = make([]scheduler.Loan, len(p.Loans))
	for i, l := range p.Loans {
		l.Packs = slices.Clone(l.Packs)
		out.Loans[i] = l
	}
	return &out
}

// assignPacks numbers the packs of the plan's loans by interval colouring
// (spec section 4): locked loans keep the packs they hold in the database;
// the others, by start day, keep the packs of their live loan when free,
// else the engine's, else the lowest free numbers. It reports false when
// some loan finds no free pack (the caller keeps the engine's numbering).
func (b *roundBuild) assignPacks(plan *scheduler.Plan) bool {
	T := b.in.TurnaroundDays
	day := func(w int) int { return b.weeks[w].Monday.DaysSince(b.weeks[0].Monday) }
	busy := make([][][2]int, b.params.Packs+1)
	for _, w := range b.params.Maintenance {
		busy[w.Pack] = append(busy[w.Pack], [2]int{w.FromDay, w.ToDay})
	}
	isFree := func(n, lo, hi int) bool {
		if n < 1 || n > b.params.Packs {
			return false
		}
		for _, iv := range busy[n] {
			if lo < iv[1] && iv[0] < hi {
				return false
			}
		}
		return true
	}
	type item struct {
		i, lo, hi int
		id        int64
	}
	var locked, rest []item
	for i, l := range plan.Loans {
		last := l.StartWeek + b.baseAt(l.StartWeek) + l.ExtensionWeeks - 1
		if l.StartWeek < 0 || last >= len(b.weeks) {
			return false
		}
		id, err := strconv.ParseInt(l.Project, 10, 64)
		if err != nil {
			return false
		}
		it := item{i: i, lo: day(l.StartWeek), hi: day(last) + 4 + T, id: id}
		if b.locked[id] {
			locked = append(locked, it)
		} else {
			rest = append(rest, it)
		}
	}
	byStart := func(a, c item) int { return cmp.Or(cmp.Compare(a.lo, c.lo), cmp.Compare(a.id, c.id)) }
	slices.SortFunc(locked, byStart)
	slices.SortFunc(rest, byStart)
	take := func(it item, prefer []int) bool {
		need := len(plan.Loans[it.i].Packs)
		var got []int
		for _, n := range prefer {
			if len(got) < need && !slices.Contains(got, n) && isFree(n, it.lo, it.hi) {
				got = append(got, n)
			}
		}
		for n := 1; n <= b.params.Packs && len(got) < need; n++ {
			if !slices.Contains(got, n) && isFree(n, it.lo, it.hi) {
				got = append(got, n)
			}
		}
		if len(got) < need {
			return false
		}
		for _, n := range got {
			busy[n] = append(busy[n], [2]int{it.lo, it.hi})
		}
		plan.Loans[it.i].Packs = got
		return true
	}
	// Locked loans first: their packs are facts.
	for _, it := range locked {
		if !take(it, b.packNumbers(b.live[it.id])) {
			return false
		}
	}
	for _, it := range rest {
		prefer := append(b.packNumbers(b.live[it.id]), plan.Loans[it.i].Packs...)
		if !take(it, prefer) {
			return false
		}
	}
	return true
}

// legal reports whether a loan may start at school week s under the
// round's policy.
func (b *roundBuild) legal(s int) bool {
	_, ok := b.starts[s]
	return ok
}

// legalStarts lists the legal start weeks under the round's policy, in
// order.
func (b *roundBuild) legalStarts() []int {
	out := make([]int, 0, len(b.starts))
	for s := range b.starts {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// baseAt returns the base length of a loan starting at week s: the
// policy's (a short period's length under period_length), else LoanWeeks.
func (b *roundBuild) baseAt(s int) int {
	if st, ok := b.starts[s]; ok {
		return st.Weeks
	}
	return b.in.LoanWeeks
}

// pinned reports whether the coordinator pinned the request to be served.
func (b *roundBuild) pinned(id int64) bool {
	return slices.ContainsFunc(b.in.Pins, func(p RoundPin) bool { return p.RequestID == id && p.Kind == PinServe })
}

// explanationText turns an engine explanation into the round's code (the
// API's snake_case) and a French sentence, with what would serve an
// unserved request.
func explanationText(e scheduler.Explanation) (code, msg string) {
	code = strings.ReplaceAll(e.Code, "-", "_")
	msg = sentence(e.Message)
	if e.Fix != "" && !strings.Contains(e.Message, e.Fix) {
		msg += " Pour la servir : " + strings.TrimSuffix(e.Fix, ".") + "."
	}
	return code, msg
}

var weekIndexRE = regexp.MustCompile(`à partir de la semaine (\d+)`)

// datedWeeks replaces the engine's school week indices in a message by
// the dates people read: "à partir du lundi 19 avril 2027".
func (b *roundBuild) datedWeeks(msg string) string {
	return weekIndexRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(weekIndexRE.FindStringSubmatch(m)[1])
		if err != nil || n < 0 || n >= len(b.weeks) {
			return m
		}
		return "à partir du " + frenchDay(b.weeks[n].First)
	})
}

// weekStart names the first school day of week i, or "aucun" past the
// year's last week.
func (b *roundBuild) weekStart(i int) string {
	if i < 0 || i >= len(b.weeks) {
		return "aucun"
	}
	return frenchDay(b.weeks[i].First)
}

// lockedLoanText says why a live loan is kept as it is, by its state.
func lockedLoanText(l Loan) string {
	switch {
	case l.State == LoanPickedUp || l.State == LoanReturned || l.State == LoanClosed:
		return "Prêt déjà commencé (matériel retiré) : conservé tel quel."
	case l.State == LoanSigned:
		return "Convention de prêt déjà signée : prêt conservé tel quel."
	case l.RoundID == nil:
		return "Prêt réservé à la main par la coordination : conservé tel quel."
	}
	return "Prêt verrouillé : conservé tel quel."
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	s = string(r)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}
