package scheduler

// Pack unavailability windows: an extension of tablet-pack-allocation/v1.
//
// Instance.PackUnavailability lists half-open intervals of days
// [from_day, to_day) during which one pack cannot be lent (maintenance,
// repair), for example
//
//	"pack_unavailability": [{"pack": 3, "from_day": 70, "to_day": 84}]
//
// The reference checker (bench/evaluate.py) ignores the field; this package
// enforces it: a loan may not use a pack whose busy interval
// [start_day, free_day) meets one of that pack's windows (Evaluate reports
// RulePackUnavailable).
//
// Capacity. Without windows the aggregated rule "at each Monday the loans
// use at most P packs" is exact (spec section 4). With windows it is not,
// for two reasons, and the engine handles both:
//
//   - A window that starts or ends in the middle of a week meets some loans
//     covering that week and not others. capW[t] (the packs usable in
//     school week t, read by every capacity check) leaves out a pack when
//     one of its windows meets the widest part of week t a legal loan can
//     occupy: [day(t), day(t+1)) if some loan runs on past week t, else up
//     to the latest free day of a loan ending in week t. A plan within capW
//     therefore never puts a loan on a pack during its window by the count
//     alone. The relaxation of the exact problem only leaves out the packs
//     down on the Monday of week t; when the two counts differ somewhere
//     (windows not aligned on the weeks), capW is stricter than the exact
//     problem, the bound of the solve is not a bound of the exact problem:
//     Solve then reports a trivially valid upper bound and never
//     ProvedOptimal.
//   - Even with aligned windows, a numbering of the packs may not exist
//     (precoloured interval colouring): pack 1 down in weeks 0–3, pack 2 in
//     weeks 4–7, a loan over weeks 2–5 fits the aggregate (one pack free
//     each week) but no pack. Pack numbers are then searched exactly
//     (numberWithWindows: depth-first over the loans in start order,
//     packs grouped by their future windows so equivalent packs are tried
//     once, within a node limit). When no numbering is found the plan is
//     repaired: the least valuable loan in conflict with the loan that could
//     not be placed is removed and re-inserted at another start if a
//     numbering then exists; such a plan is never reported ProvedOptimal.
//
// Locked loans (history) keep their previous packs: a locked loan whose
// previous packs meet a window of those packs makes the instance invalid
// (the database refuses such a window anyway), and so does a set of locked
// loans that cannot be numbered around the windows. Instances without
// windows take none of these paths: pack numbering stays the greedy
// interval colouring.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// numberNodeLimit bounds the depth-first search of one pack numbering.
const numberNodeLimit = 200000

// window is a half-open interval of days [from, to) of one pack; idx is its
// position in Instance.PackUnavailability (-1 for a pinned locked loan).
type window struct {
	from, to int
	idx      int
}

// packDown holds the compiled unavailability windows.
type packDown struct {
	// byPack[k] lists the windows of pack k (1..P) sorted by start; nil
	// when the instance has no window.
	byPack [][]window
	// inexact is true when capW is stricter than the exact problem on some
	// week (windows not aligned on the weeks): the solve's bound is then
	// not a bound of the exact problem.
	inexact bool
	// repaired is set when the pack numbering had to change the plan.
	repaired bool
}

// compileWindows validates Instance.PackUnavailability.
func (m *model) compileWindows(ps *problems) {
	if len(m.inst.PackUnavailability) == 0 {
		return
	}
	m.down.byPack = make([][]window, max(m.P, 0)+1)
	for i, u := range m.inst.PackUnavailability {
		el := fmt.Sprintf("pack_unavailability[%d]", i)
		switch {
		case u.Pack < 1 || u.Pack > m.P:
			ps.add(el, "pack is %d, want a pack number in 1..%d", u.Pack, m.P)
		case u.ToDay <= u.FromDay:
			ps.add(el, "to_day %d is not after from_day %d (the interval is [from_day, to_day))", u.ToDay, u.FromDay)
		default:
			m.down.byPack[u.Pack] = append(m.down.byPack[u.Pack], window{u.FromDay, u.ToDay, i})
		}
	}
	for _, ws := range m.down.byPack {
		slices.SortFunc(ws, func(x, y window) int { return cmp.Or(cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to)) })
	}
}

// meets reports whether one of the windows meets the days [a, b).
func meets(ws []window, a, b int) (window, bool) {
	for _, w := range ws {
		if w.from >= b {
			break
		}
		if a < w.to {
			return w, true
		}
	}
	return window{}, false
}

// windowCapacity lowers capW for the weeks the windows meet (see the file
// comment) and checks that the locked loans can keep their packs. load is
// the packs used by locked loans per week.
func (m *model) windowCapacity(load []int) error {
	if m.down.byPack == nil {
		return nil
	}
	// reach[t]: the end of the widest part of week t a legal loan occupies.
	reach := make([]int, m.W)
	for i := range m.projects {
		for _, o := range m.projects[i].opts {
			fd := m.day[o.s+m.L+o.e-1] + 4 + m.T
			for t := o.lo; t <= o.hi; t++ {
				end := fd
				if t+1 < m.W {
					end = min(end, m.day[t+1])
				}
				reach[t] = max(reach[t], end)
			}
		}
	}
	for t := range m.W {
		a := m.day[t]
		b := max(reach[t], a+1)
		cons, relax := 0, 0
		for k := 1; k <= m.P; k++ {
			if _, ok := meets(m.down.byPack[k], a, b); ok {
				cons++
				if _, down := meets(m.down.byPack[k], a, a+1); down {
					relax++
				}
			}
		}
		m.capW[t] = m.P - cons
		if cons != relax {
			m.down.inexact = true
		}
		if load[t] > m.capW[t] {
			// Locked loans are facts (checked below against their packs).
			m.capW[t] = load[t]
			m.down.inexact = true
		}
	}

	var ps problems
	if m.inst.PreviousPlan != nil {
		for i, l := range m.inst.PreviousPlan.Loans {
			pi, ok := m.projIdx[l.Project]
			if !ok || !m.projects[pi].locked {
				continue
			}
			o := m.projects[pi].opts[0]
			a, b := m.day[o.s], m.day[o.s+m.L+o.e-1]+4+m.T
			for _, k := range l.Packs {
				if k < 1 || k > m.P {
					continue
				}
				if w, ok := meets(m.down.byPack[k], a, b); ok {
					ps.add(fmt.Sprintf("previous_plan.loans[%d] %q", i, l.Project),
						"locked loan on pack %d (days %d..%d) meets pack_unavailability[%d] (days %d..%d)", k, a, b, w.idx, w.from, w.to)
				}
			}
		}
	}
	if len(ps.list) == 0 {
		if _, fail := m.tryNumber(m.lockedState(), numberNodeLimit); fail >= 0 {
			ps.add("previous_plan", "locked loans cannot be given packs outside the pack_unavailability windows (project %q)", m.projects[fail].id)
		}
	}
	return ps.err()
}

// numItem is a loan to number: its project, busy days [a, b) and packs.
type numItem struct {
	pi, a, b, need int
}

type numberer struct {
	m       *model
	items   []numItem
	blocked [][]window // per pack: windows and pinned locked loans, by start
	class   []int      // per pack: packs with the same blocked list share a class
	freeAt  []int
	packs   [][]int // per project
	nodes   int
	limit   int
	deepest int
}

// tryNumber looks for pack numbers of the loans of s that respect the
// windows. Locked loans keep their previous packs when those are valid.
// It returns the packs per project and -1, or the project of the loan that
// could not be placed in the deepest attempt.
func (m *model) tryNumber(s *state, limit int) ([][]int, int) {
	nb := &numberer{m: m, blocked: make([][]window, m.P+1), class: make([]int, m.P+1),
		freeAt: make([]int, m.P+1), packs: make([][]int, len(m.projects)), limit: limit}
	for k := 1; k <= m.P; k++ {
		nb.blocked[k] = slices.Clone(m.down.byPack[k])
		nb.freeAt[k] = math.MinInt
	}
	for pi, oi := range s.choice {
		if oi < 0 {
			continue
		}
		p := &m.projects[pi]
		o := &p.opts[oi]
		it := numItem{pi: pi, a: m.day[o.s], b: m.day[o.s+m.L+o.e-1] + 4 + m.T, need: p.packs}
		if p.locked && nb.pin(it, p.prevPack) {
			continue
		}
		nb.items = append(nb.items, it)
	}
	for k := 1; k <= m.P; k++ {
		slices.SortFunc(nb.blocked[k], func(x, y window) int { return cmp.Compare(x.from, y.from) })
	}
	// Packs with the same blocked intervals are interchangeable.
	sig := map[string]int{}
	for k := 1; k <= m.P; k++ {
		key := fmt.Sprint(nb.blocked[k])
		c, ok := sig[key]
		if !ok {
			c = len(sig)
			sig[key] = c
		}
		nb.class[k] = c
	}
	slices.SortFunc(nb.items, func(x, y numItem) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(m.projects[x.pi].id, m.projects[y.pi].id))
	})
	if nb.place(0) {
		return nb.packs, -1
	}
	return nil, nb.items[nb.deepest].pi
}

// pin gives a locked loan its previous packs if they are valid and free of
// windows and of the other pinned loans.
func (nb *numberer) pin(it numItem, prev []int) bool {
	if len(prev) != it.need {
		return false
	}
	for i, k := range prev {
		if k < 1 || k > nb.m.P || slices.Contains(prev[:i], k) {
			return false
		}
		if _, ok := meets(nb.blocked[k], it.a, it.b); ok {
			return false
		}
	}
	for _, k := range prev {
		nb.blocked[k] = append(nb.blocked[k], window{it.a, it.b, -1})
		// keep sorted for meets
		slices.SortFunc(nb.blocked[k], func(x, y window) int { return cmp.Compare(x.from, y.from) })
	}
	nb.packs[it.pi] = sortedCopy(prev)
	return true
}

// groups returns the packs free for it, grouped by equivalence (same
// blocked intervals ahead) and ordered tightest first: the group whose next
// blocked interval starts earliest, packs free for good last. Inside a group
// the project's previous packs come first, then the lowest numbers.
func (nb *numberer) groups(it numItem) [][]int {
	type group struct {
		class, next, from int
		packs             []int
	}
	var gs []group
	prev := nb.m.projects[it.pi].prevPack
	for k := 1; k <= nb.m.P; k++ {
		if nb.freeAt[k] > it.a {
			continue
		}
		bl := nb.blocked[k]
		if _, ok := meets(bl, it.a, it.b); ok {
			continue
		}
		j := 0
		for j < len(bl) && bl[j].to <= it.a {
			j++
		}
		g := group{class: nb.class[k], next: j, from: math.MaxInt}
		if j == len(bl) {
			g.class, g.next = -1, -1
		} else {
			g.from = bl[j].from
		}
		found := false
		for i := range gs {
			if gs[i].class == g.class && gs[i].next == g.next {
				gs[i].packs = append(gs[i].packs, k)
				found = true
				break
			}
		}
		if !found {
			g.packs = []int{k}
			gs = append(gs, g)
		}
	}
	slices.SortStableFunc(gs, func(x, y group) int { return cmp.Compare(x.from, y.from) })
	out := make([][]int, len(gs))
	for i, g := range gs {
		slices.SortStableFunc(g.packs, func(x, y int) int {
			return cmp.Compare(b2i(!slices.Contains(prev, x)), b2i(!slices.Contains(prev, y)))
		})
		out[i] = g.packs
	}
	return out
}

// place numbers items[i:] depth-first; false when no numbering exists or
// the node limit is reached.
func (nb *numberer) place(i int) bool {
	if i == len(nb.items) {
		return true
	}
	nb.nodes++
	if nb.nodes > nb.limit {
		return false
	}
	nb.deepest = max(nb.deepest, i)
	it := nb.items[i]
	groups := nb.groups(it)
	left := make([]int, len(groups)+1) // packs in groups[g:]
	for g := len(groups) - 1; g >= 0; g-- {
		left[g] = left[g+1] + len(groups[g])
	}
	chosen := make([]int, 0, it.need)
	var rec func(g int) bool
	rec = func(g int) bool {
		if len(chosen) == it.need {
			saved := make([]int, len(chosen))
			for j, k := range chosen {
				saved[j], nb.freeAt[k] = nb.freeAt[k], it.b
			}
			if nb.place(i + 1) {
				nb.packs[it.pi] = sortedCopy(chosen)
				return true
			}
			for j, k := range chosen {
				nb.freeAt[k] = saved[j]
			}
			return false
		}
		if left[g] < it.need-len(chosen) {
			return false
		}
		for c := min(it.need-len(chosen), len(groups[g])); c >= 0; c-- {
			chosen = append(chosen, groups[g][:c]...)
			if rec(g + 1) {
				return true
			}
			chosen = chosen[:len(chosen)-c]
			if nb.nodes > nb.limit {
				return false
			}
		}
		return false
	}
	return rec(0)
}

// numberWithWindows numbers the packs of s around the windows, repairing s
// when no numbering exists: the least valuable loan in conflict with the
// loan that could not be placed is removed, then re-inserted at another
// start when a numbering exists with it. Each round removes a loan for good
// or ends, so it terminates; the locked loans alone can be numbered
// (checked by compile).
func (m *model) numberWithWindows(s *state) [][]int {
	for {
		packs, fail := m.tryNumber(s, numberNodeLimit)
		if fail < 0 {
			return packs
		}
		m.down.repaired = true
		victim := m.numberVictim(s, fail)
		if victim < 0 {
			return packs // unreachable: the locked loans alone can be numbered
		}
		old := s.choice[victim]
		s.set(victim, -1)
		p := &m.projects[victim]
		order := make([]int, 0, len(p.opts))
		for oi := range p.opts {
			if oi != old {
				order = append(order, oi)
			}
		}
		slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(p.opts[y].c, p.opts[x].c) })
		tries := 0
		for _, oi := range order {
			if tries == 12 {
				break
			}
			if !s.fits(victim, oi) {
				continue
			}
			tries++
			s.set(victim, oi)
			if packs, fail := m.tryNumber(s, numberNodeLimit/10); fail < 0 {
				return packs
			}
			s.set(victim, -1)
		}
	}
}

// numberVictim picks the loan to remove when the loan of project fail
// cannot be numbered: the least valuable unlocked loan overlapping it
// (itself included), else the least valuable unlocked loan; -1 if none.
func (m *model) numberVictim(s *state, fail int) int {
	fo := &m.projects[fail].opts[s.choice[fail]]
	fa, fb := m.day[fo.s], m.day[fo.s+m.L+fo.e-1]+4+m.T
	best, bestAny := -1, -1
	worse := func(a, b int) bool { // is a less valuable than b?
		if b < 0 {
			return true
		}
		pa, pb := &m.projects[a], &m.projects[b]
		ca, cb := pa.opts[s.choice[a]].c, pb.opts[s.choice[b]].c
		return cmp.Or(cmp.Compare(ca, cb), cmp.Compare(pb.packs, pa.packs), cmp.Compare(pb.id, pa.id)) < 0
	}
	for pi, oi := range s.choice {
		if oi < 0 || m.projects[pi].locked {
			continue
		}
		if worse(pi, bestAny) {
			bestAny = pi
		}
		o := &m.projects[pi].opts[oi]
		if a, b := m.day[o.s], m.day[o.s+m.L+o.e-1]+4+m.T; a < fb && fa < b && worse(pi, best) {
			best = pi
		}
	}
	if best < 0 {
		return bestAny
	}
	return best
}

// finishWindows corrects a result of an instance with windows: the bound is
// only valid for the exact problem when capW matches its relaxation, and a
// repaired plan is not proved optimal.
func (m *model) finishWindows(res *Result) {
	if m.down.byPack == nil {
		return
	}
	if m.down.inexact {
		// Every served project adds at most its best coefficient; penalties
		// only subtract.
		ub := m.churnConst
		for i := range m.projects {
			best := 0
			for _, o := range m.projects[i].opts {
				best = max(best, o.c)
			}
			ub += best
		}
		res.UpperBound = max(res.UpperBound, ub, res.Objective)
	}
	res.ProvedOptimal = res.ProvedOptimal && !m.down.inexact && !m.down.repaired && res.Objective == res.UpperBound
	if !res.ProvedOptimal && res.Stats.StoppedBy == "optimal" {
		res.Stats.StoppedBy = "effort"
	}
}

// windowViolations reports the loans of a plan on a pack during one of its
// windows.
func (m *model) windowViolations(pid string, a, b int, packs []int) []Violation {
	var out []Violation
	for _, k := range packs {
		if m.down.byPack == nil || k < 1 || k > m.P {
			continue
		}
		for _, w := range m.down.byPack[k] {
			if w.from < b && a < w.to {
				out = append(out, Violation{Rule: RulePackUnavailable, Project: pid, Pack: k,
					Message: fmt.Sprintf("pack %d: %s busy days %d..%d meets pack_unavailability[%d] (days %d..%d)", k, pid, a, b, w.idx, w.from, w.to)})
			}
		}
	}
	return out
}
