package demo

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestSeedDemoLoans(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		now  time.Time
	}{
		{name: "late november", now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)},
		{name: "first day of the year", now: time.Date(2026, 9, 1, 7, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				require.NoError(t, seedDemo(ctx, db, io.Discard, slog.New(slog.DiscardHandler), tt.now))
				loans, err := db.ListLoans(ctx, store.LoanFilter{SchoolYear: "2026-2027"})
				require.NoError(t, err)
				states := map[store.LoanState]int{}
				extended, fromRound := 0, 0
				for _, l := range loans {
					states[l.State]++
					if l.RoundID != nil {
						fromRound++
					} else if l.ExtensionWeeks > 0 {
						extended++
					}
				}
				assert.NotZero(t, fromRound, "the published demo round reserved loans")
				rounds, err := db.ListRounds(ctx, "2026-2027")
				require.NoError(t, err)
				require.Len(t, rounds, 1)
				assert.Equal(t, store.RoundPublished, rounds[0].State)
				for _, s := range store.LoanStates {
					assert.NotZero(t, states[s], "a demo loan in state %s", s)
				}
				assert.Equal(t, 1, extended, "one loan extended during the lifecycle")
				incidents, err := db.ListIncidents(ctx, store.IncidentFilter{OpenOnly: true})
				require.NoError(t, err)
				assert.Len(t, incidents, 1, "the missing tablet")
				as, err := db.ListAssessments(ctx, "2026-2027")
				require.NoError(t, err)
				assert.Len(t, as, 1, "the closed loan's assessment")
				assert.Zero(t, storetest.LoanOverlaps(t, db))
			})
		})
	}
}

// The demo's 2026-2027 round runs under across_breaks: P3 (5 school weeks)
// gets loans that run over the winter break, which within_period cannot
// place there.
func TestSeedDemoRoundUsesP3(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		require.NoError(t, seedDemo(ctx, db, io.Discard, slog.New(slog.DiscardHandler), now))
		rounds, err := db.ListRounds(ctx, "2026-2027")
		require.NoError(t, err)
		require.Len(t, rounds, 1)
		r, err := db.Round(ctx, rounds[0].ID)
		require.NoError(t, err)
		assert.Equal(t, "across_breaks", r.Params.LoanPolicy, "the round records the year's policy")
		p3 := 0
		for _, l := range r.Loans {
			if l.Period == "P3" {
				p3++
				assert.Contains(t, l.Message, "à cheval sur les vacances d'hiver", "explanation of request %d", l.RequestID)
			}
		}
		assert.NotZero(t, p3, "loans starting in P3")
		// The same year within one period: no loan starts in P3.
		w, err := round.Run(ctx, db, store.Actor{}, round.Input{SchoolYear: "2026-2027", LoanPolicy: "within_period",
			Today: r.Params.Today})
		require.NoError(t, err)
		assert.Equal(t, "within_period", w.Params.LoanPolicy)
		for _, l := range w.Loans {
			if !l.Locked {
				assert.NotEqual(t, "P3", l.Period, "request %d under within_period", l.RequestID)
			}
		}
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}
