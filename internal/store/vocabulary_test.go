package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestVocabularyAcceptsFrenchWords: opinions and decisions are stored in
// the API's one vocabulary whatever spelling people type (French words,
// case and accents ignored); an unknown word is a validation_failed on
// its field.
func TestVocabularyAcceptsFrenchWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]store.OpinionVerdict{
		"favourable": store.OpinionFavourable, "Favorable": store.OpinionFavourable,
		"réservé": store.OpinionReserved, "Réservée": store.OpinionReserved, "reserved": store.OpinionReserved,
		"DÉFAVORABLE": store.OpinionUnfavourable, "defavorable": store.OpinionUnfavourable, "unfavorable": store.OpinionUnfavourable,
	} {
		got, ok := store.ParseOpinionVerdict(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for in, want := range map[string]store.RequestState{
		"validated": store.RequestValidated, "Validée": store.RequestValidated, "valider": store.RequestValidated,
		"rejected": store.RequestRejected, "REJETÉE": store.RequestRejected, "refusée": store.RequestRejected,
	} {
		got, ok := store.ParseRequestDecision(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := store.ParseOpinionVerdict("peut-être")
	assert.False(t, ok)

	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestAuthorised})
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		_, err := db.SetRequestOpinion(ctx, store.Actor{}, q.ID, q.Version,
			store.Opinion{Role: store.RoleInspection, Verdict: "peut-être"})
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "validation_failed", re.Code)
		assert.Contains(t, re.Fields, "verdict")

		for role, word := range map[store.Role]string{store.RoleInspection: "Favorable", store.RoleIT: "réservé", store.RoleEducation: "Défavorable"} {
			ref, _ := storetest.User(t, db, &storetest.UserOpts{Role: role})
			q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: ref.ID}, q.ID, q.Version, store.Opinion{Role: role, Verdict: store.OpinionVerdict(word)})
			require.NoError(t, err, word)
		}
		verdicts := map[store.Role]store.OpinionVerdict{}
		for _, o := range q.Opinions {
			verdicts[o.Role] = o.Verdict
		}
		assert.Equal(t, map[store.Role]store.OpinionVerdict{store.RoleInspection: store.OpinionFavourable,
			store.RoleIT: store.OpinionReserved, store.RoleEducation: store.OpinionUnfavourable}, verdicts)

		_, err = db.DecideRequest(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, "peut-être", "")
		re, ok = store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "validation_failed", re.Code)
		assert.Contains(t, re.Fields, "decision")
		q, err = db.DecideRequest(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, "Rejetée", "Projet hors du cadre de l'appel.")
		require.NoError(t, err)
		assert.Equal(t, store.RequestRejected, q.State)
		assert.Equal(t, coord.Name, q.DecidedByName, "the decider's name beside the id")
	})
}
