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
		if iter > simplexMaxIter || (iter%256 == 255 && pr.stop()) {
			return false
		}
		if pr.pivots > 0 && pr.pivots%reinvertEvery == 0 {
			pr.reinvert()
		}
		if iter%dualsEvery == 0 {
			pr.duals() // else updated after the pivot below
		}
		bland := degenerate > blandAfter
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
		// A pivot that raises the objective by no more than round-off
		// is degenerate: counted by the step alone, stalls of tiny
		// steps never reached Bland's rule (mx56-2pk: 20000 pivots at
		// one value).
		if ratio*best < 1e-9 {
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
	for iter := 0; iter < dualSimplexIterPerRow*n; iter++ {
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
