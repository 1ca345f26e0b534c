package scheduler

// Cuts of the branch-and-price's master, separated at the root: knapsack
// covers of the capacity rows, mixed covers and rounding cuts of the
// sector-period rows, rounding cuts by school; their duals, like those of
// the group rows, enter the pricing as option costs (and parity costs for
// the school rounding cuts).

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

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
	for c := range lg.parity {
		lg.parity[c] = lg.parity[c][:0]
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
			for k := 0; k < m.K; k++ {
				if cu.pmask&(1<<k) != 0 {
					tot[cu.q*m.K+k] += sgs[ci]
				}
			}
		}
	}
	for ci, cu := range pr.cuts {
		if cu.w == nil {
			continue
		}
		f := 1.0
		for k := 0; k < m.K; k++ {
			if t := tot[cu.q*m.K+k]; cu.pmask&(1<<k) != 0 && t > wsq {
				f = math.Min(f, wsq/t)
			}
		}
		sgs[ci] *= f
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
		if cu.sch != nil {
			if lg.parity == nil {
				lg.parity = make([][]parCost, m.nSchools)
			}
			for c, projs := range lg.schools {
				if len(projs) == 0 || m.projects[projs[0]].sector != cu.q {
					continue
				}
				lg.parity[c] = addParity(lg.parity[c], cu.pmask, cu.sch[c], sg)
			}
		}
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
	// The school rounding cuts first; a sector that gets one does not
	// get the rounding cuts of its projects in the same round.
	schoolCut := make([]bool, m.nSectors)
	if pr.useSchoolMIR {
		for q := range schoolCut {
			if pr.separateSchoolMIR(q) {
				schoolCut[q] = true
				added++
			}
		}
	}
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
		if pr.useSectorMIR && !schoolCut[q] && pr.separateSectorMIR(sec, items, yv, e) {
			added++
		}
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
		if pr.addSectorCut("s", q, 1<<k, w, nil, rhs) {
			added++
		}
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
		if a := cu.colCoef(m, cl.school, cl.plan); a != 0 {
			cl.rows = append(cl.rows, int32(n))
			cl.vals = append(cl.vals, float64(a))
		}
	}
	if cu.w != nil {
		for k := 0; k < m.K; k++ {
			if cu.pmask&(1<<k) != 0 {
				cl := &pr.cols[pr.secExcess[cu.q*m.K+k]]
				cl.rows = append(cl.rows, int32(n))
				cl.vals = append(cl.vals, -1)
			}
		}
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

// separateSectorMIR adds the most violated mixed-integer rounding cut of
// the row of sector-period sec with divisor 2, if the master's solution
// violates it; it reports whether it added one. With C a set of 1-pack
// projects whose size has the parity that makes cap − |C| odd, the row
// Σ packs·x − e ≤ cap, with the projects of C complemented, rounds to
//
//	Σ_{p} ⌊packs/2⌋·x_p + Σ_{C} x_p − e ≤ (cap + |C| − 1) / 2.
//
// With cap 1 and no 1-pack project it says e ≥ the number of 2-pack
// projects served: each one alone exceeds the cap, which the master
// otherwise spreads over plans that stay under it (a 2-pack project in
// one plan, none in another). The best C takes the 1-pack projects of
// largest value, two at a time while a pair adds more than it costs.
func (pr *pricer) separateSectorMIR(sec int, items []int, yv []float64, e float64) bool {
	m := pr.m
	q := sec / m.K
	capQ := m.sectorCap[q]
	lhs := -e
	var ones []int
	for _, pi := range items {
		if pk := m.projects[pi].packs; pk >= 2 {
			lhs += float64(pk/2) * yv[pi]
		} else {
			ones = append(ones, pi)
		}
	}
	bestN, bestV := bestComplement(ones, yv, capQ, lhs)
	if bestV <= 1e-4 {
		return false
	}
	w := make([]int8, len(m.projects))
	k := sec % m.K
	for pi := range m.projects {
		p := &m.projects[pi]
		if p.sector != q || p.packs < 2 {
			continue
		}
		for oi := range p.opts {
			if p.opts[oi].per == k {
				w[pi] = int8(p.packs / 2)
				break
			}
		}
	}
	for _, pi := range ones[:bestN] {
		w[pi] = 1
	}
	return pr.addSectorCut("m", q, 1<<k, w, nil, (capQ+bestN-1)/2)
}

// separateSchoolMIR adds the most violated school rounding cut of sector
// q, if the master's solution violates one; it reports whether it added
// one. The sum of the sector's rows over a set P of periods, halved, plus
// half the convexity rows of a set T of the sector's schools
// (|P|·cap − |T| odd), rounded down, gives
//
//	Σ_{c∈T} ⌈packs_c/2⌉ + Σ_{c∉T} ⌊packs_c/2⌋ − Σ_P e ≤ (|P|·cap + |T| − 1) / 2
//
// with packs_c the packs school c serves in the sector in the periods of
// P. A school counts whole units here, where the rounding cut of its
// projects (separateSectorMIR) counts the fractions of each: a school that
// serves one 1-pack project in the period in every plan of the master's
// solution, or two of them, is exact here. Over one period it cuts off
// the solutions that pair a half 2-pack project with such schools; over
// several, those whose plans move packs between the periods. For each P,
// T takes the schools of odd packs of largest value, two at a time while a
// pair adds more than it costs; the most violated cut over every P is
// added. The school DP prices the rounding as a cost on the parity of the
// school's packs (lagrange.parity).
func (pr *pricer) separateSchoolMIR(q int) bool {
	m := pr.m
	K := m.K
	if K > schoolCutMaxPeriods {
		return false // the school DP's parity bits would be too many
	}
	var rows uint32 // periods whose row exists
	for k := 0; k < K; k++ {
		if pr.secRow[q*K+k] >= 0 {
			rows |= 1 << k
		}
	}
	if rows == 0 {
		return false
	}
	// The master's school plans in the sector: their value and packs per
	// period.
	type plan struct {
		school int
		v      float64
		packs  []int
	}
	var plans []plan
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		v := pr.xB[r]
		if !cl.isSch || v < 1e-9 || m.projects[pr.lg.schools[cl.school][0]].sector != q {
			continue
		}
		pl := plan{school: cl.school, v: v, packs: make([]int, K)}
		for h := 0; h < len(cl.plan); h += 2 {
			p := &m.projects[cl.plan[h]]
			pl.packs[p.opts[cl.plan[h+1]].per] += p.packs
		}
		plans = append(plans, pl)
	}
	e := make([]float64, K)
	for k := range e {
		if j := pr.secExcess[q*K+k]; j >= 0 && pr.inBasis[j] >= 0 {
			e[k] = pr.xB[pr.inBasis[j]]
		}
	}
	f := make([]float64, m.nSchools) // value of the plans of odd packs
	var schools []int
	bestV, bestMask, bestN := 1e-4, uint32(0), 0
	var bestT []int
	for set := rows; set > 0; set = (set - 1) & rows {
		if !pr.useSchoolSets && set&(set-1) != 0 {
			continue
		}
		lhs := 0.0
		capS := 0
		for k := 0; k < K; k++ {
			if set&(1<<k) != 0 {
				lhs -= e[k]
				capS += m.sectorCap[q]
			}
		}
		for _, c := range schools {
			f[c] = 0
		}
		schools = schools[:0]
		for _, pl := range plans {
			n := 0
			for k, pk := range pl.packs {
				if set&(1<<k) != 0 {
					n += pk
				}
			}
			lhs += float64(n/2) * pl.v
			if n%2 == 1 {
				if f[pl.school] == 0 {
					schools = append(schools, pl.school)
				}
				f[pl.school] += pl.v
			}
		}
		if n, v := bestComplement(schools, f, capS, lhs); v > bestV {
			bestV, bestMask, bestN = v, set, n
			bestT = append(bestT[:0], schools[:n]...)
		}
	}
	if bestMask == 0 {
		return false
	}
	capS := 0
	for k := 0; k < K; k++ {
		if bestMask&(1<<k) != 0 {
			capS += m.sectorCap[q]
		}
	}
	w := make([]int8, len(m.projects))
	for pi := range m.projects {
		if p := &m.projects[pi]; p.sector == q && p.packs >= 2 {
			w[pi] = int8(p.packs / 2)
		}
	}
	sch := make([]bool, m.nSchools)
	for _, c := range bestT {
		sch[c] = true
	}
	return pr.addSectorCut("t", q, bestMask, w, sch, (capS+bestN-1)/2)
}

// addParity adds to a school's parity costs the dual sg of a school
// rounding cut over the periods of mask: on odd packs for a school of the
// cut's set (in T), on even packs for the others.
func addParity(costs []parCost, mask uint32, inT bool, sg float64) []parCost {
	i := slices.IndexFunc(costs, func(pc parCost) bool { return pc.mask == mask })
	if i < 0 {
		costs = append(costs, parCost{mask: mask})
		i = len(costs) - 1
	}
	if inT {
		costs[i].odd += sg
	} else {
		costs[i].even += sg
	}
	return costs
}

// addSectorCut adds the cut Σ w·x − Σ e ≤ rhs of sector q in the periods
// of pmask (their excesses e) unless the same cut of that family (kind)
// was added before; it reports whether it added it.
func (pr *pricer) addSectorCut(kind string, q int, pmask uint32, w []int8, sch []bool, rhs int) bool {
	var sb strings.Builder
	sb.WriteString(kind)
	sb.WriteString(strconv.Itoa(q))
	sb.WriteByte('/')
	sb.WriteString(strconv.FormatUint(uint64(pmask), 2))
	for pi, c := range w {
		if c != 0 {
			sb.WriteByte(',')
			sb.WriteString(strconv.Itoa(pi))
			sb.WriteByte(':')
			sb.WriteString(strconv.Itoa(int(c)))
		}
	}
	for c, in := range sch {
		if in {
			sb.WriteString(",s")
			sb.WriteString(strconv.Itoa(c))
		}
	}
	if pr.cutKey[sb.String()] {
		return false
	}
	pr.cutKey[sb.String()] = true
	pr.addCut(pcut{q: q, pmask: pmask, w: w, sch: sch}, rhs)
	return true
}

// bestComplement sorts ones (1-pack projects) by decreasing value y and
// returns the size n of the prefix C that maximises the violation
// lhs + Σ_C y − (cap + n − 1)/2 of a rounding cut with divisor 2, among
// the sizes that make cap − n odd, and that violation.
func bestComplement(ones []int, y []float64, capV int, lhs float64) (int, float64) {
	slices.SortStableFunc(ones, func(a, b int) int {
		switch {
		case y[a] > y[b]:
			return -1
		case y[a] < y[b]:
			return 1
		}
		return a - b
	})
	n := 0
	if capV%2 == 0 {
		n = 1
	}
	if n > len(ones) {
		return 0, math.Inf(-1)
	}
	sum := lhs
	for _, pi := range ones[:n] {
		sum += y[pi]
	}
	bestN, bestV := n, sum-float64(capV+n-1)/2
	for k := n + 2; k <= len(ones); k += 2 {
		sum += y[ones[k-2]] + y[ones[k-1]]
		if v := sum - float64(capV+k-1)/2; v > bestV+1e-9 {
			bestN, bestV = k, v
		}
	}
	return bestN, bestV
}
