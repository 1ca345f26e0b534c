package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// gridLoans counts, per request, the loan cells of a grid (one per pack)
// and collects the texts shown.
func gridLoans(g planning.Grid) (map[int64]int, []string) {
	cells := map[int64]int{}
	var texts []string
	for _, r := range g.Rows {
		for _, c := range r.Cells {
			if c.Kind == planning.CellLoan {
				cells[c.RequestID]++
				texts = append(texts, c.Text)
			}
		}
	}
	return cells, texts
}

func TestRoundAndYearGrid(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 5, TwoPacks: []int{4}})
		coord := store.Actor{UserID: d.Coordinator.ID}
		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.NotEmpty(t, r.Loans)
		staff := planning.Viewer{Staff: true}

		g, err := db.RoundGrid(ctx, r.ID, storetest.RoundToday, staff, planning.Options{})
		require.NoError(t, err)
		require.Len(t, g.Rows, 2, "one row per pack of the round")
		assert.Equal(t, d.Packs[0].Code, g.Rows[0].Pack.Code)
		cells, _ := gridLoans(g)
		for _, l := range r.Loans {
			assert.Equal(t, len(l.PackIDs), cells[l.RequestID], "a cell per pack of request %d", l.RequestID)
		}
		assert.Len(t, cells, len(r.Loans), "every proposed loan and nothing else")
		for _, row := range g.Rows {
			for _, c := range row.Cells {
				if c.Kind == planning.CellLoan {
					assert.Equal(t, "CM1", c.Detail, "class of request %d", c.RequestID)
					assert.NotEmpty(t, c.Sector, "sector of request %d", c.RequestID)
					assert.Equal(t, "proposé", c.Title[strings.LastIndex(c.Title, ", ")+2:], "a draft's loan is proposed")
				}
			}
		}

		// A school sees its own loan by name, the others as « prêté ».
		mine := r.Loans[0]
		school, err := db.School(ctx, mine.SchoolUAI)
		require.NoError(t, err)
		g, err = db.RoundGrid(ctx, r.ID, storetest.RoundToday, planning.Viewer{Schools: []string{mine.SchoolUAI}}, planning.Options{})
		require.NoError(t, err)
		cells, texts := gridLoans(g)
		assert.Contains(t, texts, school.Name, "own loan by name")
		for _, tx := range texts {
			assert.True(t, tx == school.Name || tx == "prêté", "other loans hidden: %q", tx)
		}
		for id := range cells {
			assert.True(t, id == 0 || id == mine.RequestID, "no other request id leaks: %d", id)
		}
		teacher := store.User{Role: store.RoleTeacher, SchoolUAI: mine.SchoolUAI}
		assert.Equal(t, planning.Viewer{Schools: []string{mine.SchoolUAI}}, store.PlanningViewer(teacher))
		assert.Equal(t, staff, store.PlanningViewer(store.User{Role: store.RoleInspection}))
		both := store.User{Role: store.RoleDirector, SchoolUAI: "0930001A", Roles: []store.UserRole{
			{Role: store.RoleDirector, SchoolUAI: "0930001A"}, {Role: store.RoleTeacher, SchoolUAI: "0930002B"}}}
		assert.Equal(t, planning.Viewer{Schools: []string{"0930001A", "0930002B"}}, store.PlanningViewer(both), "a person of two schools")
		referent := store.User{Role: store.RoleTeacher, SchoolUAI: "0930001A", Roles: []store.UserRole{
			{Role: store.RoleTeacher, SchoolUAI: "0930001A"}, {Role: store.RoleInspection}}}
		assert.Equal(t, staff, store.PlanningViewer(referent), "a teacher who is also a referent sees all")

		// Rounds are the staff's: a teacher does not see a round's grid,
		// and sees the year's planning with the others' loans hidden.
		_, err = db.RoundGridFor(ctx, teacher, r.ID, storetest.RoundToday, planning.Options{})
		assert.ErrorIs(t, err, store.ErrNotFound, "a round is hidden from a teacher")
		_, err = db.RoundChangesFor(ctx, teacher, r.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		cg, err := db.RoundGridFor(ctx, store.User{Role: store.RoleInspection}, r.ID, storetest.RoundToday, planning.Options{})
		require.NoError(t, err)
		assert.False(t, cg.Private, "referents see names")

		// Published: the year's grid shows the live loans, with a
		// maintenance window and the started loans locked.
		_, err = db.PublishRound(ctx, coord, r.ID)
		require.NoError(t, err)
		first, err := calendar.ParseDate("2027-01-11") // P3: no 6-week loan starts there
		require.NoError(t, err)
		_, err = db.CreateMaintenance(ctx, coord, store.NewMaintenance{PackID: d.Packs[1].ID, FirstDay: first,
			LastDay: first.AddDays(4), Reason: "mise à jour"})
		require.NoError(t, err)
		late := calendar.MustParseDate("2027-06-20")
		g, err = db.YearGridFor(ctx, teacher, d.Year, late, planning.Options{})
		require.NoError(t, err)
		assert.True(t, g.Private, "a teacher's view is private")
		_, texts = gridLoans(g)
		for _, tx := range texts {
			assert.True(t, tx == school.Name || tx == "prêté", "other loans hidden: %q", tx)
		}
		g, err = db.YearGrid(ctx, d.Year, late, staff, planning.Options{})
		require.NoError(t, err)
		cells, _ = gridLoans(g)
		assert.Len(t, cells, len(r.Loans), "the published loans")
		var windows, locked, unlocked int
		for _, row := range g.Rows {
			for _, c := range row.Cells {
				switch {
				case c.Kind == planning.CellMaintenance:
					windows++
					assert.Equal(t, "mise à jour", c.Detail)
				case c.Kind == planning.CellLoan && c.Locked:
					locked++
				case c.Kind == planning.CellLoan:
					unlocked++
				}
			}
		}
		assert.Equal(t, 1, windows, "the maintenance window")
		assert.Positive(t, locked, "loans started by 20 June are locked")
		assert.Zero(t, unlocked, "every loan has started by 20 June")

		_, err = db.YearGrid(ctx, d.Year, late, staff, planning.Options{Period: "P7"})
		var pe *planning.Error
		assert.ErrorAs(t, err, &pe, "unknown period")
		_, err = db.RoundGrid(ctx, 999999, late, staff, planning.Options{})
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestRoundChanges(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}
		first, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.Len(t, first.Loans, 4)

		// Before anything is published, every loan is new.
		ch, err := db.RoundChanges(ctx, first.ID)
		require.NoError(t, err)
		assert.Len(t, ch.Added, 4, "all added")
		assert.Empty(t, ch.Removed)
		assert.Equal(t, planning.PublishedLabels, ch.Labels)
		used := 0
		for _, p := range ch.Periods {
			assert.Zero(t, p.UsedBefore, "nothing in force in %s", p.Period)
			assert.Equal(t, p.Weeks*2, p.AvailableAfter, "2 packs in %s", p.Period)
			used += p.UsedAfter
		}
		assert.Equal(t, 4*6, used, "four 6-week loans of one pack")

		_, err = db.PublishRound(ctx, coord, first.ID)
		require.NoError(t, err)
		// A draft that excludes two requests; one of their loans is signed
		// after the draft was computed.
		gone, signed := first.Loans[0].RequestID, first.Loans[1].RequestID
		in := roundInput(d.Year)
		in.Pins = []store.RoundPin{{RequestID: gone, Kind: store.PinExclude}, {RequestID: signed, Kind: store.PinExclude}}
		draft, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		loans := liveLoans(t, db, d.Year)
		storetest.ExecLoan(t, db, "UPDATE loans SET state = 'signed' WHERE id = ?", loans[signed].ID)

		ch, err = db.RoundChanges(ctx, draft.ID)
		require.NoError(t, err)
		require.Len(t, ch.Removed, 2, "two loans cancelled by publishing")
		bySigned := map[int64]bool{}
		for _, c := range ch.Removed {
			bySigned[c.RequestID] = c.Signed
			require.NotNil(t, c.Before)
			assert.Nil(t, c.After)
			assert.NotEmpty(t, c.SchoolName, "cancelled loans name the school")
		}
		assert.Equal(t, map[int64]bool{gone: false, signed: true}, bySigned, "whether the agreement was signed")
		assert.Empty(t, ch.Added)
		assert.Equal(t, 2, len(ch.Moved)+len(ch.Unchanged), "the other two loans are kept or moved")
		for _, c := range ch.Moved {
			assert.Contains(t, c.What, "→", "old and new dates")
		}
		assert.Contains(t, ch.Summary, "dont 1 convention signée")

		// The published round compares with nothing before it.
		ch, err = db.RoundChanges(ctx, first.ID)
		require.NoError(t, err)
		assert.Len(t, ch.Added, 4)

		// Two rounds of the year compare directly.
		cmp, err := db.CompareRounds(ctx, first.ID, draft.ID)
		require.NoError(t, err)
		assert.Len(t, cmp.Removed, 2)
		assert.Equal(t, planning.WhatIfLabels, cmp.Labels)
		_, err = db.RoundChanges(ctx, 999999)
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestWhatIf(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 10})
		coord := store.Actor{UserID: d.Coordinator.ID}
		// Requests 0 and 1 wish a 2-week extension.
		for _, r := range d.Requests[:2] {
			storetest.ExecLoan(t, db, "UPDATE requests SET extension_weeks = 2 WHERE id = ?", r.ID)
		}
		draft, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.NotEmpty(t, draft.Unserved, "2 packs serve 8 loans at most")
		before, err := db.ListRounds(ctx, d.Year)
		require.NoError(t, err)

		t.Run("one pack more", func(t *testing.T) {
			w, err := round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{PacksDelta: 1})
			require.NoError(t, err)
			assert.Equal(t, "un pack de plus", w.Label)
			assert.Equal(t, store.RoundWhatIf, w.Round.State)
			assert.Equal(t, 3, w.Round.Params.Packs)
			assert.Greater(t, len(w.Round.Loans), len(draft.Loans), "more requests served")
			assert.NotEmpty(t, w.Changes.Added, "newly served")
			assert.Equal(t, planning.WhatIfLabels, w.Changes.Labels)
			assert.Equal(t, 3*w.Changes.Periods[0].Weeks, w.Changes.Periods[0].AvailableAfter, "three packs after")
			assert.False(t, w.Adoptable, "the extra pack does not exist")
			assert.Contains(t, w.NotAdoptable, "supplémentaire 1")
			g, err := db.WhatIfGrid(ctx, w.ID, storetest.RoundToday, planning.Viewer{Staff: true}, planning.Options{})
			require.NoError(t, err)
			require.Len(t, g.Rows, 3, "a row for the extra pack")
			assert.Equal(t, "supplémentaire 1", g.Rows[2].Pack.Code)
			assert.Positive(t, g.Rows[2].Loans, "the extra pack is lent")
			_, err = db.AdoptWhatIf(ctx, coord, w.ID)
			var we *store.RuleError
			require.ErrorAs(t, err, &we)
			assert.Equal(t, "extra_packs", we.Code)
			assert.Equal(t, store.RuleConflict, we.Kind)
			assert.ErrorIs(t, err, store.ErrConflict)
		})
		t.Run("one pack less", func(t *testing.T) {
			w, err := round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{PacksDelta: -1})
			require.NoError(t, err)
			assert.Less(t, len(w.Round.Loans), len(draft.Loans), "fewer requests served")
			assert.NotEmpty(t, w.Changes.Removed, "no longer served")
			assert.True(t, w.Adoptable)
			for _, l := range w.Round.Loans {
				assert.Equal(t, []int64{d.Packs[0].ID}, l.PackIDs, "the last pack is removed")
			}
		})
		t.Run("a pack unavailable all year", func(t *testing.T) {
			w, err := round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{Unavailable: []store.WhatIfUnavailable{{
				PackID: d.Packs[0].ID, FirstDay: calendar.MustParseDate("2026-08-31"), LastDay: calendar.MustParseDate("2027-07-10")}}})
			require.NoError(t, err)
			assert.Contains(t, w.Label, "pack "+d.Packs[0].Code+" indisponible du lundi 31 août 2026 au samedi 10 juillet 2027")
			for _, l := range w.Round.Loans {
				assert.Equal(t, []int64{d.Packs[1].ID}, l.PackIDs, "only the other pack is lent")
			}
			assert.True(t, w.Adoptable)
			g, err := db.WhatIfGrid(ctx, w.ID, storetest.RoundToday, planning.Viewer{Staff: true}, planning.Options{})
			require.NoError(t, err)
			require.Len(t, g.Rows, 2)
			require.Len(t, g.Rows[0].Cells, 1, "the unavailable pack is one maintenance cell")
			assert.Equal(t, planning.CellMaintenance, g.Rows[0].Cells[0].Kind)
			assert.Equal(t, "hypothèse : pack indisponible", g.Rows[0].Cells[0].Detail)
		})
		t.Run("without extensions", func(t *testing.T) {
			require.Positive(t, draft.Stats.ExtensionsGranted, "the draft grants an extension")
			w, err := round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{NoExtensions: true})
			require.NoError(t, err)
			for _, l := range w.Round.Loans {
				assert.Zero(t, l.ExtensionWeeks, "no extension for request %d", l.RequestID)
			}
		})
		t.Run("the fix of an unserved request", func(t *testing.T) {
			var fix store.WhatIfInput
			found := false
			for _, u := range draft.Unserved {
				if fix, found = store.UnservedWhatIf(u); found {
					break
				}
			}
			require.True(t, found, "the engine suggests packs for an unserved request: %+v", draft.Unserved)
			w, err := round.WhatIf(ctx, db, coord, draft.ID, fix)
			require.NoError(t, err)
			assert.Greater(t, len(w.Round.Loans), len(draft.Loans), "the fix serves more requests")
		})
		t.Run("bad hypotheses", func(t *testing.T) {
			tests := []struct {
				name      string
				give      store.WhatIfInput
				wantField string
			}{
				{name: "nothing", give: store.WhatIfInput{}, wantField: "what_if"},
				{name: "no pack left", give: store.WhatIfInput{PacksDelta: -2}, wantField: "packs_delta"},
				{name: "unknown pack", give: store.WhatIfInput{Unavailable: []store.WhatIfUnavailable{{PackID: 999999,
					FirstDay: storetest.RoundToday, LastDay: storetest.RoundToday}}}, wantField: "unavailable[0].pack_id"},
				{name: "dates reversed", give: store.WhatIfInput{Unavailable: []store.WhatIfUnavailable{{PackID: d.Packs[0].ID,
					FirstDay: storetest.RoundToday, LastDay: storetest.RoundToday.AddDays(-1)}}}, wantField: "unavailable[0].last_day"},
				{name: "loan weeks", give: store.WhatIfInput{LoanWeeks: 40}, wantField: "loan_weeks"},
				{name: "time limit", give: store.WhatIfInput{NoExtensions: true, TimeLimit: time.Hour}, wantField: "time_limit"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := round.WhatIf(ctx, db, coord, draft.ID, tt.give)
					var ie *store.RuleError
					require.ErrorAs(t, err, &ie)
					assert.Equal(t, store.RuleInvalid, ie.Kind)
					assert.Contains(t, ie.FieldMessages, tt.wantField)
					assert.NotEmpty(t, ie.FieldMessages[tt.wantField], "a French message")
				})
			}
			_, err := round.WhatIf(ctx, db, coord, 999999, store.WhatIfInput{PacksDelta: 1})
			assert.ErrorIs(t, err, store.ErrNotFound)
		})

		// Nothing of the above touched the rounds or created loans.
		after, err := db.ListRounds(ctx, d.Year)
		require.NoError(t, err)
		assert.Equal(t, before, after, "what-ifs change no round")
		assert.Empty(t, liveLoans(t, db, d.Year), "what-ifs create no loan")
		list, err := db.ListWhatIfs(ctx, draft.ID)
		require.NoError(t, err)
		assert.Len(t, list, 5, "the what-ifs of the draft are kept")

		// Loans of 5 weeks, adopted as the new draft.
		w, err := round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{LoanWeeks: 5})
		require.NoError(t, err)
		assert.Equal(t, "prêts de 5 semaines", w.Label)
		for _, l := range w.Round.Loans {
			assert.Equal(t, 5, l.Weeks)
		}
		adopted, err := db.AdoptWhatIf(ctx, coord, w.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundDraft, adopted.State)
		assert.Equal(t, 5, adopted.Params.LoanWeeks)
		assert.Equal(t, len(w.Round.Loans), len(adopted.Loans))
		old, err := db.Round(ctx, draft.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundDiscarded, old.State, "the draft it replaces is discarded")
		got, err := db.WhatIf(ctx, w.ID)
		require.NoError(t, err)
		require.NotNil(t, got.AdoptedRoundID)
		assert.Equal(t, adopted.ID, *got.AdoptedRoundID)
		_, err = db.AdoptWhatIf(ctx, coord, w.ID)
		var we *store.RuleError
		require.ErrorAs(t, err, &we, "adopted once")
		assert.Equal(t, "what_if_adopted", we.Code)
		// Another what-if of the discarded draft can no longer be adopted,
		// nor can a new one be run on it.
		i := slices.IndexFunc(list, func(w store.WhatIf) bool { return w.Adoptable })
		require.GreaterOrEqual(t, i, 0, "an adoptable what-if")
		_, err = db.AdoptWhatIf(ctx, coord, list[i].ID)
		require.ErrorAs(t, err, &we)
		assert.Equal(t, "what_if_stale", we.Code)
		_, err = round.WhatIf(ctx, db, coord, draft.ID, store.WhatIfInput{PacksDelta: 1})
		require.ErrorAs(t, err, &we)
		assert.Equal(t, "round_not_draft", we.Code)
		assert.ErrorIs(t, err, store.ErrConflict)

		// The adopted draft publishes like any other.
		pub, err := db.PublishRound(ctx, coord, adopted.ID)
		require.NoError(t, err)
		assert.Len(t, liveLoans(t, db, d.Year), len(pub.Loans))
		assert.Zero(t, storetest.LoanOverlaps(t, db), "no overlapping loans")
	})
}

func TestRoundCapacity(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 10})
		coord := store.Actor{UserID: d.Coordinator.ID}
		storetest.ExecLoan(t, db, "UPDATE requests SET preferred_periods = 'P1' WHERE id IN (?, ?, ?)",
			d.Requests[0].ID, d.Requests[1].ID, d.Requests[2].ID)
		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		c, err := round.RoundCapacity(ctx, db, r.ID, 0)
		require.NoError(t, err)
		assert.Equal(t, r.ID, c.RoundID)
		assert.Equal(t, 2, c.Packs)
		assert.Equal(t, 10, c.Eligible)
		assert.Equal(t, 10, c.Schedulable)
		assert.Equal(t, len(r.Loans), c.Served)
		assert.Greater(t, c.PacksToServeAll, 2, "2 packs do not serve 10 requests")
		assert.Contains(t, c.Summary, "packs servent tous les projets éligibles : ")
		require.Len(t, c.Periods, 5)
		p1 := c.Periods[0]
		assert.Equal(t, "P1 · Rentrée → Toussaint", p1.Label)
		assert.Equal(t, 14, p1.PackWeeksAvailable, "2 packs × 7 weeks")
		assert.Equal(t, 3, p1.DemandProjects, "three prefer P1")
		assert.Equal(t, 18, p1.DemandPackWeeks, "3 × 6 pack-weeks")
		assert.True(t, p1.Overbooked, "18 pack-weeks asked, 14 available")
		assert.Equal(t, 7, p1.NoPreference, "seven without preference")
		used := 0
		for _, p := range c.Periods {
			used += p.PackWeeksUsed
			assert.LessOrEqual(t, p.PackWeeksUsed, p.PackWeeksAvailable, "%s within capacity", p.Period)
			assert.Contains(t, p.UtilisationLabel, "\u00a0%")
		}
		want := 0
		for _, l := range r.Loans {
			want += (l.Weeks + l.ExtensionWeeks) * len(l.PackIDs)
		}
		assert.Equal(t, want, used, "pack-weeks of the round's plan")
		assert.Contains(t, p1.Text, "3 projets la préfèrent")

		yc, err := round.YearCapacity(ctx, db, roundInput(d.Year))
		require.NoError(t, err)
		assert.Equal(t, c.PacksToServeAll, yc.PacksToServeAll, "the same search without a round")
		_, err = round.RoundCapacity(ctx, db, 999999, 0)
		assert.True(t, errors.Is(err, store.ErrNotFound))
	})
}
