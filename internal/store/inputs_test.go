package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// fieldMessages returns the field messages of a validation error, or nil
// when err is nil; it fails the test when err is another error.
func fieldMessages(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	re, ok := store.AsRule(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, store.RuleInvalid, re.Kind, "%v", err)
	return re.FieldMessages
}

func TestAssessmentInputValidate(t *testing.T) {
	t.Parallel()
	yes := true
	ok := store.AssessmentInput{LoanID: 1, Human: "h", Pedagogical: "p", ApplyAgain: &yes,
		Productions: []string{"https://exemple.fr/a", " http://exemple.fr/b "}}
	with := func(f func(*store.AssessmentInput)) store.AssessmentInput { in := ok; f(&in); return in }
	tests := []struct {
		name string
		give store.AssessmentInput
		want map[string]string
	}{
		{name: "valid", give: ok},
		{name: "blank human", give: with(func(in *store.AssessmentInput) { in.Human = "  " }),
			want: map[string]string{"human": "les aspects humains sont obligatoires"}},
		{name: "blank pedagogical", give: with(func(in *store.AssessmentInput) { in.Pedagogical = "" }),
			want: map[string]string{"pedagogical": "les aspects pédagogiques sont obligatoires"}},
		{name: "apply again missing", give: with(func(in *store.AssessmentInput) { in.ApplyAgain = nil }),
			want: map[string]string{"apply_again": "dire si vous candidateriez de nouveau (true ou false)"}},
		{name: "human too long", give: with(func(in *store.AssessmentInput) { in.Human = strings.Repeat("é", 20001) }),
			want: map[string]string{"human": "texte trop long (20000 caractères au plus)"}},
		{name: "not a link", give: with(func(in *store.AssessmentInput) { in.Productions = []string{"https://a.fr", "ftp://a.fr"} }),
			want: map[string]string{"productions[1]": "lien http(s) attendu"}},
		{name: "too many links", give: with(func(in *store.AssessmentInput) { in.Productions = make([]string, 51); fillLinks(in.Productions) }),
			want: map[string]string{"productions": "50 liens au plus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fieldMessages(t, tt.give.Validate()))
		})
	}
}

func fillLinks(s []string) {
	for i := range s {
		s[i] = "https://exemple.fr/p"
	}
}

// TestSaveAssessmentValidates checks SaveAssessment refuses bad input
// itself: a caller that skips Validate still gets the field error.
func TestSaveAssessmentValidates(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		_, err := db.SaveAssessment(context.Background(), store.Actor{}, store.AssessmentInput{LoanID: 1, Human: "h", Pedagogical: "p"})
		assert.Equal(t, map[string]string{"apply_again": "dire si vous candidateriez de nouveau (true ou false)"}, fieldMessages(t, err))
	})
}
