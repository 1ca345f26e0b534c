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
// capacity rows, mixed cover cuts and rounding cuts of the sector-period
// rows (see pcut, separateSectorMIR), and rounding cuts of a sector's rows
// with the convexity rows of its schools (separateSchoolMIR) are added, in
// rounds while they lower the bound, and the master solution is rounded
// twice, each plan improved by local search; every later improvement of
// the incumbent in the tree is improved by local search too (polish). At
// every node, options that cannot beat the incumbent are removed
// (reduced-cost fixing); the node branches on the number of 2-pack
// projects served in a period when it is fractional (group rows), else on
// a project's period (once the tree is large, chosen by pseudo-costs, or
// by strong branching where they are not known yet), else on one option.
// The tree of the whole time budget first branches without the group rows
// for a bounded number of nodes, then starts again with them (runWhole).
// The master keeps one basis for the whole search: a node forbids columns
// (a forbidden basic column leaves by the dual simplex, or by its bigM
// cost where no column can replace it yet) or changes the right-hand
// sides of group rows (repaired by the dual simplex too); siblings start
// from their parent's basis.
// The duals of the group and cut rows enter the pricing as option costs,
// and those of the school rounding cuts as costs on the parity of a
// school's packs in their periods (lagrange.parity), which the school DP
// tracks only where such a cost is set; a sector cut's dual also bounds
// the multiplier of its sector-period rows (groupDuals).
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
	// useSectorCuts adds the sector cuts to the root's cover cuts,
	// useSectorMIR their rounding cuts (separateSectorMIR) among them,
	// useSchoolMIR the rounding cuts by school (separateSchoolMIR), and
	// useSchoolSets those over several periods.
	useSectorCuts bool
	useSectorMIR  bool
	useSchoolMIR  bool
	useSchoolSets bool
	strong        int // strong-branching candidates
	probeIt       int // pricing rounds per strong-branching child
	// strongAfter is the node count after which strong branching starts.
	strongAfter int
	// firstNodes bounds runWhole's first tree (periodFirstNodes).
	firstNodes int
	init       []int // initial basic column of each row (cold restarts)

	cols    []pcol
	colKey  map[string]int
	forbid  []bool
	binv    []float64 // nRows x nRows, row-major
	basis   []int     // column of each row
	inBasis []int     // position in the basis of each column, or -1
	xB      []float64
	y       []float64 // duals
	// pivots counts the updates of binv since it was last computed from
	// scratch (reinvert), along the path that led to it: a snapshot keeps
	// it with the inverse.
	pivots int
	d      []float64
	nz     []int // nonzero positions of the last pivot row
	// Per column, the simplexes' reduced costs and the primal's Devex
	// weights (the dual simplex's pivot row entries); the state of the
	// perturbations' pseudo-random numbers.
	rcv, dvx   []float64
	noiseState uint64

	// rootCols and rootBasis: the master at the end of the root (its
	// number of columns, its basis), where runWhole's second tree starts.
	rootCols  int
	rootBasis *basisSnap

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
	// Pseudo-costs of the branchings on a project's period: per
	// project*K+period and direction (0: the period forbidden, 1:
	// imposed), the sum of the bound's decreases per unit of change of
	// the master's value, and their number. obs is the branching that
	// made the node being entered, observed once the node is solved.
	pcSum [2][]float64
	pcCnt [2][]int32
	obs   pcObs
}

// pcObs is a branching on a project's period, to observe: the index
// project*K+period, its direction, the parent's bound and the change of
// the master's value the child imposes (dist > 0).
type pcObs struct {
	i, dir       int
	parent, dist float64
}

// branchObs is the branching of project-period i in direction dir from a
// node of bound parent, at the master's current values.
func (pr *pricer) branchObs(i, dir int, parent float64) pcObs {
	dist := pr.frac[i]
	if dir == 1 {
		dist = 1 - dist
	}
	return pcObs{i: i, dir: dir, parent: parent, dist: dist}
}

// reliable reports whether project-period i's pseudo-costs are observed
// often enough in both directions to score it without probes.
func (pr *pricer) reliable(i int) bool {
	return pr.pcCnt[0][i] >= pcReliable && pr.pcCnt[1][i] >= pcReliable
}

// observe records a child's bound decrease in the pseudo-costs.
func (pr *pricer) observe(o pcObs, bound float64) {
	if o.dist <= 0 || math.IsInf(bound, -1) {
		return
	}
	pr.pcSum[o.dir][o.i] += math.Max(o.parent-bound, 0) / o.dist
	pr.pcCnt[o.dir][o.i]++
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
	week  int
	in    []bool // cover cuts: per project
	q     int    // sector cuts: the sector
	pmask uint32 // sector cuts: the periods (one but for school cuts)
	w     []int8 // sector cuts: coefficient per project
	// sch, when set (school rounding cuts, see separateSchoolMIR), adds
	// for a plan of a school of the sector half its number of projects
	// with an odd number of packs in the periods, rounded up for the
	// schools in sch and down for the others.
	sch []bool
	row int
}

// colCoef is the cut's coefficient in the column of school c's plan
// (project, option pairs).
func (c *pcut) colCoef(m *model, school int, plan []int32) int {
	a, odd := 0, 0
	for k := 0; k < len(plan); k += 2 {
		p := &m.projects[plan[k]]
		o := &p.opts[plan[k+1]]
		a += c.coef(int(plan[k]), o)
		if p.packs%2 == 1 && c.pmask&(1<<o.per) != 0 && p.sector == c.q {
			odd++
		}
	}
	if c.sch != nil {
		if c.sch[school] {
			odd++
		}
		a += odd / 2
	}
	return a
}

func (c *pcut) coef(pi int, o *option) int {
	if c.w != nil {
		if c.pmask&(1<<o.per) != 0 {
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

// Tuning of the branch-and-price (measured on the real-size and medium
// instances of BENCHMARKS.md).
const (
	// priceMaxNodes bounds the tree of the fixed-effort search (the search
	// of the whole time budget has no node limit).
	priceMaxNodes = 6000
	// strongCandidates is the number of fractional project-periods
	// without reliable pseudo-costs scored by strong branching at a node,
	// strongProbeRounds the pricing rounds of each child's probe.
	strongCandidates  = 6
	strongProbeRounds = 3
	// pcReliable: a project-period whose pseudo-costs have this many
	// observations in each direction is scored by them, without probes
	// (reliability branching).
	pcReliable = 1
	// strongAfterNodes: strong branching starts once the tree has this many
	// nodes (most searches end in a few dozen nodes, fewer than its probes
	// would cost).
	strongAfterNodes = 40
	// nodePricingRounds bounds the column generation of a node (the bound
	// stays valid when it stops early, only weaker).
	nodePricingRounds = 200
	// schoolCutMaxPeriods: the school rounding cuts are separated when
	// the year has at most this many periods (the school DP gains up to
	// one state bit per period).
	schoolCutMaxPeriods = 8
	// rootCutRounds bounds the rounds of cut separation at the root;
	// they stop earlier after rootCutPatience rounds in a row that do not
	// lower the bound's integer part.
	rootCutRounds   = 20
	rootCutPatience = 4
	// roundEvery: below the root, the master's solution is rounded into a
	// plan at every roundEvery-th node.
	roundEvery = 8
	// reinvertEvery: the basis inverse is recomputed from scratch after
	// this many pivots, to shed rounding errors.
	reinvertEvery = 200
	// splitMin: below this many columns, the dual simplex's pivot row is
	// computed on the caller alone (the helper's hand-over costs more).
	splitMin = 64
	// periodFirstNodes bounds the first tree of the whole time budget,
	// which branches on project-periods alone (runWhole).
	periodFirstNodes = 250
	// simplexMaxIter bounds one primal simplex (it reports a stop beyond).
	simplexMaxIter = 20000
	// blandAfter: consecutive degenerate pivots after which the simplex
	// takes the first improving column (Bland's rule) against cycling.
	blandAfter = 30
	// dualsEvery: the simplex recomputes the duals from the inverse, and
	// the reduced costs from them, every this many iterations; it updates
	// the reduced costs after each pivot otherwise.
	dualsEvery = 16
	// dualSimplexIterPerRow bounds the dual simplex to this many pivots per
	// master row before it gives up (the master then restarts cold).
	dualSimplexIterPerRow = 50
	// perturbAfter: consecutive degenerate pivots after which the
	// simplex perturbs the basic values by perturbSize times 1 to 2.
	perturbAfter = 8
	perturbSize  = 1e-6
)

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
		colKey: map[string]int{}, useGroups: true, useCuts: true, useSectorCuts: true, useSectorMIR: true, useSchoolMIR: true, useSchoolSets: true, strong: strongCandidates, probeIt: strongProbeRounds, strongAfter: strongAfterNodes, firstNodes: periodFirstNodes, polish: true, maxNodes: priceMaxNodes, rootBound: math.Inf(1), noiseState: 0x9e3779b97f4a7c15}
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
	for d := range pr.pcSum {
		pr.pcSum[d] = make([]float64, len(pr.frac))
		pr.pcCnt[d] = make([]int32, len(pr.frac))
	}
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
		if cntC := cu.colCoef(m, c, cl.plan); cntC > 0 {
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

func (pr *pricer) incumbent() float64 { return float64(pr.best.obj + pr.m.churnConst) }

// release gives the relaxation back to the caller: base option costs,
// zero multipliers.
func (pr *pricer) release() {
	for j := range pr.lg.opts {
		pr.lg.opts[j].c = pr.baseC[j]
	}
	pr.gAdj = false
	pr.lg.parity = nil
	clear(pr.lg.lam)
	clear(pr.lg.mu)
}
