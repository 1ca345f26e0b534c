package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestDecisionNeedsThreeOpinions: a request is decided only once the
// inspection, IT and the education department have given their opinion,
// or by the coordinator's override with a reason, shown in the synthesis.
func TestDecisionNeedsThreeOpinions(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestAuthorised})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		q, err := db.SetRequestOpinion(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version,
			store.Opinion{Role: store.RoleInspection, Verdict: store.OpinionFavourable, Comment: "Projet solide."})
		require.NoError(t, err)

		_, err = db.DecideRequest(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version, store.RequestValidated, "")
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "opinions_missing", re.Code)
		assert.Contains(t, re.Message, "la DSI")
		assert.Contains(t, re.Message, "la direction de l'éducation")

		_, err = db.DecideRequestOverride(ctx, store.Actor{UserID: insp.ID}, q.ID, q.Version, store.RequestValidated, "", "Comité de pilotage")
		re, _ = store.AsRule(err)
		require.NotNil(t, re, "%v", err)
		assert.Equal(t, "override_forbidden", re.Code, "only the coordinator overrides")

		// The IT department can still give its opinion: nobody is locked out.
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: it.ID}, q.ID, q.Version,
			store.Opinion{Role: store.RoleIT, Verdict: store.OpinionFavourable, Comment: "Wi-Fi correct."})
		require.NoError(t, err)

		q, err = db.DecideRequestOverride(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, store.RequestValidated, "",
			"Avis de l'éducation attendu après le comité ; projet prioritaire.")
		require.NoError(t, err)
		assert.Equal(t, store.RequestValidated, q.State)
		assert.Equal(t, "Avis de l'éducation attendu après le comité ; projet prioritaire.", q.DecisionOverride)
		syn, err := db.Synthesis(ctx, q.SchoolYear)
		require.NoError(t, err)
		found := false
		for _, row := range syn.Rows {
			if row.RequestID == q.ID {
				found = true
				assert.Equal(t, q.DecisionOverride, row.DecisionOverride, "shown in the synthesis")
			}
		}
		assert.True(t, found)

		full := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestValidated})
		assert.Equal(t, store.RequestValidated, full.State, "three opinions: decided without override")
		assert.Empty(t, full.DecisionOverride)
	})
}
