package calendar

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// LoanPolicy says where a loan of N school weeks may lie in the school
// year. A school year has one (a setting of the coordinator); a round may
// override it.
type LoanPolicy string

// Loan policies.
const (
	// WithinPeriod: the N weeks lie inside one period (the rule of the
	// call for projects). A period shorter than N weeks gets no loan.
	WithinPeriod LoanPolicy = "within_period"
	// AcrossBreaks: the N weeks are consecutive school weeks that may
	// span one short break (Toussaint, Noël, hiver, printemps), the pack
	// staying at the school during the break; never the summer.
	AcrossBreaks LoanPolicy = "across_breaks"
	// PeriodLength: as WithinPeriod, but a period shorter than N weeks
	// gets loans of its own length (from its first week to its last).
	PeriodLength LoanPolicy = "period_length"
)

// DefaultLoanPolicy is the policy of a school year that has none set.
const DefaultLoanPolicy = WithinPeriod

// LoanPolicies lists the policies in a stable order.
func LoanPolicies() []LoanPolicy { return []LoanPolicy{WithinPeriod, AcrossBreaks, PeriodLength} }

// ErrInvalidLoanPolicy is returned by ParseLoanPolicy for a name that is
// not a policy.
var ErrInvalidLoanPolicy = errors.New("calendar: invalid loan policy")

// ParseLoanPolicy returns the policy named s; "" is DefaultLoanPolicy.
// Returns an error wrapping ErrInvalidLoanPolicy otherwise.
func ParseLoanPolicy(s string) (LoanPolicy, error) {
	if s == "" {
		return DefaultLoanPolicy, nil
	}
	for _, p := range LoanPolicies() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %q (want within_period, across_breaks or period_length)", ErrInvalidLoanPolicy, s)
}

// Label returns the French description of the policy.
func (p LoanPolicy) Label() string {
	switch p {
	case AcrossBreaks:
		return "à cheval sur une petite vacance (le pack reste à l'école pendant les vacances)"
	case PeriodLength:
		return "dans une période (une période plus courte donne des prêts de sa longueur)"
	default:
		return "dans une seule période"
	}
}

// MaxBreakDays is the longest gap, in days, between the Mondays of two
// consecutive school weeks that a loan may span under AcrossBreaks: a
// short break lasts one or two weeks (a gap of 14 or 21 days); the summer
// is far longer.
const MaxBreakDays = 35

// PolicyWeek is a school week as the loan rule sees it: its period and the
// day number of its Monday (days since any fixed origin).
type PolicyWeek struct {
	Period string
	Day    int
}

// LoanStart is a legal start of a loan under a policy: its first school
// week, its base length in school weeks, and whether it spans a break
// (the index of its first week after the break, or -1).
type LoanStart struct {
	Week  int `json:"week"`
	Weeks int `json:"weeks"`
	// BreakAfter is the last week before the break the loan spans, or -1
	// when it lies inside one period.
	BreakAfter int `json:"break_after"`
}

// LoanStarts returns the legal starts of a loan of loanWeeks school weeks
// under policy over a year's school weeks (in order), in increasing week
// order. This is the one statement of the loan rule: the engine, its
// evaluator and the calendar all apply it. An unknown policy is
// WithinPeriod.
func LoanStarts(policy LoanPolicy, loanWeeks int, weeks []PolicyWeek) []LoanStart {
	out := []LoanStart{}
	if loanWeeks < 1 {
		return out
	}
	W := len(weeks)
	for s := 0; s < W; s++ {
		e := s + loanWeeks - 1
		switch {
		case e < W && weeks[s].Period == weeks[e].Period:
			out = append(out, LoanStart{Week: s, Weeks: loanWeeks, BreakAfter: -1})
		case policy == AcrossBreaks && e < W:
			// One change of period, over a short break.
			brk, ok := -1, true
			for t := s; t < e && ok; t++ {
				if weeks[t].Period == weeks[t+1].Period {
					continue
				}
				if brk >= 0 || weeks[t+1].Day-weeks[t].Day > MaxBreakDays {
					ok = false
				}
				brk = t
			}
			if ok {
				out = append(out, LoanStart{Week: s, Weeks: loanWeeks, BreakAfter: brk})
			}
		case policy == PeriodLength:
			// A period shorter than the loan: one loan of its length,
			// from its first week.
			if s > 0 && weeks[s-1].Period == weeks[s].Period {
				continue
			}
			n := 1
			for s+n < W && weeks[s+n].Period == weeks[s].Period {
				n++
			}
			if n < loanWeeks {
				out = append(out, LoanStart{Week: s, Weeks: n, BreakAfter: -1})
			}
		}
	}
	return out
}

// LoanStarts returns the legal starts of a loan of loanWeeks school weeks
// under policy in the year (see the package function LoanStarts).
func (y *Year) LoanStarts(policy LoanPolicy, loanWeeks int) []LoanStart {
	return LoanStarts(policy, loanWeeks, y.policyWeeks())
}

// LoansPerPack counts, by the period of their start, the loans one pack
// can make one after the other in the year under policy: each loan of
// loanWeeks school weeks (or a short period's length under PeriodLength)
// comes back on the Friday of its last week and keeps the pack
// turnaroundDays more. It takes the legal loan that ends first each time,
// which makes the most loans.
func (y *Year) LoansPerPack(policy LoanPolicy, loanWeeks, turnaroundDays int) map[string]int {
	pw := y.policyWeeks()
	starts := LoanStarts(policy, loanWeeks, pw)
	out := map[string]int{}
	free := math.MinInt // the first day the pack is free
	for {
		best := -1
		for i, s := range starts {
			if pw[s.Week].Day >= free && (best < 0 || s.Week+s.Weeks < starts[best].Week+starts[best].Weeks) {
				best = i
			}
		}
		if best < 0 {
			return out
		}
		s := starts[best]
		out[pw[s.Week].Period]++
		free = pw[s.Week+s.Weeks-1].Day + 4 + turnaroundDays
	}
}

// StartPeriods returns the periods where a loan may start under policy.
func (y *Year) StartPeriods(policy LoanPolicy, loanWeeks int) map[string]bool {
	out := map[string]bool{}
	for _, s := range y.LoanStarts(policy, loanWeeks) {
		out[y.weeks[s.Week].Period] = true
	}
	return out
}

func (y *Year) policyWeeks() []PolicyWeek {
	pw := make([]PolicyWeek, len(y.weeks))
	for i, w := range y.weeks {
		pw[i] = PolicyWeek{Period: w.Period, Day: w.Monday.DaysSince(y.weeks[0].Monday)}
	}
	return pw
}

// BaseWeeks returns the base length of a loan starting at school week
// start under policy (loanWeeks, or a short period's length under
// PeriodLength), and false if no loan may start there.
func (y *Year) BaseWeeks(policy LoanPolicy, loanWeeks, start int) (int, bool) {
	for _, s := range y.LoanStarts(policy, loanWeeks) {
		if s.Week == start {
			return s.Weeks, true
		}
	}
	return 0, false
}

// BreakBetween returns the holiday between school weeks a and a+1 (the
// break a loan spans), and false when they are in the same period.
func (y *Year) BreakBetween(a int) (Holiday, bool) {
	if a < 0 || a+1 >= len(y.weeks) || y.weeks[a].Period == y.weeks[a+1].Period {
		return Holiday{}, false
	}
	for _, h := range y.holidays {
		if h.First.After(y.weeks[a].Monday) && !h.First.After(y.weeks[a+1].Monday) && !isBridge(h) {
			return h, true
		}
	}
	return Holiday{}, false
}

func isBridge(h Holiday) bool { return strings.HasPrefix(h.Description, "Pont") }

// BreakPhrase turns a holiday's name into the phrase of a sentence: "Vacances
// d'Hiver" → "vacances d'hiver", "Vacances de la Toussaint" → "vacances de
// la Toussaint", "Noel" → "vacances de Noël", "Hiver (zone C)" →
// "vacances d'hiver".
func BreakPhrase(name string) string {
	n := strings.TrimSpace(name)
	if i := strings.Index(n, " ("); i > 0 {
		n = n[:i]
	}
	short := shortName(n)
	switch strings.ToLower(short) {
	case "toussaint":
		return "vacances de la Toussaint"
	case "noël", "noel":
		return "vacances de Noël"
	case "hiver":
		return "vacances d'hiver"
	case "printemps":
		return "vacances de printemps"
	case "été", "ete":
		return "vacances d'été"
	}
	if short == "" {
		return "vacances"
	}
	return "vacances « " + short + " »"
}
