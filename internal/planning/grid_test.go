package planning_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

var d = calendar.MustParseDate

func year(t testing.TB) *calendar.Year {
	t.Helper()
	y, err := calendar.NewYear("2026-2027", calendar.ZoneC())
	require.NoError(t, err)
	return y
}

var packs = []planning.Pack{{ID: 1, Code: "P-01", Label: "Pack 1"}, {ID: 2, Code: "P-02"}, {ID: 3, Code: "P-03"}}

// loan makes a loan of the 2026-2027 calendar from its weeks.
func loan(t testing.TB, y *calendar.Year, id int64, school string, start, weeks, ext int, packIDs ...int64) planning.Loan {
	t.Helper()
	pickup, ret, err := y.LoanDays(start, weeks+ext)
	require.NoError(t, err)
	codes := []string{}
	for _, p := range packIDs {
		codes = append(codes, packs[p-1].Code)
	}
	return planning.Loan{LoanID: 100 + id, RequestID: id, Title: "Projet " + school, SchoolUAI: "UAI-" + school,
		SchoolName: "École " + school, Class: "CM1", SectorID: "q-" + school, SectorName: "Quartier " + school,
		PackIDs: packIDs, PackCodes: codes, StartWeek: start, Weeks: weeks, ExtensionWeeks: ext,
		PickupDay: pickup, ReturnDay: ret, TurnaroundDays: 7, State: "réservé"}
}

// cellAt returns the cell of a row covering column c.
func cellAt(t testing.TB, r planning.Row, c int) planning.Cell {
	t.Helper()
	for _, cell := range r.Cells {
		if c >= cell.First && c < cell.First+cell.Span {
			return cell
		}
	}
	t.Fatalf("no cell of %s covers column %d", r.Pack.Code, c)
	return planning.Cell{}
}

// col returns the index of the column of school week w.
func col(t testing.TB, g planning.Grid, w int) int {
	t.Helper()
	for i, c := range g.Columns {
		if c.Kind == planning.ColumnWeek && c.Week == w {
			return i
		}
	}
	t.Fatalf("no column for week %d", w)
	return -1
}

// checkShape asserts what every grid must satisfy: each row's cells tile
// the columns, group spans add up to the columns.
func checkShape(t *testing.T, g planning.Grid) {
	t.Helper()
	span := 0
	for _, gr := range g.Groups {
		span += gr.Span
	}
	assert.Equal(t, len(g.Columns), span, "groups span every column")
	for _, r := range g.Rows {
		next := 0
		for _, c := range r.Cells {
			assert.Equal(t, next, c.First, "cells of %s tile the columns", r.Pack.Code)
			assert.Positive(t, c.Span, "span of a cell of %s", r.Pack.Code)
			next = c.First + c.Span
		}
		assert.Equal(t, len(g.Columns), next, "cells of %s cover every column", r.Pack.Code)
	}
}

func TestBuildCalendar(t *testing.T) {
	t.Parallel()
	y := year(t)
	g, err := planning.Build(planning.Input{Year: y, Packs: packs, Today: d("2026-11-10"), Viewer: planning.Viewer{Staff: true}}, planning.Options{})
	require.NoError(t, err)
	checkShape(t, g)

	tests := []struct {
		name      string
		giveCol   int
		wantKind  planning.ColumnKind
		wantWeek  int
		wantLabel string
		wantShort bool
		wantTitle string
	}{
		{name: "first week, rentrée on Tuesday", giveCol: 0, wantKind: planning.ColumnWeek, wantWeek: 0, wantLabel: "31/08", wantShort: true,
			wantTitle: "semaine du lundi 31 août 2026"},
		{name: "Toussaint break", giveCol: 7, wantKind: planning.ColumnHoliday, wantWeek: -1, wantLabel: "vac.",
			wantTitle: "Vacances de la Toussaint, du samedi 17 octobre au dimanche 1er novembre 2026"},
		{name: "Armistice week", giveCol: 9, wantKind: planning.ColumnWeek, wantWeek: 8, wantLabel: "09/11", wantShort: true,
			wantTitle: "semaine du lundi 9 novembre 2026 (4 jours de classe ; Armistice de 1918 le mercredi 11 novembre 2026)"},
		{name: "Christmas break across the civil year", giveCol: 15, wantKind: planning.ColumnHoliday, wantWeek: -1, wantLabel: "vac.",
			wantTitle: "Vacances de Noël, du samedi 19 décembre 2026 au dimanche 3 janvier 2027"},
		{name: "Ascension week with its bridge", giveCol: 27 + 4, wantKind: planning.ColumnWeek, wantWeek: 27, wantLabel: "03/05", wantShort: true,
			wantTitle: "semaine du lundi 3 mai 2027 (3 jours de classe ; Ascension le jeudi 6 mai 2027, Pont de l'Ascension le vendredi 7 mai 2027)"},
		{name: "last week", giveCol: 39, wantKind: planning.ColumnWeek, wantWeek: 35, wantLabel: "28/06", wantTitle: "semaine du lundi 28 juin 2027"},
	}
	require.Len(t, g.Columns, 36+4, "36 school weeks and 4 breaks")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := g.Columns[tt.giveCol]
			assert.Equal(t, tt.wantKind, c.Kind)
			assert.Equal(t, tt.wantWeek, c.Week)
			assert.Equal(t, tt.wantLabel, c.Label)
			assert.Equal(t, tt.wantShort, c.Short())
			assert.Equal(t, tt.wantTitle, c.Title)
		})
	}

	var names []string
	var spans []int
	for _, gr := range g.Groups {
		names = append(names, gr.Name)
		spans = append(spans, gr.Span)
	}
	assert.Equal(t, []string{"P1 · Rentrée → Toussaint", "Vacances de la Toussaint", "P2 · Toussaint → Noël", "Vacances de Noël",
		"P3 · Noël → Hiver", "Vacances d'Hiver", "P4 · Hiver → Printemps", "Vacances de Printemps", "P5 · Printemps → Été"}, names)
	assert.Equal(t, []int{7, 1, 7, 1, 5, 1, 6, 1, 11}, spans)
	assert.Equal(t, "du mardi 1er septembre au vendredi 16 octobre 2026", g.Groups[0].Dates)
	assert.True(t, g.Columns[9].Current, "today's week is marked")
	assert.True(t, g.Columns[8].Past, "last week is past")
	assert.False(t, g.Columns[10].Past, "next week is not past")
	for _, r := range g.Rows {
		assert.Equal(t, planning.CellHoliday, cellAt(t, r, 7).Kind, "an empty break is a holiday cell on %s", r.Pack.Code)
		assert.Equal(t, planning.CellFree, cellAt(t, r, 9).Kind, "a free week on %s", r.Pack.Code)
	}
}

func TestBuildLoans(t *testing.T) {
	t.Parallel()
	y := year(t)
	p1 := loan(t, y, 1, "Alpha", 1, 6, 0, 1)        // P1, weeks 1–6
	ext := loan(t, y, 2, "Bravo", 8, 6, 2, 1)       // P2 weeks 8–13, extension into P3 over Christmas
	two := loan(t, y, 3, "Charlie", 19, 6, 0, 2, 3) // P4, two packs
	signed := loan(t, y, 4, "Delta", 25, 6, 0, 1)
	signed.Signed, signed.State = true, "convention signée"
	win := planning.Window{ID: 9, PackID: 3, FirstDay: d("2026-09-14"), LastDay: d("2026-09-25"), Reason: "écrans à changer"}
	in := planning.Input{Year: y, Packs: packs, Loans: []planning.Loan{p1, ext, two, signed},
		Maintenance: []planning.Window{win}, Today: d("2026-11-10"), Viewer: planning.Viewer{Staff: true}}
	g, err := planning.Build(in, planning.Options{})
	require.NoError(t, err)
	checkShape(t, g)
	row := func(code string) planning.Row {
		for _, r := range g.Rows {
			if r.Pack.Code == code {
				return r
			}
		}
		t.Fatalf("no row %s", code)
		return planning.Row{}
	}

	tests := []struct {
		name       string
		givePack   string
		giveCol    int
		wantKind   planning.CellKind
		wantFirst  int
		wantSpan   int
		wantText   string
		wantLocked bool
		wantReq    int64
		wantTitle  string
	}{
		{name: "loan in P1 spans its six weeks", givePack: "P-01", giveCol: col(t, g, 3), wantKind: planning.CellLoan,
			wantFirst: 1, wantSpan: 6, wantText: "École Alpha", wantLocked: true, wantReq: 1,
			wantTitle: "École Alpha (CM1), du lundi 7 septembre au vendredi 16 octobre 2026, secteur Quartier Alpha, réservé (verrouillé)"},
		{name: "turnaround over the Toussaint break", givePack: "P-01", giveCol: 7, wantKind: planning.CellTurnaround,
			wantFirst: 7, wantSpan: 1, wantText: "remise en état", wantReq: 1,
			wantTitle: "remise en état après le retour du vendredi 16 octobre 2026 (7 jours)"},
		{name: "started loan is locked", givePack: "P-01", giveCol: col(t, g, 8), wantKind: planning.CellLoan,
			wantFirst: col(t, g, 8), wantSpan: 6, wantText: "École Bravo", wantLocked: true, wantReq: 2,
			wantTitle: "École Bravo (CM1), du lundi 9 novembre 2026 au vendredi 15 janvier 2027, dont 2 semaines de prolongation, secteur Quartier Bravo, réservé (verrouillé)"},
		{name: "extension across the end of P2 spans the break", givePack: "P-01", giveCol: 15, wantKind: planning.CellExtension,
			wantFirst: col(t, g, 13) + 1, wantSpan: 3, wantText: "prolongation", wantReq: 2,
			wantTitle: "prolongation de 2 semaines, École Bravo (CM1), jusqu'au vendredi 15 janvier 2027"},
		{name: "turnaround after the extension", givePack: "P-01", giveCol: col(t, g, 16), wantKind: planning.CellTurnaround,
			wantFirst: col(t, g, 16), wantSpan: 1, wantText: "remise en état", wantReq: 2,
			wantTitle: "remise en état après le retour du vendredi 15 janvier 2027 (7 jours)"},
		{name: "maintenance window", givePack: "P-03", giveCol: col(t, g, 2), wantKind: planning.CellMaintenance,
			wantFirst: col(t, g, 2), wantSpan: 2, wantText: "maintenance",
			wantTitle: "maintenance du lundi 14 septembre au vendredi 25 septembre 2026 : écrans à changer"},
		{name: "2-pack loan on its first pack", givePack: "P-02", giveCol: col(t, g, 20), wantKind: planning.CellLoan,
			wantFirst: col(t, g, 19), wantSpan: 6, wantText: "École Charlie", wantReq: 3,
			wantTitle: "École Charlie (CM1), du lundi 22 février au vendredi 2 avril 2027, secteur Quartier Charlie, réservé"},
		{name: "2-pack loan on its second pack", givePack: "P-03", giveCol: col(t, g, 24), wantKind: planning.CellLoan,
			wantFirst: col(t, g, 19), wantSpan: 6, wantText: "École Charlie", wantReq: 3,
			wantTitle: "École Charlie (CM1), du lundi 22 février au vendredi 2 avril 2027, secteur Quartier Charlie, réservé"},
		{name: "signed loan not yet started is locked", givePack: "P-01", giveCol: col(t, g, 30), wantKind: planning.CellLoan,
			wantFirst: col(t, g, 25), wantSpan: 6, wantText: "École Delta", wantLocked: true, wantReq: 4,
			wantTitle: "École Delta (CM1), du lundi 19 avril au vendredi 28 mai 2027, secteur Quartier Delta, convention signée (verrouillé)"},
		{name: "free week", givePack: "P-02", giveCol: col(t, g, 5), wantKind: planning.CellFree,
			wantFirst: col(t, g, 5), wantSpan: 1, wantTitle: "libre, semaine du lundi 5 octobre 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cellAt(t, row(tt.givePack), tt.giveCol)
			assert.Equal(t, tt.wantKind, c.Kind, "kind")
			assert.Equal(t, tt.wantFirst, c.First, "first column")
			assert.Equal(t, tt.wantSpan, c.Span, "colspan")
			assert.Equal(t, tt.wantText, c.Text, "text")
			assert.Equal(t, tt.wantLocked, c.Locked, "locked")
			assert.Equal(t, tt.wantReq, c.RequestID, "request")
			assert.Equal(t, tt.wantTitle, c.Title, "title")
			assert.False(t, c.Clash, "no clash")
		})
	}
	base := cellAt(t, row("P-02"), col(t, g, 19))
	assert.Equal(t, "CM1", base.Detail, "class under the school")
	assert.Equal(t, "Quartier Charlie", base.Sector, "sector as a label")
	assert.Equal(t, 3, base.SectorIndex, "sectors numbered by id for a pattern")
	assert.Equal(t, "cell cell-loan sector-3", base.Class())
	assert.Equal(t, 3, row("P-01").Loans, "loans on P-01")
	assert.Equal(t, 6+6+2+6, row("P-01").PackWeeks, "school weeks lent on P-01, extension included")
}

func TestBuildClash(t *testing.T) {
	t.Parallel()
	y := year(t)
	a := loan(t, y, 1, "Alpha", 1, 6, 0, 1)
	b := loan(t, y, 2, "Bravo", 4, 6, 0, 1)
	g, err := planning.Build(planning.Input{Year: y, Packs: packs, Loans: []planning.Loan{a, b}, Viewer: planning.Viewer{Staff: true}}, planning.Options{})
	require.NoError(t, err)
	checkShape(t, g)
	r := g.Rows[0]
	assert.False(t, cellAt(t, r, col(t, g, 1)).Clash, "weeks of Alpha alone")
	c := cellAt(t, r, col(t, g, 4))
	assert.True(t, c.Clash, "overlapping weeks are marked")
	assert.Contains(t, c.Title, "chevauchement")
	assert.Equal(t, "Bravo", c.Text[len("École "):], "the later loan shows")
}

func TestBuildPrivacy(t *testing.T) {
	t.Parallel()
	y := year(t)
	own := loan(t, y, 1, "Alpha", 1, 6, 2, 1)
	other := loan(t, y, 2, "Bravo", 19, 6, 2, 1)
	win := planning.Window{ID: 9, PackID: 2, FirstDay: d("2026-09-14"), LastDay: d("2026-09-25"), Reason: "vol signalé"}
	in := planning.Input{Year: y, Packs: packs, Loans: []planning.Loan{own, other}, Maintenance: []planning.Window{win},
		Today: d("2026-08-20")}

	tests := []struct {
		name       string
		giveViewer planning.Viewer
		giveWeek   int
		wantText   string
		wantReq    int64
		wantHidden bool
		wantOwn    bool
		wantSector string
	}{
		{name: "staff see every school", giveViewer: planning.Viewer{Staff: true}, giveWeek: 19,
			wantText: "École Bravo", wantReq: 2, wantSector: "Quartier Bravo"},
		{name: "a school sees its own loan", giveViewer: planning.Viewer{Schools: []string{"UAI-Alpha"}}, giveWeek: 1,
			wantText: "École Alpha", wantReq: 1, wantOwn: true, wantSector: "Quartier Alpha"},
		{name: "a school sees another's loan as lent", giveViewer: planning.Viewer{Schools: []string{"UAI-Alpha"}}, giveWeek: 19,
			wantText: "prêté", wantHidden: true},
		{name: "a person of two schools sees both", giveViewer: planning.Viewer{Schools: []string{"UAI-Alpha", "UAI-Bravo"}}, giveWeek: 19,
			wantText: "École Bravo", wantReq: 2, wantOwn: true, wantSector: "Quartier Bravo"},
		{name: "a viewer without school sees no name", giveViewer: planning.Viewer{}, giveWeek: 1,
			wantText: "prêté", wantHidden: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := in
			in.Viewer = tt.giveViewer
			g, err := planning.Build(in, planning.Options{})
			require.NoError(t, err)
			checkShape(t, g)
			assert.Equal(t, !tt.giveViewer.Staff, g.Private)
			c := cellAt(t, g.Rows[0], col(t, g, tt.giveWeek))
			assert.Equal(t, tt.wantText, c.Text)
			assert.Equal(t, tt.wantReq, c.RequestID, "request id only when visible")
			assert.Equal(t, tt.wantHidden, c.Hidden)
			assert.Equal(t, tt.wantOwn, c.Own)
			assert.Equal(t, tt.wantSector, c.Sector)
			if tt.wantHidden {
				assert.Zero(t, c.LoanID, "no loan id of another school")
				assert.Empty(t, c.Detail, "no class of another school")
				assert.NotContains(t, c.Title, "Bravo", "no name in the title")
				assert.NotContains(t, c.Title, "Alpha", "no name in the title")
				extCell := cellAt(t, g.Rows[0], col(t, g, tt.giveWeek)+6)
				assert.Equal(t, planning.CellExtension, extCell.Kind)
				assert.Empty(t, extCell.Detail, "no name on the extension")
				assert.NotContains(t, extCell.Title, "École")
			}
			m := cellAt(t, g.Rows[1], col(t, g, 2))
			assert.Equal(t, planning.CellMaintenance, m.Kind)
			if tt.giveViewer.Staff {
				assert.Equal(t, "vol signalé", m.Detail, "staff read the reason")
			} else {
				assert.Empty(t, m.Detail, "schools do not read the maintenance reason")
				assert.NotContains(t, m.Title, "vol")
			}
		})
	}
}

func TestBuildFilters(t *testing.T) {
	t.Parallel()
	y := year(t)
	ext := loan(t, y, 2, "Bravo", 8, 6, 2, 1)
	two := loan(t, y, 3, "Charlie", 19, 6, 0, 2, 3)
	in := planning.Input{Year: y, Packs: packs, Loans: []planning.Loan{ext, two}, Viewer: planning.Viewer{Staff: true}}

	t.Run("period", func(t *testing.T) {
		g, err := planning.Build(in, planning.Options{Period: "P3"})
		require.NoError(t, err)
		checkShape(t, g)
		require.Len(t, g.Columns, 5, "the 5 weeks of P3")
		require.Len(t, g.Groups, 1)
		assert.Equal(t, "P3 · Noël → Hiver", g.Groups[0].Name)
		c := cellAt(t, g.Rows[0], 0)
		assert.Equal(t, planning.CellExtension, c.Kind, "the extension goes on into P3")
		assert.Equal(t, 2, c.Span)
		assert.True(t, c.ContinuesBefore, "cut at the start of the period")
		assert.Equal(t, "cell cell-extension cont-before sector-1", c.Class())
		assert.Contains(t, g.Caption, "P3")
	})
	t.Run("sector", func(t *testing.T) {
		g, err := planning.Build(in, planning.Options{Sector: "q-Charlie"})
		require.NoError(t, err)
		checkShape(t, g)
		require.Len(t, g.Rows, 2, "the packs lent to the sector")
		assert.Equal(t, "P-02", g.Rows[0].Pack.Code)
		assert.Equal(t, "P-03", g.Rows[1].Pack.Code)
		assert.False(t, cellAt(t, g.Rows[0], col(t, g, 19)).Faded)
		assert.Equal(t, "Planning des packs, année scolaire 2026-2027, packs prêtés au secteur Quartier Charlie", g.Caption)
	})
	t.Run("sector fades other sectors", func(t *testing.T) {
		in := in
		in.Loans = append([]planning.Loan{loan(t, y, 1, "Alpha", 1, 6, 0, 2)}, in.Loans...)
		g, err := planning.Build(in, planning.Options{Sector: "q-Charlie"})
		require.NoError(t, err)
		require.Len(t, g.Rows, 2)
		alpha := cellAt(t, g.Rows[0], col(t, g, 1))
		assert.Equal(t, "École Alpha", alpha.Text)
		assert.True(t, alpha.Faded, "another sector's loan is faded")
		assert.False(t, cellAt(t, g.Rows[0], col(t, g, 19)).Faded, "the sector's loan is not")
	})
	t.Run("packs", func(t *testing.T) {
		g, err := planning.Build(in, planning.Options{PackIDs: []int64{3}})
		require.NoError(t, err)
		require.Len(t, g.Rows, 1)
		assert.Equal(t, "P-03", g.Rows[0].Pack.Code)
	})
	t.Run("pages", func(t *testing.T) {
		g, err := planning.Build(in, planning.Options{PageSize: 2, Page: 2})
		require.NoError(t, err)
		assert.Equal(t, 2, g.Page)
		assert.Equal(t, 2, g.Pages)
		assert.Equal(t, 3, g.TotalRows)
		require.Len(t, g.Rows, 1)
		assert.Equal(t, "P-03", g.Rows[0].Pack.Code)
		assert.Contains(t, g.Caption, "page 2 sur 2")
	})

	errs := []struct {
		name      string
		giveIn    planning.Input
		giveOpt   planning.Options
		wantField string
	}{
		{name: "unknown period", giveIn: in, giveOpt: planning.Options{Period: "P9"}, wantField: "period"},
		{name: "page out of range", giveIn: in, giveOpt: planning.Options{PageSize: 2, Page: 3}, wantField: "page"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planning.Build(tt.giveIn, tt.giveOpt)
			var pe *planning.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.wantField, pe.Field)
			assert.NotEmpty(t, pe.Message)
		})
	}
	_, err := planning.Build(planning.Input{}, planning.Options{})
	assert.True(t, errors.Is(err, planning.ErrNoYear), "no calendar")
}
