package store_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestRoundExplanations: a loan kept because it is signed is not said to
// have begun; a pin names its start by date, never by week index; a
// preferred period too short for a loan is not called full.
func TestRoundExplanations(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		first, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		first, err = db.PublishRound(ctx, coord, first.ID)
		require.NoError(t, err)
		live := liveLoans(t, db, d.Year)
		signedReq := first.Loans[len(first.Loans)-1]
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: signedReq.SchoolUAI})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = db.SignAgreement(ctx, director, live[signedReq.RequestID].ID)
		require.NoError(t, err)
		_, err = db.SignAgreement(ctx, it, live[signedReq.RequestID].ID)
		require.NoError(t, err)

		// A preferred P3 (5 school weeks in 2026-2027: no 6-week loan fits).
		other := first.Loans[0]
		_, err = db.Bun().NewRaw("UPDATE requests SET preferred_periods = 'P3' WHERE id = ?", other.RequestID).Exec(ctx)
		require.NoError(t, err)
		pinned := first.Loans[1]
		week := pinned.StartWeek
		in := roundInput(d.Year)
		in.Pins = []store.RoundPin{{RequestID: pinned.RequestID, Kind: store.PinServe, StartWeek: &week}}
		re, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		weekIndex := regexp.MustCompile(`semaine \d`)
		for _, l := range re.Loans {
			assert.False(t, weekIndex.MatchString(l.Message), "no week index shown: %q", l.Message)
			switch l.RequestID {
			case signedReq.RequestID:
				assert.Equal(t, "Convention de prêt déjà signée : prêt conservé tel quel.", l.Message)
				assert.NotContains(t, l.Message, "commencé")
			case pinned.RequestID:
				assert.Regexp(t, `à partir du (lundi|mardi|mercredi|jeudi|vendredi) \d+`, l.Message)
			case other.RequestID:
				assert.NotContains(t, l.Message, "P3 complète", "a too short period is not full")
				if l.Code == "other_period" {
					assert.Contains(t, l.Message, "ne peut commencer en P3")
				}
			}
		}
		for _, u := range re.Unserved {
			assert.False(t, weekIndex.MatchString(u.Message), "no week index shown: %q", u.Message)
		}
		i := slices.IndexFunc(re.Loans, func(l store.RoundLoan) bool { return l.RequestID == other.RequestID })
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, "other_period", re.Loans[i].Code, "P3 cannot be given: %s", re.Loans[i].Message)
	})
}
