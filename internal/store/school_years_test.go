package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/scheduler"
)

func TestYearLoanPolicy(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		set, err := db.YearSettings(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, calendar.WithinPeriod, set.LoanPolicy, "a year never set has the default policy")

		set, err = db.SetLoanPolicy(ctx, store.Actor{}, "2026-2027", calendar.AcrossBreaks)
		require.NoError(t, err)
		assert.Equal(t, calendar.AcrossBreaks, set.LoanPolicy)
		_, err = db.SetLoanPolicy(ctx, store.Actor{}, "2026-2027", calendar.PeriodLength)
		require.NoError(t, err, "a second change updates the row")

		_, err = db.SetLoanPolicy(ctx, store.Actor{}, "2026-2027", "summer")
		require.ErrorIs(t, err, calendar.ErrInvalidLoanPolicy)
		_, err = db.SetLoanPolicy(ctx, store.Actor{}, "2041-2042", calendar.AcrossBreaks)
		require.ErrorIs(t, err, calendar.ErrUnknownYear)
		_, err = db.YearSettings(ctx, "2026")
		require.ErrorIs(t, err, calendar.ErrInvalidYear)

		set, err = db.YearSettings(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, calendar.PeriodLength, set.LoanPolicy, "refused changes leave the setting")
		trail, err := db.AuditTrail(ctx, "school_year", "2026-2027")
		require.NoError(t, err)
		assert.Len(t, trail, 2, "each change is audited")
	})
}

// With one pack and eight one-pack requests, P3 of 2026-2027 (5 school
// weeks) is used only by the policies that allow it: across_breaks with
// 6-week loans over the winter break, period_length with a 5-week loan
// from its first week. The round records its policy, the year's setting
// applies when the round names none, and the published loans keep their
// length.
func TestRoundLoanPolicies(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 8, Sectors: 8})
		coord := store.Actor{UserID: d.Coordinator.ID}
		y, err := calendar.NewYear(d.Year, calendar.ZoneC())
		require.NoError(t, err)
		p3, _ := y.Period("P3")
		inP3 := func(r store.Round) []store.RoundLoan {
			var out []store.RoundLoan
			for _, l := range r.Loans {
				if l.Period == "P3" {
					out = append(out, l)
				}
			}
			return out
		}
		run := func(policy calendar.LoanPolicy) store.Round {
			in := roundInput(d.Year)
			in.TimeLimit = 0 // the default
			in.LoanPolicy = policy
			r, err := round.Run(ctx, db, coord, in)
			require.NoError(t, err, "round under %q", policy)
			// The round's plan is feasible on its own instance.
			inst, err := round.Instance(ctx, db, in)
			require.NoError(t, err)
			ev, err := scheduler.Evaluate(inst, round.Plan(r))
			require.NoError(t, err)
			assert.True(t, ev.Feasible, "plan under %q: %v", policy, ev.Violations)
			return r
		}

		within := run("")
		assert.Equal(t, "within_period", within.Params.LoanPolicy, "the default is recorded")
		assert.Empty(t, inP3(within), "no loan starts in P3 within one period")
		assert.Equal(t, "optimal", within.Stats.StoppedBy, "a town-size round ends with a proof")
		assert.Zero(t, within.Stats.Gap, "the round records its final gap")
		assert.Equal(t, "10s", within.Params.TimeLimit, "rounds default to a 10 s limit")

		across := run(calendar.AcrossBreaks)
		assert.Equal(t, "across_breaks", across.Params.LoanPolicy)
		require.NotEmpty(t, inP3(across), "P3 is used across the winter break")
		for _, l := range inP3(across) {
			assert.Equal(t, 6, l.Weeks, "base weeks of request %d", l.RequestID)
			assert.Contains(t, l.Message, "à cheval sur les vacances d'hiver")
			assert.True(t, l.ReturnDay.After(p3.Last), "the loan ends after the break")
		}
		assert.Greater(t, len(across.Loans), len(within.Loans), "P3 serves one more request")

		require.NoError(t, func() error {
			_, err := db.SetLoanPolicy(ctx, coord, d.Year, calendar.PeriodLength)
			return err
		}())
		short := run("")
		assert.Equal(t, "period_length", short.Params.LoanPolicy, "the year's setting applies")
		require.Len(t, inP3(short), 1, "one 5-week loan fills P3")
		l := inP3(short)[0]
		assert.Equal(t, p3.FirstWeek, l.StartWeek)
		assert.Equal(t, 5, l.Weeks)
		assert.Equal(t, p3.Last, l.ReturnDay, "the loan ends with the period")

		pub, err := db.PublishRound(ctx, coord, short.ID)
		require.NoError(t, err, "the shortened loan is published")
		loans := liveLoans(t, db, d.Year)
		assert.Equal(t, 5, loans[l.RequestID].Weeks, "the published loan keeps its length")
		assert.Len(t, loans, len(pub.Loans))
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}
