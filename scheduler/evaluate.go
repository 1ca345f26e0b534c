package scheduler

import (
	"cmp"
	"fmt"
	"slices"
)

// Rule names reported in Violation.Rule (spec section 4).
const (
	RuleUnknownProject        = "unknown-project"
	RuleServedTwice           = "served-twice"
	RuleMalformedLoan         = "malformed-loan"
	RuleNotEligible           = "not-eligible"
	RuleExtensionNotRequested = "extension-not-requested"
	RuleIllegalLoan           = "illegal-loan"
	RuleExcludedPeriod        = "excluded-period"
	RuleBeforeToday           = "before-today"
	RulePackCount             = "pack-count"
	RulePackRange             = "pack-range"
	RuleLockedNotReproduced   = "locked-not-reproduced"
	RulePackOverlap           = "pack-overlap"
	// RulePackUnavailable: a loan uses a pack during one of its
	// pack_unavailability windows (extension of the format, windows.go).
	RulePackUnavailable = "pack-unavailable"
)

// Violation is one broken hard rule of a plan.
type Violation struct {
	Rule    string `json:"rule"`
	Project string `json:"project,omitempty"`
	Pack    int    `json:"pack,omitempty"`
	Message string `json:"message"`
}

// Terms is the objective of spec section 5, term by term. Objective =
// ServedValue + PreferenceBonus + ExtensionBonus − the four penalties.
type Terms struct {
	ServedValue         int `json:"served_value"`
	PreferenceBonus     int `json:"preference_bonus"`
	ExtensionBonus      int `json:"extension_bonus"`
	SchoolPeriodPenalty int `json:"school_period_penalty"`
	SchoolYearPenalty   int `json:"school_year_penalty"`
	SectorPeriodPenalty int `json:"sector_period_penalty"`
	ChurnPenalty        int `json:"churn_penalty"`
}

// Total returns the objective Z.
func (t Terms) Total() int {
	return t.ServedValue + t.PreferenceBonus + t.ExtensionBonus -
		t.SchoolPeriodPenalty - t.SchoolYearPenalty - t.SectorPeriodPenalty - t.ChurnPenalty
}

// Churn counts the changes against the previous plan.
type Churn struct {
	Dropped          int `json:"dropped"`
	Moved            int `json:"moved"`
	ExtensionChanged int `json:"extension_changed"`
}

// Stats are informative counts of a plan.
type Stats struct {
	Served              int   `json:"served"`
	ServedFirstYear     int   `json:"served_first_year"`
	ServedPacks         int   `json:"served_packs"`
	Eligible            int   `json:"eligible"`
	PreferencesHonoured int   `json:"preferences_honoured"`
	ExtensionsGranted   int   `json:"extensions_granted"`
	Churn               Churn `json:"churn"`
}

// Evaluation is the verdict on a plan: feasibility with every violated rule,
// and the objective term by term (computed over the loans of known projects,
// as the reference checker does, even when the plan is infeasible).
type Evaluation struct {
	Feasible   bool        `json:"feasible"`
	Violations []Violation `json:"violations"`
	Objective  int         `json:"objective"`
	Terms      Terms       `json:"terms"`
	Stats      Stats       `json:"stats"`
}

// Evaluate checks a plan against an instance (spec section 4) and computes
// its objective (spec section 5), exactly as bench/evaluate.py does. It
// returns a *ValidationError if the instance itself is invalid.
func Evaluate(inst *Instance, plan *Plan) (*Evaluation, error) {
	m, err := compile(inst)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		plan = &Plan{}
	}
	return m.evaluate(plan.Loans), nil
}

func (m *model) evaluate(loans []Loan) *Evaluation {
	ev := &Evaluation{Violations: []Violation{}}
	bad := func(rule, pid string, format string, args ...any) {
		ev.Violations = append(ev.Violations, Violation{Rule: rule, Project: pid, Message: fmt.Sprintf(format, args...)})
	}
	served := make([]int, len(m.projects)) // loan index + 1
	var order []int
	for li, l := range loans {
		pi, ok := m.projIdx[l.Project]
		if !ok {
			bad(RuleUnknownProject, l.Project, "%s: unknown project", l.Project)
			continue
		}
		if served[pi] != 0 {
			bad(RuleServedTwice, l.Project, "%s: served twice", l.Project)
			continue
		}
		p := &m.projects[pi]
		s, e := l.StartWeek, l.ExtensionWeeks
		if s < 0 || s >= m.W || e < 0 {
			bad(RuleMalformedLoan, l.Project, "%s: malformed start_week/extension_weeks %d/%d", l.Project, s, e)
			continue
		}
		lockedCopy := p.locked && p.prevS == s && p.prevE == e
		if !lockedCopy {
			if !p.eligible {
				bad(RuleNotEligible, l.Project, "%s: year %d > %d, not eligible", l.Project, p.year, m.inst.Params.MaxParticipationYear)
			}
			if req := m.inst.Projects[pi].ExtensionWeeks; e != 0 && e != req {
				bad(RuleExtensionNotRequested, l.Project, "%s: extension %d not requested (%d)", l.Project, e, req)
			}
			if !m.loanOK(s, e) {
				bad(RuleIllegalLoan, l.Project, "%s: start week %d (+%d) outside a school period / year", l.Project, s, e)
			} else if p.excl[m.wper[s]] {
				bad(RuleExcludedPeriod, l.Project, "%s: period %s excluded", l.Project, m.periodIDs[m.wper[s]])
			}
			if s < m.today {
				bad(RuleBeforeToday, l.Project, "%s: start week %d before today_week %d", l.Project, s, m.today)
			}
		}
		distinct := map[int]bool{}
		for _, k := range l.Packs {
			distinct[k] = true
		}
		if len(l.Packs) != p.packs || len(distinct) != p.packs {
			bad(RulePackCount, l.Project, "%s: needs %d distinct packs, got %v", l.Project, p.packs, l.Packs)
		}
		for _, k := range l.Packs {
			if k < 1 || k > m.P {
				bad(RulePackRange, l.Project, "%s: pack id out of 1..%d", l.Project, m.P)
				break
			}
		}
		served[pi] = li + 1
		order = append(order, pi)
	}
	for pi := range m.projects {
		p := &m.projects[pi]
		if !p.locked {
			continue
		}
		if li := served[pi]; li == 0 || loans[li-1].StartWeek != p.prevS || loans[li-1].ExtensionWeeks != p.prevE {
			bad(RuleLockedNotReproduced, p.id, "%s: locked loan not reproduced", p.id)
		}
	}
	// Per-pack non-overlap of busy intervals [start_day, free_day).
	type busy struct {
		a, b int
		pid  string
	}
	byPack := map[int][]busy{}
	var packs []int
	for _, pi := range order {
		l := loans[served[pi]-1]
		if !m.loanOK(l.StartWeek, l.ExtensionWeeks) {
			continue
		}
		last := m.lastWeek(l.StartWeek, l.ExtensionWeeks)
		a, b := m.day[l.StartWeek], m.day[last]+4+m.T
		ev.Violations = append(ev.Violations, m.windowViolations(l.Project, a, b, l.Packs)...)
		for _, k := range l.Packs {
			if _, ok := byPack[k]; !ok {
				packs = append(packs, k)
			}
			byPack[k] = append(byPack[k], busy{a, b, l.Project})
		}
	}
	slices.Sort(packs)
	for _, k := range packs {
		iv := byPack[k]
		slices.SortFunc(iv, func(x, y busy) int {
			return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b), cmp.Compare(x.pid, y.pid))
		})
		for i := 1; i < len(iv); i++ {
			if iv[i].a < iv[i-1].b {
				ev.Violations = append(ev.Violations, Violation{Rule: RulePackOverlap, Project: iv[i].pid, Pack: k,
					Message: fmt.Sprintf("pack %d: %s busy until day %d, %s starts day %d", k, iv[i-1].pid, iv[i-1].b, iv[i].pid, iv[i].a)})
			}
		}
	}
	ev.Feasible = len(ev.Violations) == 0

	// Objective.
	w := m.w
	nsp := map[[2]int]int{}
	nsy := map[int]int{}
	mqp := map[[2]int]int{}
	var t Terms
	st := &ev.Stats
	for _, pi := range order {
		p := &m.projects[pi]
		l := loans[served[pi]-1]
		per := m.wper[l.StartWeek]
		t.ServedValue += p.value
		if p.pref[per] {
			t.PreferenceBonus += w.PreferredPeriod
			if len(m.inst.Projects[pi].PreferredPeriods) > 0 {
				st.PreferencesHonoured++
			}
		}
		if l.ExtensionWeeks > 0 {
			t.ExtensionBonus += w.ExtensionGranted
			st.ExtensionsGranted++
		}
		nsp[[2]int{p.school, per}]++
		nsy[p.school]++
		mqp[[2]int{p.sector, per}] += p.packs
		st.Served++
		st.ServedFirstYear += b2i(p.year == 1)
		st.ServedPacks += p.packs
	}
	for _, n := range nsp {
		t.SchoolPeriodPenalty += w.SchoolPeriodExcess * max(0, n-m.fsp)
	}
	for _, n := range nsy {
		t.SchoolYearPenalty += w.SchoolYearExcess * max(0, n-m.fsy)
	}
	for k, n := range mqp {
		t.SectorPeriodPenalty += w.SectorPeriodExcess * max(0, n-m.sectorCap[k[0]])
	}
	for pi := range m.projects {
		p := &m.projects[pi]
		st.Eligible += b2i(p.eligible)
		if !p.hasPrev {
			continue
		}
		switch li := served[pi]; {
		case li == 0:
			st.Churn.Dropped++
		case loans[li-1].StartWeek != p.prevS:
			st.Churn.Moved++
		case loans[li-1].ExtensionWeeks != p.prevE:
			st.Churn.ExtensionChanged++
		}
	}
	t.ChurnPenalty = w.ChurnDrop*st.Churn.Dropped + w.ChurnMove*st.Churn.Moved + w.ChurnExtension*st.Churn.ExtensionChanged
	ev.Terms = t
	ev.Objective = t.Total()
	return ev
}
