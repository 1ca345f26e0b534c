package scheduler

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// pricer is an exact branch-and-price for small instances. Its master
// problem is a Dantzig-Wolfe reformulation of the spec's model: each school
// chooses one plan (which of its projects it serves, with which option)
// under the weekly capacity rows and the sector-period rows. The plans are
// generated on demand by the school dynamic programming of the Lagrangian
// relaxation (lagrange.school), so the LP bound of the master is the best
// Lagrangian bound, with the school-period and school-year penalties
// convexified exactly. Presolve keeps only the capacity rows of the weeks
// not implied by another week (every loan busy in the week is busy in the
// other one, which has no more packs): about one per period.
//
// The search is depth-first. At the root, knapsack cover cuts of the
// capacity rows and mixed cover cuts of the sector-period rows (see pcut)
// are added, in rounds while they lower the bound, and the master
// solution is rounded twice, each
// plan improved by local search; every later improvement of the incumbent
// in the tree is improved by local search too (polish). At every node,
// options that cannot beat the incumbent are removed (reduced-cost
// fixing); the node branches on the number of 2-pack projects served in
// a period when it is fractional (group rows), else on a project's period
// (strong branching once the tree is large), else on one option. The master keeps one basis for the whole search: a node
// changes column costs (columns its restriction forbids cost -bigM, so the
// basis stays primal feasible) or the right-hand sides of group rows
// (repaired by a dual simplex); siblings start from their parent's basis.
// The duals of the group and cut rows enter the pricing as option costs,
// so the school DP stays unchanged; a sector cut's dual also bounds the
// multiplier of its sector-period row (groupDuals).
type pricer struct {
	m    *model
	lg   *lagrange
	se   *searcher
	stop func() bool

	// Master rows: capacity rows of the non-dominated weeks, sector-period
	// rows that can bind, one convexity row per school with projects.
	capWeek []int // week of each capacity row
	secRow  []int // sector*K+period -> row, or -1
	schRow  []int // school -> row, or -1
	nRows   int
	rhs     []float64
	// Branching rows on the number of projects (of a set) served in a
	// period: rows hiRow (count <= hi) and loRow (-count <= -lo).
	groups []pgroup
	baseC  []float64 // option costs of the relaxation without group duals
	gAdj   bool      // lg.opts hold adjusted costs
	// lastL is the Lagrangian bound of the last pricing step (its
	// multipliers are still in lg).
	lastL float64
	// cuts are the root's cuts: covers of capacity rows, mixed covers of
	// sector-period rows.
	cuts   []pcut
	cutKey map[string]bool
	sgBuf  []float64 // groupDuals' scratch: the cut duals
	// secDual is groupDuals' scratch: the sector cuts' duals per row.
	secDual []float64
	// secExcess is the excess column of each sector-period row (or -1).
	secExcess []int
	// useGroups enables branching on the group rows, useCuts the root's
	// cuts, useSectorCuts the sector ones among them (switches for
	// experiments and tests; all on).
	useGroups bool
	useCuts   bool
	// useSectorCuts adds the sector cuts to the root's cover cuts.
	useSectorCuts bool
	strong        int // strong-branching candidates
	probeIt       int // pricing rounds per strong-branching child
	// strongAfter is the node count after which strong branching starts.
	strongAfter int
	init        []int // initial basic column of each row (cold restarts)

	cols    []pcol
	colKey  map[string]int
	forbid  []bool
	binv    []float64 // nRows x nRows, row-major
	basis   []int     // column of each row
	inBasis []int     // position in the basis of each column, or -1
	xB      []float64
	y       []float64 // duals
	pivots  int
	d       []float64
	nz      []int // nonzero positions of the last pivot row

	best  *state
	tmp   *state
	nodes int
	// newInc: the incumbent improved since the last polish (local
	// search on it, switched by polish).
	newInc   bool
	polish   bool
	maxNodes int
	aborted  bool
	// rootBound is the master's bound at the root (+Inf if not reached).
	rootBound float64
	// progress, if set, is called at every node (Options.Progress).
	progress func()
	frac     []float64 // master value per project*K+period (branching)
}

// pgroup is a set of projects (all, or those of 2 packs or more) and a
// period; branching bounds the number of them served in that period.
type pgroup struct {
	per          int
	two          bool
	hiRow, loRow int
	elastic      int // column with coefficient -1 in loRow (cost -bigM)
}

func (g *pgroup) has(p *mproj, o *option) bool { return o.per == g.per && (!g.two || p.packs >= 2) }

// pcut is a cut of the master, linear in the projects' options.
//
// A cover cut (w nil) of the capacity row of a week: at most rhs of the
// projects in the set are busy that week.
//
// A sector cut (w set) of the row of a sector and period, where
// Σ packs·x − e ≤ cap with e ≥ 0 the excess (paid per pack): for a set S
// of the sector's projects with λ = packs(S) − cap > 0,
// Σ_S min(packs, λ)·x − e ≤ Σ_S min(packs, λ) − λ. Valid: with every
// project of S served, e ≥ λ; each one not served lowers the right-hand
// bound by min(packs, λ), never below the true one, max(0, λ − its packs).
// It cuts off plans that spread a 2-pack loan over two periods to stay
// under a sector cap (y84-2pack's root).
type pcut struct {
	week int
	in   []bool // cover cuts: per project
	sec  int    // sector cuts: sector*K+period
	per  int    // sector cuts: the period
	w    []int8 // sector cuts: coefficient per project
	row  int
}

func (c *pcut) coef(pi int, o *option) int {
	if c.w != nil {
		if o.per == c.per {
			return int(c.w[pi])
		}
		return 0
	}
	if c.in[pi] && o.lo <= c.week && c.week <= o.hi {
		return 1
	}
	return 0
}

// has reports whether the cut may have a coefficient for project pi.
func (c *pcut) has(pi int) bool {
	if c.w != nil {
		return c.w[pi] != 0
	}
	return c.in[pi]
}

// pcol is one master column: a school plan, a slack, a sector excess or
// an artificial column.
type pcol struct {
	cost   float64
	rows   []int32
	vals   []float64
	plan   []int32 // school plans: project, option pairs
	isSch  bool
	school int
}

const bigM = 1e6

// newPricer builds the master rows; ok is false when the instance does not
// suit the method (too many options per project, a relaxation without the
// school-period counts).
func newPricer(m *model, lg *lagrange, se *searcher, best *state, stop func() bool) (*pricer, bool) {
	if lg.simple {
		return nil, false
	}
	for i := range m.projects {
		if len(m.projects[i].opts) > 128 {
			return nil, false
		}
	}
	// lg's option costs take the duals of the group and cut rows until
	// release.
	pr := &pricer{m: m, lg: lg, se: se, stop: stop, best: best.clone(), tmp: best.clone(),
		colKey: map[string]int{}, useGroups: true, useCuts: true, useSectorCuts: true, strong: 6, probeIt: 3, strongAfter: 40, polish: true, maxNodes: 6000, rootBound: math.Inf(1)}
	// Week t is implied by week u if every busy range containing t
	// contains u and u has no more capacity: drop it.
	// within(t, u): every busy range containing week t contains week u.
	within := func(t, u int) bool {
		for _, r := range m.ranges {
			if r[0] <= t && t <= r[1] && (u < r[0] || r[1] < u) {
				return false
			}
		}
		return true
	}
	used := make([]bool, m.W)
	for _, r := range m.ranges {
		for t := r[0]; t <= r[1]; t++ {
			used[t] = true
		}
	}
	for t := 0; t < m.W; t++ {
		if !used[t] {
			continue
		}
		dominated := false
		for u := 0; u < m.W && !dominated; u++ {
			if u == t || !used[u] || m.capW[u] > m.capW[t] {
				continue
			}
			if !within(t, u) {
				continue
			}
			// Equal rows: keep the first one.
			if m.capW[u] < m.capW[t] || u < t || !within(u, t) {
				dominated = true
			}
		}
		if !dominated {
			pr.capWeek = append(pr.capWeek, t)
			pr.rhs = append(pr.rhs, float64(m.capW[t]))
		}
	}
	// Sector-period rows that could exceed their cap.
	maxQ := make([]int, m.nSectors*m.K)
	for i := range m.projects {
		p := &m.projects[i]
		seen := make([]bool, m.K)
		for _, o := range p.opts {
			if !seen[o.per] {
				seen[o.per] = true
				maxQ[p.sector*m.K+o.per] += p.packs
			}
		}
	}
	pr.secRow = make([]int, m.nSectors*m.K)
	for i := range pr.secRow {
		pr.secRow[i] = -1
		if maxQ[i] > m.sectorCap[i/m.K] {
			pr.secRow[i] = len(pr.rhs)
			pr.rhs = append(pr.rhs, float64(m.sectorCap[i/m.K]))
		}
	}
	pr.schRow = make([]int, m.nSchools)
	for c := range pr.schRow {
		pr.schRow[c] = -1
		if len(lg.schools[c]) > 0 {
			pr.schRow[c] = len(pr.rhs)
			pr.rhs = append(pr.rhs, 1)
		}
	}
	nGroupRows := len(pr.rhs)
	for k := 0; k < m.K; k++ {
		for _, two := range []bool{true} {
			g := pgroup{per: k, two: two, hiRow: len(pr.rhs), loRow: len(pr.rhs) + 1}
			pr.rhs = append(pr.rhs, float64(len(m.projects)), 0)
			pr.groups = append(pr.groups, g)
		}
	}
	pr.nRows = len(pr.rhs)
	n := pr.nRows
	// Initial basis: slacks of the inequality rows, an artificial column
	// (cost -bigM) for each convexity row.
	pr.basis = make([]int, n)
	pr.xB = make([]float64, n)
	pr.binv = make([]float64, n*n)
	pr.y = make([]float64, n)
	pr.d = make([]float64, n)
	for i := 0; i < n; i++ {
		var cl pcol
		switch {
		case i < len(pr.capWeek) || i >= nGroupRows || !pr.isSchoolRow(i):
			cl = pcol{rows: []int32{int32(i)}, vals: []float64{1}}
		default:
			cl = pcol{cost: -bigM, rows: []int32{int32(i)}, vals: []float64{1}}
		}
		pr.addCol(cl)
		pr.basis[i] = i
		pr.inBasis[i] = i
		pr.binv[i*n+i] = 1
		pr.xB[i] = pr.rhs[i]
	}
	pr.secExcess = make([]int, len(pr.secRow))
	for i, r := range pr.secRow {
		pr.secExcess[i] = -1
		if r >= 0 { // the excess above the cap, at the penalty's cost
			pr.secExcess[i] = pr.addCol(pcol{cost: -float64(m.w.SectorPeriodExcess), rows: []int32{int32(r)}, vals: []float64{-1}})
		}
	}
	for gi := range pr.groups {
		g := &pr.groups[gi]
		g.elastic = pr.addCol(pcol{cost: -bigM, rows: []int32{int32(g.loRow)}, vals: []float64{-1}})
	}
	pr.init = append([]int(nil), pr.basis...)
	pr.baseC = make([]float64, len(lg.opts))
	for j := range lg.opts {
		pr.baseC[j] = lg.opts[j].c
	}
	pr.frac = make([]float64, len(m.projects)*m.K)
	return pr, true
}

func (pr *pricer) isSchoolRow(i int) bool {
	for _, r := range pr.schRow {
		if r == i {
			return true
		}
	}
	return false
}

func (pr *pricer) addCol(cl pcol) int {
	pr.cols = append(pr.cols, cl)
	pr.forbid = append(pr.forbid, false)
	pr.inBasis = append(pr.inBasis, -1)
	return len(pr.cols) - 1
}

// schoolCol builds the column of school c's plan in lg.xhat; it returns the
// column index, adding it if new.
func (pr *pricer) schoolCol(c int, x []int) int {
	m := pr.m
	var sb strings.Builder
	sb.WriteString(strconv.Itoa(c))
	cl := pcol{isSch: true, school: c}
	cnt := make([]int, m.K)
	load := map[int]float64{}
	n := 0
	for _, pi := range pr.lg.schools[c] {
		oi := x[pi]
		if oi < 0 {
			continue
		}
		sb.WriteByte(',')
		sb.WriteString(strconv.Itoa(pi))
		sb.WriteByte(':')
		sb.WriteString(strconv.Itoa(oi))
		p := &m.projects[pi]
		o := &p.opts[oi]
		cl.plan = append(cl.plan, int32(pi), int32(oi))
		cl.cost += float64(o.c)
		cnt[o.per]++
		n++
		for r, t := range pr.capWeek {
			if o.lo <= t && t <= o.hi {
				load[r] += float64(p.packs)
			}
		}
		if r := pr.secRow[p.sector*m.K+o.per]; r >= 0 {
			load[r] += float64(p.packs)
		}
	}
	key := sb.String()
	if j, ok := pr.colKey[key]; ok {
		return j
	}
	for _, k := range cnt {
		cl.cost -= float64(m.w.SchoolPeriodExcess * max(0, k-m.fsp))
	}
	cl.cost -= float64(m.w.SchoolYearExcess * max(0, n-m.fsy))
	for _, g := range pr.groups {
		cntG := 0
		for k := 0; k < len(cl.plan); k += 2 {
			p := &m.projects[cl.plan[k]]
			if g.has(p, &p.opts[cl.plan[k+1]]) {
				cntG++
			}
		}
		if cntG > 0 {
			load[g.hiRow] = float64(cntG)
			load[g.loRow] = -float64(cntG)
		}
	}
	for ci := range pr.cuts {
		cu := &pr.cuts[ci]
		cntC := 0
		for k := 0; k < len(cl.plan); k += 2 {
			p := &m.projects[cl.plan[k]]
			cntC += cu.coef(int(cl.plan[k]), &p.opts[cl.plan[k+1]])
		}
		if cntC > 0 {
			load[cu.row] = float64(cntC)
		}
	}
	rows := make([]int, 0, len(load)+1)
	for r := range load {
		rows = append(rows, r)
	}
	slices.Sort(rows)
	for _, r := range rows {
		cl.rows = append(cl.rows, int32(r))
		cl.vals = append(cl.vals, load[r])
	}
	cl.rows = append(cl.rows, int32(pr.schRow[c]))
	cl.vals = append(cl.vals, 1)
	j := pr.addCol(cl)
	pr.colKey[key] = j
	return j
}

func (pr *pricer) costOf(j int) float64 {
	if pr.forbid[j] {
		return pr.cols[j].cost - bigM
	}
	return pr.cols[j].cost
}

// duals computes y = c_B B^-1.
func (pr *pricer) duals() {
	n := pr.nRows
	clear(pr.y)
	for r := 0; r < n; r++ {
		cb := pr.costOf(pr.basis[r])
		if cb == 0 {
			continue
		}
		row := pr.binv[r*n : (r+1)*n]
		for i, v := range row {
			pr.y[i] += cb * v
		}
	}
}

func (pr *pricer) rc(j int) float64 {
	cl := &pr.cols[j]
	v := pr.costOf(j)
	for k, r := range cl.rows {
		v -= pr.y[r] * cl.vals[k]
	}
	return v
}

// simplex re-optimises the master over the current columns (primal
// simplex, Dantzig pricing, Bland's rule after degenerate stalls). It
// returns false if stopped.
func (pr *pricer) simplex() bool {
	n := pr.nRows
	const eps = 1e-9
	degenerate := 0
	for iter := 0; ; iter++ {
		if iter > 20000 || (iter%256 == 255 && pr.stop()) {
			return false
		}
		if pr.pivots > 0 && pr.pivots%200 == 0 {
			pr.reinvert()
		}
		if iter%16 == 0 {
			pr.duals() // else updated after the pivot below
		}
		bland := degenerate > 30
		e, best := -1, 1e-7
		for j := range pr.cols {
			if pr.inBasis[j] >= 0 {
				continue
			}
			if v := pr.rc(j); v > best {
				e, best = j, v
				if bland {
					break
				}
			}
		}
		if e < 0 {
			return true
		}
		pr.ftran(e)
		l, ratio := -1, math.Inf(1)
		for r := 0; r < n; r++ {
			if a := pr.d[r]; a > eps {
				q := math.Max(pr.xB[r], 0) / a
				if q < ratio-1e-12 || (q < ratio+1e-12 && l >= 0 && pr.basis[r] < pr.basis[l]) {
					l, ratio = r, q
				}
			}
		}
		if l < 0 {
			return false // unbounded: cannot happen (costs of slacks, excesses)
		}
		if ratio < 1e-12 {
			degenerate++
		} else {
			degenerate = 0
		}
		pr.pivot(l, e)
		// New duals: y + rc_e * (row l of the new B^-1): the entering
		// column is priced at its cost, the other basic ones unchanged.
		prow := pr.binv[l*n : (l+1)*n]
		for _, i := range pr.nz {
			pr.y[i] += best * prow[i]
		}
	}
}

func (pr *pricer) pivot(l, e int) {
	n := pr.nRows
	d := pr.d
	inv := 1 / d[l]
	prow := pr.binv[l*n : (l+1)*n]
	nz := pr.nz[:0]
	for i := range prow {
		if prow[i] != 0 {
			prow[i] *= inv
			nz = append(nz, i)
		}
	}
	pr.nz = nz
	pr.xB[l] *= inv
	for r := 0; r < n; r++ {
		if r == l || d[r] == 0 {
			continue
		}
		f := d[r]
		row := pr.binv[r*n : (r+1)*n]
		for _, i := range nz {
			row[i] -= f * prow[i]
		}
		pr.xB[r] -= f * pr.xB[l]
	}
	pr.inBasis[pr.basis[l]] = -1
	pr.basis[l] = e
	pr.inBasis[e] = l
	pr.pivots++
}

// reinvert recomputes B^-1 and x_B from the basis (Gauss-Jordan with
// partial pivoting) to shed rounding errors.
func (pr *pricer) reinvert() {
	n := pr.nRows
	a := make([]float64, n*2*n)
	w := 2 * n
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		for k, i := range cl.rows {
			a[int(i)*w+r] = cl.vals[k]
		}
	}
	for i := 0; i < n; i++ {
		a[i*w+n+i] = 1
	}
	nz := make([]int, 0, w)
	for c := 0; c < n; c++ {
		p, pv := -1, 1e-12
		for r := c; r < n; r++ {
			if v := math.Abs(a[r*w+c]); v > pv {
				p, pv = r, v
			}
		}
		if p < 0 {
			return // singular: keep the updated inverse
		}
		if p != c {
			for k := 0; k < w; k++ {
				a[p*w+k], a[c*w+k] = a[c*w+k], a[p*w+k]
			}
		}
		// The basis is sparse (convexity rows, slacks): eliminate with
		// the pivot row's nonzeros only (the same arithmetic as a dense
		// sweep, whose other terms are zero).
		inv := 1 / a[c*w+c]
		crow := a[c*w : (c+1)*w]
		nz = nz[:0]
		for k, v := range crow {
			if v != 0 {
				crow[k] = v * inv
				nz = append(nz, k)
			}
		}
		for r := 0; r < n; r++ {
			if r == c || a[r*w+c] == 0 {
				continue
			}
			f := a[r*w+c]
			row := a[r*w : (r+1)*w]
			for _, k := range nz {
				row[k] -= f * crow[k]
			}
		}
	}
	// Row c of the reduced matrix is row c of B^-1 (basis position c).
	for r := 0; r < n; r++ {
		copy(pr.binv[r*n:(r+1)*n], a[r*w+n:(r+1)*w])
	}
	for r := 0; r < n; r++ {
		v := 0.0
		for i := 0; i < n; i++ {
			v += pr.binv[r*n+i] * pr.rhs[i]
		}
		pr.xB[r] = v
	}
}

func (pr *pricer) incumbent() float64 { return float64(pr.best.obj + pr.m.churnConst) }

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

// solveNode runs column generation at node r and returns an upper bound on
// the node's optimum (-Inf if infeasible or pruned by the incumbent).
func (pr *pricer) solveNode(r *restrict, gb []int) (float64, bool) {
	return pr.solveNodeIt(r, gb, 200)
}

// solveNodeIt is solveNode with at most maxIt pricing rounds: the bound
// stays valid (each round's Lagrangian value is one), only weaker.
func (pr *pricer) solveNodeIt(r *restrict, gb []int, maxIt int) (float64, bool) {
	m, lg := pr.m, pr.lg
	pr.setForbid(r)
	pr.setGroupBounds(gb)
	bound := math.Inf(1)
	converged := false
	for it := 0; it < maxIt; it++ {
		if !pr.simplex() {
			return bound, false
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

// setGroupBounds sets the right-hand sides of the group rows (gb: lo, hi
// per group); when the basis becomes infeasible a dual simplex repairs it,
// or else the master restarts from its initial basis.
func (pr *pricer) setGroupBounds(gb []int) {
	changed := false
	for gi, g := range pr.groups {
		lo, hi := -float64(gb[2*gi]), float64(gb[2*gi+1])
		if pr.rhs[g.loRow] != lo || pr.rhs[g.hiRow] != hi {
			pr.rhs[g.loRow], pr.rhs[g.hiRow] = lo, hi
			changed = true
		}
	}
	if !changed {
		return
	}
	n := pr.nRows
	feasible := true
	for r := 0; r < n; r++ {
		v := 0.0
		for i := 0; i < n; i++ {
			v += pr.binv[r*n+i] * pr.rhs[i]
		}
		pr.xB[r] = v
		if v < -1e-9 {
			feasible = false
		}
	}
	if feasible || pr.dualSimplex() {
		return
	}
	pr.coldStart(gb)
}

// coldStart resets the master to its initial basis.
func (pr *pricer) coldStart(gb []int) {
	n := pr.nRows
	for _, j := range pr.basis {
		pr.inBasis[j] = -1
	}
	clear(pr.binv)
	copy(pr.basis, pr.init)
	for gi, g := range pr.groups {
		if gb[2*gi] > 0 {
			pr.basis[g.loRow] = g.elastic
		}
	}
	for r, j := range pr.basis {
		pr.inBasis[j] = r
		v := pr.cols[j].vals[0]
		pr.binv[r*n+r] = 1 / v
		pr.xB[r] = pr.rhs[r] / v
	}
}

// dualSimplex restores primal feasibility after a change of right-hand
// sides from a dual feasible basis (columns with a positive reduced cost
// are left to the primal simplex). It returns false if it gives up.
func (pr *pricer) dualSimplex() bool {
	n := pr.nRows
	for iter := 0; iter < 50*n; iter++ {
		l, worst := -1, -1e-9
		for r, v := range pr.xB {
			if v < worst {
				l, worst = r, v
			}
		}
		if l < 0 {
			return true
		}
		pr.duals()
		row := pr.binv[l*n : (l+1)*n]
		e, ratio := -1, math.Inf(1)
		for j := range pr.cols {
			if pr.inBasis[j] >= 0 {
				continue
			}
			cl := &pr.cols[j]
			a := 0.0
			for k, i := range cl.rows {
				a += row[i] * cl.vals[k]
			}
			if a > -1e-9 {
				continue
			}
			rc := pr.rc(j)
			if rc > 1e-9 {
				continue
			}
			if q := rc / a; q < ratio {
				e, ratio = j, q
			}
		}
		if e < 0 {
			return false
		}
		pr.ftran(e)
		pr.pivot(l, e)
	}
	return false
}

// fix returns a copy of r without the options that cannot be part of a
// plan better than the incumbent, or nil if there are none (reduced-cost
// fixing). Serving project p with option o changes its school's value by
// at most the option's reduced cost rc (adding a project never lowers the
// school's penalties), so the node's bound with o imposed is at most
// lastL + rc.
func (pr *pricer) fix(r *restrict) *restrict {
	m, lg := pr.m, pr.lg
	lim := pr.incumbent() + 1 - 1e-6 - pr.lastL // rc < lim: o cannot improve
	if lim >= 0 {
		return nil
	}
	var out *restrict
	cum := lg.cum
	for i := range m.projects {
		p := &m.projects[i]
		if p.locked {
			continue
		}
		k := float64(p.packs)
		mu := lg.mu[p.sector*m.K : (p.sector+1)*m.K]
		for oi, o := range lg.opts[lg.optOff[i]:lg.optOff[i+1]] {
			if !r.allowed(i, oi) {
				continue
			}
			rc := o.c - k*(cum[o.hi+1]-cum[o.lo]) - k*mu[o.per]
			if rc < lim {
				if out == nil {
					out = r.clone()
				}
				out.mask[i][oi>>6] &^= 1 << (oi & 63)
			}
		}
	}
	return out
}

// release gives the relaxation back to the caller: base option costs,
// zero multipliers.
func (pr *pricer) release() {
	for j := range pr.lg.opts {
		pr.lg.opts[j].c = pr.baseC[j]
	}
	pr.gAdj = false
	clear(pr.lg.lam)
	clear(pr.lg.mu)
}

// strongBranch scores the most fractional project-period pairs by the
// bounds of their two children (product of the decreases; a pruned child
// wins at once) and returns the best pair.
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
	if len(cs) > pr.strong {
		cs = cs[:pr.strong]
	}
	best, bestScore := cs[0].i, -1.0
	sn := pr.snapshot()
	for _, c := range cs {
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
		for _, ch := range []*restrict{in, out} {
			b, ok := pr.solveNodeIt(ch, gb, pr.probeIt)
			pr.restore(sn)
			if !ok {
				return best / K, best % K
			}
			if math.IsInf(b, -1) {
				score = math.Inf(1)
			} else {
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

// basisSnap is a saved master basis.
type basisSnap struct {
	basis         []int
	binv, xB, rhs []float64
}

func (pr *pricer) snapshot() *basisSnap {
	return &basisSnap{basis: append([]int(nil), pr.basis...), binv: append([]float64(nil), pr.binv...),
		xB: append([]float64(nil), pr.xB...), rhs: append([]float64(nil), pr.rhs...)}
}

// restore returns to a saved basis; x_B is recomputed by the next node
// if its right-hand sides differ.
func (pr *pricer) restore(sn *basisSnap) {
	for _, j := range pr.basis {
		pr.inBasis[j] = -1
	}
	copy(pr.basis, sn.basis)
	copy(pr.binv, sn.binv)
	copy(pr.xB, sn.xB)
	copy(pr.rhs, sn.rhs)
	for r, j := range pr.basis {
		pr.inBasis[j] = r
	}
}

// groupDuals puts the duals of the group rows into the relaxation's option
// costs and returns their constant part (dual times right-hand side).
func (pr *pricer) groupDuals() float64 {
	m, lg := pr.m, pr.lg
	any := false
	for _, g := range pr.groups {
		if pr.y[g.hiRow] != 0 || pr.y[g.loRow] != 0 {
			any = true
		}
	}
	for _, cu := range pr.cuts {
		if pr.y[cu.row] != 0 {
			any = true
		}
	}
	if !any && !pr.gAdj {
		return 0
	}
	for j := range lg.opts {
		lg.opts[j].c = pr.baseC[j]
	}
	konst := 0.0
	for _, g := range pr.groups {
		sg, tg := math.Max(0, pr.y[g.hiRow]), math.Max(0, pr.y[g.loRow])
		if sg == 0 && tg == 0 {
			continue
		}
		konst += sg*pr.rhs[g.hiRow] + tg*pr.rhs[g.loRow]
		for i := range m.projects {
			p := &m.projects[i]
			for oi := range p.opts {
				if g.has(p, &p.opts[oi]) {
					lg.opts[lg.optOff[i]+oi].c -= sg - tg
				}
			}
		}
	}
	// A sector cut's dual also prices the excess of its sector-period
	// (coefficient -1), so with the row's own dual mu it may not exceed
	// the penalty w: the relaxation would be unbounded in the excess.
	// Basic solutions satisfy it (the excess column's reduced cost); the
	// clamps only absorb rounding.
	sgs := pr.sgBuf[:0]
	for ci := range pr.cuts {
		sgs = append(sgs, math.Max(0, pr.y[pr.cuts[ci].row]))
	}
	pr.sgBuf = sgs
	wsq := float64(m.w.SectorPeriodExcess)
	if cap(pr.secDual) < len(lg.mu) {
		pr.secDual = make([]float64, len(lg.mu))
	}
	tot := pr.secDual[:len(lg.mu)]
	clear(tot)
	for ci, cu := range pr.cuts {
		if cu.w != nil {
			tot[cu.sec] += sgs[ci]
		}
	}
	for ci, cu := range pr.cuts {
		if cu.w != nil && tot[cu.sec] > wsq {
			sgs[ci] *= wsq / tot[cu.sec]
		}
	}
	for sec, t := range tot {
		if t > 0 {
			lg.mu[sec] = math.Min(lg.mu[sec], math.Max(0, wsq-t))
		}
	}
	for ci := range pr.cuts {
		cu := &pr.cuts[ci]
		sg := sgs[ci]
		if sg == 0 {
			continue
		}
		konst += sg * pr.rhs[cu.row]
		for i := range m.projects {
			if !cu.has(i) {
				continue
			}
			p := &m.projects[i]
			for oi := range p.opts {
				if a := cu.coef(i, &p.opts[oi]); a != 0 {
					lg.opts[lg.optOff[i]+oi].c -= sg * float64(a)
				}
			}
		}
	}
	pr.gAdj = any
	return konst
}

// separate adds the knapsack cover cuts of the capacity rows that the
// master's solution violates; it reports how many. Per week, a project
// is busy with at most one of its options, so its options covering the
// week add up to one 0-1 item of weight packs.
func (pr *pricer) separate() int {
	m := pr.m
	if pr.cutKey == nil {
		pr.cutKey = map[string]bool{}
	}
	type item struct {
		pi int
		y  float64
	}
	added := 0
	yv := make([]float64, len(m.projects))
	for _, t := range pr.capWeek {
		pr.masterValues(yv, func(_ *mproj, o *option) bool { return o.lo <= t && t <= o.hi })
		var its []item
		for pi, v := range yv {
			if v > 1e-6 {
				its = append(its, item{pi, v})
			}
		}
		slices.SortStableFunc(its, func(a, b item) int {
			if a.y != b.y {
				if a.y > b.y {
					return -1
				}
				return 1
			}
			return m.projects[b.pi].packs - m.projects[a.pi].packs
		})
		w, n := 0, 0
		for n < len(its) && w <= m.capW[t] {
			w += m.projects[its[n].pi].packs
			n++
		}
		if w <= m.capW[t] {
			continue
		}
		cover := its[:n]
		// Minimal cover: drop the items of smallest value while the rest
		// still exceeds the capacity (each drop raises the violation).
		for k := len(cover) - 1; k >= 0; k-- {
			if pk := m.projects[cover[k].pi].packs; w-pk > m.capW[t] {
				w -= pk
				cover = append(cover[:k:k], cover[k+1:]...)
			}
		}
		lhs, maxPk := 0.0, 0
		in := make([]bool, len(m.projects))
		for _, it := range cover {
			lhs += it.y
			in[it.pi] = true
			maxPk = max(maxPk, m.projects[it.pi].packs)
		}
		rhs := len(cover) - 1
		// Extended cover: any project at least as heavy.
		for pi := range m.projects {
			if !in[pi] && m.projects[pi].packs >= maxPk && len(m.projects[pi].opts) > 0 {
				in[pi] = true
				lhs += yv[pi]
			}
		}
		if lhs <= float64(rhs)+1e-4 {
			continue
		}
		var sb strings.Builder
		sb.WriteString(strconv.Itoa(t))
		for pi, ok := range in {
			if ok {
				sb.WriteByte(',')
				sb.WriteString(strconv.Itoa(pi))
			}
		}
		if pr.cutKey[sb.String()] {
			continue
		}
		pr.cutKey[sb.String()] = true
		pr.addCut(pcut{week: t, in: in}, rhs)
		added++
	}
	if pr.useSectorCuts {
		added += pr.separateSectors()
	}
	return added
}

// masterValues sets yv[p] to the master's value of the options of project
// p that keep accepts (the weights of the basic school plans serving p
// with them).
func (pr *pricer) masterValues(yv []float64, keep func(p *mproj, o *option) bool) {
	clear(yv)
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		v := pr.xB[r]
		if !cl.isSch || v < 1e-9 {
			continue
		}
		for h := 0; h < len(cl.plan); h += 2 {
			p := &pr.m.projects[cl.plan[h]]
			if keep(p, &p.opts[cl.plan[h+1]]) {
				yv[cl.plan[h]] += v
			}
		}
	}
}

// separateSectors adds the sector cuts (see pcut) that the master's
// solution violates; it reports how many. With y the master's value of
// each project served in the sector-period and e its excess, the cut of a
// set S with λ = packs(S) − cap is violated by λ − Σ_S min(packs, λ)·(1 − y)
// − e; for λ at least the largest pack count it is the row itself. So for
// each smaller λ, a knapsack on the weights (packs) finds the set of
// weight cap + λ of least Σ_S min(packs, λ)·(1 − y), exactly; the most
// violated cut of the row is added.
func (pr *pricer) separateSectors() int {
	m := pr.m
	added := 0
	yv := make([]float64, len(m.projects))
	var items []int
	for sec, row := range pr.secRow {
		if row < 0 {
			continue
		}
		q, k := sec/m.K, sec%m.K
		pr.masterValues(yv, func(p *mproj, o *option) bool { return p.sector == q && o.per == k })
		e := 0.0
		if pos := pr.inBasis[pr.secExcess[sec]]; pos >= 0 {
			e = pr.xB[pos]
		}
		items = items[:0]
		maxP := 0
		for pi, v := range yv {
			if v > 1e-6 {
				items = append(items, pi)
				maxP = max(maxP, m.projects[pi].packs)
			}
		}
		capQ := m.sectorCap[q]
		var best []int
		bestV, bestLam := 1e-4, 0
		for lam := 1; lam < maxP; lam++ {
			set, cost := pr.minCostSet(items, yv, capQ+lam, lam)
			if v := float64(lam) - cost - e; set != nil && v > bestV {
				best, bestV, bestLam = set, v, lam
			}
		}
		if best == nil {
			continue
		}
		w := make([]int8, len(m.projects))
		rhs := -bestLam
		for _, pi := range best {
			c := min(m.projects[pi].packs, bestLam)
			w[pi] = int8(c)
			rhs += c
		}
		var sb strings.Builder
		sb.WriteString("s")
		sb.WriteString(strconv.Itoa(sec))
		for pi, c := range w {
			if c != 0 {
				sb.WriteByte(',')
				sb.WriteString(strconv.Itoa(pi))
				sb.WriteByte(':')
				sb.WriteString(strconv.Itoa(int(c)))
			}
		}
		if pr.cutKey[sb.String()] {
			continue
		}
		pr.cutKey[sb.String()] = true
		pr.addCut(pcut{sec: sec, per: k, w: w}, rhs)
		added++
	}
	return added
}

// minCostSet returns the subset of items of total packs exactly target
// that minimises Σ min(packs, lam)·(1 − y), and that sum (nil if no
// subset has that weight). Ties go to the first items.
func (pr *pricer) minCostSet(items []int, y []float64, target, lam int) ([]int, float64) {
	m := pr.m
	inf := math.Inf(1)
	W := target + 1
	// dp[i][w]: least cost of a subset of items[:i] of weight w.
	dp := make([]float64, (len(items)+1)*W)
	for w := 1; w < W; w++ {
		dp[w] = inf
	}
	for i, pi := range items {
		p := m.projects[pi].packs
		c := float64(min(p, lam)) * (1 - y[pi])
		prev, cur := dp[i*W:(i+1)*W], dp[(i+1)*W:(i+2)*W]
		for w := range cur {
			cur[w] = prev[w]
			if w >= p && prev[w-p]+c < cur[w]-1e-12 {
				cur[w] = prev[w-p] + c
			}
		}
	}
	if math.IsInf(dp[len(items)*W+target], 1) {
		return nil, inf
	}
	var set []int
	w := target
	for i := len(items); i > 0; i-- {
		if dp[i*W+w] != dp[(i-1)*W+w] {
			set = append(set, items[i-1])
			w -= m.projects[items[i-1]].packs
		}
	}
	return set, dp[len(items)*W+target]
}

// addCut appends a cut row to the master, with its slack basic (negative
// when the cut is violated: the dual simplex then repairs the basis).
func (pr *pricer) addCut(cu pcut, rhs int) {
	m := pr.m
	n := pr.nRows
	cu.row = n
	pr.cuts = append(pr.cuts, cu)
	for j := range pr.cols {
		cl := &pr.cols[j]
		if !cl.isSch {
			continue
		}
		a := 0
		for k := 0; k < len(cl.plan); k += 2 {
			p := &m.projects[cl.plan[k]]
			a += cu.coef(int(cl.plan[k]), &p.opts[cl.plan[k+1]])
		}
		if a != 0 {
			cl.rows = append(cl.rows, int32(n))
			cl.vals = append(cl.vals, float64(a))
		}
	}
	if cu.w != nil {
		cl := &pr.cols[pr.secExcess[cu.sec]]
		cl.rows = append(cl.rows, int32(n))
		cl.vals = append(cl.vals, -1)
	}
	n1 := n + 1
	binv := make([]float64, n1*n1)
	for r := 0; r < n; r++ {
		copy(binv[r*n1:r*n1+n], pr.binv[r*n:(r+1)*n])
	}
	slackV := float64(rhs)
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		a := 0.0
		if k := len(cl.rows) - 1; k >= 0 && int(cl.rows[k]) == n {
			a = cl.vals[k]
		}
		if a == 0 {
			continue
		}
		slackV -= a * pr.xB[r]
		for i := 0; i < n; i++ {
			binv[n*n1+i] -= a * pr.binv[r*n+i]
		}
	}
	binv[n*n1+n] = 1
	pr.binv = binv
	slack := pr.addCol(pcol{rows: []int32{int32(n)}, vals: []float64{1}})
	pr.basis = append(pr.basis, slack)
	pr.inBasis[slack] = n
	pr.init = append(pr.init, slack)
	pr.xB = append(pr.xB, slackV)
	pr.rhs = append(pr.rhs, float64(rhs))
	pr.y = append(pr.y, 0)
	pr.d = append(pr.d, 0)
	pr.nRows = n1
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

func (pr *pricer) dfs(r *restrict, gb []int, root bool) bool {
	m := pr.m
	pr.nodes++
	if pr.progress != nil {
		pr.progress()
	}
	if pr.nodes > pr.maxNodes || pr.stop() {
		pr.aborted = true
		return false
	}
	bound, ok := pr.solveNode(r, gb)
	if !ok {
		pr.aborted = true
		return false
	}
	if root && pr.useCuts {
		// Cut rounds: add violated covers, repair the basis, re-price.
		for round := 0; round < 10 && !math.IsInf(bound, -1); round++ {
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
			// 15.6 → 10.8 ms).
			improved := math.Floor(b2+1e-6) < math.Floor(bound+1e-6)
			bound = math.Min(bound, b2)
			if !improved {
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
	}
	if math.IsInf(bound, -1) {
		return true
	}
	x := make([]int, len(m.projects))
	if pr.masterPlan(x) {
		pr.setState(x)
		return true
	}
	if root || pr.nodes%8 == 0 {
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
	if bp >= 0 {
		p, k := &m.projects[bp], bk
		inA = func(oi int) bool { return p.opts[oi].per == k }
		first = pr.frac[bp*K+bk] >= 0.5
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
	}
	sn := pr.snapshot()
	okA := pr.dfs(a, gb, false)
	if pr.aborted {
		return false
	}
	pr.restore(sn)
	okB := pr.dfs(b, gb, false)
	return okA && okB
}

// ftran sets d = B^-1 a_e, the column e in the current basis.
func (pr *pricer) ftran(e int) {
	n := pr.nRows
	cl := &pr.cols[e]
	for r := 0; r < n; r++ {
		row := pr.binv[r*n : (r+1)*n]
		v := 0.0
		for k, i := range cl.rows {
			v += row[i] * cl.vals[k]
		}
		pr.d[r] = v
	}
}
