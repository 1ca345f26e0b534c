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
