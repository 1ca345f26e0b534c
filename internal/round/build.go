package round

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// noSector is the sector of schools that have none: without a cap.
const noSector = "sans-secteur"

// builder is a round being computed: the instance given to the engine
// and what maps it back to the database.
type builder struct {
	in     Input
	year   *calendar.Year
	weeks  []calendar.Week
	params store.RoundParams
	// starts are the legal starts of a loan under the round's policy, by
	// start week.
	starts map[int]calendar.LoanStart
	// inst is solved (pins as locked loans); base is the same problem
	// without the pins, on which the plan is scored.
	inst, base *scheduler.Instance
	requests   map[int64]store.Request
	packNo     map[int64]int // pack id → engine number
	live       map[int64]store.Loan
	locked     map[int64]bool
	excluded   map[int64]bool
	sectors    []store.Sector
	previous   int64
}

func build(ctx context.Context, db *store.DB, in Input) (*builder, error) {
	y, err := db.CalendarYear(ctx, in.SchoolYear)
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		re, _ := store.AsRule(store.FieldErrors{"year": "année scolaire invalide"}.Err())
		re.Err = err
		return nil, re
	case errors.Is(err, calendar.ErrUnknownYear):
		return nil, &store.RuleError{Kind: store.RuleInvalid, Code: "unknown_year", Err: err, Field: "year", Fields: []string{"year"},
			Message:       "Le calendrier de cette année scolaire n'est pas connu (pas encore publié ou non importé).",
			FieldMessages: map[string]string{"year": "calendrier scolaire inconnu"}}
	case err != nil:
		return nil, err
	}
	b := &builder{in: in, year: y, weeks: y.Weeks(), requests: map[int64]store.Request{}, packNo: map[int64]int{},
		live: map[int64]store.Loan{}, locked: map[int64]bool{}, excluded: map[int64]bool{}}
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
		set, err := db.YearSettings(ctx, in.SchoolYear)
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
	b.params = store.RoundParams{LoanWeeks: L, LoanPolicy: string(in.LoanPolicy), ShortStarts: short, TurnaroundDays: in.TurnaroundDays, Today: today, TodayWeek: todayWeek,
		MaxParticipationYear: store.MaxParticipationYears, SchoolPeriodFree: defaultSchoolPeriodFree,
		SchoolYearFree: defaultSchoolYearFree, TimeLimit: in.TimeLimit.String(),
		PackIDs: []int64{}, PackCodes: []string{}, Locked: []int64{}}

	// The published round is read first: if another is published while
	// this one is built, publishing this one is refused as stale.
	if b.previous, err = db.PublishedRoundID(ctx, in.SchoolYear); err != nil {
		return nil, err
	}

	// Packs: those available, numbered 1..P by code (ListPacks sorts by
	// code). Packs in maintenance or retired take no part in the round.
	packs, err := db.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range packs {
		if p.Status != store.PackAvailable {
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
	windows, err := db.ListMaintenance(ctx, store.MaintenanceFilter{From: day0, To: yearEnd})
	if err != nil {
		return nil, err
	}
	b.params.Maintenance = []store.RoundMaintenance{}
	for _, w := range windows {
		n, ok := b.packNo[w.PackID]
		if !ok {
			continue
		}
		b.params.Maintenance = append(b.params.Maintenance, store.RoundMaintenance{ID: w.ID, PackID: w.PackID,
			PackCode: w.PackCode, Pack: n, FirstDay: w.FirstDay, LastDay: w.LastDay, Reason: w.Reason,
			FromDay: w.FirstDay.DaysSince(day0) - 1, ToDay: w.LastDay.DaysSince(day0) + 1})
	}

	reqs, err := db.ListRequests(ctx, store.RequestFilter{SchoolYear: in.SchoolYear, State: store.RequestValidated})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(reqs, func(a, c store.Request) int { return cmp.Compare(a.ID, c.ID) })
	for _, r := range reqs {
		b.requests[r.ID] = r
	}
	loans, err := db.ListLoans(ctx, store.LoanFilter{SchoolYear: in.SchoolYear})
	if err != nil {
		return nil, err
	}
	for _, l := range loans {
		if l.Live() {
			b.live[l.RequestID] = l
			// Started, signed, or reserved by hand: kept as is.
			b.locked[l.RequestID] = l.State != store.LoanReserved || l.RoundID == nil ||
				!l.PickupDay.After(today) || l.StartWeek < todayWeek
		}
	}
	if b.sectors, err = db.ListSectors(ctx); err != nil {
		return nil, err
	}

	// Pins.
	ie := store.FieldErrors{}
	pins := map[int64]store.RoundPin{}
	for i, p := range in.Pins {
		field := fmt.Sprintf("pins[%d]", i)
		r, ok := b.requests[p.RequestID]
		if !ok {
			ie.Add(field+".request_id", "la demande n° %d n'est pas une demande validée de l'année %s", p.RequestID, in.SchoolYear)
			continue
		}
		if p.Kind == store.PinExclude {
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
		if r.Eligibility.ParticipationYear > store.MaxParticipationYears {
			ie.Add(field+".request_id", "la demande n° %d n'est pas éligible (%de année de participation, %d au plus)",
				r.ID, r.Eligibility.ParticipationYear, store.MaxParticipationYears)
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
func (b *builder) instance(pins map[int64]store.RoundPin) (*scheduler.Instance, error) {
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
			TodayWeek: b.params.TodayWeek, MaxParticipationYear: store.MaxParticipationYears,
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
			Year: r.Eligibility.ParticipationYear, TrainingDone: r.Training.Status == store.TrainingDone,
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
			return nil, store.FieldErrors{"loan_weeks": fmt.Sprintf(
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

func (b *builder) packNumbers(l store.Loan) []int {
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
	return store.FieldErrors{"pins": "les prêts épinglés ou verrouillés ne tiennent pas dans les packs disponibles (" + ve.Error() + ")"}.Err()
}

// legal reports whether a loan may start at school week s under the
// round's policy.
func (b *builder) legal(s int) bool {
	_, ok := b.starts[s]
	return ok
}

// legalStarts lists the legal start weeks under the round's policy, in
// order.
func (b *builder) legalStarts() []int {
	out := make([]int, 0, len(b.starts))
	for s := range b.starts {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// baseAt returns the base length of a loan starting at week s: the
// policy's (a short period's length under period_length), else LoanWeeks.
func (b *builder) baseAt(s int) int {
	if st, ok := b.starts[s]; ok {
		return st.Weeks
	}
	return b.in.LoanWeeks
}

// pinned reports whether the coordinator pinned the request to be served.
func (b *builder) pinned(id int64) bool {
	return slices.ContainsFunc(b.in.Pins, func(p store.RoundPin) bool { return p.RequestID == id && p.Kind == store.PinServe })
}
