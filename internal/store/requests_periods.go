package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// RequestWarning is a remark on a request that does not stop it: a
// preferred period shorter than a loan, which the plan may not serve.
type RequestWarning struct {
	// Code is stable: "short_period".
	Code string `json:"code"`
	// Field is the request field the warning is about.
	Field string `json:"field"`
	// Period is the period concerned, e.g. "P3".
	Period string `json:"period,omitempty"`
	// Message says why, in French.
	Message string `json:"message"`
}

// WarningShortPeriod is the code of a preferred period shorter than a
// loan.
const WarningShortPeriod = "short_period"

// periodStartable reports whether a loan of loanWeeks could start in the
// period under at least one loan policy.
func periodStartable(y *calendar.Year, p calendar.Period, loanWeeks int) bool {
	for _, pol := range calendar.LoanPolicies() {
		for _, s := range y.LoanStarts(pol, loanWeeks) {
			if s.Week >= p.FirstWeek && s.Week <= p.LastWeek {
				return true
			}
		}
	}
	return false
}

// checkPreferredStarts refuses a preferred period in which no loan could
// start under any loan policy (a period without school weeks, or whose
// weeks no rule can hold), with the reason.
func checkPreferredStarts(y *calendar.Year, preferred []string, f FieldErrors) {
	for _, id := range preferred {
		p, ok := y.Period(id)
		if !ok {
			continue // unknown periods are refused by Request.Validate
		}
		if p.WeekCount() < 1 || !periodStartable(y, p, DefaultLoanWeeks) {
			f.Add("preferred_periods", "période « %s » impossible : aucun prêt ne peut y commencer, quelle que soit la règle de placement des prêts (%s)",
				id, weekCountPhrase(p.WeekCount()))
		}
	}
}

func weekCountPhrase(n int) string {
	if n == 1 {
		return "1 semaine de classe"
	}
	return fmt.Sprintf("%d semaines de classe", n)
}

// preferredWarnings returns the warnings on the preferred periods of q
// under the year's loan policy: a period shorter than a loan of
// DefaultLoanWeeks may not be served, and says why.
func preferredWarnings(y *calendar.Year, policy calendar.LoanPolicy, preferred []string) []RequestWarning {
	out := []RequestWarning{}
	for _, id := range preferred {
		p, ok := y.Period(id)
		if !ok || p.WeekCount() < 1 || p.WeekCount() >= DefaultLoanWeeks {
			continue
		}
		var why string
		switch policy {
		case calendar.PeriodLength:
			why = fmt.Sprintf("un prêt y serait raccourci à %s au lieu de %d", weekCountPhrase(p.WeekCount()), DefaultLoanWeeks)
		case calendar.AcrossBreaks:
			why = fmt.Sprintf("un prêt de %d semaines commencé dans cette période se poursuit après les vacances", DefaultLoanWeeks)
		default:
			why = fmt.Sprintf("un prêt de %d semaines n'y tient pas : cette période peut ne pas être servie", DefaultLoanWeeks)
		}
		out = append(out, RequestWarning{Code: WarningShortPeriod, Field: "preferred_periods", Period: id,
			Message: fmt.Sprintf("période courte : %s (%s) ; %s", weekCountPhrase(p.WeekCount()), id, why)})
	}
	return out
}

// yearRules is what the period rules of a request need of its school year.
type yearRules struct {
	year   *calendar.Year
	policy calendar.LoanPolicy
}

// requestYearRules loads the calendar and loan policy of each school year
// of rows; a year without calendar is left out (no warnings for it).
func requestYearRules(ctx context.Context, idb bun.IDB, years []string) (map[string]yearRules, error) {
	out := map[string]yearRules{}
	for _, name := range years {
		if _, ok := out[name]; ok {
			continue
		}
		y, err := calendarYearTx(ctx, idb, name)
		if errors.Is(err, calendar.ErrInvalidYear) || errors.Is(err, calendar.ErrUnknownYear) {
			continue
		}
		if err != nil {
			return nil, err
		}
		set, err := yearSettingsTx(ctx, idb, name)
		if err != nil {
			return nil, err
		}
		out[name] = yearRules{year: y, policy: set.LoanPolicy}
	}
	return out, nil
}

// withWarnings fills the Warnings of qs from their years' rules.
func withWarnings(ctx context.Context, idb bun.IDB, qs []Request) error {
	var years []string
	for _, q := range qs {
		if !slices.Contains(years, q.SchoolYear) {
			years = append(years, q.SchoolYear)
		}
	}
	rules, err := requestYearRules(ctx, idb, years)
	if err != nil {
		return err
	}
	for i := range qs {
		qs[i].Warnings = []RequestWarning{}
		if r, ok := rules[qs[i].SchoolYear]; ok {
			qs[i].Warnings = preferredWarnings(r.year, r.policy, qs[i].PreferredPeriods)
		}
	}
	return nil
}
