package round

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// solve runs the engine, serves the pinned requests that have no start
// week (trying each legal start week when the engine left one out), and
// maps the plan back to the database.
func (b *builder) solve(ctx context.Context) (store.Round, error) {
	opt := scheduler.Options{TimeLimit: b.in.TimeLimit, Progress: reportProgress(b.in.progress)}
	inst := b.inst
	res, err := scheduler.Solve(ctx, inst, opt)
	if err != nil {
		return store.Round{}, pinsError(err)
	}
	var force []int // indices of pins to serve without a start week
	for i, p := range b.in.Pins {
		if p.Kind == store.PinServe && p.StartWeek == nil && !b.locked[p.RequestID] {
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
			return store.Round{}, store.FieldErrors{fmt.Sprintf("pins[%d]", i): fmt.Sprintf(
				"impossible de servir la demande n° %d : aucune semaine de début ne laisse assez de packs aux prêts épinglés", r.ID)}.Err()
		}
		res, inst = best, bestInst
	}
	return b.round(res)
}

// round maps a solved plan to a draft round.
func (b *builder) round(res *scheduler.Result) (store.Round, error) {
	r := store.Round{SchoolYear: b.in.SchoolYear, State: store.RoundDraft, Params: b.params, Weights: store.RoundWeights(*b.in.Weights),
		Objective: res.Objective, UpperBound: res.UpperBound, ProvedOptimal: res.ProvedOptimal, Terms: store.RoundTerms(res.Terms),
		Pins: b.in.Pins, Loans: []store.RoundLoan{}, Unserved: []store.RoundUnserved{}}
	if r.Pins == nil {
		r.Pins = []store.RoundPin{}
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
		return store.Round{}, fmt.Errorf("evaluate round plan: %w", err)
	}
	if !b.assignPacks(plan) {
		plan = res.Plan
	} else if ev2, err := scheduler.Evaluate(b.base, plan); err == nil && ev2.Feasible {
		ev = ev2
	} else {
		plan = res.Plan
		if ev, err = scheduler.Evaluate(b.base, plan); err != nil {
			return store.Round{}, fmt.Errorf("evaluate round plan: %w", err)
		}
	}
	if !ev.Feasible {
		return store.Round{}, fmt.Errorf("the engine's plan is infeasible: %+v", ev.Violations)
	}
	res = &scheduler.Result{Plan: plan, Objective: res.Objective, Terms: res.Terms, UpperBound: res.UpperBound,
		ProvedOptimal: res.ProvedOptimal, Explanations: res.Explanations, Stats: res.Stats}
	if ev.Feasible {
		r.UpperBound += ev.Objective - res.Objective
		r.Objective, r.Terms = ev.Objective, store.RoundTerms(ev.Terms)
	}
	r.UpperBound = max(r.UpperBound, r.Objective)
	// A plan that reaches the bound is optimal, whichever way the search
	// stopped (a fixed effort can end on a proof it did not announce).
	r.ProvedOptimal = r.ProvedOptimal || r.UpperBound == r.Objective
	gap := 0.0
	if r.UpperBound > r.Objective && r.UpperBound > 0 {
		gap = float64(r.UpperBound-r.Objective) / float64(r.UpperBound)
	}
	r.Stats = store.RoundStats{Gap: gap, Served: ev.Stats.Served, Eligible: ev.Stats.Eligible, ServedPacks: ev.Stats.ServedPacks,
		PreferencesHonoured: ev.Stats.PreferencesHonoured, ExtensionsGranted: ev.Stats.ExtensionsGranted,
		Churn: store.RoundChurn(ev.Stats.Churn), ElapsedMS: res.Stats.Elapsed.Milliseconds(), StoppedBy: res.Stats.StoppedBy}

	why := map[string]scheduler.Explanation{}
	for _, e := range res.Explanations {
		why[e.Project] = e
	}
	served := map[int64]bool{}
	for _, pl := range res.Plan.Loans {
		id, err := strconv.ParseInt(pl.Project, 10, 64)
		if err != nil {
			return store.Round{}, fmt.Errorf("plan names unknown project %q", pl.Project)
		}
		served[id] = true
		req := b.requests[id]
		rl := store.RoundLoan{RequestID: id, RequestTitle: req.Title, SchoolUAI: req.SchoolUAI, SchoolName: req.SchoolName,
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
				return store.Round{}, fmt.Errorf("loan days of request %d: %w", id, err)
			}
			rl.PickupDay, rl.ReturnDay = pickup, ret
			for _, n := range pl.Packs {
				if n < 1 || n > len(b.params.PackIDs) {
					return store.Round{}, fmt.Errorf("plan gives request %d pack number %d of %d", id, n, len(b.params.PackIDs))
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
		u := store.RoundUnserved{RequestID: id, RequestTitle: req.Title, SchoolUAI: req.SchoolUAI, SchoolName: req.SchoolName}
		e, ok := why[projectID(id)]
		switch {
		case b.excluded[id]:
			u.Code, u.Message = "excluded", "Exclue de ce tour par le coordinateur."
		case ok && !e.Served && e.Code != "":
			u.Code, u.Message = explanationText(e)
			u.Message = b.datedWeeks(u.Message)
		case req.Eligibility.ParticipationYear > store.MaxParticipationYears:
			u.Code, u.Message = "ineligible", fmt.Sprintf("Non éligible : %de année de participation (%d au plus).",
				req.Eligibility.ParticipationYear, store.MaxParticipationYears)
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
func (b *builder) hasSlot(req store.Request) bool { return len(b.openPeriods(req)) > 0 }

// openPeriods lists the periods where a request could still start a loan.
func (b *builder) openPeriods(req store.Request) []string {
	var out []string
	for _, s := range b.legalStarts() {
		p := b.weeks[s].Period
		if s >= b.params.TodayWeek && !slices.Contains(req.ExcludedPeriods, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func samePacks(l store.Loan, ids []int64) bool {
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
func (b *builder) assignPacks(plan *scheduler.Plan) bool {
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
func (b *builder) datedWeeks(msg string) string {
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
func (b *builder) weekStart(i int) string {
	if i < 0 || i >= len(b.weeks) {
		return "aucun"
	}
	return frenchDay(b.weeks[i].First)
}

// lockedLoanText says why a live loan is kept as it is, by its state.
func lockedLoanText(l store.Loan) string {
	switch {
	case l.State == store.LoanPickedUp || l.State == store.LoanReturned || l.State == store.LoanClosed:
		return "Prêt déjà commencé (matériel retiré) : conservé tel quel."
	case l.State == store.LoanSigned:
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
