package scheduler

import (
	"fmt"
	"slices"

	"github.com/classemobile/classemobile/calendar"
)

// model is the compiled form of an Instance: integer indices, legal options
// and their objective coefficients. Every solver component works on it.
type model struct {
	inst    *Instance
	W, K, P int
	// capW is the number of packs available in each school week: P, less
	// the packs unavailable that week. Every capacity check reads it.
	capW  []int
	L, T  int
	today int
	day   []int // day number of each school week
	wper  []int // period index of each school week
	// blen is the base length of a loan starting at each school week under
	// the loan policy, 0 where none may start; brk is the last week before
	// the break such a loan spans, or -1.
	blen, brk []int
	periodIDs []string
	periodIdx map[string]int

	projects []mproj
	projIdx  map[string]int

	nSchools     int
	schoolSector []int
	schoolIdx    map[string]int
	nSectors     int
	sectorCap    []int
	sectorIdx    map[string]int

	w          Weights
	fsp, fsy   int
	churnConst int // -churn_drop for every project of the previous plan
	nPrev      int
	ranges     [][2]int // distinct busy ranges of all options

	// Pack unavailability windows (windows.go); down.byPack is nil when
	// the instance has none.
	down packDown
}

type mproj struct {
	id       string
	idx      int
	school   int
	sector   int
	packs    int
	year     int
	eligible bool
	value    int // base + first year + training
	locked   bool
	hasPrev  bool
	prevS    int
	prevE    int
	prevPack []int
	pref     []bool // per period: preferred (or no preference stated)
	excl     []bool // per period: excluded
	opts     []option
}

// option is one legal loan (start week, extension) of a project.
type option struct {
	s, e   int
	per    int
	lo, hi int // busy school weeks, inclusive: lo..hi
	c      int // objective coefficient (see spec section 6), churn_drop included for previous projects
	rid    int // index of (lo, hi) in model.ranges
}

// baseLen returns the base length of a loan starting at week s: the
// policy's where a loan may start there, else L (a locked loan of the
// previous plan may start anywhere).
func (m *model) baseLen(s int) int {
	if s >= 0 && s < m.W && m.blen[s] > 0 {
		return m.blen[s]
	}
	return m.L
}

// lastWeek returns the last school week of a loan (s, e).
func (m *model) lastWeek(s, e int) int { return s + m.baseLen(s) + e - 1 }

// busyRange returns the school weeks t with start_day <= day(t) < free_day
// of a loan (s, e); ok is false if the loan ends after the last week.
func (m *model) busyRange(s, e int) (lo, hi int, ok bool) {
	if s < 0 || s >= m.W || e < 0 {
		return 0, 0, false
	}
	last := m.lastWeek(s, e)
	if last >= m.W {
		return 0, 0, false
	}
	free := m.day[last] + 4 + m.T
	hi = last
	for hi+1 < m.W && m.day[hi+1] < free {
		hi++
	}
	return s, hi, true
}

// baseOK reports whether a base loan may start at week s under the loan
// policy (inside one period by default).
func (m *model) baseOK(s int) bool {
	return s >= 0 && s < m.W && m.blen[s] > 0
}

func (m *model) loanOK(s, e int) bool {
	return m.baseOK(s) && e >= 0 && m.lastWeek(s, e) < m.W
}

func compile(inst *Instance) (*model, error) {
	var ps problems
	if inst == nil {
		ps.add("instance", "missing")
		return nil, ps.err()
	}
	if inst.Format != InstanceFormat {
		ps.add("format", "is %q, want %q", inst.Format, InstanceFormat)
	}
	m := &model{inst: inst, periodIdx: map[string]int{}, projIdx: map[string]int{},
		schoolIdx: map[string]int{}, sectorIdx: map[string]int{}}
	par := inst.Params
	m.P, m.L, m.T, m.today = par.Packs, par.LoanWeeks, par.TurnaroundDays, par.TodayWeek
	m.w = par.Weights
	m.fsp, m.fsy = par.SchoolPeriodFree, par.SchoolYearFree

	cal := inst.Calendar
	if len(cal.Periods) == 0 {
		ps.add("calendar.periods", "no period")
	}
	for i, p := range cal.Periods {
		el := fmt.Sprintf("calendar.periods[%d] %q", i, p.ID)
		if p.ID == "" {
			ps.add(el, "empty id")
		} else if _, dup := m.periodIdx[p.ID]; dup {
			ps.add(el, "duplicate period id")
		} else {
			m.periodIdx[p.ID] = len(m.periodIDs)
			m.periodIDs = append(m.periodIDs, p.ID)
		}
	}
	m.K = len(m.periodIDs)
	if len(cal.Weeks) == 0 {
		ps.add("calendar.weeks", "no school week")
	}
	for i, wk := range cal.Weeks {
		el := fmt.Sprintf("calendar.weeks[%d]", i)
		if wk.Index != i {
			ps.add(el, "index is %d, want %d (weeks must be listed in order)", wk.Index, i)
		}
		if i > 0 && wk.Day <= cal.Weeks[i-1].Day {
			ps.add(el, "day %d does not follow day %d of the previous week", wk.Day, cal.Weeks[i-1].Day)
		}
		k, ok := m.periodIdx[wk.Period]
		if !ok {
			ps.add(el, "unknown period %q", wk.Period)
		}
		m.day = append(m.day, wk.Day)
		m.wper = append(m.wper, k)
	}
	m.W = len(m.day)
	policy, err := calendar.ParseLoanPolicy(par.LoanPolicy)
	if err != nil {
		ps.add("params.loan_policy", "is %q, want within_period, across_breaks or period_length", par.LoanPolicy)
	}
	m.blen, m.brk = make([]int, m.W), make([]int, m.W)
	if len(ps.list) == 0 {
		pw := make([]calendar.PolicyWeek, m.W)
		for t := range pw {
			pw[t] = calendar.PolicyWeek{Period: cal.Weeks[t].Period, Day: m.day[t]}
		}
		for _, st := range calendar.LoanStarts(policy, par.LoanWeeks, pw) {
			m.blen[st.Week], m.brk[st.Week] = st.Weeks, st.BreakAfter
		}
	}
	m.capW = make([]int, m.W)
	for t := range m.capW {
		m.capW[t] = m.P
	}

	switch {
	case par.Packs < 0:
		ps.add("params.packs", "is %d, want >= 0", par.Packs)
	case par.LoanWeeks < 1:
		ps.add("params.loan_weeks", "is %d, want >= 1", par.LoanWeeks)
	}
	if par.TurnaroundDays < 0 {
		ps.add("params.turnaround_days", "is %d, want >= 0", par.TurnaroundDays)
	}
	if par.TodayWeek < 0 || par.TodayWeek > m.W {
		ps.add("params.today_week", "is %d, want a week index in 0..%d", par.TodayWeek, m.W)
	}
	if par.SchoolPeriodFree < 0 || par.SchoolPeriodFree > 8 {
		ps.add("params.school_period_free", "is %d, want 0..8", par.SchoolPeriodFree)
	}
	if par.SchoolYearFree < 0 {
		ps.add("params.school_year_free", "is %d, want >= 0", par.SchoolYearFree)
	}
	w := par.Weights
	for _, f := range []struct {
		name string
		v    int
	}{{"base", w.Base}, {"first_year", w.FirstYear}, {"training_done", w.TrainingDone},
		{"preferred_period", w.PreferredPeriod}, {"extension_granted", w.ExtensionGranted},
		{"school_period_excess", w.SchoolPeriodExcess}, {"school_year_excess", w.SchoolYearExcess},
		{"sector_period_excess", w.SectorPeriodExcess}, {"churn_move", w.ChurnMove},
		{"churn_extension", w.ChurnExtension}, {"churn_drop", w.ChurnDrop}} {
		if f.v < 0 {
			ps.add("params.weights."+f.name, "is %d, want >= 0", f.v)
		}
	}

	for i, s := range inst.Sectors {
		el := fmt.Sprintf("sectors[%d] %q", i, s.ID)
		if _, dup := m.sectorIdx[s.ID]; dup || s.ID == "" {
			ps.add(el, "duplicate or empty sector id")
			continue
		}
		if s.PeriodCap < 0 {
			ps.add(el, "period_cap is %d, want >= 0", s.PeriodCap)
		}
		m.sectorIdx[s.ID] = m.nSectors
		m.sectorCap = append(m.sectorCap, s.PeriodCap)
		m.nSectors++
	}
	for i, s := range inst.Schools {
		el := fmt.Sprintf("schools[%d] %q", i, s.ID)
		if _, dup := m.schoolIdx[s.ID]; dup || s.ID == "" {
			ps.add(el, "duplicate or empty school id")
			continue
		}
		q, ok := m.sectorIdx[s.Sector]
		if !ok {
			ps.add(el, "unknown sector %q", s.Sector)
		}
		m.schoolIdx[s.ID] = m.nSchools
		m.schoolSector = append(m.schoolSector, q)
		m.nSchools++
	}
	for i, p := range inst.Projects {
		el := fmt.Sprintf("projects[%d] %q", i, p.ID)
		if _, dup := m.projIdx[p.ID]; dup || p.ID == "" {
			ps.add(el, "duplicate or empty project id")
			continue
		}
		c, ok := m.schoolIdx[p.School]
		if !ok {
			ps.add(el, "unknown school %q", p.School)
		}
		if p.Packs < 1 {
			ps.add(el, "packs is %d, want >= 1", p.Packs)
		}
		if p.Year < 0 {
			ps.add(el, "year is %d, want >= 0", p.Year)
		}
		if p.ExtensionWeeks < 0 {
			ps.add(el, "extension_weeks is %d, want >= 0", p.ExtensionWeeks)
		}
		mp := mproj{id: p.ID, idx: len(m.projects), school: c, packs: p.Packs, year: p.Year,
			eligible: p.Year <= par.MaxParticipationYear,
			value:    w.Base + w.FirstYear*b2i(p.Year == 1) + w.TrainingDone*b2i(p.TrainingDone),
			pref:     make([]bool, m.K), excl: make([]bool, m.K)}
		if ok {
			mp.sector = m.schoolSector[c]
		}
		for _, id := range p.PreferredPeriods {
			k, ok := m.periodIdx[id]
			if !ok {
				ps.add(el, "unknown preferred period %q", id)
				continue
			}
			mp.pref[k] = true
		}
		if len(p.PreferredPeriods) == 0 {
			for k := range mp.pref {
				mp.pref[k] = true
			}
		}
		for _, id := range p.ExcludedPeriods {
			k, ok := m.periodIdx[id]
			if !ok {
				ps.add(el, "unknown excluded period %q", id)
				continue
			}
			mp.excl[k] = true
		}
		m.projIdx[p.ID] = mp.idx
		m.projects = append(m.projects, mp)
	}
	m.compileWindows(&ps)
	if len(ps.list) > 0 {
		return nil, ps.err()
	}

	// Previous plan: loans of withdrawn projects are ignored (spec section 5).
	if inst.PreviousPlan != nil {
		seen := map[string]bool{}
		for i, l := range inst.PreviousPlan.Loans {
			el := fmt.Sprintf("previous_plan.loans[%d] %q", i, l.Project)
			if seen[l.Project] {
				ps.add(el, "project appears twice in the previous plan")
				continue
			}
			seen[l.Project] = true
			pi, ok := m.projIdx[l.Project]
			if !ok {
				continue
			}
			mp := &m.projects[pi]
			mp.hasPrev, mp.prevS, mp.prevE, mp.prevPack = true, l.StartWeek, l.ExtensionWeeks, l.Packs
			m.nPrev++
			if l.Locked {
				lo, hi, ok := m.busyRange(l.StartWeek, l.ExtensionWeeks)
				if !ok {
					ps.add(el, "locked loan (start week %d, extension %d) does not fit in the %d school weeks",
						l.StartWeek, l.ExtensionWeeks, m.W)
					continue
				}
				if mp.packs > m.P {
					ps.add(el, "locked loan needs %d packs, the instance has %d", mp.packs, m.P)
					continue
				}
				mp.locked = true
				mp.opts = []option{m.makeOption(mp, l.StartWeek, l.ExtensionWeeks, lo, hi)}
			}
		}
	}
	m.churnConst = -m.w.ChurnDrop * m.nPrev

	// Locked loans must fit together.
	load := make([]int, m.W)
	for i := range m.projects {
		if p := &m.projects[i]; p.locked {
			for t := p.opts[0].lo; t <= p.opts[0].hi; t++ {
				load[t] += p.packs
			}
		}
	}
	for t, l := range load {
		if l > m.P {
			ps.add(fmt.Sprintf("calendar.weeks[%d]", t), "locked loans use %d packs, the instance has %d", l, m.P)
		}
	}
	if len(ps.list) > 0 {
		return nil, ps.err()
	}

	for i := range m.projects {
		p := &m.projects[i]
		if p.locked || !p.eligible || p.packs > m.P {
			continue
		}
		exts := []int{0}
		if p.opts == nil && inst.Projects[i].ExtensionWeeks > 0 {
			exts = append(exts, inst.Projects[i].ExtensionWeeks)
		}
		nStarts := 0
		for s := m.today; s < m.W; s++ {
			if m.baseOK(s) && !p.excl[m.wper[s]] {
				nStarts++
			}
		}
		if nStarts > 0 {
			p.opts = make([]option, 0, nStarts*len(exts))
		}
		for s := m.today; s < m.W; s++ {
			if !m.baseOK(s) || p.excl[m.wper[s]] {
				continue
			}
			for _, e := range exts {
				if lo, hi, ok := m.busyRange(s, e); ok {
					p.opts = append(p.opts, m.makeOption(p, s, e, lo, hi))
				}
			}
		}
	}
	rid := map[[2]int]int{}
	for i := range m.projects {
		for oi := range m.projects[i].opts {
			o := &m.projects[i].opts[oi]
			r := [2]int{o.lo, o.hi}
			id, ok := rid[r]
			if !ok {
				id = len(m.ranges)
				rid[r] = id
				m.ranges = append(m.ranges, r)
			}
			o.rid = id
		}
	}
	if err := m.windowCapacity(load); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *model) makeOption(p *mproj, s, e, lo, hi int) option {
	per := m.wper[s]
	c := p.value + m.w.PreferredPeriod*b2i(p.pref[per]) + m.w.ExtensionGranted*b2i(e > 0)
	if p.hasPrev {
		c += m.w.ChurnDrop
		if s != p.prevS {
			c -= m.w.ChurnMove
		} else if e != p.prevE {
			c -= m.w.ChurnExtension
		}
	}
	return option{s: s, e: e, per: per, lo: lo, hi: hi, c: c}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortedCopy returns a sorted copy of xs.
func sortedCopy(xs []int) []int {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
