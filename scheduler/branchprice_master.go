package scheduler

// The master LP of the branch-and-price: a revised simplex with an explicit
// dense inverse of the basis (pivots, reinversion, a dual simplex after a
// change of right-hand sides), kept for the whole search.

import (
	"math"
)

func (pr *pricer) costOf(j int) float64 {
	if pr.forbid[j] {
		return pr.cols[j].cost - bigM
	}
	return pr.cols[j].cost
}

// duals computes y = c_B B^-1, forbidden columns priced at their cost
// minus bigM.
func (pr *pricer) duals() {
	pr.dualsWith(pr.costOf)
}

// dualsWith computes y = c_B B^-1 with the costs cost(j).
func (pr *pricer) dualsWith(cost func(int) float64) {
	n := pr.nRows
	clear(pr.y)
	for r := 0; r < n; r++ {
		cb := cost(pr.basis[r])
		if cb == 0 {
			continue
		}
		row := pr.binv[r*n : (r+1)*n]
		for i, v := range row {
			pr.y[i] += cb * v
		}
	}
}

// split runs f over [0, n), its two halves on the caller and on the
// relaxation's helper goroutine when that one runs (lgPar, during the
// tree of the whole time budget), else all on the caller. f must write
// only to the indices of its own range: each one is computed the same way
// on either side, so the results do not depend on the split.
func (pr *pricer) split(n int, f func(lo, hi int)) {
	if p := pr.lg.par; p != nil && n >= splitMin {
		h := n / 2
		p.do(func() { f(h, n) }, func() { f(0, h) })
		return
	}
	f(0, n)
}

// dot returns v·a_j, for v a vector over the master's rows.
func (pr *pricer) dot(v []float64, j int) float64 {
	cl := &pr.cols[j]
	s := 0.0
	for k, i := range cl.rows {
		s += v[i] * cl.vals[k]
	}
	return s
}

// colScratch returns the simplexes' per-column scratch (pr.rcv, pr.dvx),
// sized to the columns.
func (pr *pricer) colScratch() (rcv, dvx []float64) {
	nc := len(pr.cols)
	if cap(pr.rcv) < nc {
		pr.rcv = make([]float64, nc, 2*nc)
		pr.dvx = make([]float64, nc, 2*nc)
	}
	return pr.rcv[:nc], pr.dvx[:nc]
}

// priceAll sets rcv[j] to the reduced cost of every nonbasic column that
// may enter, from the current duals.
func (pr *pricer) priceAll(rcv []float64) {
	for j := range pr.cols {
		if pr.inBasis[j] < 0 && !pr.forbid[j] {
			rcv[j] = pr.rc(j)
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
// simplex, Devex pricing, perturbed basic values at a degenerate vertex,
// Bland's rule after degenerate stalls). It returns false if stopped.
//
// The reduced costs of the nonbasic columns are kept up to date from the
// pivot row, which also updates the Devex weights: one pass over the
// columns per pivot, as Dantzig's rule took to price them.
func (pr *pricer) simplex() bool {
	n := pr.nRows
	const eps = 1e-9
	degenerate := 0
	// perturbed: x_B holds perturbed values; unperturbed: they were
	// perturbed once and restored (not again in this call).
	perturbed, unperturbed := false, false
	rcv, w := pr.colScratch()
	for j := range w {
		w[j] = 1 // a fresh reference framework
	}
	fresh := 0 // iteration of the last full pricing
	for iter := 0; ; iter++ {
		if iter > simplexMaxIter || (iter%256 == 255 && pr.stop()) {
			return false
		}
		if iter == fresh || (iter-fresh)%dualsEvery == 0 {
			// Full pricing from fresh duals: sheds the updates' round-off.
			pr.duals()
			pr.priceAll(rcv)
		}
		bland := degenerate > blandAfter
		e, best, score := -1, 0.0, 0.0
		for j, v := range rcv {
			// A forbidden column's upper bound is zero: it never enters.
			if v <= 1e-7 || pr.inBasis[j] >= 0 || pr.forbid[j] {
				continue
			}
			if bland {
				e, best = j, v
				break
			}
			if sc := v * v / w[j]; sc > score {
				e, best, score = j, v, sc
			}
		}
		if e < 0 {
			if !perturbed {
				return true
			}
			// Optimal for the perturbed values: back to the true ones,
			// whose small infeasibilities the dual simplex repairs (the
			// basis stays dual feasible), then on without perturbation.
			perturbed, unperturbed = false, true
			pr.primalValues()
			if !pr.dualSimplex() {
				return false
			}
			// The dual simplex used the weights' space for its pivot
			// rows: a fresh reference framework, and fresh prices.
			for j := range w {
				w[j] = 1
			}
			degenerate, fresh = 0, iter+1
			continue
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
		// A pivot that raises the objective by no more than round-off
		// is degenerate: counted by the step alone, stalls of tiny
		// steps never reached Bland's rule (mx56-2pk: 20000 pivots at
		// one value).
		if ratio*best < 1e-9 {
			degenerate++
		} else {
			degenerate = 0
		}
		if degenerate == perturbAfter && !perturbed && !unperturbed {
			// A degenerate vertex: perturb the basic values by random
			// amounts far above the tolerances and far below the data,
			// which ends ties in the ratio test (Bland's rule would take
			// hundreds of pivots here).
			perturbed = true
			for r := range pr.xB {
				pr.xB[r] = math.Max(pr.xB[r], 0) + perturbSize*(1+pr.noise())
			}
			degenerate = 0
			continue
		}
		leaving, we := pr.basis[l], w[e]
		pr.pivot(l, e)
		// Row l of the new inverse gives each column's entry in the
		// pivot row over the pivot: rc_j -= rc_e*ρ_j, and the Devex
		// weight w_j grows to (ρ_j)² w_e if that is more. The
		// leaving column was basic: its reduced cost was zero.
		prow := pr.binv[l*n : (l+1)*n]
		rcv[leaving], w[leaving] = 0, 1
		for j := range pr.cols {
			if pr.inBasis[j] >= 0 || pr.forbid[j] {
				continue
			}
			rho := pr.dot(prow, j)
			if rho == 0 {
				continue
			}
			rcv[j] -= best * rho
			if v := rho * rho * we; v > w[j] {
				w[j] = v
			}
		}
		if pr.pivots >= reinvertEvery {
			pr.reinvert() // recomputes the true x_B
			perturbed = false
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
			pr.pivots = 0 // singular: keep the updated inverse
			return
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
	pr.pivots = 0
	pr.primalValues()
}

// primalValues sets x_B = B^-1 b.
func (pr *pricer) primalValues() {
	n := pr.nRows
	for r := 0; r < n; r++ {
		v := 0.0
		for i, b := range pr.rhs {
			if b != 0 {
				v += pr.binv[r*n+i] * b
			}
		}
		pr.xB[r] = v
	}
}

// noise returns a pseudo-random number in [0, 1), the same sequence for
// the same search.
func (pr *pricer) noise() float64 {
	pr.noiseState ^= pr.noiseState << 13
	pr.noiseState ^= pr.noiseState >> 7
	pr.noiseState ^= pr.noiseState << 17
	return float64(pr.noiseState>>11) / (1 << 53)
}

// ftran sets d = B^-1 a_e, the column e in the current basis.
func (pr *pricer) ftran(e int) {
	n := pr.nRows
	for r := 0; r < n; r++ {
		pr.d[r] = pr.dot(pr.binv[r*n:(r+1)*n], e)
	}
}

// setBounds sets the right-hand sides of the group rows (gb: lo, hi per
// group) after setForbid: when the basis becomes infeasible, values below
// zero or forbidden columns above it, a dual simplex repairs it, or else
// the master restarts from its initial basis (forbidden columns alone are
// left to the primal simplex, which drives them out by their bigM cost).
func (pr *pricer) setBounds(gb []int) {
	changed := false
	for gi, g := range pr.groups {
		lo, hi := -float64(gb[2*gi]), float64(gb[2*gi+1])
		if pr.rhs[g.loRow] != lo || pr.rhs[g.hiRow] != hi {
			pr.rhs[g.loRow], pr.rhs[g.hiRow] = lo, hi
			changed = true
		}
	}
	if changed {
		pr.primalValues()
	}
	if pr.dualSimplex() {
		return
	}
	for _, v := range pr.xB {
		if v < -1e-9 {
			pr.coldStart(gb)
			return
		}
	}
}

// coldStart resets the master to its initial basis.
func (pr *pricer) coldStart(gb []int) {
	n := pr.nRows
	for _, j := range pr.basis {
		pr.inBasis[j] = -1
	}
	clear(pr.binv)
	pr.pivots = 0
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

// dualSimplex restores primal feasibility from a dual feasible basis
// after a change of right-hand sides (basic values below zero) or of the
// forbidden columns (a forbidden column's upper bound is zero: its
// positive basic value must leave). Columns with a positive reduced cost
// are left to the primal simplex. It returns false if it gives up.
func (pr *pricer) dualSimplex() bool {
	n := pr.nRows
	// The parent's optimality is with the columns' own costs: bigM only
	// steers the primal simplex.
	cost := func(j int) float64 { return pr.cols[j].cost }
	// rcv: the reduced costs, kept up to date from the pivot row as in
	// the primal simplex; alpha (the primal's Devex weights, reset on
	// its start): each column's entry in the pivot row.
	rcv, alpha := pr.colScratch()
	for iter := 0; iter < dualSimplexIterPerRow*n; iter++ {
		// Leaving row: dual steepest edge, the infeasibility squared over
		// the squared norm of the row of B^-1 (exact: the inverse is
		// explicit, and only infeasible rows need it). Taking the largest
		// infeasibility instead took about 4 times as many pivots per call
		// in the trees of the mature shape (mx52-p8: 41 against 11).
		l, worst, up := -1, 0.0, false
		for r, v := range pr.xB {
			inf, u := -v, false
			if v > 1e-9 && pr.forbid[pr.basis[r]] {
				inf, u = v, true
			}
			if inf <= 1e-9 {
				continue
			}
			w := 0.0
			for _, b := range pr.binv[r*n : (r+1)*n] {
				w += b * b
			}
			if sc := inf * inf / w; sc > worst {
				l, worst, up = r, sc, u
			}
		}
		if l < 0 {
			return true
		}
		if iter%dualsEvery == 0 {
			pr.dualsWith(cost)
			pr.priceAll(rcv)
		}
		// Entering column: the ratio |rc/a| is least among the columns
		// whose coefficient in row l moves x_l towards its bound (a < 0
		// raises a negative value, a > 0 lowers a forbidden one).
		row := pr.binv[l*n : (l+1)*n]
		pr.split(len(pr.cols), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				if pr.inBasis[j] < 0 && !pr.forbid[j] {
					alpha[j] = pr.dot(row, j)
				}
			}
		})
		e, ratio := -1, math.Inf(1)
		for j := range pr.cols {
			if pr.inBasis[j] >= 0 || pr.forbid[j] {
				continue
			}
			a := alpha[j]
			if up {
				a = -a
			}
			if a > -1e-9 {
				continue
			}
			rc := rcv[j]
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
		theta, leaving := rcv[e]/alpha[e], pr.basis[l]
		pr.ftran(e)
		pr.pivot(l, e)
		for j := range pr.cols {
			if pr.inBasis[j] < 0 && !pr.forbid[j] && alpha[j] != 0 {
				rcv[j] -= theta * alpha[j]
			}
		}
		rcv[leaving] = -theta // its entry in the pivot row was 1
		if pr.pivots >= reinvertEvery {
			pr.reinvert()
		}
	}
	return false
}

// basisSnap is a saved master basis.
type basisSnap struct {
	basis         []int
	binv, xB, rhs []float64
	pivots        int
}

// snapshot saves the basis for the children and probes that start from
// it.
func (pr *pricer) snapshot() *basisSnap {
	if pr.pivots >= reinvertEvery/2 {
		// Every child and probe restored from the snapshot would count
		// on from its pivots and reinvert within a few nodes, each one
		// on its own (mh65-p10: 167 reinversions for 19,009 pivots);
		// one reinversion here serves them all (59).
		pr.reinvert()
	}
	return pr.saveBasis()
}

// saveBasis copies the basis as it is.
func (pr *pricer) saveBasis() *basisSnap {
	return &basisSnap{basis: append([]int(nil), pr.basis...), binv: append([]float64(nil), pr.binv...),
		xB: append([]float64(nil), pr.xB...), rhs: append([]float64(nil), pr.rhs...), pivots: pr.pivots}
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
	pr.pivots = sn.pivots
	for r, j := range pr.basis {
		pr.inBasis[j] = r
	}
}
