package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestSubmitNeedsPedagogicalFields: an empty project cannot be submitted;
// the refusal names every pedagogical field missing.
func TestSubmitNeedsPedagogicalFields(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		q := storetest.RequestContent(school.UAI, teacher.ID, "2026-2027", 24)
		q.Motivation, q.SchoolProjectLinks, q.CurriculumLinks, q.DigitalSkills = "", " ", "", ""
		q, err := db.CreateRequest(ctx, store.Actor{UserID: teacher.ID}, q)
		require.NoError(t, err)
		_, err = db.SubmitRequest(ctx, store.Actor{UserID: teacher.ID}, q.ID, q.Version)
		re, ok := store.AsRule(err)
		require.True(t, ok, "a rule error: %v", err)
		assert.Equal(t, store.RuleInvalid, re.Kind)
		for _, f := range []string{"motivation", "school_project_links", "curriculum_links", "digital_skills"} {
			assert.Contains(t, re.Fields, f)
			assert.NotEmpty(t, re.FieldMessages[f], "a French message for %s", f)
		}
		got, err := db.Request(ctx, q.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestDraft, got.State, "still a draft")

		got.Motivation, got.SchoolProjectLinks = "Écrire et lire à voix haute", "Axe 2 du projet d'école"
		got.CurriculumLinks, got.DigitalSkills = "Français : langage oral", "Enregistrer et monter un son"
		got, err = db.UpdateRequest(ctx, store.Actor{UserID: teacher.ID}, got)
		require.NoError(t, err)
		got, err = db.SubmitRequest(ctx, store.Actor{UserID: teacher.ID}, got.ID, got.Version)
		require.NoError(t, err)
		assert.Equal(t, store.RequestSubmitted, got.State)
	})
}
