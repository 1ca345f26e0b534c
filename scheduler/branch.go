package scheduler

import (
	"cmp"
	"math"
	"slices"
)

// branch is a depth-first branch-and-bound that proves optimality on small
// instances. Each node restricts the options of the projects; its bound is
// the Lagrangian relaxation, re-optimised for a few subgradient steps from
// the parent's multipliers. Branching splits one project's choices: around
// the most overloaded week of the relaxed solution (keep off the week /
// serve across it), or around its period once capacity holds.
type branch struct {
	m        *model
	lg       *lagrange
	se       *searcher
	best     *state
	tmp      *state
	stop     func() bool
	nodes    int
	maxNodes int
	complete bool
	aborted  bool
	load     []int
	iterRoot int
	iterNode int
	avg      []float64
	// rootBound is the Lagrangian bound at the root (LP duals or the
	// solver's multipliers), +Inf if not computed.
	rootBound  float64
	weekFirst  bool
	strong     int // strong-branching candidates per node
	probeIters int // subgradient steps per probed child
}

func newBranch(m *model, lg *lagrange, se *searcher, best *state, stop func() bool) *branch {
	return &branch{rootBound: math.Inf(1), weekFirst: true, m: m, lg: lg, se: se, best: best.clone(), tmp: best.clone(), stop: stop,
		maxNodes: 12000, load: make([]int, m.W), iterRoot: 200, iterNode: 20, strong: 1, probeIters: 6,
		avg: make([]float64, len(m.projects)*(m.K+1))}
}

func (b *branch) run() {
	m := b.m
	root := &restrict{mask: make([][2]uint64, len(m.projects)), must: make([]bool, len(m.projects))}
	for i := range m.projects {
		p := &m.projects[i]
		if len(p.opts) > 128 {
			return
		}
		for oi := range p.opts {
			root.mask[i][oi>>6] |= 1 << (oi & 63)
		}
		root.must[i] = p.locked
	}
	lam := append([]float64(nil), b.lg.lam...)
	mu := append([]float64(nil), b.lg.mu...)
	// The LP duals give the LP bound, which may prove optimality at once;
	// otherwise the search starts from the subgradient multipliers, which
	// lead to smaller trees in our tests.
	if l2, m2, ok := m.lpDuals(b.stop); ok {
		copy(b.lg.lam, lam)
		copy(b.lg.mu, mu)
		v1 := b.lg.value(root)
		copy(b.lg.lam, l2)
		copy(b.lg.mu, m2)
		v2 := b.lg.value(root)
		if v2 < v1 && math.Floor(v2+1e-6) <= b.incumbent() {
			lam, mu = l2, m2
		}
		b.rootBound = math.Min(v1, v2)
	}
	b.complete = b.dfs(root, lam, mu, b.iterRoot)
}

func (b *branch) incumbent() float64 { return float64(b.best.obj + b.m.churnConst) }

// dfs explores a node; it returns true if the subtree was fully explored.
func (b *branch) dfs(r *restrict, lam, mu []float64, iters int) bool {
	m, lg := b.m, b.lg
	r = r.clone()
	b.nodes++
	if b.aborted || b.nodes > b.maxNodes || (b.nodes%16 == 0 && b.stop()) {
		b.aborted = true
		return false
	}
	copy(lg.lam, lam)
	copy(lg.mu, mu)
	bestL := math.Inf(1)
	bestLam := append([]float64(nil), lam...)
	bestMu := append([]float64(nil), mu...)
	theta := 1.0
	stale := 0
	K1 := m.K + 1
	clear(b.avg)
	nAvg := 0
	for it := 0; it < iters; it++ {
		L := lg.value(r)
		if it >= iters/3 {
			nAvg++
			for pi, oi := range lg.xhat {
				k := m.K
				if oi >= 0 {
					k = m.projects[pi].opts[oi].per
				}
				b.avg[pi*K1+k]++
			}
		}
		if math.IsInf(L, -1) {
			return true // infeasible node
		}
		if L < bestL-1e-9 {
			bestL = L
			copy(bestLam, lg.lam)
			copy(bestMu, lg.mu)
			stale = 0
		} else if stale++; b.nodes > 1 || stale >= 10 {
			// The root converges slowly and carefully (halve the step
			// after 10 steps without progress); nodes shrink it fast.
			theta *= 0.7
			stale = 0
		}
		if math.Floor(bestL+1e-6) <= b.incumbent() {
			return true
		}
		b.tryPrimal(it)
		if lg.step(L, b.incumbent(), theta) == 0 {
			break
		}
	}
	copy(lg.lam, bestLam)
	copy(lg.mu, bestMu)
	L := lg.value(r)
	if math.Floor(L+1e-6) <= b.incumbent() {
		return true
	}
	if b.fix(r, L) {
		r = r.clone() // fix changed r in place: it is this node's own copy below
		if L = lg.value(r); math.IsInf(L, -1) || math.Floor(L+1e-6) <= b.incumbent() {
			return true
		}
	}
	b.tryPrimal(0)
	// Branching candidates: the most fractional (project, period) pairs
	// of the averaged relaxed solutions (an estimate of the LP solution),
	// scored by a few subgradient steps on both children (strong
	// branching, product rule).
	type cand struct {
		pi int
		f  float64
		in func(int) bool
	}
	var cands []cand
	if nAvg > 0 {
		for pi := range m.projects {
			if m.projects[pi].locked {
				continue
			}
			for k := 0; k < m.K; k++ {
				f := b.avg[pi*K1+k] / float64(nAvg)
				if v := math.Min(f, 1-f); v > 0.05 {
					p, kk := &m.projects[pi], k
					cands = append(cands, cand{pi, v, func(oi int) bool { return p.opts[oi].per != kk }})
				}
			}
		}
	}
	slices.SortStableFunc(cands, func(x, y cand) int { return cmp.Compare(y.f, x.f) })
	if len(cands) > b.strong {
		cands = cands[:b.strong]
	}
	if len(cands) == 0 || b.weekFirst {
		if pi, in := b.choose(r); pi >= 0 {
			cands = cands[:0]
			cands = append(cands, cand{pi, 0, in})
		}
	}
	if len(cands) == 0 {
		return true // every choice fixed: the relaxed solution was evaluated
	}
	split := func(c cand) (*restrict, *restrict) {
		a, bb := r.clone(), r.clone()
		p := &m.projects[c.pi]
		for oi := range p.opts {
			bit := [2]uint64{}
			bit[oi>>6] = 1 << (oi & 63)
			if c.in(oi) {
				bb.mask[c.pi][0] &^= bit[0]
				bb.mask[c.pi][1] &^= bit[1]
			} else {
				a.mask[c.pi][0] &^= bit[0]
				a.mask[c.pi][1] &^= bit[1]
			}
		}
		bb.must[c.pi] = true
		return a, bb
	}
	best, bestScore := 0, -1.0
	if len(cands) > 1 {
		inc := b.incumbent()
		for i, c := range cands {
			a, bb := split(c)
			la := b.probe(a, bestLam, bestMu)
			lb := b.probe(bb, bestLam, bestMu)
			score := math.Max(L-la, 1e-3) * math.Max(L-lb, 1e-3)
			if math.Floor(la+1e-6) <= inc || math.Floor(lb+1e-6) <= inc {
				score = math.Inf(1) // one child is pruned already
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
	}
	a, bb := split(cands[best])
	okA := b.dfs(a, bestLam, bestMu, b.iterNode)
	okB := b.dfs(bb, bestLam, bestMu, b.iterNode)
	return okA && okB
}

// tryPrimal scores the relaxed solution when it respects capacity, and
// otherwise now and then repairs it into a feasible plan.
func (b *branch) tryPrimal(it int) {
	m, lg := b.m, b.lg
	clear(b.load)
	feasible := true
	for pi, oi := range lg.xhat {
		if oi < 0 {
			continue
		}
		p := &m.projects[pi]
		o := &p.opts[oi]
		for t := o.lo; t <= o.hi; t++ {
			b.load[t] += p.packs
			if b.load[t] > m.capW[t] {
				feasible = false
			}
		}
	}
	if feasible {
		for pi := range b.tmp.choice {
			if b.tmp.choice[pi] != lg.xhat[pi] {
				b.tmp.set(pi, lg.xhat[pi])
			}
		}
		if b.tmp.obj > b.best.obj {
			b.best.copyFrom(b.tmp)
		}
		return
	}
	if it%4 == 0 {
		m.repair(b.tmp, lg, b.se, false)
		if b.tmp.obj > b.best.obj {
			b.best.copyFrom(b.tmp)
		}
	}
}

// choose picks the branching project and the partition of its options
// (inA: the first child's options; the second child gets the others and
// must serve). It returns -1 when nothing is left to branch on.
func (b *branch) choose(r *restrict) (int, func(oi int) bool) {
	m, lg := b.m, b.lg
	// Most overloaded week of the relaxed solution (b.load is current).
	clear(b.load)
	for pi, oi := range lg.xhat {
		if oi >= 0 {
			p := &m.projects[pi]
			for t := p.opts[oi].lo; t <= p.opts[oi].hi; t++ {
				b.load[t] += p.packs
			}
		}
	}
	wt, worst := -1, 0
	for t, l := range b.load {
		if l-m.capW[t] > worst {
			wt, worst = t, l-m.capW[t]
		}
	}
	if wt >= 0 {
		best, bestRC := -1, math.Inf(1)
		for pi, oi := range lg.xhat {
			if oi < 0 {
				continue
			}
			p := &m.projects[pi]
			if o := &p.opts[oi]; o.lo > wt || o.hi < wt {
				continue
			}
			offWeek := !r.must[pi]
			for o2 := range p.opts {
				if r.allowed(pi, o2) && (p.opts[o2].lo > wt || p.opts[o2].hi < wt) {
					offWeek = true
				}
			}
			if !offWeek {
				continue
			}
			if rc := lg.rcOf(pi); rc < bestRC {
				best, bestRC = pi, rc
			}
		}
		if best < 0 {
			return -1, nil
		}
		p := &m.projects[best]
		return best, func(oi int) bool { return p.opts[oi].lo > wt || p.opts[oi].hi < wt }
	}
	// Capacity holds: split a served project's choices by its period.
	best, bestRC := -1, math.Inf(1)
	for pi, oi := range lg.xhat {
		if oi < 0 {
			continue
		}
		p := &m.projects[pi]
		k := p.opts[oi].per
		other := !r.must[pi]
		for o2 := range p.opts {
			if r.allowed(pi, o2) && p.opts[o2].per != k {
				other = true
			}
		}
		if !other {
			continue
		}
		if rc := lg.rcOf(pi); rc < bestRC {
			best, bestRC = pi, rc
		}
	}
	if best < 0 {
		// Periods fixed: split by option.
		for pi, oi := range lg.xhat {
			if oi < 0 {
				continue
			}
			n := 0
			for o2 := range m.projects[pi].opts {
				if r.allowed(pi, o2) {
					n++
				}
			}
			if n > 1 || !r.must[pi] {
				o := oi
				return pi, func(x int) bool { return x != o }
			}
		}
		return -1, nil
	}
	k := m.projects[best].opts[lg.xhat[best]].per
	p := &m.projects[best]
	return best, func(oi int) bool { return p.opts[oi].per != k }
}

// fix removes from r the options (and the "unserved" choice) whose
// Lagrangian bound, with the current multipliers, cannot beat the
// incumbent (reduced-cost fixing). It reports whether r changed.
func (b *branch) fix(r *restrict, L float64) bool {
	m, lg := b.m, b.lg
	inc := b.incumbent()
	changed := false
	negInf := math.Inf(-1)
	saved := make([]float64, m.K)
	for c, projs := range lg.schools {
		d0 := lg.schoolVal[c]
		for _, pi := range projs {
			p := &m.projects[pi]
			if p.locked {
				continue
			}
			bp := lg.best[pi*m.K : (pi+1)*m.K]
			copy(saved, bp)
			// Unserved.
			if !r.must[pi] {
				for k := range bp {
					bp[k] = negInf
				}
				if math.Floor(L-d0+lg.school(lg.sc, c, r)+1e-6) <= inc {
					r.must[pi] = true
					changed = true
				}
				copy(bp, saved)
			}
			// Each period, with the project's value set to 0.
			wasMust := r.must[pi]
			r.must[pi] = true
			for k := 0; k < m.K; k++ {
				if saved[k] == negInf {
					continue
				}
				for k2 := range bp {
					bp[k2] = negInf
				}
				bp[k] = 0
				dk := lg.school(lg.sc, c, r)
				for oi := range p.opts {
					o := &p.opts[oi]
					if o.per != k || !r.allowed(pi, oi) {
						continue
					}
					kk := float64(p.packs)
					rc := float64(o.c) - kk*(lg.cum[o.hi+1]-lg.cum[o.lo]) - kk*lg.mu[p.sector*m.K+o.per]
					if math.Floor(L-d0+dk+rc+1e-6) <= inc {
						r.mask[pi][oi>>6] &^= 1 << (oi & 63)
						changed = true
					}
				}
			}
			r.must[pi] = wasMust
			copy(bp, saved)
		}
	}
	return changed
}

// probe runs a few subgradient steps on a child node from the parent's
// multipliers and returns the best bound found.
func (b *branch) probe(r *restrict, lam, mu []float64) float64 {
	lg := b.lg
	copy(lg.lam, lam)
	copy(lg.mu, mu)
	best := math.Inf(1)
	theta := 1.0
	for it := 0; it < b.probeIters; it++ {
		L := lg.value(r)
		if math.IsInf(L, -1) {
			return L
		}
		best = math.Min(best, L)
		if math.Floor(best+1e-6) <= b.incumbent() {
			break
		}
		if lg.step(L, b.incumbent(), theta) == 0 {
			break
		}
		theta *= 0.7
	}
	return best
}
