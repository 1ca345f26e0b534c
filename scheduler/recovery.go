package scheduler

// Primal recovery: plans built from the relaxed solutions and from the
// decayed frequencies of their options.

import (
	"cmp"
	"slices"
)

// freq accumulates how often each option is chosen by the relaxed
// solutions (with decay): an estimate of the LP solution, used to build
// feasible plans (primal recovery).
type freq struct {
	m     *model
	off   []int // first flat option index per project
	f     []float64
	proj  []int32 // project of each flat option index
	pairs []freqPair
}

type freqPair struct {
	f float64
	j int32
}

func newFreq(m *model) *freq {
	fr := &freq{m: m, off: make([]int, len(m.projects)+1)}
	for i := range m.projects {
		fr.off[i+1] = fr.off[i] + len(m.projects[i].opts)
	}
	fr.f = make([]float64, fr.off[len(m.projects)])
	fr.proj = make([]int32, len(fr.f))
	for i := range m.projects {
		for j := fr.off[i]; j < fr.off[i+1]; j++ {
			fr.proj[j] = int32(i)
		}
	}
	return fr
}

func (fr *freq) add(x []int, it int) {
	for i := range fr.f {
		fr.f[i] *= 0.9
	}
	for pi, oi := range x {
		if oi >= 0 {
			fr.f[fr.off[pi]+oi]++
		}
	}
}

// repair builds in cand: locked loans, then options by decreasing
// frequency (ties: coefficient, project order) where they fit, then fill.
func (fr *freq) repair(cand *state, se *searcher, lg *lagrange) {
	m := fr.m
	cand.keepLocked()
	pairs := fr.pairs[:0]
	for j, v := range fr.f {
		if v > 0.05 {
			pairs = append(pairs, freqPair{v, int32(j)})
		}
	}
	// A total order (frequency, then index): any sort gives the same list.
	slices.SortFunc(pairs, func(a, b freqPair) int {
		if a.f != b.f {
			if a.f > b.f {
				return -1
			}
			return 1
		}
		return int(a.j - b.j)
	})
	fr.pairs = pairs
	for _, pr := range pairs {
		j := int(pr.j)
		pi := int(fr.proj[j])
		oi := j - fr.off[pi]
		if cand.choice[pi] >= 0 || !cand.fits(pi, oi) || cand.delta(pi, oi) < m.projects[pi].opts[oi].c {
			continue
		}
		cand.set(pi, oi)
	}
	se.fillPriced(cand, lg.lam)
}

// repair turns a relaxed solution x into a feasible state in cand: locked
// loans, then x's loans in the searcher's order where they fit (else their
// best fitting option), then a greedy fill and a descent.
func (m *model) repair(cand *state, lg *lagrange, se *searcher, byRC bool) {
	cand.keepLocked()
	x := lg.xhat
	order := lg.order[:0]
	for _, pi := range se.order {
		if x[pi] >= 0 {
			order = append(order, pi)
		}
	}
	if byRC {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(lg.rcOf(b), lg.rcOf(a)) })
	}
	lg.order = order
	for _, pi := range order {
		oi := x[pi]
		if cand.fits(pi, oi) && cand.delta(pi, oi) >= m.projects[pi].opts[oi].c {
			cand.set(pi, oi)
		}
	}
	se.fillPriced(cand, lg.lam)
}

// keepLocked removes every loan but the locked ones.
func (s *state) keepLocked() {
	for i := range s.m.projects {
		if !s.m.projects[i].locked && s.choice[i] >= 0 {
			s.set(i, -1)
		}
	}
}

// fillPriced completes cand by the searcher's lazy greedy fill, options
// priced by the multipliers lam.
func (se *searcher) fillPriced(cand *state, lam []float64) {
	s := se.s
	se.s = cand
	se.setPrices(lam)
	se.fillLazy(se.order)
	se.s = s
}
