package round

import (
	"context"
	"fmt"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

// DefaultCapacityTimeLimit bounds each solve of the capacity search when
// the caller does not say.
const DefaultCapacityTimeLimit = time.Second

// Capacity compares, for a school year, the demand of the validated
// requests with the packs: per period, the pack-weeks the requests'
// preferences ask for, those available and those a plan uses; and the
// number of packs with which the engine serves every eligible project.
type Capacity struct {
	SchoolYear string `json:"school_year"`
	// RoundID is the round whose plan gives the use of the packs (0 when
	// the engine's own plan of the capacity search gives it).
	RoundID   int64 `json:"round_id,omitempty"`
	Packs     int   `json:"packs"`
	LoanWeeks int   `json:"loan_weeks"`
	// Eligible counts the eligible projects, Schedulable those with at
	// least one possible start week, Served those the plan serves.
	Eligible    int `json:"eligible"`
	Schedulable int `json:"schedulable"`
	Served      int `json:"served"`
	// PacksToServeAll is the smallest number of packs with which the
	// engine serves every schedulable eligible project (an upper estimate
	// on large instances, the engine being a heuristic there), -1 when no
	// number does.
	PacksToServeAll int `json:"packs_to_serve_all"`
	// Summary says it in French: « 8 packs servent tous les projets
	// éligibles : 2 de plus que les 6 disponibles. »
	Summary string           `json:"summary"`
	Periods []PeriodCapacity `json:"periods"`
}

// PeriodCapacity is the demand and the use of the packs in one period.
type PeriodCapacity struct {
	Period string `json:"period"`
	// Label is "P3 · Noël → Hiver", Dates "du lundi 4 janvier au …".
	Label string `json:"label"`
	Dates string `json:"dates"`
	Weeks int    `json:"weeks"`
	// PackWeeksAvailable is packs × school weeks; PackWeeksUsed the school
	// weeks of the period during which each pack is lent by the plan
	// (extensions included); Utilisation their ratio in percent, and
	// UtilisationLabel as shown ("83 %").
	PackWeeksAvailable int    `json:"pack_weeks_available"`
	PackWeeksUsed      int    `json:"pack_weeks_used"`
	Utilisation        int    `json:"utilisation"`
	UtilisationLabel   string `json:"utilisation_label"`
	// Loans counts the plan's loans starting in the period.
	Loans int `json:"loans"`
	// DemandProjects counts the eligible projects preferring the period,
	// DemandPacks their packs and DemandPackWeeks those packs × the loan
	// length; NoPreference the eligible projects without a preference
	// (they may go to any period).
	DemandProjects  int `json:"demand_projects"`
	DemandPacks     int `json:"demand_packs"`
	DemandPackWeeks int `json:"demand_pack_weeks"`
	NoPreference    int `json:"no_preference"`
	// Overbooked is true when the preferences alone ask for more
	// pack-weeks than the period has.
	Overbooked bool `json:"overbooked"`
	// Text says the period in French.
	Text string `json:"text"`
}

// RoundCapacity returns the capacity of a round's year with the round's
// parameters (loan length, turnaround, weights, exclusions) on the year's
// current data (packs, windows, requests): the demand per period, the use
// of the packs by the round's plan, and the packs that would serve every eligible project,
// searched by the engine (each solve within timeLimit; 0 means
// DefaultCapacityTimeLimit). Returns store.ErrNotFound, or the errors of
// Run when the year's data no longer fit the round's parameters.
func RoundCapacity(ctx context.Context, db *store.DB, id int64, timeLimit time.Duration) (_ Capacity, err error) {
	defer wrapf(&err, "round.RoundCapacity(%d)", id)
	r, err := db.Round(ctx, id)
	if err != nil {
		return Capacity{}, err
	}
	weights := scheduler.Weights(r.Weights)
	in := Input{SchoolYear: r.SchoolYear, LoanWeeks: r.Params.LoanWeeks, TurnaroundDays: r.Params.TurnaroundDays,
		Weights: &weights, Pins: r.Pins, TimeLimit: timeLimit, Today: r.Params.Today,
		LoanPolicy: calendar.LoanPolicy(r.Params.LoanPolicy)}
	if in.TurnaroundDays == 0 {
		in.TurnaroundDays = -1
	}
	c, y, err := capacity(ctx, db, in)
	if err != nil {
		return Capacity{}, err
	}
	c.RoundID, c.Served = r.ID, len(r.Loans)
	used, err := db.RoundPackWeeks(ctx, r, y)
	if err != nil {
		return Capacity{}, err
	}
	for i := range c.Periods {
		p := &c.Periods[i]
		p.PackWeeksUsed, p.Loans = used[p.Period], 0
		for _, l := range r.Loans {
			if l.Period == p.Period {
				p.Loans++
			}
		}
		p.finish()
	}
	return c, nil
}

// YearCapacity returns the capacity of a school year as a round with
// input in would see it (no round needed): the use of the packs is that
// of the engine's plan of the capacity search. Returns the errors of Run.
func YearCapacity(ctx context.Context, db *store.DB, in Input) (_ Capacity, err error) {
	defer wrapf(&err, "round.YearCapacity(%s)", in.SchoolYear)
	c, _, err := capacity(ctx, db, in)
	return c, err
}

// capacity runs the engine's capacity planning on the round instance of
// in (the coordinator's exclusions applied, pins not).
func capacity(ctx context.Context, db *store.DB, in Input) (Capacity, *calendar.Year, error) {
	tl := in.TimeLimit
	if tl == 0 {
		tl = DefaultCapacityTimeLimit
	}
	in.TimeLimit = tl
	if err := in.validate(); err != nil {
		return Capacity{}, nil, err
	}
	b, err := build(ctx, db, in)
	if err != nil {
		return Capacity{}, nil, err
	}
	rep, err := scheduler.PlanCapacity(ctx, b.base, scheduler.CapacityOptions{Solve: scheduler.Options{TimeLimit: tl}})
	if err != nil {
		return Capacity{}, nil, pinsError(err)
	}
	c := Capacity{SchoolYear: in.SchoolYear, Packs: rep.Packs, LoanWeeks: rep.LoanWeeks, Eligible: rep.Eligible,
		Schedulable: rep.Schedulable, Served: rep.Served, PacksToServeAll: rep.PacksToServeAll, Periods: []PeriodCapacity{}}
	for _, u := range rep.Periods {
		p := PeriodCapacity{Period: u.Period, Weeks: u.Weeks, PackWeeksAvailable: u.PackWeeksAvailable,
			PackWeeksUsed: u.PackWeeksUsed, Loans: u.Loans, DemandProjects: u.PreferredBy, DemandPacks: u.PreferredPacks,
			DemandPackWeeks: u.PreferredPacks * rep.LoanWeeks, NoPreference: u.NoPreference}
		if per, ok := b.year.Period(u.Period); ok {
			p.Label, p.Dates = per.ID+" · "+per.Label, planning.DateRange(per.First, per.Last)
		}
		p.finish()
		c.Periods = append(c.Periods, p)
	}
	c.Summary = capacitySummary(c)
	return c, b.year, nil
}

// RoundCapacityFor returns a round's capacity for u: the staff's work
// (store.ActRoundRead); the others get a not-found answer.
func RoundCapacityFor(ctx context.Context, db *store.DB, u store.User, id int64, timeLimit time.Duration) (Capacity, error) {
	if !u.Can(store.ActRoundRead) {
		return Capacity{}, store.Hidden()
	}
	return RoundCapacity(ctx, db, id, timeLimit)
}

// finish computes the derived fields of a period.
func (p *PeriodCapacity) finish() {
	p.Utilisation = 0
	if p.PackWeeksAvailable > 0 {
		p.Utilisation = (100*p.PackWeeksUsed + p.PackWeeksAvailable/2) / p.PackWeeksAvailable
	}
	p.UtilisationLabel = fmt.Sprintf("%d\u00a0%%", p.Utilisation)
	p.Overbooked = p.DemandPackWeeks > p.PackWeeksAvailable
	p.Text = fmt.Sprintf("%s : %s la préfèrent (%s, soit %s) pour %s ; le plan en utilise %d (%s).",
		p.Period, frPlural(p.DemandProjects, "projet", "projets"), frPlural(p.DemandPacks, "pack", "packs"),
		frPlural(p.DemandPackWeeks, "semaine-pack", "semaines-packs"),
		frPlural(p.PackWeeksAvailable, "semaine-pack disponible", "semaines-packs disponibles"), p.PackWeeksUsed, p.UtilisationLabel)
	if p.Overbooked {
		p.Text += " Demande supérieure à la capacité."
	}
}

// capacitySummary says the capacity in one French sentence.
func capacitySummary(c Capacity) string {
	var s string
	switch {
	case c.PacksToServeAll < 0:
		s = "Aucun nombre de packs ne permet de servir tous les projets éligibles."
	case c.PacksToServeAll <= c.Packs:
		s = fmt.Sprintf("%s tous les projets éligibles (%s).", packsServe(c.PacksToServeAll),
			frPlural(c.Packs, "pack disponible", "packs disponibles"))
	default:
		s = fmt.Sprintf("%s tous les projets éligibles : %d de plus que les packs disponibles (%d).", packsServe(c.PacksToServeAll),
			c.PacksToServeAll-c.Packs, c.Packs)
	}
	if n := c.Eligible - c.Schedulable; n > 0 {
		s += fmt.Sprintf(" %s sans semaine de début possible (périodes exclues ou trop courtes).",
			frPlural(n, "projet éligible reste", "projets éligibles restent"))
	}
	return s
}

func packsServe(n int) string {
	if n < 2 {
		return fmt.Sprintf("%d pack sert", n)
	}
	return fmt.Sprintf("%d packs servent", n)
}

// frPlural returns "1 projet", "3 projets" (French: 0 is singular).
func frPlural(n int, one, many string) string {
	if n < 2 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
