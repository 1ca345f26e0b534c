package scheduler

import (
	"math"
	"runtime"
	"sync/atomic"
)

// lagrange computes upper bounds on the optimum by Lagrangian relaxation:
// the weekly capacity rows get multipliers lam >= 0 and the sector-period
// penalties are dualised exactly (-w*max(0, x) = min over mu in [0, w] of
// -mu*x), so the problem splits by school. Each school's subproblem (its
// projects, one period each or none, with the school-period and school-year
// penalties) is solved exactly by dynamic programming over clipped counts.
// For any multipliers the value is a valid upper bound (weak duality).
type lagrange struct {
	m       *model
	lam     []float64 // per school week
	mu      []float64 // per sector*K+period
	schools [][]int   // project indices per school
	forced  []bool    // locked projects
	// scratch
	cum    []float64 // prefix sums of lam
	best   []float64 // per project*K: best reduced cost in period k
	bestO  []int     // argmax option
	xhat   []int     // option per project of the last subproblem solution
	nState int
	pow    []int
	simple bool // school-period counts not tracked (too many states)
	order  []int
	gl, gm []float64 // subgradient scratch
	diff   []int
	useQ   []int
	digit  []int8
	// sc is the school DP's scratch of the calling goroutine, sc2 that of
	// the helper of value (see par).
	sc, sc2 *dpScratch
	par     *lgPar
	noOpt   []int // projects without options
	// opts holds every project's options compactly for value: those of
	// project i are opts[optOff[i]:optOff[i+1]].
	opts   []lopt
	optOff []int
	trans  []dpTrans
	// schoolVal is each school's subproblem value in the last value call.
	schoolVal []float64
	// parity, when set, prices the parity of the packs a school serves in
	// sets of periods (the branch-and-price's school rounding cuts):
	// parity[c] lists school c's costs. The school DP then tracks the
	// parity of each period those sets cover.
	parity [][]parCost
}

// parCost prices the parity of the packs a school serves in a set of
// periods: serving one more project with an odd number of packs in one of
// them costs odd when it makes that number odd, even when it makes it
// even.
type parCost struct {
	mask      uint32 // periods
	odd, even float64
}

func newLagrange(m *model) *lagrange {
	lg := &lagrange{m: m, lam: make([]float64, m.W), mu: make([]float64, m.nSectors*m.K),
		schools: make([][]int, m.nSchools), forced: make([]bool, len(m.projects)),
		cum: make([]float64, m.W+1), best: make([]float64, len(m.projects)*m.K),
		bestO: make([]int, len(m.projects)*m.K), xhat: make([]int, len(m.projects)),
		schoolVal: make([]float64, m.nSchools)}
	lg.optOff = make([]int, len(m.projects)+1)
	nOpts := 0
	for i := range m.projects {
		nOpts += len(m.projects[i].opts)
	}
	lg.opts = make([]lopt, 0, nOpts)
	for i := range m.projects {
		for _, o := range m.projects[i].opts {
			lg.opts = append(lg.opts, lopt{c: float64(o.c), lo: int32(o.lo), hi: int32(o.hi), per: int32(o.per)})
		}
		lg.optOff[i+1] = len(lg.opts)
	}
	for i := range m.projects {
		p := &m.projects[i]
		if len(p.opts) == 0 {
			lg.noOpt = append(lg.noOpt, i)
			continue
		}
		lg.schools[p.school] = append(lg.schools[p.school], i)
		lg.forced[i] = p.locked
	}
	base := m.fsp + 1
	n := 1
	for k := 0; k < m.K; k++ {
		lg.pow = append(lg.pow, n)
		n *= base
		if n > 1<<12 {
			lg.simple = true
			break
		}
	}
	if lg.simple {
		lg.pow = nil
		n = 1
	}
	lg.nState = n * (m.fsy + 1)
	if !lg.simple {
		// digit[ps*K+k] is the clipped count of period k in state ps.
		lg.digit = make([]int8, n*m.K)
		for ps := 0; ps < n; ps++ {
			for k := 0; k < m.K; k++ {
				lg.digit[ps*m.K+k] = int8((ps / lg.pow[k]) % (m.fsp + 1))
			}
		}
	}
	if !lg.simple {
		// trans[st*K+k]: the state after serving one more project in
		// period k from state st, and the penalties that incurs.
		per := n
		lg.trans = make([]dpTrans, lg.nState*m.K)
		for st := 0; st < lg.nState; st++ {
			y, ps := st/per, st%per
			for k := 0; k < m.K; k++ {
				t := &lg.trans[st*m.K+k]
				ps2, y2 := ps, y
				if int(lg.digit[ps*m.K+k]) >= m.fsp {
					t.sp = float64(m.w.SchoolPeriodExcess)
				} else {
					ps2 += lg.pow[k]
				}
				if y >= m.fsy {
					t.sy = float64(m.w.SchoolYearExcess)
				} else {
					y2++
				}
				t.to = int32(y2*per + ps2)
			}
		}
	}
	lg.sc = lg.newScratch()
	return lg
}

// value solves the relaxed problem for the current multipliers, fills xhat
// and returns the bound (churn constant included). r, when not nil,
// restricts the options of each project and forces some to be served.
func (lg *lagrange) value(r *restrict) float64 {
	m := lg.m
	for t := 0; t < m.W; t++ {
		lg.cum[t+1] = lg.cum[t] + lg.lam[t]
	}
	total := float64(m.churnConst)
	for t := 0; t < m.W; t++ {
		total += lg.lam[t] * float64(m.capW[t])
	}
	for q := 0; q < m.nSectors; q++ {
		for k := 0; k < m.K; k++ {
			total += lg.mu[q*m.K+k] * float64(m.sectorCap[q])
		}
	}
	for _, i := range lg.noOpt {
		lg.xhat[i] = -1
	}
	if p := lg.par; p != nil {
		p.run(r)
	} else {
		lg.schoolRange(lg.sc, 0, len(lg.schools), r)
	}
	for _, v := range lg.schoolVal {
		total += v
	}
	return total
}

// schoolRange prices the options of the projects of schools [from, to)
// and solves their subproblems.
func (lg *lagrange) schoolRange(sc *dpScratch, from, to int, r *restrict) {
	m := lg.m
	negInf := math.Inf(-1)
	cum := lg.cum
	for c := from; c < to; c++ {
		for _, i := range lg.schools[c] {
			lg.xhat[i] = -1
			p := &m.projects[i]
			b := lg.best[i*m.K : (i+1)*m.K]
			bo := lg.bestO[i*m.K : (i+1)*m.K]
			for k := range b {
				b[k], bo[k] = negInf, -1
			}
			k := float64(p.packs)
			mu := lg.mu[p.sector*m.K : (p.sector+1)*m.K]
			for oi, o := range lg.opts[lg.optOff[i]:lg.optOff[i+1]] {
				if r != nil && !r.allowed(i, oi) {
					continue
				}
				rc := o.c - k*(cum[o.hi+1]-cum[o.lo]) - k*mu[o.per]
				if rc > b[o.per] {
					b[o.per], bo[o.per] = rc, oi
				}
			}
		}
		lg.schoolVal[c] = lg.school(sc, c, r)
	}
}

// dpScratch is the school DP's working memory.
type dpScratch struct {
	vals, next []float64
	back       []int32 // per (step, state): previous state*(K+1) + period+1
	pbit       []int   // per period: its parity bit in the state, or -1
	// parTab[par*K+k]: the parity costs of one more odd project in
	// period k from parity bits par.
	parTab []float64
	cnt    []int
	live   []int
	bvs    []float64 // best reduced cost per project of the school
	// active states, marks
	act, nact []int
	seen      []int
	stamp     int
}

func (lg *lagrange) newScratch() *dpScratch {
	return &dpScratch{vals: make([]float64, lg.nState), next: make([]float64, lg.nState),
		cnt: make([]int, lg.m.K), seen: make([]int, lg.nState), pbit: make([]int, lg.m.K)}
}

// school solves one school's subproblem exactly and records the choice.
func (lg *lagrange) school(sc *dpScratch, c int, r *restrict) float64 {
	m := lg.m
	projs := lg.schools[c]
	if len(projs) == 0 {
		return 0
	}
	// Fast path: every project at its best period, no penalty incurred.
	// bvs keeps each project's best reduced cost for the DP below.
	if cap(sc.bvs) < len(projs) {
		sc.bvs = make([]float64, 0, len(projs))
	}
	bvs := sc.bvs
	// Parity costs of the school: periods with one get a bit of the
	// state (na of them).
	na := 0
	if lg.parity != nil && len(lg.parity[c]) > 0 {
		na = lg.parityTable(sc, lg.parity[c])
	}
	{
		cnt := sc.cnt
		clear(cnt)
		total, ok := 0.0, true
		n := 0
		bvs = bvs[:0]
		for _, pi := range projs {
			bk, bv := lg.bestPeriod(pi)
			bvs = append(bvs, bv)
			forced := lg.forced[pi] || (r != nil && r.must[pi])
			if bk < 0 {
				if forced {
					return math.Inf(-1)
				}
				continue
			}
			if bv <= 0 && !forced {
				continue
			}
			lg.xhat[pi] = lg.bestO[pi*m.K+bk]
			total += bv
			cnt[bk]++
			n++
			if cnt[bk] > m.fsp {
				ok = false
			}
		}
		if lg.simple {
			// Relaxation without school-period counts: the year penalty
			// is still exact if applied to the n best projects; keep it
			// simple and valid (an upper bound): ignore both penalties.
			return total
		}
		if ok && n <= m.fsy && na == 0 {
			return total
		}
	}
	// Only projects with a positive reduced cost somewhere, or forced
	// ones, can be part of an optimal choice.
	live := sc.live[:0]
	for j, pi := range projs {
		lg.xhat[pi] = -1
		bv := bvs[j]
		if bv > 0 || lg.forced[pi] || (r != nil && r.must[pi]) {
			live = append(live, pi)
		}
	}
	sc.live = live
	projs = live
	S := lg.nState << na // state: parity bits * nState + counts
	if len(sc.vals) < S {
		sc.vals, sc.next, sc.seen = make([]float64, S), make([]float64, S), make([]int, S)
	}
	negInf := math.Inf(-1)
	vals, next := sc.vals, sc.next
	// Only reached states are visited: act lists them, seen marks the
	// states of the next layer already initialised.
	act := append(sc.act[:0], 0)
	vals[0] = 0
	need := len(projs) * S
	if cap(sc.back) < need {
		sc.back = make([]int32, need)
	}
	back := sc.back[:need]
	for j, pi := range projs {
		sc.stamp++
		stamp := sc.stamp
		forced := lg.forced[pi] || (r != nil && r.must[pi])
		bj := back[j*S : (j+1)*S]
		nact := sc.nact[:0]
		for _, st := range act {
			if forced {
				next[st] = negInf
			} else {
				next[st] = vals[st]
			}
			bj[st] = int32(st * (m.K + 1))
			sc.seen[st] = stamp
			nact = append(nact, st)
		}
		b := lg.best[pi*m.K : (pi+1)*m.K]
		if na == 0 {
			nact = lg.layer(sc, act, nact, vals, next, bj, b, stamp)
		} else {
			nact = lg.layerParity(sc, act, nact, vals, next, bj, b, stamp, m.projects[pi].packs%2 == 1)
		}
		vals, next = next, vals
		sc.nact, sc.act = act, nact
		act = nact
	}
	sc.act = act
	bestSt, bestV := 0, negInf
	for _, st := range act {
		if v := vals[st]; v > bestV || (v == bestV && st < bestSt) {
			bestSt, bestV = st, v
		}
	}
	sc.vals, sc.next = vals, next
	st := bestSt
	for j := len(projs) - 1; j >= 0; j-- {
		code := int(back[j*S+st])
		k := code%(m.K+1) - 1
		if k >= 0 {
			lg.xhat[projs[j]] = lg.bestO[projs[j]*m.K+k]
		}
		st = code / (m.K + 1)
	}
	return bestV
}

// layer serves one more project, of best reduced cost b[k] in period k,
// from each reached state of act (values vals) into next, recording the
// choice in bj and the newly reached states in nact, which it returns.
func (lg *lagrange) layer(sc *dpScratch, act, nact []int, vals, next []float64, bj []int32, b []float64, stamp int) []int {
	K := lg.m.K
	negInf := math.Inf(-1)
	for _, st := range act {
		v := vals[st]
		if v == negInf {
			continue
		}
		tr := lg.trans[st*K : (st+1)*K]
		for k, t := range tr {
			bk := b[k]
			if bk == negInf {
				continue
			}
			// Same operations as without the table (subtracting 0
			// is exact): the values, hence the ties, are unchanged.
			nv := v + bk
			nv -= t.sp
			nv -= t.sy
			st2 := int(t.to)
			if sc.seen[st2] != stamp {
				sc.seen[st2] = stamp
				next[st2] = negInf
				nact = append(nact, st2)
			}
			if nv > next[st2] {
				next[st2] = nv
				bj[st2] = int32(st*(K+1) + k + 1)
			}
		}
	}
	return nact
}

// layerParity is layer when the state also holds parity bits (states
// par*nState + counts): a project of odd packs flips the bit of its period
// and pays the parity cost (sc.parTab).
func (lg *lagrange) layerParity(sc *dpScratch, act, nact []int, vals, next []float64, bj []int32, b []float64, stamp int, odd bool) []int {
	K := lg.m.K
	negInf := math.Inf(-1)
	for _, full := range act {
		v := vals[full]
		if v == negInf {
			continue
		}
		st, par := full%lg.nState, full/lg.nState
		tr := lg.trans[st*K : (st+1)*K]
		for k, t := range tr {
			bk := b[k]
			if bk == negInf {
				continue
			}
			nv := v + bk
			nv -= t.sp
			nv -= t.sy
			p2 := par
			if bit := sc.pbit[k]; odd && bit >= 0 {
				nv -= sc.parTab[p2*K+k]
				p2 ^= 1 << bit
			}
			st2 := int(t.to) + p2*lg.nState
			if sc.seen[st2] != stamp {
				sc.seen[st2] = stamp
				next[st2] = negInf
				nact = append(nact, st2)
			}
			if nv > next[st2] {
				next[st2] = nv
				bj[st2] = int32(full*(K+1) + k + 1)
			}
		}
	}
	return nact
}

// parityTable gives a parity bit of the school DP's state to each period
// that the costs cover (sc.pbit) and fills sc.parTab; it returns the
// number of bits.
func (lg *lagrange) parityTable(sc *dpScratch, costs []parCost) int {
	K := lg.m.K
	var all uint32
	for _, pc := range costs {
		all |= pc.mask
	}
	na := 0
	for k := range sc.pbit {
		sc.pbit[k] = -1
		if all&(1<<k) != 0 {
			sc.pbit[k] = na
			na++
		}
	}
	if need := (K << na); len(sc.parTab) < need {
		sc.parTab = make([]float64, need)
	}
	for par := 0; par < 1<<na; par++ {
		for k := 0; k < K; k++ {
			v := 0.0
			if sc.pbit[k] >= 0 {
				for _, pc := range costs {
					if pc.mask&(1<<k) == 0 {
						continue
					}
					// The parity of the set before: that of its periods.
					n := 0
					for k2, b := range sc.pbit {
						if b >= 0 && pc.mask&(1<<k2) != 0 && par&(1<<b) != 0 {
							n++
						}
					}
					if n%2 == 0 {
						v += pc.odd
					} else {
						v += pc.even
					}
				}
			}
			sc.parTab[par*K+k] = v
		}
	}
	return na
}

// lopt is the part of an option the relaxation reads.
type lopt struct {
	c           float64
	lo, hi, per int32
}

// dpTrans is one transition of the school DP.
type dpTrans struct {
	sp, sy float64 // school-period and school-year penalties incurred
	to     int32   // next state
}

func (lg *lagrange) bestPeriod(pi int) (int, float64) {
	m := lg.m
	bk, bv := -1, math.Inf(-1)
	for k := 0; k < m.K; k++ {
		if v := lg.best[pi*m.K+k]; v > bv {
			bk, bv = k, v
		}
	}
	if bv == math.Inf(-1) {
		return -1, bv
	}
	return bk, bv
}

// subgradient moves the multipliers one step against the subgradient of the
// last solution; target is the best known objective (Polyak step). It
// returns the squared norm of the subgradient (0: xhat is feasible and
// complementary).
func (lg *lagrange) step(bound, target, theta float64) float64 {
	m := lg.m
	if lg.gl == nil {
		lg.gl = make([]float64, m.W)
		lg.gm = make([]float64, len(lg.mu))
	}
	gl, gm := lg.gl, lg.gm
	// Packs used per week (difference array) and per sector-period, in
	// integers: the same values as subtracting them one by one in floats.
	if lg.diff == nil {
		lg.diff = make([]int, m.W+1)
		lg.useQ = make([]int, len(lg.mu))
	}
	diff, useQ := lg.diff, lg.useQ
	clear(diff)
	clear(useQ)
	for i, oi := range lg.xhat {
		if oi < 0 {
			continue
		}
		p := &m.projects[i]
		o := &p.opts[oi]
		diff[o.lo] += p.packs
		diff[o.hi+1] -= p.packs
		useQ[p.sector*m.K+o.per] += p.packs
	}
	use := 0
	for t := range gl {
		use += diff[t]
		gl[t] = float64(m.capW[t] - use)
	}
	for q := 0; q < m.nSectors; q++ {
		for k := 0; k < m.K; k++ {
			gm[q*m.K+k] = float64(m.sectorCap[q] - useQ[q*m.K+k])
		}
	}
	norm := 0.0
	for t, g := range gl {
		if g > 0 && lg.lam[t] == 0 {
			gl[t] = 0
			continue
		}
		norm += g * g
	}
	wsq := float64(m.w.SectorPeriodExcess)
	for i, g := range gm {
		if (g > 0 && lg.mu[i] == 0) || (g < 0 && lg.mu[i] >= wsq) {
			gm[i] = 0
			continue
		}
		norm += g * g
	}
	if norm == 0 {
		return 0
	}
	st := theta * math.Max(bound-target, 1) / norm
	for t, g := range gl {
		lg.lam[t] = math.Max(0, lg.lam[t]-st*g)
	}
	for i, g := range gm {
		lg.mu[i] = math.Min(wsq, math.Max(0, lg.mu[i]-st*g))
	}
	return norm
}

// rcOf returns the reduced cost of the option chosen for pi in xhat.
func (lg *lagrange) rcOf(pi int) float64 {
	oi := lg.xhat[pi]
	if oi < 0 {
		return math.Inf(-1)
	}
	return lg.best[pi*lg.m.K+lg.m.projects[pi].opts[oi].per]
}

// restrict is a branch-and-bound node: allowed options per project (bit
// sets) and projects that must be served.
type restrict struct {
	mask [][2]uint64
	must []bool
}

func (r *restrict) allowed(pi, oi int) bool { return r.mask[pi][oi>>6]&(1<<(oi&63)) != 0 }

func (r *restrict) clone() *restrict {
	return &restrict{mask: append([][2]uint64(nil), r.mask...), must: append([]bool(nil), r.must...)}
}

// lgPar is a helper goroutine for value, which splits its schools
// between the caller and the helper, and for other work the caller hands
// it (do). The helper spins between calls: the relaxation's iterations
// last a fraction of a millisecond, too short for a goroutine's wake-up.
// Each school is solved the same way on either side, and the values are
// summed in school order, so the results do not depend on the split.
type lgPar struct {
	lg    *lagrange
	split int // schools [0, split) on the caller, [split, n) on the helper
	r     *restrict
	half  func() // the helper's half of value
	mine  func() // the caller's half
	task  func()
	gen   atomic.Uint64 // tasks handed over
	done  atomic.Uint64 // tasks the helper finished
	quit  atomic.Bool
}

// noHelper disables the helper (tests: the results must not change).
var noHelper bool

// startPar starts the helper when two processors are available; the
// returned function stops it (it may be called more than once).
func (lg *lagrange) startPar() (stop func()) {
	if runtime.GOMAXPROCS(0) < 2 || lg.simple {
		return func() {}
	}
	// Split the DP's work (about quadratic in a school's projects) evenly.
	work := func(c int) int { n := len(lg.schools[c]); return n*n + 4 }
	total := 0
	for c := range lg.schools {
		total += work(c)
	}
	split, acc := 0, 0
	for split < len(lg.schools) && 2*acc < total {
		acc += work(split)
		split++
	}
	if lg.sc2 == nil {
		lg.sc2 = lg.newScratch()
	}
	p := &lgPar{lg: lg, split: split}
	p.half = func() { lg.schoolRange(lg.sc2, p.split, len(lg.schools), p.r) }
	p.mine = func() { lg.schoolRange(lg.sc, 0, p.split, p.r) }
	lg.par = p
	go p.loop()
	return func() {
		p.quit.Store(true)
		lg.par = nil
	}
}

func (p *lgPar) loop() {
	var seen uint64
	for spins := 0; ; spins++ {
		if g := p.gen.Load(); g != seen {
			seen = g
			p.task()
			p.done.Store(g)
			spins = 0
			continue
		}
		if p.quit.Load() {
			return
		}
		if spins&1023 == 1023 {
			runtime.Gosched()
		}
	}
}

// do runs helper on the helper goroutine and here on the caller's, and
// returns when both are done.
func (p *lgPar) do(helper, here func()) {
	p.task = helper
	g := p.gen.Add(1)
	here()
	for spins := 0; p.done.Load() != g; spins++ {
		if spins&1023 == 1023 {
			runtime.Gosched()
		}
	}
}

// run solves the schools of one value call on both goroutines.
func (p *lgPar) run(r *restrict) {
	p.r = r
	p.do(p.half, p.mine)
}
