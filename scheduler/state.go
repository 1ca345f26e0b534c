package scheduler

// state is a (capacity-feasible) selection of options, with the counters
// needed to compute objective deltas in O(1) (penalties) or O(loan length)
// (capacity).
type state struct {
	m      *model
	choice []int // option index per project, -1 if unserved
	rid    []int // busy range (model.ranges) per project, -1 if unserved
	load   []int // packs busy per school week
	nsp    []int // served projects per school*K+period
	nsy    []int // served projects per school
	mqp    []int // served packs per sector*K+period
	obj    int   // objective without the churn constant
	served int
	// members lists the served projects per busy range; pos is each
	// served project's position in its list.
	members [][]int
	pos     []int
	// version changes with every set, for caches of the searcher.
	version int
}

func newState(m *model) *state {
	s := &state{m: m, choice: make([]int, len(m.projects)), rid: make([]int, len(m.projects)), load: make([]int, m.W),
		nsp: make([]int, m.nSchools*m.K), nsy: make([]int, m.nSchools), mqp: make([]int, m.nSectors*m.K),
		members: make([][]int, len(m.ranges)), pos: make([]int, len(m.projects))}
	for i := range s.choice {
		s.choice[i] = -1
		s.rid[i] = -1
	}
	return s
}

func (s *state) clone() *state {
	c := *s
	c.choice = append([]int(nil), s.choice...)
	c.rid = append([]int(nil), s.rid...)
	c.load = append([]int(nil), s.load...)
	c.nsp = append([]int(nil), s.nsp...)
	c.nsy = append([]int(nil), s.nsy...)
	c.mqp = append([]int(nil), s.mqp...)
	c.pos = append([]int(nil), s.pos...)
	c.members = make([][]int, len(s.members))
	for i, l := range s.members {
		c.members[i] = append([]int(nil), l...)
	}
	return &c
}

func (s *state) copyFrom(o *state) {
	copy(s.choice, o.choice)
	copy(s.rid, o.rid)
	copy(s.load, o.load)
	copy(s.nsp, o.nsp)
	copy(s.nsy, o.nsy)
	copy(s.mqp, o.mqp)
	copy(s.pos, o.pos)
	for i, l := range o.members {
		s.members[i] = append(s.members[i][:0], l...)
	}
	s.obj, s.served = o.obj, o.served
}

func (s *state) fSP(n int) int { return s.m.w.SchoolPeriodExcess * max(0, n-s.m.fsp) }
func (s *state) fSY(n int) int { return s.m.w.SchoolYearExcess * max(0, n-s.m.fsy) }
func (s *state) fSQ(q, v int) int {
	return s.m.w.SectorPeriodExcess * max(0, v-s.m.sectorCap[q])
}

// penDelta is the change of the penalties (positive = worse) when project p
// moves from period from to period to (-1 = unserved).
func (s *state) penDelta(p *mproj, from, to int) int {
	if from == to {
		return 0
	}
	m := s.m
	d := 0
	c, q, k := p.school, p.sector, p.packs
	if from >= 0 {
		n := s.nsp[c*m.K+from]
		d += s.fSP(n-1) - s.fSP(n)
		v := s.mqp[q*m.K+from]
		d += s.fSQ(q, v-k) - s.fSQ(q, v)
	}
	if to >= 0 {
		n := s.nsp[c*m.K+to]
		d += s.fSP(n+1) - s.fSP(n)
		v := s.mqp[q*m.K+to]
		d += s.fSQ(q, v+k) - s.fSQ(q, v)
	}
	if from < 0 {
		n := s.nsy[c]
		d += s.fSY(n+1) - s.fSY(n)
	} else if to < 0 {
		n := s.nsy[c]
		d += s.fSY(n-1) - s.fSY(n)
	}
	return d
}

// delta is the objective change when project pi takes option oi (-1 =
// unserved) instead of its current choice. Capacity is not checked.
func (s *state) delta(pi, oi int) int {
	p := &s.m.projects[pi]
	cur := s.choice[pi]
	from, to, d := -1, -1, 0
	if cur >= 0 {
		from = p.opts[cur].per
		d -= p.opts[cur].c
	}
	if oi >= 0 {
		to = p.opts[oi].per
		d += p.opts[oi].c
	}
	return d - s.penDelta(p, from, to)
}

// fits reports whether option oi of project pi fits in the free capacity,
// counting the project's current loan as free.
func (s *state) fits(pi, oi int) bool {
	p := &s.m.projects[pi]
	o := &p.opts[oi]
	capW := s.m.capW
	lo, hi := o.lo, o.hi
	load := s.load
	if cur := s.choice[pi]; cur >= 0 {
		// Weeks before, inside and after the current loan.
		co := &p.opts[cur]
		for t := lo; t <= min(hi, co.lo-1); t++ {
			if load[t]+p.packs > capW[t] {
				return false
			}
		}
		for t := max(lo, co.lo); t <= min(hi, co.hi); t++ {
			if load[t] > capW[t] {
				return false
			}
		}
		lo = max(lo, co.hi+1)
	}
	for t := lo; t <= hi; t++ {
		if load[t]+p.packs > capW[t] {
			return false
		}
	}
	return true
}

// set gives project pi option oi (-1 = unserved), updating every counter.
func (s *state) set(pi, oi int) {
	s.version++
	s.obj += s.delta(pi, oi)
	m := s.m
	p := &m.projects[pi]
	if cur := s.choice[pi]; cur >= 0 {
		o := &p.opts[cur]
		for t := o.lo; t <= o.hi; t++ {
			s.load[t] -= p.packs
		}
		s.nsp[p.school*m.K+o.per]--
		s.nsy[p.school]--
		s.mqp[p.sector*m.K+o.per] -= p.packs
		s.served--
		l := s.members[o.rid]
		last := l[len(l)-1]
		l[s.pos[pi]] = last
		s.pos[last] = s.pos[pi]
		s.members[o.rid] = l[:len(l)-1]
	}
	if oi >= 0 {
		o := &p.opts[oi]
		for t := o.lo; t <= o.hi; t++ {
			s.load[t] += p.packs
		}
		s.nsp[p.school*m.K+o.per]++
		s.nsy[p.school]++
		s.mqp[p.sector*m.K+o.per] += p.packs
		s.served++
		s.pos[pi] = len(s.members[o.rid])
		s.members[o.rid] = append(s.members[o.rid], pi)
	}
	s.choice[pi] = oi
	s.rid[pi] = -1
	if oi >= 0 {
		s.rid[pi] = p.opts[oi].rid
	}
}

// bestFit returns the fitting option of pi with the best delta (ties: the
// first option, i.e. earliest start, no extension first), or -1 and 0 if
// none fits.
func (s *state) bestFit(pi int) (best, bestD int) {
	best = -1
	for oi := range s.m.projects[pi].opts {
		if oi == s.choice[pi] || !s.fits(pi, oi) {
			continue
		}
		if d := s.delta(pi, oi); best < 0 || d > bestD {
			best, bestD = oi, d
		}
	}
	return best, bestD
}
