package scheduler

import (
	"cmp"
	"context"
	"fmt"

	"github.com/classemobile/classemobile/calendar"
)

// CapacityOptions tunes PlanCapacity.
type CapacityOptions struct {
	// Solve is passed to every solve. Its TimeLimit applies to each one.
	Solve Options
	// LoanWeeks, if positive, replaces params.loan_weeks ("what if loans
	// were 5 weeks").
	LoanWeeks int
	// Packs, if positive, replaces params.packs.
	Packs int
	// LoanPolicy, if not empty, replaces params.loan_policy ("what if
	// loans could span the winter break").
	LoanPolicy string
}

// CapacityReport answers "how many packs would serve every eligible
// project" and shows how the packs are used per period.
type CapacityReport struct {
	Packs      int    `json:"packs"`
	LoanWeeks  int    `json:"loan_weeks"`
	LoanPolicy string `json:"loan_policy"`
	// Eligible counts the eligible projects; Schedulable those of them
	// with at least one legal slot (excluded periods, today_week).
	Eligible    int `json:"eligible"`
	Schedulable int `json:"schedulable"`
	Served      int `json:"served"`
	Objective   int `json:"objective"`
	UpperBound  int `json:"upper_bound"`
	// PacksToServeAll is the smallest number of packs with which the
	// solver serves every schedulable project (with the same weights),
	// found by bisection; the solver being a heuristic on large
	// instances, it is an upper estimate there.
	PacksToServeAll int           `json:"packs_to_serve_all"`
	Periods         []PeriodUsage `json:"periods"`
}

// PeriodUsage is the use of the packs in one period by a plan, and the
// demand for it.
type PeriodUsage struct {
	Period string `json:"period"`
	Weeks  int    `json:"weeks"`
	// PackWeeksAvailable = packs × school weeks of the period;
	// PackWeeksUsed counts the school weeks of the period during which
	// each pack is lent (turnaround excluded).
	PackWeeksAvailable int `json:"pack_weeks_available"`
	PackWeeksUsed      int `json:"pack_weeks_used"`
	// Loans starting in the period.
	Loans int `json:"loans"`
	// PreferredBy counts the eligible projects that prefer the period
	// (PreferredPacks their packs); projects without a preference are
	// counted in NoPreference of every period.
	PreferredBy    int `json:"preferred_by"`
	PreferredPacks int `json:"preferred_packs"`
	NoPreference   int `json:"no_preference"`
}

// PlanCapacity solves the instance (with the overrides of opt), reports
// the utilisation per period and searches the smallest number of packs
// that serves every schedulable eligible project. Returns a
// *ValidationError if the (overridden) instance is invalid.
func PlanCapacity(ctx context.Context, inst *Instance, opt CapacityOptions) (*CapacityReport, error) {
	base := *inst
	if opt.LoanWeeks > 0 {
		base.Params.LoanWeeks = opt.LoanWeeks
	}
	if opt.Packs > 0 {
		base.Params.Packs = opt.Packs
	}
	if opt.LoanPolicy != "" {
		base.Params.LoanPolicy = opt.LoanPolicy
	}
	m, err := compile(&base)
	if err != nil {
		return nil, err
	}
	res := m.solve(ctx, opt.Solve)
	rep := &CapacityReport{Packs: m.P, LoanWeeks: m.L, LoanPolicy: cmp.Or(base.Params.LoanPolicy, string(calendar.DefaultLoanPolicy)), Objective: res.Objective, UpperBound: res.UpperBound,
		Served: len(res.Plan.Loans)}
	for i := range m.projects {
		p := &m.projects[i]
		if p.eligible {
			rep.Eligible++
		}
		if p.eligible && (len(p.opts) > 0 || p.packs > m.P) {
			rep.Schedulable++
		}
	}
	rep.Periods = m.usage(res.Plan)

	// Bisection on the packs: serving every schedulable project is
	// monotone in the number of packs.
	total := 0
	for i := range m.projects {
		if p := &m.projects[i]; p.eligible {
			total += p.packs
		}
	}
	servesAll := func(packs int) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		b := base
		b.Params.Packs = packs
		b.PackUnavailability = packsUpTo(base.PackUnavailability, packs)
		mm, err := compile(&b)
		if err != nil {
			return false, err
		}
		o := opt.Solve
		o.ExactMaxProjects = -1
		o.FixedEffort, o.Progress = true, nil
		r := mm.solve(ctx, o)
		n, served := 0, 0
		for i := range mm.projects {
			if p := &mm.projects[i]; p.eligible && len(p.opts) > 0 {
				n++
				if r.state.choice[i] >= 0 {
					served++
				}
			}
		}
		return served == n && n == rep.Schedulable, nil
	}
	lo, hi := 1, max(total, 1)
	if ok, err := servesAll(hi); err != nil {
		return nil, fmt.Errorf("capacity search: %w", err)
	} else if !ok {
		rep.PacksToServeAll = -1
		return rep, nil
	}
	for lo < hi {
		mid := (lo + hi) / 2
		ok, err := servesAll(mid)
		if err != nil {
			return nil, fmt.Errorf("capacity search: %w", err)
		}
		if ok {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	rep.PacksToServeAll = hi
	return rep, nil
}

// usage computes the utilisation table of a plan.
func (m *model) usage(plan *Plan) []PeriodUsage {
	out := make([]PeriodUsage, m.K)
	for k := range out {
		out[k].Period = m.periodIDs[k]
	}
	for t := 0; t < m.W; t++ {
		out[m.wper[t]].Weeks++
	}
	for k := range out {
		out[k].PackWeeksAvailable = out[k].Weeks * m.P
	}
	for _, l := range plan.Loans {
		pi := m.projIdx[l.Project]
		p := &m.projects[pi]
		out[m.wper[l.StartWeek]].Loans++
		for t := l.StartWeek; t <= m.lastWeek(l.StartWeek, l.ExtensionWeeks) && t < m.W; t++ {
			out[m.wper[t]].PackWeeksUsed += p.packs
		}
	}
	for i := range m.projects {
		p := &m.projects[i]
		if !p.eligible {
			continue
		}
		if len(m.inst.Projects[i].PreferredPeriods) == 0 {
			for k := range out {
				out[k].NoPreference++
			}
			continue
		}
		for k := range out {
			if p.pref[k] {
				out[k].PreferredBy++
				out[k].PreferredPacks += p.packs
			}
		}
	}
	return out
}
