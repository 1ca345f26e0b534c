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
// use at most P packs" is exact (spec section 4). With windows it is only a
// relaxation, and the engine keeps it one so that its upper bound stays a
// bound of the exact problem:
//
//   - capW[t] (the packs usable in school week t, read by every capacity
//     check) leaves out pack k when every legal loan covering week t would
//     meet a window of k: when a window meets [day(t), e) where e is the
//     earliest free day of the legal loans covering t (all of them hold the
//     pack over that part). A loan that covers t and meets a window of k
//     only later (or earlier) covers another week where k is left out, or
//     is caught by the numbering below. For windows aligned on the weeks
//     (the database gives whole days, Monday to Friday) this is exact per
//     loan; a window starting mid-week may leave loans that fit the count
//     but not the pack.
//   - Even then a numbering of the packs may not exist (precoloured
//     interval colouring): pack 1 down in weeks 0–3, pack 3 holding a locked
//     loan in weeks 0–3, pack 2 down in weeks 4–7, a loan over weeks 2–5
//     fits the weekly count (the locked loan covering weeks 2–3 is free
//     before pack 1 is back, so pack 1 counts there) but no pack. (With
//     only the two windows, every loan covering weeks 2–3 meets pack 1's
//     window and the count alone rules the loan out.) Pack numbers are
//     therefore assigned on days (numberWithWindows): an exact depth-first
//     search for plans of at most exactNumberItems loans (packs grouped by
//     their blocked intervals ahead, so equivalent packs are tried once;
//     node limit), else or failing that a greedy numbering in start order
//     (longest loan first on a day, tightest pack that fits) where a loan
//     finding no pack first moves an overlapping loan to another pack free
//     for its whole busy range, then takes the packs of the least valuable
//     overlapping loan worth less than itself. Loans left without packs are
//     re-inserted at their best start where the weekly capacity and a pack
//     are free, or dropped. Such a plan is "repaired": never reported
//     ProvedOptimal; its bound stays valid (capW is a relaxation).
//   - When windows cut weeks (capW differs from strictCapacity, which
//     leaves a pack out wherever some loan covering the week would meet
//     its window), Solve runs the search twice, with capW and with the
//     strict capacities (half the time limit each), and keeps the better
//     numbered plan; the bound comes from the capW run.
//
// Locked loans (history) keep their previous packs: a locked loan whose
// previous packs meet a window of those packs makes the instance invalid
// (the database refuses such a window anyway), and so does a set of locked
// loans that cannot be numbered around the windows. Instances without
// windows take none of these paths: pack numbering stays the greedy
// interval colouring.

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"
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

// packsDown counts the packs with a window meeting the days [a, b).
func (m *model) packsDown(a, b int) int {
	down := 0
	for k := 1; k <= m.P; k++ {
		if _, ok := meets(m.down.byPack[k], a, b); ok {
			down++
		}
	}
	return down
}

// windowCapacity lowers capW for the weeks the windows meet (see the file
// comment) and checks that the locked loans can keep their packs. load is
// the packs used by locked loans per week.
func (m *model) windowCapacity(load []int) error {
	if m.down.byPack == nil {
		return nil
	}
	// reach[t]: the earliest free day of the legal loans covering week t;
	// all of them hold their packs over [day(t), reach[t]).
	reach := make([]int, m.W)
	for i := range m.projects {
		for _, o := range m.projects[i].opts {
			fd := m.day[m.lastWeek(o.s, o.e)] + 4 + m.T
			for t := o.lo; t <= o.hi; t++ {
				if reach[t] == 0 || fd < reach[t] {
					reach[t] = fd
				}
			}
		}
	}
	for t := range m.W {
		down := m.packsDown(m.day[t], max(reach[t], m.day[t]+1))
		// Locked loans are facts (checked below against their packs): never
		// leave them over capacity.
		m.capW[t] = max(m.P-down, load[t])
	}

	var ps problems
	if m.inst.PreviousPlan != nil {
		for i, l := range m.inst.PreviousPlan.Loans {
			pi, ok := m.projIdx[l.Project]
			if !ok || !m.projects[pi].locked {
				continue
			}
			o := m.projects[pi].opts[0]
			a, b := m.day[o.s], m.day[m.lastWeek(o.s, o.e)]+4+m.T
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
// windows, by an exact depth-first search within limit nodes. Locked loans
// keep their previous packs when those are valid. It returns the packs per
// project and -1, or the project of the loan that could not be placed in
// the deepest attempt.
func (m *model) tryNumber(s *state, limit int) ([][]int, int) {
	nb := m.newNumberer(s, limit)
	if nb.place(0) {
		return nb.packs, -1
	}
	return nil, nb.items[nb.deepest].pi
}

// newNumberer collects the loans of s to number, by start day; locked
// loans with valid previous packs are pinned (added to the blocked
// intervals of their packs) instead.
func (m *model) newNumberer(s *state, limit int) *numberer {
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
		it := numItem{pi: pi, a: m.day[o.s], b: m.day[m.lastWeek(o.s, o.e)] + 4 + m.T, need: p.packs}
		if p.locked && nb.pin(it, p.prevPack) {
			continue
		}
		nb.items = append(nb.items, it)
	}
	nb.classify()
	// By start day; among loans starting the same day, the longest first
	// (each takes the tightest pack that fits it).
	slices.SortFunc(nb.items, func(x, y numItem) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(y.b, x.b), cmp.Compare(m.projects[x.pi].id, m.projects[y.pi].id))
	})
	return nb
}

// classify gives packs with the same blocked intervals the same class:
// they are interchangeable.
func (nb *numberer) classify() {
	sig := map[string]int{}
	for k := 1; k <= nb.m.P; k++ {
		key := fmt.Sprint(nb.blocked[k])
		c, ok := sig[key]
		if !ok {
			c = len(sig)
			sig[key] = c
		}
		nb.class[k] = c
	}
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

// exactNumberItems: plans with at most this many loans to number get the
// exact search first; larger ones go straight to the greedy numbering.
const exactNumberItems = 300

// numberWithWindows numbers the packs of s around the windows. Small plans
// get the exact search; otherwise, or when it finds nothing, a greedy
// numbering in start order (tightest packs first) where a loan finding no
// free pack takes the packs of the least valuable overlapping loan worth
// less than itself; the loans left without packs are then re-inserted at
// their best start where the capacity and a pack are free, else dropped.
// Any change marks the plan repaired. Locked loans keep their packs.
func (m *model) numberWithWindows(s *state) [][]int {
	nb := m.newNumberer(s, numberNodeLimit)
	if len(nb.items) <= exactNumberItems && nb.place(0) {
		return nb.packs
	}
	nb = m.newNumberer(s, numberNodeLimit)
	var locked, rest []numItem
	for _, it := range nb.items {
		if m.projects[it.pi].locked {
			locked = append(locked, it)
		} else {
			rest = append(rest, it)
		}
	}
	if len(locked) > 0 {
		// Locked loans without valid previous packs: numbered alone (compile
		// checked that it can be done), then pinned.
		nb.items = locked
		nb.place(0)
		for _, it := range locked {
			for _, k := range nb.packs[it.pi] {
				nb.blocked[k] = append(nb.blocked[k], window{it.a, it.b, -1})
				slices.SortFunc(nb.blocked[k], func(x, y window) int { return cmp.Compare(x.from, y.from) })
			}
		}
		for k := range nb.freeAt {
			nb.freeAt[k] = math.MinInt
		}
		nb.classify()
	}
	val := func(it numItem) int { return m.projects[it.pi].opts[s.choice[it.pi]].c }
	stack := make([][]int, m.P+1) // indices into rest of the loans of each pack, in order
	top := func(k int) int {
		if len(stack[k]) == 0 {
			return -1
		}
		return stack[k][len(stack[k])-1]
	}
	assign := func(i int, pick []int) {
		for _, k := range pick {
			stack[k] = append(stack[k], i)
			nb.freeAt[k] = rest[i].b
		}
		nb.packs[rest[i].pi] = sortedCopy(pick)
	}
	var failed []int
	for i, it := range rest {
		pick := nb.firstPick(it)
		// Augment: a loan holding a pack this one could use moves to
		// another pack free for its whole busy range.
		for len(pick) < it.need {
			moved := false
			for k := 1; k <= m.P && !moved; k++ {
				y := top(k)
				if y < 0 || nb.freeAt[k] <= it.a || slices.Contains(pick, k) {
					continue
				}
				if _, ok := meets(nb.blocked[k], it.a, it.b); ok {
					continue
				}
				ly := rest[y]
				for k2 := 1; k2 <= m.P; k2++ {
					if k2 == k || slices.Contains(nb.packs[ly.pi], k2) || slices.Contains(pick, k2) {
						continue
					}
					if t2 := top(k2); t2 >= 0 && rest[t2].b > ly.a {
						continue
					}
					if _, ok := meets(nb.blocked[k2], ly.a, ly.b); ok {
						continue
					}
					stack[k] = stack[k][:len(stack[k])-1]
					nb.freeAt[k] = math.MinInt
					if t := top(k); t >= 0 {
						nb.freeAt[k] = rest[t].b
					}
					stack[k2] = append(stack[k2], y)
					nb.freeAt[k2] = ly.b
					ps := nb.packs[ly.pi]
					ps[slices.Index(ps, k)] = k2
					slices.Sort(ps)
					pick = append(pick, k)
					moved = true
					break
				}
			}
			if !moved {
				break
			}
		}
		if len(pick) < it.need {
			// Take the packs of the least valuable overlapping loan worth
			// less than this one, if that makes enough packs.
			evict := -1
			for k := 1; k <= m.P; k++ {
				y := top(k)
				if y < 0 || nb.freeAt[k] <= it.a || val(rest[y]) >= val(it) || (evict >= 0 && val(rest[y]) >= val(rest[evict])) {
					continue
				}
				freed := 0
				for _, q := range nb.packs[rest[y].pi] {
					if _, ok := meets(nb.blocked[q], it.a, it.b); !ok {
						freed++
					}
				}
				if len(pick)+freed >= it.need {
					evict = y
				}
			}
			if evict >= 0 {
				for _, q := range nb.packs[rest[evict].pi] {
					stack[q] = stack[q][:len(stack[q])-1]
					nb.freeAt[q] = math.MinInt
					if t := top(q); t >= 0 {
						nb.freeAt[q] = rest[t].b
					}
				}
				nb.packs[rest[evict].pi] = nil
				failed = append(failed, evict)
				pick = nb.firstPick(it)
			}
		}
		if len(pick) < it.need {
			failed = append(failed, i)
			continue
		}
		assign(i, pick)
	}
	if len(failed) == 0 {
		return nb.packs
	}
	m.down.repaired = true

	// Re-insert the loans left without packs, most valuable first, at the
	// best start where both the weekly capacity and packs are free.
	busy := make([][]window, m.P+1)
	for k := 1; k <= m.P; k++ {
		busy[k] = slices.Clone(nb.blocked[k])
		for _, i := range stack[k] {
			busy[k] = append(busy[k], window{rest[i].a, rest[i].b, -1})
		}
		slices.SortFunc(busy[k], func(x, y window) int { return cmp.Compare(x.from, y.from) })
	}
	slices.SortStableFunc(failed, func(x, y int) int { return cmp.Compare(val(rest[y]), val(rest[x])) })
	for _, f := range failed {
		pi := rest[f].pi
		p := &m.projects[pi]
		s.set(pi, -1)
		order := make([]int, len(p.opts))
		for oi := range order {
			order[oi] = oi
		}
		slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(p.opts[y].c, p.opts[x].c) })
		for _, oi := range order {
			if !s.fits(pi, oi) {
				continue
			}
			o := &p.opts[oi]
			a, b := m.day[o.s], m.day[m.lastWeek(o.s, o.e)]+4+m.T
			var pick []int
			for k := 1; k <= m.P && len(pick) < p.packs; k++ {
				if _, ok := meets(busy[k], a, b); !ok {
					pick = append(pick, k)
				}
			}
			if len(pick) < p.packs {
				continue
			}
			s.set(pi, oi)
			for _, k := range pick {
				busy[k] = append(busy[k], window{a, b, -1})
				slices.SortFunc(busy[k], func(x, y window) int { return cmp.Compare(x.from, y.from) })
			}
			nb.packs[pi] = pick
			break
		}
	}
	return nb.packs
}

// firstPick returns the packs the search would try first for it: the
// first it.need packs of its groups (fewer if not enough are free).
func (nb *numberer) firstPick(it numItem) []int {
	var pick []int
	for _, g := range nb.groups(it) {
		for _, k := range g {
			if len(pick) == it.need {
				return pick
			}
			pick = append(pick, k)
		}
	}
	return pick
}

// strictCapacity returns capW leaving out a pack in week t when its
// windows meet the widest part of week t a legal loan can hold it: up to
// the Monday after if some loan runs on past week t, else up to the latest
// free day of the loans ending there. Plans within it rarely need a
// repair, but it is no relaxation (a loan holding week t only by its
// turnaround may fit a pack it leaves out): it steers the search, the
// bound comes from capW. nil when it equals capW.
func (m *model) strictCapacity() []int {
	reach := make([]int, m.W)
	for i := range m.projects {
		for _, o := range m.projects[i].opts {
			fd := m.day[m.lastWeek(o.s, o.e)] + 4 + m.T
			for t := o.lo; t <= o.hi; t++ {
				end := fd
				if t+1 < m.W {
					end = min(end, m.day[t+1])
				}
				reach[t] = max(reach[t], end)
			}
		}
	}
	out := slices.Clone(m.capW)
	locked := m.lockedState().load
	same := true
	for t := range m.W {
		down := m.packsDown(m.day[t], max(reach[t], m.day[t]+1))
		if c := max(min(m.capW[t], m.P-down), locked[t]); c != out[t] {
			out[t], same = c, false
		}
	}
	if same {
		return nil
	}
	return out
}

// solveWindows solves an instance with windows. When windows start or end
// inside weeks, the weekly capacity capW (a relaxation) lets through loans
// that no pack can carry, which the numbering then repairs at some loss:
// the instance is then also solved with the strict capacities (half of
// the time limit each), and the better plan is kept. The bound always comes
// from capW. A repaired plan is not proved optimal.
func (m *model) solveWindows(ctx context.Context, opt Options) *Result {
	strict := m.strictCapacity()
	if strict == nil {
		res := m.solve(ctx, opt)
		m.finishWindows(res, res.UpperBound)
		return res
	}
	if opt.TimeLimit <= 0 {
		opt.TimeLimit = 10 * time.Second
	}
	half := opt
	half.TimeLimit = opt.TimeLimit / 2
	res := m.solve(ctx, half)
	ub := res.UpperBound
	m.finishWindows(res, ub)
	ms, err := compile(m.inst)
	if err != nil {
		return res // cannot happen: m compiled
	}
	ms.capW = strict
	rs := ms.solve(ctx, half)
	ms.finishWindows(rs, ub)
	rs.ProvedOptimal = rs.ProvedOptimal && rs.Objective == ub
	rs.Stats.Elapsed += res.Stats.Elapsed
	if rs.Objective > res.Objective {
		return rs
	}
	return res
}

// finishWindows corrects a result of an instance with windows: ub is a
// bound of the exact problem; a plan repaired by the numbering is not
// proved optimal.
func (m *model) finishWindows(res *Result, ub int) {
	res.UpperBound = max(ub, res.Objective)
	res.ProvedOptimal = res.ProvedOptimal && !m.down.repaired && res.Objective == res.UpperBound
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

// packsUpTo keeps the windows of packs 1..p (capacity planning tries fewer
// packs than the instance has).
func packsUpTo(ws []PackUnavailability, p int) []PackUnavailability {
	var out []PackUnavailability
	for _, w := range ws {
		if w.Pack <= p {
			out = append(out, w)
		}
	}
	return out
}
