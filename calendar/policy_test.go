package calendar_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

func TestLoanStarts(t *testing.T) {
	t.Parallel()
	// Periods A (3 weeks), B (2 weeks), C (4 weeks) with two-week breaks,
	// then D (3 weeks) after an eight-week summer.
	var weeks []calendar.PolicyWeek
	day := 0
	for _, p := range []struct {
		id string
		n  int
	}{{"A", 3}, {"B", 2}, {"C", 4}, {"D", 3}} {
		for range p.n {
			weeks = append(weeks, calendar.PolicyWeek{Period: p.id, Day: day})
			day += 7
		}
		day += 14
		if p.id == "C" {
			day += 42
		}
	}
	type st = calendar.LoanStart
	for _, tc := range []struct {
		name   string
		policy calendar.LoanPolicy
		want   []st
	}{
		{"within", calendar.WithinPeriod, []st{{0, 3, -1}, {5, 3, -1}, {6, 3, -1}, {9, 3, -1}}},
		// Across: 3 weeks over one break (B has 2 weeks, so 3..5 is B,B,C),
		// never C→D (the summer).
		{"across", calendar.AcrossBreaks, []st{{0, 3, -1}, {1, 3, 2}, {2, 3, 2}, {3, 3, 4}, {4, 3, 4}, {5, 3, -1}, {6, 3, -1}, {9, 3, -1}}},
		{"period length", calendar.PeriodLength, []st{{0, 3, -1}, {3, 2, -1}, {5, 3, -1}, {6, 3, -1}, {9, 3, -1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, calendar.LoanStarts(tc.policy, 3, weeks))
		})
	}
	// Four weeks from week 2 (A | B B | C) span two breaks: refused.
	for _, s := range calendar.LoanStarts(calendar.AcrossBreaks, 4, weeks) {
		assert.NotEqual(t, 2, s.Week, "a loan spanning two breaks")
	}
	for _, name := range []string{"", "within_period", "across_breaks", "period_length"} {
		_, err := calendar.ParseLoanPolicy(name)
		assert.NoError(t, err, "policy %q", name)
	}
	_, err := calendar.ParseLoanPolicy("summer")
	require.ErrorIs(t, err, calendar.ErrInvalidLoanPolicy)
}

func TestYearLoanStarts2026(t *testing.T) {
	t.Parallel()
	y, err := calendar.NewYear("2026-2027", calendar.ZoneC())
	require.NoError(t, err)
	p3, _ := y.Period("P3")
	starts := func(p calendar.LoanPolicy) map[int]int {
		out := map[int]int{}
		for _, s := range y.LoanStarts(p, 6) {
			out[s.Week] = s.Weeks
		}
		return out
	}
	within, across, short := starts(calendar.WithinPeriod), starts(calendar.AcrossBreaks), starts(calendar.PeriodLength)
	assert.Equal(t, len(y.LegalStarts(6)), len(within), "within_period is LegalStarts")
	for w := p3.FirstWeek; w <= p3.LastWeek; w++ {
		assert.NotContains(t, within, w, "within_period in P3")
		assert.Equal(t, 6, across[w], "across_breaks from week %d", w)
	}
	assert.Equal(t, 5, short[p3.FirstWeek], "period_length in P3")
	h, ok := y.BreakBetween(p3.LastWeek)
	require.True(t, ok)
	assert.Equal(t, "vacances d'hiver", calendar.BreakPhrase(h.Description))
	// The last week before the summer starts nothing across it.
	last := len(y.Weeks()) - 1
	assert.NotContains(t, across, last-2, "no loan runs into the summer")
}

// TestLoansPerPack2026: in 2026-2027 (P3 has 5 school weeks), a pack makes
// 4 loans of 6 weeks in the year inside periods (none in P3), 5 when a loan
// may span a short break or shrink to a short period's length; P3 is where
// a loan may start only under the last two policies.
func TestLoansPerPack2026(t *testing.T) {
	t.Parallel()
	y, err := calendar.NewYear("2026-2027", calendar.ZoneC())
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"P1": 1, "P2": 1, "P4": 1, "P5": 1}, y.LoansPerPack(calendar.WithinPeriod, 6, 7))
	assert.Equal(t, map[string]int{"P1": 1, "P2": 1, "P3": 1, "P4": 1, "P5": 1}, y.LoansPerPack(calendar.AcrossBreaks, 6, 7))
	assert.Equal(t, map[string]int{"P1": 1, "P2": 1, "P3": 1, "P4": 1, "P5": 1}, y.LoansPerPack(calendar.PeriodLength, 6, 7))
	// Three-week loans: two in each period of 7 weeks (a free week between
	// them), one in P3 and P4, three in P5 (11 weeks).
	assert.Equal(t, map[string]int{"P1": 2, "P2": 2, "P3": 1, "P4": 1, "P5": 3}, y.LoansPerPack(calendar.WithinPeriod, 3, 7))
	assert.False(t, y.StartPeriods(calendar.WithinPeriod, 6)["P3"])
	assert.True(t, y.StartPeriods(calendar.AcrossBreaks, 6)["P3"])
	assert.Len(t, y.StartPeriods(calendar.PeriodLength, 6), 5)
}
