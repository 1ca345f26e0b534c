package planning_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/planning"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	y := year(t)
	kept := loan(t, y, 1, "Alpha", 1, 6, 0, 1)
	moved := loan(t, y, 2, "Bravo", 8, 6, 0, 2)
	movedAfter := loan(t, y, 2, "Bravo", 19, 6, 0, 2)
	repacked := loan(t, y, 3, "Charlie", 25, 6, 0, 1)
	repackedAfter := loan(t, y, 3, "Charlie", 25, 6, 0, 3)
	extended := loan(t, y, 4, "Delta", 8, 6, 0, 1)
	extendedAfter := loan(t, y, 4, "Delta", 8, 6, 2, 1)
	dropped := loan(t, y, 5, "Echo", 26, 6, 0, 2)
	signedDropped := loan(t, y, 6, "Foxtrot", 19, 6, 0, 3)
	signedDropped.Signed = true
	added := loan(t, y, 7, "Golf", 0, 6, 0, 2, 3)

	before := []planning.Loan{kept, moved, repacked, extended, dropped, signedDropped}
	after := []planning.Loan{kept, movedAfter, repackedAfter, extendedAfter, added}
	c := planning.Compare(y, before, after, 3, 3, planning.PublishedLabels)

	ids := func(cs []planning.Change) []int64 {
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.RequestID)
		}
		return out
	}
	tests := []struct {
		name string
		give []planning.Change
		want []int64
	}{
		{name: "added", give: c.Added, want: []int64{7}},
		{name: "moved, by school", give: c.Moved, want: []int64{2, 3, 4}},
		{name: "removed", give: c.Removed, want: []int64{5, 6}},
		{name: "unchanged", give: c.Unchanged, want: []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ids(tt.give))
		})
	}
	require.Len(t, c.Moved, 3)
	assert.Equal(t, "du lundi 9 novembre au vendredi 18 décembre 2026 → du lundi 22 février au vendredi 2 avril 2027", c.Moved[0].What)
	assert.Equal(t, "pack P-01 → pack P-03", c.Moved[1].What)
	assert.Equal(t, "du lundi 9 novembre au vendredi 18 décembre 2026 (sans prolongation) → du lundi 9 novembre 2026 au vendredi 15 janvier 2027 (prolongation : 2 semaines)", c.Moved[2].What)
	require.NotNil(t, c.Moved[0].Before)
	require.NotNil(t, c.Moved[0].After)
	assert.Equal(t, 8, c.Moved[0].Before.StartWeek, "old dates kept")
	assert.Equal(t, 19, c.Moved[0].After.StartWeek, "new dates")
	require.Len(t, c.Removed, 2)
	assert.False(t, c.Removed[0].Signed)
	assert.True(t, c.Removed[1].Signed, "the cancelled loan was signed")
	assert.Contains(t, c.Removed[1].What, "la convention était signée")
	assert.Equal(t, "École Foxtrot", c.Removed[1].SchoolName)
	assert.Equal(t, "Prêts ajoutés : 1 ; Prêts déplacés : 3 ; Prêts annulés : 2 (dont 1 convention signée) ; Prêts inchangés : 1.", c.Summary)

	use := map[string]planning.PeriodUse{}
	for _, p := range c.Periods {
		use[p.Period] = p
	}
	require.Len(t, c.Periods, 5)
	assert.Equal(t, planning.PeriodUse{Period: "P1", Label: "Rentrée → Toussaint", Weeks: 7, AvailableBefore: 21, AvailableAfter: 21,
		UsedBefore: 6, UsedAfter: 6 + 12}, use["P1"], "the added 2-pack loan")
	assert.Equal(t, 6+6, use["P2"].UsedBefore, "Bravo and Delta in P2")
	assert.Equal(t, 6, use["P2"].UsedAfter, "Delta's base in P2")
	assert.Equal(t, 2, use["P3"].UsedAfter, "Delta's extension counts in P3")
	assert.Equal(t, 6, use["P4"].UsedBefore, "Foxtrot")
	assert.Equal(t, 6, use["P4"].UsedAfter, "Bravo moved in")
	assert.Equal(t, 6+6, use["P5"].UsedBefore)
	assert.Equal(t, 6, use["P5"].UsedAfter)
	assert.Equal(t, -6, use["P5"].Delta())

	same := planning.Compare(y, before, before, 3, 4, planning.WhatIfLabels)
	assert.True(t, same.Empty())
	assert.Equal(t, "Aucun changement : 6 prêts inchangés.", same.Summary)
	assert.Equal(t, 28, same.Periods[0].AvailableAfter, "a what-if with one more pack")
}
