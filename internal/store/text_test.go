package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestSingleLineProblem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		give      string
		wantOK    bool
		wantMulti bool
	}{
		{"plain", "Élodie Fontaine-N'Diaye", true, true},
		{"CRLF", "Élodie\r\nBcc: x@evil.example", false, true},
		{"LF", "a\nb", false, true},
		{"tab", "a\tb", false, true},
		{"NUL", "a\x00b", false, false},
		{"escape", "a\x1b[31mb", false, false},
		{"C1", "a\u0085b", false, false},
		{"bidi override", "a\u202Eb", false, false},
		{"invalid UTF-8", "a\xffb", false, false},
		{"non-breaking space", "Mme\u00a0Durand", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantOK, store.SingleLineProblem(tt.give) == "", "single line: %q", store.SingleLineProblem(tt.give))
			assert.Equal(t, tt.wantMulti, store.MultiLineProblem(tt.give) == "", "multi line: %q", store.MultiLineProblem(tt.give))
		})
	}
}

// TestControlCharactersRefused checks that the store refuses line breaks
// and control characters in names and single-line fields, writing nothing.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var te *store.RuleError
		_, _, err := db.CreateUser(ctx, store.Actor{}, store.User{Email: "e@x.fr", Name: "Élodie\r\nBcc: x@evil.example", Role: store.RoleCoordinator})
		require.True(t, errors.As(err, &te), "CreateUser: %v", err)
		assert.Contains(t, te.FieldMessages, "name")
		_, _, err = db.CreateUser(ctx, store.Actor{}, store.User{Email: "e@x.fr\n", Name: "Élodie", Role: store.RoleCoordinator})
		require.True(t, errors.As(err, &te), "CreateUser e-mail: %v", err)
		assert.Contains(t, te.FieldMessages, "email")

		_, err = db.CreateSchool(ctx, store.Actor{}, store.School{UAI: storetest.NewUAI(), Name: "École\u202Eevil", Kind: "elementaire", City: "Épinay"})
		require.True(t, errors.As(err, &te), "CreateSchool: %v", err)
		assert.Contains(t, te.FieldMessages, "name")
		err = db.SaveSector(ctx, store.Actor{}, store.Sector{ID: "nord", Name: "Nord\x1b", PeriodCap: 2})
		require.True(t, errors.As(err, &te), "SaveSector: %v", err)
		_, err = db.CreatePack(ctx, store.Actor{}, store.Pack{Code: "EIM-X", Label: "Pack\nX"})
		require.True(t, errors.As(err, &te), "CreatePack: %v", err)
		assert.Contains(t, te.FieldMessages, "label")

		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		q := storetest.RequestContent(school.UAI, teacher.ID, "2026-2027", 20)
		q.Title = "Radio\r\nscolaire"
		q.Motivation = "Ligne 1\nLigne 2" // multi-line text keeps its line breaks
		_, err = db.CreateRequest(ctx, store.Actor{UserID: teacher.ID}, q)
		require.True(t, errors.As(err, &te), "CreateRequest: %v", err)
		assert.Equal(t, []string{"title"}, te.Fields)
		assert.Equal(t, "validation_failed", te.Code)

		counts, err := db.TableCounts(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 1, counts["users"], "only the factory's teacher")
		assert.EqualValues(t, 0, counts["packs"])
		assert.EqualValues(t, 0, counts["requests"])
	})
}
