package scheduler

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"time"
)

// Options tunes Solve. The zero value is usable.
type Options struct {
	// TimeLimit bounds the solve; the best plan found so far is returned
	// when it expires. Defaults to 10s.
	TimeLimit time.Duration
	// NowFunc reads the clock for the time limit. Defaults to time.Now.
	NowFunc func() time.Time
	// Seed seeds the pseudo-random perturbations of the search; the same
	// instance, options and seed give the same plan. Defaults to 1.
	Seed uint64
	// Effort scales the number of search iterations after the bound
	// stops improving. Defaults to 1.
	Effort float64
	// ExactMaxProjects: instances with at most this many projects having a
	// legal option get an exact branch-and-bound to prove optimality
	// (within the time limit). Defaults to 120; negative disables it.
	ExactMaxProjects int
	// FixedEffort stops the search after a fixed amount of work (scaled by
	// Effort), as a function of the instance only: the same input always
	// gives the same plan, proved optimal or not. Without it (the
	// default), the search goes on after that work, improving the plan and
	// tightening the bound until it proves optimality or the time limit or
	// the context stops it; it returns as soon as it has a proof. A search
	// that ends by a proof gives the same plan for the same input; only
	// one cut by the clock may differ between runs (Stats.StoppedBy).
	FixedEffort bool
	// Progress, if set, is called from the solving goroutine whenever the
	// plan or the bound improves and at the end of each phase, with the
	// time elapsed read from NowFunc. It must return quickly.
	Progress func(Progress)
}

// Progress is the state of a running Solve.
type Progress struct {
	// Phase names the phase: "greedy", "price", "lagrangian", "descent",
	// "lns", "exact" (the branch-and-price of the whole time budget),
	// "search" (local search until the time limit).
	Phase string
	// Objective is Z of the best plan so far; UpperBound the best proven
	// bound (math.MaxInt32 before the first one).
	Objective  int
	UpperBound int
	Elapsed    time.Duration
}

// Gap returns UpperBound − Objective relative to UpperBound (0 when
// proved).
func (p Progress) Gap() float64 { return relGap(p.Objective, p.UpperBound) }

func relGap(z, ub int) float64 {
	if ub <= z || ub <= 0 {
		return 0
	}
	return float64(ub-z) / float64(ub)
}

// anytimeExactMax bounds the instances on which the search of the whole
// time budget runs the branch-and-price: its master has a row per school,
// and above this size its root alone outlasts any useful time limit.
const anytimeExactMax = 1500

// SolveStats describes the work done by Solve.
type SolveStats struct {
	Elapsed          time.Duration `json:"elapsed_ns"`
	BoundIterations  int           `json:"bound_iterations"`
	SearchIterations int           `json:"search_iterations"`
	Nodes            int           `json:"nodes"`
	// StoppedBy is "optimal", "effort", "time-limit" or "cancelled".
	StoppedBy string `json:"stopped_by"`
	// FirstPlan is the time at which the fixed-effort search ended (the
	// plan FixedEffort would return), FirstObjective that plan's Z and
	// FirstBound the bound then.
	FirstPlan      time.Duration `json:"first_plan_ns"`
	FirstObjective int           `json:"first_objective"`
	FirstBound     int           `json:"first_bound"`
	// Trace lists the objective after each phase.
	Trace []string `json:"trace,omitempty"`
}

func traceOf(phase string, z int, d time.Duration) string {
	return phase + " " + strconv.Itoa(z) + " " + d.Round(time.Microsecond).String()
}

// Result is the outcome of Solve.
type Result struct {
	Plan *Plan `json:"plan"`
	// Objective is Z of the plan (spec section 5); Terms detail it.
	Objective int   `json:"objective"`
	Terms     Terms `json:"terms"`
	// UpperBound is a proven upper bound on the optimum: no plan scores
	// more. Gap = UpperBound − Objective.
	UpperBound int `json:"upper_bound"`
	// ProvedOptimal is true when Objective == UpperBound.
	ProvedOptimal bool `json:"proved_optimal"`
	// Gap is (UpperBound − Objective) / UpperBound, 0 when proved.
	Gap          float64       `json:"gap"`
	Explanations []Explanation `json:"explanations"`
	Stats        SolveStats    `json:"stats"`

	state *state
}

// Solve returns a feasible plan maximising the objective of the spec,
// with a proven upper bound and an explanation of every decision. Locked
// loans of the previous plan are kept; pack numbers are assigned after
// optimisation by interval colouring, keeping a loan's previous packs when
// they are free. The result is deterministic for the same input and
// options (the time limit aside). On ctx cancellation or time-out it
// returns the best plan found so far, with a nil error. It returns a
// *ValidationError if the instance is invalid.
func Solve(ctx context.Context, inst *Instance, opt Options) (*Result, error) {
	m, err := compile(inst)
	if err != nil {
		return nil, err
	}
	if m.down.byPack != nil {
		return m.solveWindows(ctx, opt), nil
	}
	return m.solve(ctx, opt), nil
}

func (m *model) solve(ctx context.Context, opt Options) *Result {
	now := opt.NowFunc
	if now == nil {
		now = time.Now
	}
	if opt.TimeLimit <= 0 {
		opt.TimeLimit = 10 * time.Second
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Effort <= 0 {
		opt.Effort = 1
	}
	if opt.ExactMaxProjects == 0 {
		opt.ExactMaxProjects = 120
	}
	start := now()
	deadline := start.Add(opt.TimeLimit)
	stoppedBy := ""
	stop := func() bool {
		if stoppedBy != "" {
			return true
		}
		if ctx.Err() != nil {
			stoppedBy = "cancelled"
		} else if now().After(deadline) {
			stoppedBy = "time-limit"
		}
		return stoppedBy != ""
	}
	var stats SolveStats

	s := m.lockedState()
	se := newSearcher(m, s, stop, opt.Seed)
	se.fillLazy(se.order)
	best := s.clone()
	if m.nPrev > 0 {
		// A re-run also starts from the published plan: its loans kept
		// where they are still legal and fit, then the greedy fill. The
		// relaxation's repairs rebuild plans from scratch and may drop
		// many published loans (each costs churn_drop); this start keeps
		// the plan close to the published one until something better
		// is found.
		prev := m.previousState(se.order)
		se.s = prev
		se.fillLazy(se.order)
		se.s = s
		if prev.obj > best.obj {
			best.copyFrom(prev)
		}
	}
	stats.Trace = append(stats.Trace, traceOf("greedy", best.obj+m.churnConst, now().Sub(start)))

	// Lagrangian bound, with a primal heuristic on the relaxed solutions.
	lg := newLagrange(m)
	bestL := math.Inf(1)
	n := m.nActive()
	priced := false
	// report calls opt.Progress when the plan or the bound changed.
	lastZ, lastUB := math.MinInt, math.MinInt
	report := func(phase string, ub int) {
		if opt.Progress == nil {
			return
		}
		if ub == math.MinInt {
			ub = math.MaxInt32
			if !math.IsInf(bestL, 1) {
				ub = int(math.Floor(bestL + 1e-6))
			}
		}
		z := best.obj + m.churnConst
		if z == lastZ && ub == lastUB && phase == "" {
			return
		}
		lastZ, lastUB = z, ub
		opt.Progress(Progress{Phase: phase, Objective: z, UpperBound: max(ub, z), Elapsed: now().Sub(start)})
	}
	report("greedy", math.MinInt)
	if opt.ExactMaxProjects > 0 && n <= opt.ExactMaxProjects {
		// Small instance: branch-and-price first. When it completes, the
		// phases below stop at once (the bound equals the plan's value).
		if pr, ok := newPricer(m, lg, se, best, stop); ok {
			priced = true
			done := pr.run()
			stats.Nodes += pr.nodes
			if pr.best.obj > best.obj {
				best.copyFrom(pr.best)
			}
			if done {
				bestL = float64(best.obj + m.churnConst)
			} else {
				bestL = pr.rootBound
			}
			pr.release()
			stats.Trace = append(stats.Trace, traceOf("price", best.obj+m.churnConst, now().Sub(start)))
			report("price", math.MinInt)
		}
	}
	theta, noImp := 1.0, 0
	proved := func() bool {
		return math.Floor(bestL+1e-6) <= float64(best.obj+m.churnConst)
	}
	cand := s.clone()
	lagIters, lnsStale := 300, 40+20000/(n+50)
	switch {
	case n > 2000:
		lagIters, lnsStale = 60, 0
	case n > 200:
		lagIters, lnsStale = 80, 0
	}
	repairEvery := 4
	switch {
	case n > 2000:
		repairEvery = 6
	case n > 200:
		repairEvery = 4
	}
	// The relaxation runs lagIters iterations, and up to half as many more
	// while the repaired plans keep improving (hard instances).
	minIter := int(float64(lagIters) * opt.Effort)
	maxIter := minIter
	if n > 200 {
		maxIter = 3 * minIter / 2
	}
	lastGain := 0
	freq := newFreq(m)
	// Above 200 projects, the two repairs run together every other
	// repair period, each on its own plan (cand, cand2): on two
	// processors, the helper of the relaxation (lgPar) takes the one from
	// the option frequencies and half of each iteration's schools. The
	// plans are the same with or without the helper.
	paired := n > 200
	var cand2 *state
	var se2 *searcher
	stopPar := func() {}
	if paired {
		cand2 = s.clone()
		se2 = newSearcher(m, cand2, func() bool { return false }, opt.Seed)
		if !noHelper {
			stopPar = lg.startPar()
			defer stopPar() // also on a panic: the helper spins until stopped
		}
	}
	for it := 0; it < maxIter && !stop(); it++ {
		if it >= minIter && it-lastGain > minIter/3 {
			break
		}
		stats.BoundIterations++
		L := lg.value(nil)
		freq.add(lg.xhat, it)
		if L < bestL-1e-9 {
			bestL = L
			noImp = 0
			report("", math.MinInt)
		} else if noImp++; noImp >= 8 {
			theta /= 2
			noImp = 0
		}
		if proved() {
			break
		}
		if paired && it%(2*repairEvery) == 2*repairEvery-1 {
			fromFreq := func() { freq.repair(cand2, se2, lg) }
			fromX := func() { m.repair(cand, lg, se, false) }
			if lg.par != nil {
				lg.par.do(fromFreq, fromX)
			} else {
				fromFreq()
				fromX()
			}
			c := cand
			if cand2.obj > cand.obj {
				c = cand2
			}
			if c.obj > best.obj {
				best.copyFrom(c)
				lastGain = it
				report("", math.MinInt)
			}
			if proved() {
				break
			}
		} else if !paired && it%repairEvery == repairEvery-1 {
			if (it/repairEvery)%2 == 1 {
				freq.repair(cand, se, lg)
			} else {
				m.repair(cand, lg, se, false)
			}
			if cand.obj > best.obj {
				best.copyFrom(cand)
				lastGain = it
				report("", math.MinInt)
			}
			if proved() {
				break
			}
		}
		if lg.step(L, float64(best.obj+m.churnConst), theta) == 0 || theta < 1e-3 {
			break
		}
	}

	stopPar()
	stats.Trace = append(stats.Trace, traceOf("lagrangian", best.obj+m.churnConst, now().Sub(start)))
	report("lagrangian", math.MinInt)
	// Local search, then large-neighbourhood search from the best plan.
	// Above 200 projects, one pass of the descent: each further one costs
	// about 1.5 ms on a medium instance for a few points at most.
	s.copyFrom(best)
	maxStale := int(float64(lnsStale) * opt.Effort)
	if !proved() {
		if n > 200 {
			se.maxPasses = 1
		}
		se.descend()
		se.maxPasses = 0
	}
	if s.obj > best.obj {
		best.copyFrom(s)
	}
	stats.Trace = append(stats.Trace, traceOf("descent", best.obj+m.churnConst, now().Sub(start)))
	stale := 0
	for stale < maxStale && !proved() && !stop() {
		stats.SearchIterations++
		se.perturb(4 + se.rng.IntN(12))
		se.descend()
		// Threshold acceptance: keep a slightly worse plan now and then
		// to leave plateaus; otherwise restart from the best.
		tol := 0
		if stale%3 != 2 {
			tol = m.w.PreferredPeriod
		}
		if s.obj > best.obj {
			best.copyFrom(s)
			stale = 0
			report("", math.MinInt)
		} else {
			stale++
			if s.obj < best.obj-tol {
				s.copyFrom(best)
			}
		}
	}

	if !proved() && !stop() && n <= 200 {
		s.copyFrom(best)
		se.pairs = true
		se.descend()
		se.pairs = false
		if s.obj > best.obj {
			best.copyFrom(s)
		}
	}
	stats.Trace = append(stats.Trace, traceOf("lns", best.obj+m.churnConst, now().Sub(start)))
	ub := int(math.Floor(bestL + 1e-6))
	if math.IsInf(bestL, 1) {
		ub = math.MaxInt32
	}
	// The Lagrangian branch-and-bound below only runs where the
	// branch-and-price does not apply: it proves nothing the latter
	// could not within its node limit.
	if opt.ExactMaxProjects > 0 && !priced && !proved() && !stop() && m.nActive() <= opt.ExactMaxProjects {
		// Two searches with different branching rules (around the most
		// overloaded week first, then the most fractional project-period):
		// each one alone gets lost on some instances.
		lam0 := append([]float64(nil), lg.lam...)
		mu0 := append([]float64(nil), lg.mu...)
		for _, run := range []struct {
			weekFirst bool
			nodes     int
		}{{false, 400}, {true, 1500}, {false, 10000}} {
			copy(lg.lam, lam0)
			copy(lg.mu, mu0)
			bb := newBranch(m, lg, se, best, stop)
			bb.weekFirst = run.weekFirst
			bb.maxNodes = int(float64(run.nodes) * opt.Effort)
			bb.run()
			stats.Nodes += bb.nodes
			if bb.best.obj > best.obj {
				best.copyFrom(bb.best)
			}
			if bb.complete {
				ub = best.obj + m.churnConst
				break
			}
			if rb := math.Floor(bb.rootBound + 1e-6); rb < float64(ub) {
				ub = int(rb)
			}
			if ub <= best.obj+m.churnConst || stop() {
				break
			}
		}
	}
	stats.FirstPlan = now().Sub(start)
	stats.FirstObjective, stats.FirstBound = best.obj+m.churnConst, max(ub, best.obj+m.churnConst)
	report("lns", ub)
	if !opt.FixedEffort && ub > best.obj+m.churnConst && !stop() {
		exactMax := anytimeExactMax
		if opt.ExactMaxProjects < 0 {
			exactMax = -1
		}
		if n <= exactMax {
			ub = m.searchOn(&stats, se, best, lg, n, exactMax, ub, stop, func(phase string, ub int) { report(phase, ub) })
		} else {
			// Too large for the branch-and-price as a whole: it
			// re-optimises the loans of a few sectors at a time (every
			// other loan fixed; lns.go), and every lnsRelaxEvery rounds
			// the relaxation goes on (a tighter bound, and plans repaired
			// from its solutions, alternately from the option
			// frequencies and from the relaxed solution). With a single
			// neighbourhood (few sectors), rounds of local search take
			// the sectors' place.
			theta = max(theta, 0.05)
			nb := newSectorNeighbourhoods(m, n)
			for it, round := stats.BoundIterations, 0; ub > best.obj+m.churnConst && !stop(); round++ {
				for k := 0; k < 8*repairEvery && !stop() && round%lnsRelaxEvery == lnsRelaxEvery-1; k, it = k+1, it+1 {
					stats.BoundIterations++
					L := lg.value(nil)
					freq.add(lg.xhat, it)
					if L < bestL-1e-9 {
						bestL, noImp = L, 0
						ub = min(ub, int(math.Floor(bestL+1e-6)))
						report("", ub)
					} else if noImp++; noImp >= 8 {
						theta, noImp = max(theta/2, 0.005), 0
					}
					if k%repairEvery == repairEvery-1 {
						if (k/repairEvery)%2 == 1 {
							freq.repair(cand, se, lg)
						} else {
							m.repair(cand, lg, se, false)
						}
						if cand.obj > best.obj {
							best.copyFrom(cand)
							report("", ub)
						}
					}
					if ub <= best.obj+m.churnConst || lg.step(L, float64(best.obj+m.churnConst), theta) == 0 {
						break
					}
				}
				s.copyFrom(best)
				if nb != nil {
					stats.SearchIterations++
					improved, ok := m.lnsSectors(nb.next(se.rng), s, lnsNodes, opt.Seed, stop)
					if improved && s.obj > best.obj {
						best.copyFrom(s)
						report("", ub)
					}
					if !ok {
						nb = nil
					}
					continue
				}
				for j := 0; j < 4 && !stop(); j++ {
					stats.SearchIterations++
					se.perturb(4 + se.rng.IntN(12))
					se.descend()
					if s.obj > best.obj {
						best.copyFrom(s)
						report("", ub)
					} else {
						s.copyFrom(best)
					}
				}
			}
			report("search", ub)
		}
		stats.Trace = append(stats.Trace, traceOf("search", best.obj+m.churnConst, now().Sub(start)))
	}
	if ub < best.obj+m.churnConst {
		ub = best.obj + m.churnConst // cannot happen with exact arithmetic; keep the bound valid
	}
	res := &Result{Objective: best.obj + m.churnConst, UpperBound: ub}
	res.ProvedOptimal = res.UpperBound == res.Objective
	res.Plan = m.planOf(best)
	res.state = best
	ev := m.evaluate(res.Plan.Loans)
	res.Terms = ev.Terms
	res.Objective = ev.Objective
	res.Explanations = m.explain(best)
	switch {
	case res.ProvedOptimal:
		stats.StoppedBy = "optimal"
	case stoppedBy != "":
		stats.StoppedBy = stoppedBy
	default:
		stats.StoppedBy = "effort"
	}
	stats.Elapsed = now().Sub(start)
	res.Stats = stats
	res.Gap = relGap(res.Objective, res.UpperBound)
	return res
}

// searchOn uses the rest of the time budget after the fixed-effort search
// (plan best, bound ub): on instances of at most exactMax projects (with a
// legal option) the branch-and-price, without a node limit, which returns with a proof
// or tightens the bound to its root's; then, while the gap stays open,
// rounds of large-neighbourhood search until stop. It returns the bound.
func (m *model) searchOn(stats *SolveStats, se *searcher, best *state, lg *lagrange, n, exactMax, ub int, stop func() bool, report func(string, int)) int {
	if n <= exactMax {
		if pr, ok := newPricer(m, lg, se, best, stop); ok {
			pr.maxNodes = math.MaxInt
			// Once the tree is large (treeLNSAfter nodes), every
			// treeLNSEvery nodes while the gap is open, one sector
			// neighbourhood re-optimised from the incumbent: the tree
			// proves, the neighbourhoods find plans (mm44: the root's
			// bound is the optimum, which the tree alone reaches late).
			// Most searches end before, without paying for them.
			nb := newSectorNeighbourhoodsOf(m, treeLNSProjects, n)
			tmp := best.clone()
			// Each neighbourhood that finds nothing doubles the gap to
			// the next one, until the incumbent improves: where it is
			// already optimal and the tree proves it slowly, the
			// neighbourhoods took a third of the time (mh61-p8: 108 of
			// them in 1,787 nodes at a fixed gap; a gap growing by
			// treeLNSEvery still left 8 % on the slow trees).
			nextLNS, gapLNS, lastInc := treeLNSAfter, treeLNSEvery, pr.best.obj
			pr.progress = func() {
				if pr.best.obj > lastInc {
					lastInc, gapLNS = pr.best.obj, treeLNSEvery
					nextLNS = min(nextLNS, pr.nodes+gapLNS)
				}
				if nb != nil && pr.nodes >= nextLNS && !math.IsInf(pr.rootBound, 1) &&
					math.Floor(pr.rootBound+1e-6) > float64(pr.best.obj+m.churnConst) {
					tmp.copyFrom(pr.best)
					stats.SearchIterations++
					if improved, ok := m.lnsSectors(nb.next(se.rng), tmp, lnsNodes, uint64(pr.nodes), stop); !ok {
						nb = nil
					} else if improved && tmp.obj > pr.best.obj {
						pr.best.copyFrom(tmp)
						pr.newInc = true
						lastInc, gapLNS = pr.best.obj, treeLNSEvery
					} else {
						gapLNS *= 2
					}
					nextLNS = pr.nodes + gapLNS
				}
				if pr.best.obj > best.obj {
					best.copyFrom(pr.best)
				}
				b := ub
				if !math.IsInf(pr.rootBound, 1) {
					b = min(b, int(math.Floor(pr.rootBound+1e-6)))
				}
				report("", b)
			}
			// The helper of the relaxation takes half of each pricing
			// step's schools and of the dual simplex's pivot rows, as in
			// the Lagrangian phase (the same results: the tree stays
			// deterministic).
			stopPar := func() {}
			if !noHelper {
				stopPar = lg.startPar()
				defer stopPar() // also on a panic: the helper spins until stopped
			}
			done := pr.runWhole()
			stopPar() // the search below runs on one goroutine
			stats.Nodes += pr.nodes
			if pr.best.obj > best.obj {
				best.copyFrom(pr.best)
			}
			switch {
			case done:
				ub = best.obj + m.churnConst
			case !math.IsInf(pr.rootBound, 1):
				ub = min(ub, int(math.Floor(pr.rootBound+1e-6)))
			}
			pr.release()
			report("exact", ub)
		}
	}
	s := se.s
	s.copyFrom(best)
	stale := 0
	for ub > best.obj+m.churnConst && !stop() {
		stats.SearchIterations++
		se.perturb(4 + se.rng.IntN(12))
		se.descend()
		tol := 0
		if stale%3 != 2 {
			tol = m.w.PreferredPeriod
		}
		if s.obj > best.obj {
			best.copyFrom(s)
			stale = 0
			report("", ub)
		} else {
			stale++
			if s.obj < best.obj-tol {
				s.copyFrom(best)
			}
		}
	}
	report("search", ub)
	return ub
}

// nActive counts the projects that have at least one legal option.
func (m *model) nActive() int {
	n := 0
	for i := range m.projects {
		if len(m.projects[i].opts) > 0 {
			n++
		}
	}
	return n
}

// previousState returns a state with the locked loans and, in the given
// order, the other loans of the previous plan whose option is still legal
// and fits.
func (m *model) previousState(order []int) *state {
	s := m.lockedState()
	for _, pi := range order {
		p := &m.projects[pi]
		if !p.hasPrev || p.locked || s.choice[pi] >= 0 {
			continue
		}
		for oi := range p.opts {
			if o := &p.opts[oi]; o.s == p.prevS && o.e == p.prevE {
				if s.fits(pi, oi) {
					s.set(pi, oi)
				}
				break
			}
		}
	}
	return s
}

// lockedState returns a state with exactly the locked loans.
func (m *model) lockedState() *state {
	s := newState(m)
	for i := range m.projects {
		if m.projects[i].locked {
			s.set(i, 0)
		}
	}
	return s
}

// planOf builds the plan of a state and numbers the packs: greedy interval
// colouring in order of start day, keeping previous packs when free.
func (m *model) planOf(s *state) *Plan {
	type item struct{ pi, a, b int }
	items := make([]item, 0, s.served)
	for pi, oi := range s.choice {
		if oi < 0 {
			continue
		}
		p := &m.projects[pi]
		o := &p.opts[oi]
		last := m.lastWeek(o.s, o.e)
		items = append(items, item{pi, m.day[o.s], m.day[last] + 4 + m.T})
	}
	slices.SortFunc(items, func(x, y item) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(m.projects[x.pi].id, m.projects[y.pi].id))
	})
	freeAt := make([]int, m.P+1)
	for k := range freeAt {
		freeAt[k] = math.MinInt
	}
	packs := make([][]int, len(m.projects))
	for _, it := range items {
		p := &m.projects[it.pi]
		var pick []int
		for _, k := range p.prevPack {
			if k >= 1 && k <= m.P && freeAt[k] <= it.a && !slices.Contains(pick, k) && len(pick) < p.packs {
				pick = append(pick, k)
			}
		}
		for k := 1; k <= m.P && len(pick) < p.packs; k++ {
			if freeAt[k] <= it.a && !slices.Contains(pick, k) {
				pick = append(pick, k)
			}
		}
		for _, k := range pick {
			freeAt[k] = it.b
		}
		slices.Sort(pick)
		packs[it.pi] = pick
	}
	if m.down.byPack != nil {
		packs = m.numberWithWindows(s) // may repair s (windows.go)
	}
	plan := &Plan{Format: PlanFormat, Instance: m.inst.Name, ProducedBy: "classemobile scheduler", Loans: make([]Loan, 0, s.served)}
	for pi, oi := range s.choice {
		if oi < 0 {
			continue
		}
		o := &m.projects[pi].opts[oi]
		plan.Loans = append(plan.Loans, Loan{Project: m.projects[pi].id, StartWeek: o.s, ExtensionWeeks: o.e,
			Packs: packs[pi], StartMonday: m.inst.Calendar.Weeks[o.s].Monday,
			LastWeekMonday: m.inst.Calendar.Weeks[m.lastWeek(o.s, o.e)].Monday})
	}
	slices.SortFunc(plan.Loans, func(x, y Loan) int { return cmp.Compare(x.Project, y.Project) })
	z := s.obj + m.churnConst
	plan.Objective = &z
	return plan
}
