package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
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

func TestPackValidate(t *testing.T) {
	t.Parallel()
	ok := store.Pack{Code: "EIM-01", Label: "Classe mobile", Items: []store.PackItem{
		{Kind: store.ItemTablet, Label: "Tablette 1", Serial: "S1"}, {Kind: store.ItemChargingCase, Label: "Valise"}}}
	with := func(f func(*store.Pack)) store.Pack {
		p := ok
		p.Items = append([]store.PackItem(nil), ok.Items...)
		f(&p)
		return p
	}
	tests := []struct {
		name string
		give store.Pack
		want map[string]string
	}{
		{name: "valid", give: ok},
		{name: "code required", give: with(func(p *store.Pack) { p.Code = " " }),
			want: map[string]string{"code": "le code du pack est obligatoire"}},
		{name: "code too long", give: with(func(p *store.Pack) { p.Code = strings.Repeat("A", 41) }),
			want: map[string]string{"code": "texte trop long (40 caractères au plus)"}},
		{name: "unknown status", give: with(func(p *store.Pack) { p.Status = "lost" }),
			want: map[string]string{"status": "statut attendu : available, maintenance ou retired"}},
		{name: "unknown kind", give: with(func(p *store.Pack) { p.Items[1].Kind = "phone" }),
			want: map[string]string{"items[1].kind": "type attendu : tablet, charging_case, access_point ou accessory"}},
		{name: "item label required", give: with(func(p *store.Pack) { p.Items[0].Label = "" }),
			want: map[string]string{"items[0].label": "le libellé est obligatoire"}},
		{name: "duplicate serial", give: with(func(p *store.Pack) { p.Items[1].Serial = " S1" }),
			want: map[string]string{"items[1].serial": "numéro de série en double dans le pack"}},
		{name: "too many items", give: with(func(p *store.Pack) {
			p.Items = make([]store.PackItem, store.MaxPackItems+1)
			for i := range p.Items {
				p.Items[i] = store.PackItem{Kind: store.ItemAccessory, Label: "x"}
			}
		}), want: map[string]string{"items": "200 éléments au plus par pack"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fieldMessages(t, tt.give.Validate()))
		})
	}
}

// TestPackWritesValidate checks CreatePack and UpdatePack refuse bad input
// themselves and change nothing.
func TestPackWritesValidate(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.CreatePack(ctx, store.Actor{}, store.Pack{Code: "EIM-V", Status: "lost"})
		assert.Equal(t, map[string]string{"status": "statut attendu : available, maintenance ou retired"}, fieldMessages(t, err))
		packs, err := db.ListPacks(ctx)
		require.NoError(t, err)
		assert.Empty(t, packs)

		p, err := db.CreatePack(ctx, store.Actor{}, store.Pack{Code: " EIM-V ", Items: []store.PackItem{{Kind: store.ItemTablet, Label: " T1 "}}})
		require.NoError(t, err)
		assert.Equal(t, "EIM-V", p.Code)
		assert.Equal(t, "T1", p.Items[0].Label)
		p.Version = 0
		_, err = db.UpdatePack(ctx, store.Actor{}, p)
		assert.Equal(t, map[string]string{"version": "la version lue est obligatoire pour une modification"}, fieldMessages(t, err))
	})
}

func TestFeedInputValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give store.FeedInput
		want map[string]string
	}{
		{name: "school", give: store.FeedInput{Scope: "school", School: " 0931234a "}},
		{name: "pack", give: store.FeedInput{Scope: "pack", Pack: "EIM-01"}},
		{name: "all", give: store.FeedInput{Scope: "all"}},
		{name: "bad uai", give: store.FeedInput{Scope: "school", School: "93"},
			want: map[string]string{"school": "code UAI de l'école attendu (7 chiffres et une lettre)"}},
		{name: "school with pack", give: store.FeedInput{Scope: "school", School: "0931234A", Pack: "EIM-01"},
			want: map[string]string{"pack": "pas de pack pour un flux d'école"}},
		{name: "pack missing", give: store.FeedInput{Scope: "pack"},
			want: map[string]string{"pack": "code du pack attendu"}},
		{name: "pack with school", give: store.FeedInput{Scope: "pack", Pack: "EIM-01", School: "0931234A"},
			want: map[string]string{"school": "pas d'école pour un flux de pack"}},
		{name: "all with school", give: store.FeedInput{Scope: "all", School: "0931234A"},
			want: map[string]string{"scope": "le flux de tous les prêts ne prend ni école ni pack"}},
		{name: "unknown scope", give: store.FeedInput{Scope: "town"},
			want: map[string]string{"scope": "portée attendue : school, pack ou all"}},
		{name: "pack code too long", give: store.FeedInput{Scope: "pack", Pack: strings.Repeat("P", 41)},
			want: map[string]string{"pack": "texte trop long (40 caractères au plus)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fieldMessages(t, tt.give.Validate()))
		})
	}
}

func TestSheetInputValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 201)
	tests := []struct {
		name string
		give store.SheetInput
		want map[string]string
	}{
		{name: "valid", give: store.SheetInput{SchoolPerson: "M. Martin", Lines: []store.SheetLineInput{{ItemID: 1, Condition: "bon état"}}}},
		{name: "school person too long", give: store.SheetInput{SchoolPerson: long},
			want: map[string]string{"school_person": "texte trop long (200 caractères au plus)"}},
		{name: "nul byte in comment", give: store.SheetInput{Comment: "a\x00b"},
			want: map[string]string{"comment": "caractère nul interdit"}},
		{name: "line condition too long", give: store.SheetInput{Lines: []store.SheetLineInput{{ItemID: 1}, {ItemID: 2, Condition: long}}},
			want: map[string]string{"lines[1].condition": "texte trop long (200 caractères au plus)"}},
		{name: "too many lines", give: store.SheetInput{Lines: make([]store.SheetLineInput, store.MaxSheetLines+1)},
			want: map[string]string{"lines": "1000 lignes au plus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fieldMessages(t, tt.give.Validate()))
		})
	}
}

// TestLoanActionsCheckTexts checks the loan actions refuse overlong free
// text themselves, before looking the loan up.
func TestLoanActionsCheckTexts(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		long := strings.Repeat("é", store.MaxLoanNoteLen+1)
		want := func(field string) map[string]string {
			return map[string]string{field: "texte trop long (2000 caractères au plus)"}
		}
		_, err := db.CancelLoan(ctx, store.Actor{}, 999999, long)
		assert.Equal(t, want("reason"), fieldMessages(t, err), "cancel")
		_, err = db.CloseLoanWithReason(ctx, store.Actor{}, 999999, long)
		assert.Equal(t, want("reason"), fieldMessages(t, err), "close")
		_, err = db.RequestExtension(ctx, store.Actor{}, 999999, 1, long, calendar.MustParseDate("2026-09-01"))
		assert.Equal(t, want("reason"), fieldMessages(t, err), "extension")
		_, _, err = db.DecideExtension(ctx, store.Actor{}, 999999, true, long)
		assert.Equal(t, want("comment"), fieldMessages(t, err), "decision")
		_, err = db.ResolveIncident(ctx, store.Actor{}, 999999, long)
		assert.Equal(t, want("resolution"), fieldMessages(t, err), "incident")
		_, err = db.PickUp(ctx, store.User{}, 999999, store.SheetInput{SchoolPerson: long})
		assert.Equal(t, map[string]string{"school_person": "texte trop long (200 caractères au plus)"}, fieldMessages(t, err), "pickup")
		_, err = db.ListLoansFor(ctx, store.User{}, store.LoanFilter{State: "lost"})
		assert.Equal(t, map[string]string{"state": "état attendu : reserved, signed, picked_up, returned, closed, cancelled"}, fieldMessages(t, err), "list filter")
	})
}
