package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestSeedNationalSmall seeds the national data set's shape at a small
// size: every state, the people, a published round. The full size is
// timed by hand (see the README), not in tests.
func TestSeedNationalSmall(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		// One writer on SQLite, as demo does by default: it has one writer
		// at a time anyway, and queued writers could outwait the busy
		// timeout on a loaded machine.
		workers := 1
		if db.Dialect() == store.Postgres {
			workers = 3
		}
		st, err := SeedNational(ctx, db, NationalOptions{Out: &out, Now: now, Workers: workers,
			Sizes: NationalSize{Sectors: 4, Schools: 20, Packs: 4, Requests: 120}, RoundTimeLimit: 5 * time.Second})
		require.NoError(t, err)
		assert.Equal(t, 20, st.Schools)
		assert.Equal(t, 4+20+120, st.People)
		total := 0
		for _, s := range store.RequestStates {
			assert.Positive(t, st.ByState[s], "requests in state %s", s)
			total += st.ByState[s]
		}
		assert.Equal(t, 120, total)
		for _, s := range store.RequestStates {
			reqs, err := db.ListRequests(ctx, store.RequestFilter{SchoolYear: "2026-2027", State: s})
			require.NoError(t, err)
			assert.Len(t, reqs, st.ByState[s], "state %s in the database", s)
		}
		r, err := db.Round(ctx, st.RoundID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundPublished, r.State)
		assert.NotEmpty(t, r.Loans, "the round planned loans")

		// A second run refuses a seeded database and says how to start afresh.
		out.Reset()
		_, err = SeedNational(ctx, db, NationalOptions{Out: &out, Now: now, Workers: 1, Sizes: NationalSize{Sectors: 1, Schools: 1, Packs: 1, Requests: 1}})
		assert.Error(t, err)
		assert.Contains(t, out.String(), "Pour repartir de zéro")
	})
}
