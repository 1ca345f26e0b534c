package scheduler

import "math/rand/v2"

// Sector neighbourhoods of large instances: the branch-and-price
// (branchprice*.go) re-optimises the loans of a few sectors at a time, every
// other loan fixed. On the large instances of the mature-programme shape
// (1,000 schools in 120 sectors), the local search of the whole time
// budget stalls 0.2-0.3 % below the optimum; these neighbourhoods close
// most of that gap within a few seconds.

const (
	// lnsProjects is the number of projects (with a legal option) a
	// neighbourhood aims at: its branch-and-price then takes tenths of
	// a second (12 sectors of the mature shape; smaller neighbourhoods
	// improve less per second, larger ones are slower).
	lnsProjects = 480
	// lnsNodes bounds the tree of each neighbourhood's branch-and-price:
	// its root and a short dive find most of the gains (10 nodes gain
	// less, 100 take more time than they gain).
	lnsNodes = 30
	// lnsRelaxEvery: the relaxation of the whole instance runs one block
	// of iterations every this many neighbourhoods (for the bound).
	lnsRelaxEvery = 4
	// treeLNSEvery, treeLNSAfter and treeLNSProjects: the
	// branch-and-price of a whole instance re-optimises a neighbourhood of
	// about treeLNSProjects projects from its treeLNSAfter-th node on,
	// while its gap is open: every treeLNSEvery nodes, twice as far off
	// after each one in a row that finds nothing.
	treeLNSEvery    = 16
	treeLNSAfter    = 64
	treeLNSProjects = 240
)

// sectorNeighbourhoods draws groups of sectors at random.
type sectorNeighbourhoods struct {
	perm []int
	size int
	keep []bool
}

// newSectorNeighbourhoods returns the neighbourhoods of a model with n
// active projects, or nil if one group would hold every sector.
func newSectorNeighbourhoods(m *model, n int) *sectorNeighbourhoods {
	return newSectorNeighbourhoodsOf(m, lnsProjects, n)
}

// newSectorNeighbourhoodsOf is newSectorNeighbourhoods with neighbourhoods
// of about projects projects.
func newSectorNeighbourhoodsOf(m *model, projects, n int) *sectorNeighbourhoods {
	size := max(1, projects*m.nSectors/max(n, 1))
	if size >= m.nSectors {
		return nil
	}
	nb := &sectorNeighbourhoods{perm: make([]int, m.nSectors), size: size, keep: make([]bool, m.nSectors)}
	for q := range nb.perm {
		nb.perm[q] = q
	}
	return nb
}

// next returns a random group of distinct sectors (true in the slice).
func (nb *sectorNeighbourhoods) next(rng *rand.Rand) []bool {
	clear(nb.keep)
	for i := 0; i < nb.size; i++ {
		j := i + rng.IntN(len(nb.perm)-i)
		nb.perm[i], nb.perm[j] = nb.perm[j], nb.perm[i]
		nb.keep[nb.perm[i]] = true
	}
	return nb.keep
}

// subModel returns the model restricted to the projects of the sectors in
// keep: the other projects have no option (and are not locked), and the
// packs their loans of s use are taken out of the weekly capacity. The
// sector-period and school penalties of the kept projects only involve
// kept projects (a school belongs to one sector), so the objective of a
// plan of the sub-model differs from that of the whole plan by a constant.
func (m *model) subModel(keep []bool, s *state) *model {
	sm := *m
	sm.projects = make([]mproj, len(m.projects))
	copy(sm.projects, m.projects)
	sm.capW = append([]int(nil), m.capW...)
	for i := range sm.projects {
		p := &sm.projects[i]
		if keep[p.sector] {
			continue
		}
		if oi := s.choice[i]; oi >= 0 {
			o := &m.projects[i].opts[oi]
			for t := o.lo; t <= o.hi; t++ {
				sm.capW[t] -= p.packs
			}
		}
		p.opts, p.locked = nil, false
	}
	return &sm
}

// lnsSectors re-optimises the loans of the sectors in keep with the
// branch-and-price (at most maxNodes nodes), starting from s, and writes
// the result into s when it is better. It reports whether s improved, and
// ok false when the branch-and-price does not apply to the model (see
// newPricer).
func (m *model) lnsSectors(keep []bool, s *state, maxNodes int, seed uint64, stop func() bool) (improved, ok bool) {
	sm := m.subModel(keep, s)
	ss := newState(sm)
	for i, oi := range s.choice {
		if oi >= 0 && keep[m.projects[i].sector] {
			ss.set(i, oi)
		}
	}
	lg := newLagrange(sm)
	se := newSearcher(sm, ss.clone(), stop, seed)
	pr, ok := newPricer(sm, lg, se, ss, stop)
	if !ok {
		return false, false
	}
	pr.maxNodes = maxNodes
	pr.run()
	if pr.best.obj <= ss.obj {
		return false, true
	}
	for i := range sm.projects {
		if keep[m.projects[i].sector] && s.choice[i] >= 0 && s.choice[i] != pr.best.choice[i] {
			s.set(i, -1)
		}
	}
	for i, oi := range pr.best.choice {
		if oi >= 0 && s.choice[i] != oi {
			s.set(i, oi)
		}
	}
	return true, true
}
