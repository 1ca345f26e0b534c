package scheduler

import (
	"cmp"
	"container/heap"
	"math"
	"math/rand/v2"
	"slices"
)

// searcher improves a state by local search and large-neighbourhood search.
type searcher struct {
	m     *model
	s     *state
	stop  func() bool
	rng   *rand.Rand
	order []int // projects by decreasing best coefficient, then index
	// cands holds per range the eviction candidates of buildCands, cands2
	// those of 2 packs or more among them (in the same order): a 2-pack
	// deficit scans only those.
	cands, cands2 [][]evictCand
	heap          itemHeap
	pairs         bool // descend also tries compound moves (small instances)
	// maxPasses bounds descend's passes over the projects (0: none).
	maxPasses int
	cum       []float64 // prefix sums of the week prices used by fill
	// maxCPer is the best coefficient of a project's options per period
	// (project*K+period), noOption if it has none there.
	maxCPer []int
}

const noOption = math.MinInt

// bestMove returns the best objective delta of moving served project qi to
// another fitting option or dropping it.
func (se *searcher) bestMove(qi int) int {
	s := se.s
	b := s.delta(qi, -1)
	for oi := range se.m.projects[qi].opts {
		if oi != s.choice[qi] && s.fits(qi, oi) {
			b = max(b, s.delta(qi, oi))
		}
	}
	return b
}

func newSearcher(m *model, s *state, stop func() bool, seed uint64) *searcher {
	se := &searcher{m: m, s: s, stop: stop, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		maxCPer: make([]int, len(m.projects)*m.K)}
	for i := range m.projects {
		mc := se.maxCPer[i*m.K : (i+1)*m.K]
		for k := range mc {
			mc[k] = noOption
		}
		for _, o := range m.projects[i].opts {
			mc[o.per] = max(mc[o.per], o.c)
		}
	}
	for i := range m.projects {
		if len(m.projects[i].opts) > 0 && !m.projects[i].locked {
			se.order = append(se.order, i)
		}
	}
	lam := make([]float64, m.W)
	for t := range lam {
		lam[t] = float64(m.w.Base) / float64(4*m.L)
	}
	se.setPrices(lam)
	bestC := func(i int) int {
		b := 0
		for _, o := range m.projects[i].opts {
			b = max(b, o.c)
		}
		return b
	}
	slices.SortStableFunc(se.order, func(a, b int) int {
		return cmp.Or(cmp.Compare(bestC(b)*2/m.projects[b].packs, bestC(a)*2/m.projects[a].packs), cmp.Compare(a, b))
	})
	return se
}

// fill serves unserved projects, in order, when that improves the
// objective, at the fitting option with the best priced delta.
func (se *searcher) fill(order []int) {
	s := se.s
	for _, pi := range order {
		if s.choice[pi] >= 0 {
			continue
		}
		if oi := se.bestPriced(pi); oi >= 0 {
			s.set(pi, oi)
		}
	}
}

// fillLazy serves unserved projects of cands greedily by decreasing priced
// delta (lazy re-evaluation: deltas only fall as the plan fills).
func (se *searcher) fillLazy(cands []int) {
	s := se.s
	h := se.heap[:0]
	for _, pi := range cands {
		if s.choice[pi] >= 0 {
			continue
		}
		if oi, v := se.bestPricedV(pi); oi >= 0 {
			h = append(h, heapItem{v, pi})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		it := h[0]
		oi, v := se.bestPricedV(it.pi)
		if oi < 0 {
			heap.Pop(&h)
			continue
		}
		if v < it.v-1e-9 {
			h[0].v = v
			heap.Fix(&h, 0)
			continue
		}
		heap.Pop(&h)
		s.set(it.pi, oi)
	}
	se.heap = h
}

type heapItem struct {
	v  float64
	pi int
}

type itemHeap []heapItem

func (h itemHeap) Len() int { return len(h) }
func (h itemHeap) Less(i, j int) bool {
	return h[i].v > h[j].v || (h[i].v == h[j].v && h[i].pi < h[j].pi)
}
func (h itemHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)   { *h = append(*h, x.(heapItem)) }
func (h *itemHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// setPrices sets the price of a pack-week used to choose options in fill
// (the capacity multipliers of the relaxation).
func (se *searcher) setPrices(lam []float64) {
	if se.cum == nil {
		se.cum = make([]float64, len(lam)+1)
	}
	for t, l := range lam {
		se.cum[t+1] = se.cum[t] + l
	}
}

// bestPriced returns the fitting option of unserved pi maximising delta −
// price of the weeks it uses, among those with a positive delta; -1 if none.
func (se *searcher) bestPriced(pi int) int {
	oi, _ := se.bestPricedV(pi)
	return oi
}

func (se *searcher) bestPricedV(pi int) (int, float64) {
	s := se.s
	p := &se.m.projects[pi]
	best, bestV := -1, 0.0
	for oi := range p.opts {
		o := &p.opts[oi]
		if !s.fits(pi, oi) {
			continue
		}
		d := s.delta(pi, oi)
		if d <= 0 {
			continue
		}
		v := float64(d) - float64(p.packs)*(se.cum[o.hi+1]-se.cum[o.lo])
		if best < 0 || v > bestV {
			best, bestV = oi, v
		}
	}
	return best, bestV
}

// descend applies improving moves until none is left (or stop).
func (se *searcher) descend() {
	for pass := 0; !se.stop() && (se.maxPasses == 0 || pass < se.maxPasses); pass++ {
		improved := false
		se.buildCands()
		for n, pi := range se.order {
			if n%64 == 0 && se.stop() {
				return
			}
			if se.improveProject(pi) {
				improved = true
			}
		}
		if !improved && (!se.pairs || len(se.order) > 200 || !se.pairMoves()) {
			return
		}
	}
}

// pairMoves tries compound moves on small instances: a slightly worsening
// move (or insertion) of one project followed by the best move of another
// one, kept if the pair improves the objective.
func (se *searcher) pairMoves() bool {
	s, m := se.s, se.m
	for _, pi := range se.order {
		cur := s.choice[pi]
		p := &m.projects[pi]
		for oi := range p.opts {
			if oi == cur || !s.fits(pi, oi) {
				continue
			}
			d1 := s.delta(pi, oi)
			if d1 < -2*m.w.PreferredPeriod-m.w.SectorPeriodExcess {
				continue
			}
			before, v0 := s.obj, s.version
			s.set(pi, oi)
			for _, qi := range se.order {
				if qi == pi {
					continue
				}
				if o2, d2 := s.bestFit(qi); o2 >= 0 && d1+d2 > 0 {
					s.set(qi, o2)
					if s.obj > before {
						return true
					}
					s.set(qi, -1) // unreachable in exact arithmetic
				}
			}
			s.set(pi, cur)
			s.version = v0
		}
	}
	return false
}

// improveProject tries, for one project: a better fitting option
// (insert or move), then a swap with a served project that blocks the
// option, the evicted project being re-inserted elsewhere if it can.
func (se *searcher) improveProject(pi int) bool {
	s := se.s
	if oi, d := s.bestFit(pi); oi >= 0 && d > 0 {
		s.set(pi, oi)
		return true
	}
	return se.trySwap(pi)
}

func (se *searcher) trySwap(pi int) bool {
	s, m := se.s, se.m
	p := &m.projects[pi]
	cur := s.choice[pi]
	for oi := range p.opts {
		if oi == cur {
			continue
		}
		o := &p.opts[oi]
		// Upper bound on the gain: the option's coefficient minus the
		// current one; an eviction can only cost.
		curC := 0
		if cur >= 0 {
			curC = p.opts[cur].c
		}
		if o.c-curC+m.w.SchoolPeriodExcess+m.w.SchoolYearExcess+m.w.SectorPeriodExcess*p.packs <= 0 && cur >= 0 {
			continue
		}
		bmin, bmax, deficit := -1, -1, 0
		for t := o.lo; t <= o.hi; t++ {
			l := s.load[t] + p.packs
			if cur >= 0 && t >= p.opts[cur].lo && t <= p.opts[cur].hi {
				l -= p.packs
			}
			if l > m.capW[t] {
				if bmin < 0 {
					bmin = t
				}
				bmax = t
				deficit = max(deficit, l-m.capW[t])
			}
		}
		if bmin < 0 {
			continue
		}
		dp := s.delta(pi, oi)
		// A served project may exchange periods with a blocking one: the
		// estimate then looks at every candidate (small and medium
		// instances only).
		curPer := -1
		exchange := false
		if cur >= 0 && len(se.order) <= 2000 {
			curPer = p.opts[cur].per
			// Only where p pays a penalty or misses its preference.
			exchange = !p.pref[curPer] || s.nsp[p.school*m.K+curPer] > m.fsp ||
				s.mqp[p.sector*m.K+curPer] > m.sectorCap[p.sector]
		}
		// Rank the blocking candidates by an estimate of the swap gain:
		// dp + the best move of q (cached at the start of the pass).
		var top [3]struct{ q, ub int }
		nTop := 0
		for r, rg := range m.ranges {
			if rg[0] > bmin || rg[1] < bmax {
				continue
			}
			list := se.cands[r]
			if deficit >= 2 {
				list = se.cands2[r]
			}
			for _, ec := range list {
				ub := dp + ec.reloc
				if !exchange && (ub <= 0 || (nTop == len(top) && ub <= top[nTop-1].ub)) {
					break // sorted by best move: no better candidate in this range
				}
				if int(ec.packs) < deficit {
					continue
				}
				qi := int(ec.q)
				if s.rid[qi] != r || qi == pi {
					continue
				}
				q := &m.projects[qi]
				if exchange {
					// q may take the period p leaves: estimate that move
					// (the best delta of q's options in that period: they
					// differ only by their coefficient).
					if c := se.maxCPer[qi*m.K+curPer]; c != noOption {
						cq := s.choice[qi]
						ub = max(ub, dp+c-q.opts[cq].c-s.penDelta(q, q.opts[cq].per, curPer))
					}
					if ub <= 0 {
						continue
					}
				}
				j := nTop
				if j == len(top) {
					if ub <= top[j-1].ub {
						continue
					}
					j--
				} else {
					nTop++
				}
				for j > 0 && top[j-1].ub < ub {
					top[j] = top[j-1]
					j--
				}
				top[j].q, top[j].ub = qi, ub
			}
		}
		for _, c := range top[:nTop] {
			if se.swap(pi, oi, c.q) {
				return true
			}
		}
	}
	return false
}

// buildCands lists, per busy range, the served unlocked projects by
// decreasing best move (the cheapest to evict first).
func (se *searcher) buildCands() {
	s, m := se.s, se.m
	if se.cands == nil {
		se.cands = make([][]evictCand, len(m.ranges))
		se.cands2 = make([][]evictCand, len(m.ranges))
	}
	for r := range se.cands {
		se.cands[r] = se.cands[r][:0]
		se.cands2[r] = se.cands2[r][:0]
	}
	for qi, oi := range s.choice {
		if oi < 0 || m.projects[qi].locked {
			continue
		}
		p := &m.projects[qi]
		r := p.opts[oi].rid
		se.cands[r] = append(se.cands[r], evictCand{q: int32(qi), packs: int32(p.packs), reloc: se.bestMove(qi)})
	}
	for r, list := range se.cands {
		slices.SortFunc(list, func(a, b evictCand) int {
			return cmp.Or(cmp.Compare(b.reloc, a.reloc), cmp.Compare(a.q, b.q))
		})
		for _, ec := range list {
			if ec.packs >= 2 {
				se.cands2[r] = append(se.cands2[r], ec)
			}
		}
	}
}

// evictCand is an eviction candidate of buildCands, with what trySwap's
// scan reads first held in place (the scan runs over long lists).
type evictCand struct {
	q, packs int32
	reloc    int // bestMove of q at the start of the pass
}

// swap evicts qi, gives pi option oi and re-inserts qi at its best
// fitting option; it keeps the result if the objective improves.
func (se *searcher) swap(pi, oi, qi int) bool {
	s := se.s
	before, v0 := s.obj, s.version
	oldP, oldQ := s.choice[pi], s.choice[qi]
	s.set(qi, -1)
	if !s.fits(pi, oi) {
		s.set(qi, oldQ)
		s.version = v0 // unchanged state: keep the caches
		return false
	}
	s.set(pi, oi)
	if o2, d := s.bestFit(qi); o2 >= 0 && d > 0 {
		s.set(qi, o2)
	}
	if s.obj > before {
		return true
	}
	s.set(qi, -1)
	s.set(pi, oldP)
	s.set(qi, oldQ)
	s.version = v0
	return false
}

// perturb removes a random group of served loans (one school period of a
// few sectors, or random loans) and refills greedily in a shuffled order.
func (se *searcher) perturb(strength int) {
	s, m := se.s, se.m
	var served []int
	for _, pi := range se.order {
		if s.choice[pi] >= 0 {
			served = append(served, pi)
		}
	}
	if len(served) == 0 {
		return
	}
	n := max(2, min(len(served)/5, strength))
	switch se.rng.IntN(3) {
	case 0: // random loans
		for range n {
			pi := served[se.rng.IntN(len(served))]
			s.set(pi, -1)
		}
	case 1: // one period: remove loans around a random week
		t := se.rng.IntN(m.W)
		cnt := 0
		for _, pi := range served {
			o := &m.projects[pi].opts[s.choice[pi]]
			if o.lo <= t && t <= o.hi && se.rng.IntN(3) == 0 {
				s.set(pi, -1)
				if cnt++; cnt >= n {
					break
				}
			}
		}
	default: // a few schools: all their loans
		cnt := 0
		for cnt < n {
			c := m.projects[served[se.rng.IntN(len(served))]].school
			for _, pi := range served {
				if m.projects[pi].school == c && s.choice[pi] >= 0 {
					s.set(pi, -1)
					cnt++
				}
			}
		}
	}
	// Refill: by value with a little noise.
	order := slices.Clone(se.order)
	for i := len(order) - 1; i > 0; i-- {
		if se.rng.IntN(4) == 0 {
			j := max(0, i-1-se.rng.IntN(8))
			order[i], order[j] = order[j], order[i]
		}
	}
	se.fill(order)
}
