package scheduler

import "math"

// lpDuals solves the LP relaxation of the exact model (spec section 6) with
// a dense primal simplex and returns the dual values of the weekly capacity
// rows and of the sector-period rows. They warm-start the Lagrangian bound
// of the branch-and-bound on small instances: the subgradient method alone
// converges slowly near the optimum. Only used for small models (the
// tableau is dense); ok is false if the model is too large or the simplex
// did not finish.
func (m *model) lpDuals(stop func() bool) (lam, mu []float64, ok bool) {
	type col struct {
		obj  float64
		rows []int32
		coef []float64
	}
	var cols []col
	var rhs []float64
	newRow := func(b float64) int {
		rhs = append(rhs, b)
		return len(rhs) - 1
	}
	// Locked loans are constants: they use capacity and count in the groups.
	lockLoad := make([]int, m.W)
	lockSP := make([]int, m.nSchools*m.K)
	lockSY := make([]int, m.nSchools)
	lockSQ := make([]int, m.nSectors*m.K)
	nOpts := 0
	for i := range m.projects {
		p := &m.projects[i]
		if p.locked {
			o := &p.opts[0]
			for t := o.lo; t <= o.hi; t++ {
				lockLoad[t] += p.packs
			}
			lockSP[p.school*m.K+o.per]++
			lockSY[p.school]++
			lockSQ[p.sector*m.K+o.per] += p.packs
		} else {
			nOpts += len(p.opts)
		}
	}
	if nOpts > 4000 {
		return nil, nil, false
	}
	capRow := make([]int, m.W)
	for t := range capRow {
		capRow[t] = newRow(float64(m.capW[t] - lockLoad[t]))
	}
	sqRow := make([]int, m.nSectors*m.K)
	for q := 0; q < m.nSectors; q++ {
		for k := 0; k < m.K; k++ {
			sqRow[q*m.K+k] = newRow(math.Max(0, float64(m.sectorCap[q]-lockSQ[q*m.K+k])))
			cols = append(cols, col{obj: -float64(m.w.SectorPeriodExcess), rows: []int32{int32(sqRow[q*m.K+k])}, coef: []float64{-1}})
		}
	}
	spRow := make([]int, m.nSchools*m.K)
	syRow := make([]int, m.nSchools)
	for c := 0; c < m.nSchools; c++ {
		syRow[c] = newRow(math.Max(0, float64(m.fsy-lockSY[c])))
		cols = append(cols, col{obj: -float64(m.w.SchoolYearExcess), rows: []int32{int32(syRow[c])}, coef: []float64{-1}})
		for k := 0; k < m.K; k++ {
			spRow[c*m.K+k] = newRow(math.Max(0, float64(m.fsp-lockSP[c*m.K+k])))
			cols = append(cols, col{obj: -float64(m.w.SchoolPeriodExcess), rows: []int32{int32(spRow[c*m.K+k])}, coef: []float64{-1}})
		}
	}
	for i := range m.projects {
		p := &m.projects[i]
		if p.locked || len(p.opts) == 0 {
			continue
		}
		a := newRow(1)
		for _, o := range p.opts {
			cl := col{obj: float64(o.c)}
			add := func(r int, v float64) {
				cl.rows = append(cl.rows, int32(r))
				cl.coef = append(cl.coef, v)
			}
			add(a, 1)
			for t := o.lo; t <= o.hi; t++ {
				add(capRow[t], float64(p.packs))
			}
			add(spRow[p.school*m.K+o.per], 1)
			add(syRow[p.school], 1)
			add(sqRow[p.sector*m.K+o.per], float64(p.packs))
			cols = append(cols, cl)
		}
	}
	nr, nc := len(rhs), len(cols)
	if nr*(nc+nr) > 3_000_000 {
		return nil, nil, false
	}
	// Tableau: rows 0..nr-1 constraints, row nr the reduced costs;
	// columns 0..nc-1 structural, nc..nc+nr-1 slacks, last the RHS.
	w := nc + nr + 1
	tab := make([]float64, (nr+1)*w)
	for j, cl := range cols {
		for k, r := range cl.rows {
			tab[int(r)*w+j] += cl.coef[k]
		}
		tab[nr*w+j] = -cl.obj
	}
	basis := make([]int, nr)
	for i := 0; i < nr; i++ {
		tab[i*w+nc+i] = 1
		// A tiny perturbation of the right-hand sides avoids cycling.
		tab[i*w+w-1] = rhs[i] + 1e-9*float64(1+i%97)
		basis[i] = nc + i
	}
	const eps = 1e-9
	obj := tab[nr*w : (nr+1)*w]
	for iter := 0; ; iter++ {
		if iter > 50*(nr+nc) || (iter%64 == 0 && stop()) {
			return nil, nil, false
		}
		// Entering column: most negative reduced cost.
		e, best := -1, -eps
		for j := 0; j < nc+nr; j++ {
			if obj[j] < best {
				e, best = j, obj[j]
			}
		}
		if e < 0 {
			break
		}
		// Leaving row: ratio test.
		l, ratio := -1, math.Inf(1)
		for i := 0; i < nr; i++ {
			if a := tab[i*w+e]; a > eps {
				if r := tab[i*w+w-1] / a; r < ratio {
					l, ratio = i, r
				}
			}
		}
		if l < 0 {
			return nil, nil, false // unbounded: cannot happen
		}
		prow := tab[l*w : (l+1)*w]
		inv := 1 / prow[e]
		for j := range prow {
			prow[j] *= inv
		}
		for i := 0; i <= nr; i++ {
			if i == l {
				continue
			}
			row := tab[i*w : (i+1)*w]
			f := row[e]
			if f == 0 {
				continue
			}
			for j, v := range prow {
				if v != 0 {
					row[j] -= f * v
				}
			}
		}
		basis[l] = e
	}
	lam = make([]float64, m.W)
	for t := range lam {
		lam[t] = math.Max(0, obj[nc+capRow[t]])
	}
	mu = make([]float64, m.nSectors*m.K)
	for i := range mu {
		mu[i] = math.Min(float64(m.w.SectorPeriodExcess), math.Max(0, obj[nc+sqRow[i]]))
	}
	return lam, mu, true
}
