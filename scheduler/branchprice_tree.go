package scheduler

// The tree search of the branch-and-price: column generation at each node,
// reduced-cost fixing, branching (group rows, a project's period, one
// option; pseudo-costs and strong branching once the tree is large),
// primal plans from the master and the relaxation.

import (
	"math"
	"slices"
)

// run explores the tree from the root; it reports whether the search was
// complete (the incumbent is optimal).
func (pr *pricer) run() bool {
	m := pr.m
	root := &restrict{mask: make([][2]uint64, len(m.projects)), must: make([]bool, len(m.projects))}
	for i := range m.projects {
		p := &m.projects[i]
		for oi := range p.opts {
			root.mask[i][oi>>6] |= 1 << (oi & 63)
		}
		root.must[i] = p.locked
	}
	// Seed the master with the incumbent's school plans.
	for c, row := range pr.schRow {
		if row >= 0 {
			pr.schoolCol(c, pr.best.choice)
		}
	}
	gb := make([]int, 2*len(pr.groups))
	for gi := range pr.groups {
		gb[2*gi+1] = len(m.projects)
	}
	ok := pr.dfs(root, gb, true)
	return ok && !pr.aborted
}

// runWhole explores the tree of the whole time budget. Branching on the
// group rows first (the number of projects served in a period) and
// branching on project-periods alone each prove some instances of the
// mature shape in a few dozen nodes where the other takes a thousand or
// more (mx52-p8: 25 nodes without the group rows, 1,097 with them;
// mx55-p10: 2,419 with them, not proved in 10 s without). So the search
// first branches on project-periods alone, for at most periodFirstNodes
// nodes; if that tree is not complete, it starts again from the root with
// the group rows, from the root's master (its columns, cuts and basis),
// keeping the pseudo-costs and the incumbent.
func (pr *pricer) runWhole() bool {
	if !pr.useGroups {
		return pr.run()
	}
	pr.useGroups = false
	pr.maxNodes = pr.firstNodes
	done := pr.run()
	pr.useGroups = true
	pr.maxNodes = math.MaxInt
	if done || pr.stop() {
		return done
	}
	pr.aborted = false
	pr.strongAfter = pr.nodes + strongAfterNodes
	pr.toRoot()
	return pr.run()
}

// toRoot takes the master back to the end of the last root: its basis,
// and only the columns it had (the columns priced in the first tree's
// nodes made each dual simplex pass of the second tree longer, and sent
// it elsewhere: mx55-p10, 2,670 nodes in 4.9 s against 2,656 in 4.5 s from
// the root's master).
func (pr *pricer) toRoot() {
	if pr.rootBasis == nil {
		return
	}
	pr.restore(pr.rootBasis)
	for key, j := range pr.colKey {
		if j >= pr.rootCols {
			delete(pr.colKey, key)
		}
	}
	pr.cols = pr.cols[:pr.rootCols]
	pr.forbid = pr.forbid[:pr.rootCols]
	pr.inBasis = pr.inBasis[:pr.rootCols]
}

func (pr *pricer) dfs(r *restrict, gb []int, root bool) bool {
	m := pr.m
	obs := pr.obs
	pr.obs = pcObs{}
	pr.nodes++
	if pr.progress != nil {
		pr.progress()
	}
	if pr.nodes > pr.maxNodes || pr.stop() {
		pr.aborted = true
		return false
	}
	if !root && math.Floor(pr.rootBound+1e-6) <= pr.incumbent() {
		// The root's bound holds for every node: once the incumbent
		// reaches it, the open nodes need no solving.
		return true
	}
	bound, ok := pr.solveNode(r, gb)
	if !ok {
		pr.aborted = true
		return false
	}
	pr.observe(obs, bound)
	if root && pr.useCuts {
		// Cut rounds: add violated covers, repair the basis, re-price.
		stale := 0
		for round := 0; round < rootCutRounds && !math.IsInf(bound, -1); round++ {
			if pr.separate() == 0 {
				break
			}
			if !pr.dualSimplex() {
				pr.coldStart(gb)
			}
			b2, ok := pr.solveNode(r, gb)
			if !ok {
				pr.aborted = true
				return false
			}
			// Rounds that no longer lower the bound's integer part only
			// add rows, which every later node pays for (real-hard-27:
			// 15.6 → 10.8 ms); but a round's cuts may only pay off with
			// a later round's (rounding cuts over several periods; at a
			// degenerate optimum the next vertex may show other cuts:
			// with two such rounds, mm44's root could stop at 40509
			// instead of the optimum 40504, depending on the vertex).
			improved := math.Floor(b2+1e-6) < math.Floor(bound+1e-6)
			bound = math.Min(bound, b2)
			if stale = stale + 1; improved {
				stale = 0
			}
			if stale >= rootCutPatience {
				break
			}
		}
	}
	if pr.polish && pr.newInc && !root {
		// A plan found in the tree (an integral master, a relaxed
		// solution that fits, a rounding) is improved by local search:
		// y84-2pack 611 -> 279 nodes.
		pr.newInc = false
		pr.tmp.copyFrom(pr.best)
		pr.improve(pr.tmp)
		if pr.tmp.obj > pr.best.obj {
			pr.best.copyFrom(pr.tmp)
		}
		if math.Floor(bound+1e-6) <= pr.incumbent() {
			return true
		}
	}
	if root {
		pr.rootBound = bound
		if math.IsInf(bound, -1) {
			pr.rootBound = pr.incumbent() // pruned: the incumbent is optimal
		}
		// A copy, not a snapshot: its reinversion would change the
		// round-off of the tree that goes on from here.
		pr.rootCols, pr.rootBasis = len(pr.cols), pr.saveBasis()
	}
	if math.IsInf(bound, -1) {
		return true
	}
	x := make([]int, len(m.projects))
	if pr.masterPlan(x) {
		pr.setState(x)
		return true
	}
	if root || pr.nodes%roundEvery == 0 {
		// Round the master's solution into a plan.
		copy(pr.lg.xhat, x)
		m.repair(pr.tmp, pr.lg, pr.se, false)
		if root {
			pr.improve(pr.tmp)
			if pr.tmp.obj > pr.best.obj {
				pr.best.copyFrom(pr.tmp)
			}
			if math.Floor(bound+1e-6) > pr.incumbent() {
				// A second rounding, the projects taken by reduced
				// cost: on x72-tight and x77-conc it finds the optimum
				// at once (the root bound is tight there; 3 and 13
				// nodes before).
				copy(pr.lg.xhat, x)
				m.repair(pr.tmp, pr.lg, pr.se, true)
				pr.improve(pr.tmp)
				if pr.tmp.obj > pr.best.obj {
					pr.best.copyFrom(pr.tmp)
				}
			}
		}
		if pr.tmp.obj > pr.best.obj {
			pr.best.copyFrom(pr.tmp)
			pr.newInc = true
		}
		if math.Floor(bound+1e-6) <= pr.incumbent() {
			return true
		}
	}
	// Reduced-cost fixing for the subtree. (Re-solving the node after it
	// does not pay on our instances.)
	if r2 := pr.fix(r); r2 != nil {
		r = r2
	}
	// A fractional number of projects of a group: bound it (floor / ceil).
	if pr.useGroups {
		bg, bgf, tot := -1, 0.05, 0.0
		for gi, g := range pr.groups {
			v := 0.0
			for row, j := range pr.basis {
				cl := &pr.cols[j]
				if !cl.isSch || pr.xB[row] < 1e-9 {
					continue
				}
				for k, rr := range cl.rows {
					if int(rr) == g.hiRow {
						v += pr.xB[row] * cl.vals[k]
					}
				}
			}
			f := v - math.Floor(v)
			if g := math.Min(f, 1-f); g > bgf+1e-9 {
				bg, bgf, tot = gi, g, v
			}
		}
		if bg >= 0 {
			lo, hi := append([]int(nil), gb...), append([]int(nil), gb...)
			hi[2*bg+1] = int(math.Floor(tot))
			lo[2*bg] = int(math.Ceil(tot))
			first, second := hi, lo
			if tot-math.Floor(tot) >= 0.5 {
				first, second = lo, hi
			}
			sn := pr.snapshot()
			okA := pr.dfs(r, first, false)
			if pr.aborted {
				return false
			}
			pr.restore(sn)
			okB := pr.dfs(r, second, false)
			return okA && okB
		}
	}
	// Fractional project-period values.
	K := m.K
	clear(pr.frac)
	for row, j := range pr.basis {
		cl := &pr.cols[j]
		v := pr.xB[row]
		if !cl.isSch || v < 1e-9 {
			continue
		}
		for k := 0; k < len(cl.plan); k += 2 {
			pi, oi := cl.plan[k], cl.plan[k+1]
			pr.frac[int(pi)*K+m.projects[pi].opts[oi].per] += v
		}
	}
	bp, bk, bf := -1, -1, 0.0
	for i, f := range pr.frac {
		if g := math.Min(f, 1-f); g > 1e-6 && g > bf+1e-9 {
			bp, bk, bf = i/K, i%K, g
		}
	}
	if bp >= 0 && pr.strong > 1 && pr.nodes >= pr.strongAfter {
		// Large trees only: on most instances the search ends in a few
		// dozen nodes, fewer than strong branching's probes.
		bp, bk = pr.strongBranch(r, gb, bound)
	}
	var inA func(oi int) bool // options of the first child
	first := true             // explore the child with the chosen set first
	var obsA, obsB pcObs      // the children's branchings, to observe
	if bp >= 0 {
		p, k := &m.projects[bp], bk
		inA = func(oi int) bool { return p.opts[oi].per == k }
		first = pr.frac[bp*K+bk] >= 0.5
		obsA, obsB = pr.branchObs(bp*K+bk, 1, bound), pr.branchObs(bp*K+bk, 0, bound)
	} else {
		// Periods integral: split on one option.
		fo := map[[2]int]float64{}
		var keys [][2]int
		for row, j := range pr.basis {
			cl := &pr.cols[j]
			v := pr.xB[row]
			if !cl.isSch || v < 1e-9 {
				continue
			}
			for k := 0; k < len(cl.plan); k += 2 {
				key := [2]int{int(cl.plan[k]), int(cl.plan[k+1])}
				if _, seen := fo[key]; !seen {
					keys = append(keys, key)
				}
				fo[key] += v
			}
		}
		bf = 0
		var bkey [2]int
		for _, key := range keys {
			if g := math.Min(fo[key], 1-fo[key]); g > 1e-6 && g > bf+1e-9 {
				bkey, bf = key, g
			}
		}
		if bf == 0 {
			return true // cannot happen: an integral master was handled above
		}
		bp = bkey[0]
		o := bkey[1]
		inA = func(oi int) bool { return oi == o }
		first = fo[bkey] >= 0.5
	}
	a, b := r.clone(), r.clone() // a: options in the set (must serve); b: the others
	p := &m.projects[bp]
	for oi := range p.opts {
		bit := uint64(1) << (oi & 63)
		if inA(oi) {
			b.mask[bp][oi>>6] &^= bit
		} else {
			a.mask[bp][oi>>6] &^= bit
		}
	}
	a.must[bp] = true
	if !first {
		a, b = b, a
		obsA, obsB = obsB, obsA
	}
	sn := pr.snapshot()
	pr.obs = obsA
	okA := pr.dfs(a, gb, false)
	if pr.aborted {
		return false
	}
	pr.restore(sn)
	pr.obs = obsB
	okB := pr.dfs(b, gb, false)
	return okA && okB
}

// solveNode runs column generation at node r and returns an upper bound on
// the node's optimum (-Inf if infeasible or pruned by the incumbent).
func (pr *pricer) solveNode(r *restrict, gb []int) (float64, bool) {
	return pr.solveNodeIt(r, gb, nodePricingRounds)
}

// solveNodeIt is solveNode with at most maxIt pricing rounds: the bound
// stays valid (each round's Lagrangian value is one), only weaker.
func (pr *pricer) solveNodeIt(r *restrict, gb []int, maxIt int) (float64, bool) {
	m, lg := pr.m, pr.lg
	pr.setForbid(r)
	pr.setBounds(gb)
	bound := math.Inf(1)
	converged, restarted := false, false
	for it := 0; it < maxIt; it++ {
		if !pr.simplex() {
			// Stalled (degenerate pivots that round-off keeps from
			// ending): once, start again from the initial basis.
			if pr.stop() || restarted {
				return bound, false
			}
			restarted = true
			pr.coldStart(gb)
			if !pr.simplex() {
				return bound, false
			}
		}
		pr.duals()
		clear(lg.lam)
		for i, t := range pr.capWeek {
			lg.lam[t] = math.Max(0, pr.y[i])
		}
		for i, row := range pr.secRow {
			lg.mu[i] = 0
			if row >= 0 {
				lg.mu[i] = math.Min(float64(m.w.SectorPeriodExcess), math.Max(0, pr.y[row]))
			}
		}
		gk := pr.groupDuals()
		L := lg.value(r) + gk
		pr.lastL = L
		bound = math.Min(bound, L)
		if math.IsInf(L, -1) || math.Floor(bound+1e-6) <= pr.incumbent() {
			return math.Inf(-1), true
		}
		pr.tryPrimal()
		added := false
		for c, row := range pr.schRow {
			if row < 0 {
				continue
			}
			if lg.schoolVal[c]-pr.y[row] > 1e-6 {
				if j := pr.schoolCol(c, lg.xhat); pr.inBasis[j] < 0 && pr.rc(j) > 1e-7 {
					added = true
				}
			}
		}
		if !added {
			converged = true
			break
		}
	}
	if !converged {
		return bound, true
	}
	z := 0.0
	for r, j := range pr.basis {
		z += pr.costOf(j) * pr.xB[r]
	}
	z += float64(m.churnConst)
	bound = math.Min(bound, z+1e-7*math.Abs(z))
	if math.Floor(bound+1e-6) <= pr.incumbent() {
		return math.Inf(-1), true
	}
	return bound, true
}

// setForbid marks the school columns that node r forbids.
func (pr *pricer) setForbid(r *restrict) {
	for j := range pr.cols {
		cl := &pr.cols[j]
		if !cl.isSch {
			continue
		}
		bad := false
		c := cl.school
		k := 0
		for _, pi := range pr.lg.schools[c] {
			if k < len(cl.plan) && int(cl.plan[k]) == pi {
				if !r.allowed(pi, int(cl.plan[k+1])) {
					bad = true
					break
				}
				k += 2
			} else if r.must[pi] {
				bad = true
				break
			}
		}
		pr.forbid[j] = bad
	}
}

// fix returns a copy of r without the options that cannot be part of a
// plan better than the incumbent, or nil if there are none (reduced-cost
// fixing). Serving project p with option o changes its school's value by
// at most the option's reduced cost rc (adding a project never lowers the
// school's penalties), so the node's bound with o imposed is at most
// lastL + rc. That holds where the node lets p go unserved. Where p must
// be served, the school's value already counts one of its options, and o
// can only take the place of another option o' of the same period (the
// penalties depend on the period alone): the bound is lastL + rc − rc',
// with rc' the best reduced cost of p's allowed options in that period.
// (With rc alone, a project served at a negative reduced cost lost
// options of the optimum: TestProjectPeriodTreeKeepsOptimum.)
func (pr *pricer) fix(r *restrict) *restrict {
	m, lg := pr.m, pr.lg
	lim := pr.incumbent() + 1 - 1e-6 - pr.lastL // rc < lim: o cannot improve
	if lim >= 0 {
		return nil
	}
	var out *restrict
	cum := lg.cum
	served := make([]float64, m.K) // must: the best rc' per period
	for i := range m.projects {
		p := &m.projects[i]
		if p.locked {
			continue
		}
		k := float64(p.packs)
		mu := lg.mu[p.sector*m.K : (p.sector+1)*m.K]
		opts := lg.opts[lg.optOff[i]:lg.optOff[i+1]]
		rc := func(o *lopt) float64 { return o.c - k*(cum[o.hi+1]-cum[o.lo]) - k*mu[o.per] }
		if r.must[i] {
			for per := range served {
				served[per] = math.Inf(-1)
			}
			for oi := range opts {
				if r.allowed(i, oi) {
					served[opts[oi].per] = math.Max(served[opts[oi].per], rc(&opts[oi]))
				}
			}
		}
		for oi := range opts {
			if !r.allowed(i, oi) {
				continue
			}
			d := rc(&opts[oi])
			if r.must[i] {
				d -= served[opts[oi].per]
			}
			if d < lim {
				if out == nil {
					out = r.clone()
				}
				out.mask[i][oi>>6] &^= 1 << (oi & 63)
			}
		}
	}
	return out
}

// strongBranch chooses the project-period to branch on (reliability
// branching): those whose pseudo-costs are reliable are scored by them,
// the others, most fractional first, by the bounds of their two children
// after a few pricing rounds (at most pr.strong of them; a pruned child
// wins at once). A score is the product of the two children's bound
// decreases.
func (pr *pricer) strongBranch(r *restrict, gb []int, bound float64) (int, int) {
	m := pr.m
	K := m.K
	type cand struct {
		i int
		g float64
	}
	var cs []cand
	for i, f := range pr.frac {
		if g := math.Min(f, 1-f); g > 1e-6 {
			cs = append(cs, cand{i, g})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.g != b.g {
			if a.g > b.g {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	best, bestScore := cs[0].i, -1.0
	for _, c := range cs {
		if !pr.reliable(c.i) {
			continue
		}
		f := pr.frac[c.i]
		down := pr.pcSum[0][c.i] / float64(pr.pcCnt[0][c.i]) * f
		up := pr.pcSum[1][c.i] / float64(pr.pcCnt[1][c.i]) * (1 - f)
		if score := math.Max(down, 1e-3) * math.Max(up, 1e-3); score > bestScore {
			best, bestScore = c.i, score
		}
	}
	sn := pr.snapshot()
	probes := 0
	for _, c := range cs {
		if probes == pr.strong {
			break
		}
		if pr.reliable(c.i) {
			continue
		}
		probes++
		pi, k := c.i/K, c.i%K
		p := &m.projects[pi]
		in, out := r.clone(), r.clone()
		for oi := range p.opts {
			bit := uint64(1) << (oi & 63)
			if p.opts[oi].per == k {
				out.mask[pi][oi>>6] &^= bit
			} else {
				in.mask[pi][oi>>6] &^= bit
			}
		}
		in.must[pi] = true
		score := 1.0
		for d, ch := range []*restrict{out, in} {
			b, ok := pr.solveNodeIt(ch, gb, pr.probeIt)
			pr.restore(sn)
			if !ok {
				return best / K, best % K
			}
			if math.IsInf(b, -1) {
				score = math.Inf(1)
			} else {
				pr.observe(pr.branchObs(c.i, d, bound), b)
				score *= math.Max(bound-b, 1e-3)
			}
		}
		if score > bestScore {
			best, bestScore = c.i, score
		}
		if math.IsInf(score, 1) {
			break
		}
	}
	return best / K, best % K
}

// improve runs the local search on st, compound moves included.
func (pr *pricer) improve(st *state) {
	se := pr.se
	saved := se.s
	se.s = st
	se.pairs = true
	se.descend()
	se.pairs = false
	se.s = saved
}

// tryPrimal keeps the relaxed solution of the pricing step when it is
// feasible.
func (pr *pricer) tryPrimal() {
	lg := pr.lg
	pr.setState(lg.xhat)
}

func (pr *pricer) setState(x []int) {
	m := pr.m
	use := make([]int, m.W+1)
	for pi, oi := range x {
		if oi >= 0 {
			p := &m.projects[pi]
			use[p.opts[oi].lo] += p.packs
			use[p.opts[oi].hi+1] -= p.packs
		}
	}
	acc := 0
	for t := 0; t < m.W; t++ {
		if acc += use[t]; acc > m.capW[t] {
			return
		}
	}
	for pi := range pr.tmp.choice {
		if pr.tmp.choice[pi] != x[pi] {
			pr.tmp.set(pi, x[pi])
		}
	}
	if pr.tmp.obj > pr.best.obj {
		pr.best.copyFrom(pr.tmp)
		pr.newInc = true
	}
}

// masterPlan writes into x the options of the master's solution (the plan
// of largest weight per school) and reports whether it is integral.
func (pr *pricer) masterPlan(x []int) bool {
	for i := range x {
		x[i] = -1
	}
	integral := true
	wt := make([]float64, pr.m.nSchools)
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		v := pr.xB[r]
		if !cl.isSch || v < 1e-9 {
			continue
		}
		if v < 1-1e-6 {
			integral = false
		}
		c := cl.school
		if v > wt[c] {
			wt[c] = v
			for _, pi := range pr.lg.schools[c] {
				x[pi] = -1
			}
			for k := 0; k < len(cl.plan); k += 2 {
				x[cl.plan[k]] = int(cl.plan[k+1])
			}
		}
	}
	return integral
}
