package scheduler

// Pack numbering around unavailability windows: an exact depth-first
// search over interchangeable packs for plans of a few loans, a greedy
// numbering otherwise (see the capacity notes in windows.go).

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

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
