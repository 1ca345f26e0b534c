package planning

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// occupant is what takes a column of a pack's row.
type occupant struct {
	kind   CellKind
	loan   int // index in Input.Loans, or -1
	window int // index in Input.Maintenance, or -1
	clash  bool
}

var free = occupant{kind: CellFree, loan: -1, window: -1}

// sameOwner reports whether two occupants belong to the same loan (its
// turnaround aside) or the same window.
func (o occupant) sameOwner(p occupant) bool {
	if o.kind == CellTurnaround || p.kind == CellTurnaround || o.kind == CellFree {
		return o.kind == p.kind && o.loan == p.loan && o.window == p.window
	}
	return o.loan == p.loan && o.window == p.window
}

// Build lays out the grid of a plan: one row per pack, one column per
// school week and per holiday break, weeks grouped under their periods;
// each loan a cell spanning its weeks, its extension (holidays crossed
// included) and its turnaround as cells of their own, maintenance windows
// as cells; a loan whose pickup day is past is locked. Build is pure: the
// same input gives the same grid.
//
// Returns ErrNoYear without calendar, an *Error for an unknown period or
// a page out of range.
func Build(in Input, opt Options) (Grid, error) {
	if in.Year == nil {
		return Grid{}, ErrNoYear
	}
	y := in.Year
	weeks := y.Weeks()
	if len(weeks) == 0 {
		return Grid{}, &Error{Field: "year", Message: "l'année scolaire n'a aucune semaine de classe"}
	}
	g := Grid{SchoolYear: y.Name(), Today: in.Today, Private: !in.Viewer.Staff}
	cols, groups := columns(y, weeks, in.Today)

	// Column window of the period filter.
	lo, hi := 0, len(cols)
	if opt.Period != "" {
		p, ok := y.Period(opt.Period)
		if !ok {
			return Grid{}, &Error{Field: "period", Message: fmt.Sprintf("période inconnue : %q", opt.Period)}
		}
		lo, hi = -1, -1
		for i, c := range cols {
			if c.Kind == ColumnWeek && c.Week >= p.FirstWeek && c.Week <= p.LastWeek {
				if lo < 0 {
					lo = i
				}
				hi = i + 1
			}
		}
		groups = []Group{periodGroup(p, hi-lo)}
	}
	g.Columns = cols[lo:hi]
	g.Groups = groups

	// Column of a date: the column whose [From, To] holds it, else -1
	// (before the first or after the last school week).
	colOf := func(d calendar.Date) int {
		i, found := slices.BinarySearchFunc(cols, d, func(c Column, d calendar.Date) int {
			switch {
			case c.To.Before(d):
				return -1
			case c.From.After(d):
				return 1
			}
			return 0
		})
		if !found {
			if i == 0 {
				return -1
			}
			return len(cols)
		}
		return i
	}

	sectors := sectorIndex(in)
	packRow := make(map[int64]int, len(in.Packs))
	for i, p := range in.Packs {
		if _, dup := packRow[p.ID]; !dup {
			packRow[p.ID] = i
		}
	}
	occ := make([][]occupant, len(in.Packs))
	for i := range occ {
		occ[i] = make([]occupant, len(cols))
		for j := range occ[i] {
			occ[i][j] = free
		}
	}
	// put writes o over the columns [from, to] of a row. A turnaround only
	// takes free columns; anything else that meets another loan or window
	// (its turnaround included) marks the column as a clash.
	put := func(row, from, to int, o occupant) {
		for j := max(from, 0); j <= min(to, len(cols)-1); j++ {
			cur := occ[row][j]
			if o.kind == CellTurnaround {
				if cur.kind == CellFree {
					occ[row][j] = o
				}
				continue
			}
			w := o
			w.clash = cur.kind != CellFree && (cur.loan != o.loan || cur.window != o.window)
			occ[row][j] = w
		}
	}

	// Turnarounds first (they yield), then windows, then loans.
	for li, l := range in.Loans {
		if l.TurnaroundDays <= 0 || l.ReturnDay.IsZero() {
			continue
		}
		last := colOf(l.ReturnDay)
		from, to := -1, -1
		for d := l.ReturnDay.AddDays(1); !d.After(l.ReturnDay.AddDays(l.TurnaroundDays)); d = d.AddDays(1) {
			if d.IsWeekend() {
				continue
			}
			if c := colOf(d); c > last && c >= 0 && c < len(cols) {
				if from < 0 {
					from = c
				}
				to = c
			}
		}
		if from < 0 {
			continue
		}
		for _, id := range l.PackIDs {
			if r, ok := packRow[id]; ok {
				put(r, from, to, occupant{kind: CellTurnaround, loan: li, window: -1})
			}
		}
	}
	for wi, w := range in.Maintenance {
		r, ok := packRow[w.PackID]
		if !ok || w.LastDay.Before(w.FirstDay) {
			continue
		}
		from, to := colOf(w.FirstDay), colOf(w.LastDay)
		if to < 0 || from >= len(cols) {
			continue
		}
		if from < 0 { // starts before the first school week
			from = 0
		}
		put(r, from, to, occupant{kind: CellMaintenance, loan: -1, window: wi})
	}
	for li, l := range in.Loans {
		if l.PickupDay.IsZero() || l.ReturnDay.Before(l.PickupDay) {
			continue
		}
		from, to := colOf(l.PickupDay), colOf(l.ReturnDay)
		if to < 0 || from >= len(cols) {
			continue
		}
		baseTo := to
		if l.ExtensionWeeks > 0 {
			baseTo = min(colOf(l.baseReturnDay(weeks)), to)
		}
		for _, id := range l.PackIDs {
			r, ok := packRow[id]
			if !ok {
				continue
			}
			if baseTo < to {
				put(r, baseTo+1, to, occupant{kind: CellExtension, loan: li, window: -1})
			}
			put(r, from, baseTo, occupant{kind: CellLoan, loan: li, window: -1})
		}
	}

	// Rows: filter, page, then cells over the column window (only the
	// rows of the page are laid out).
	var keep []int
	for i, p := range in.Packs {
		if len(opt.PackIDs) > 0 && !slices.Contains(opt.PackIDs, p.ID) {
			continue
		}
		if opt.Sector != "" && !slices.ContainsFunc(occ[i][lo:hi], func(o occupant) bool {
			return o.loan >= 0 && o.kind != CellTurnaround && in.Loans[o.loan].SectorID == opt.Sector
		}) {
			continue
		}
		keep = append(keep, i)
	}
	g.TotalRows = len(keep)
	g.Page, g.Pages = 1, 1
	if opt.PageSize > 0 {
		g.Pages = max(1, (len(keep)+opt.PageSize-1)/opt.PageSize)
		g.Page = max(opt.Page, 1)
		if g.Page > g.Pages {
			return Grid{}, &Error{Field: "page", Message: fmt.Sprintf("page %d hors de 1 à %d", g.Page, g.Pages)}
		}
		keep = keep[(g.Page-1)*opt.PageSize : min(g.Page*opt.PageSize, len(keep))]
	}
	lay := layout{in: in, opt: opt, cols: cols, lo: lo, hi: hi, sectors: sectors,
		dates: make([]string, len(in.Loans)), free: make([]string, len(cols))}
	rows := make([]Row, 0, len(keep))
	for _, i := range keep {
		rows = append(rows, lay.row(in.Packs[i], occ[i]))
	}
	g.Rows = rows
	g.Legend = legend()
	sectorName := opt.Sector
	for _, l := range in.Loans {
		if l.SectorID == opt.Sector && l.SectorName != "" {
			sectorName = l.SectorName
			break
		}
	}
	g.Caption = caption(g, opt, sectorName)
	return g, nil
}

// columns returns one column per school week and one per holiday break
// between two school weeks, and the groups over them.
func columns(y *calendar.Year, weeks []calendar.Week, today calendar.Date) ([]Column, []Group) {
	holidays := y.Holidays()
	cols := make([]Column, 0, len(weeks)+8)
	var groups []Group
	for i, w := range weeks {
		if i > 0 && w.Monday.DaysSince(weeks[i-1].Monday) > 7 {
			// A break: the Mondays between two school weeks.
			from := weeks[i-1].Monday.AddDays(7)
			to := w.Monday.AddDays(-1)
			name, first, resume := holidayName(holidays, from, to)
			c := Column{Kind: ColumnHoliday, Week: -1, From: from, To: to, Label: "vac.",
				Title: name + ", " + DateRange(first, resume.AddDays(-1))}
			cols = append(cols, c)
			groups = append(groups, Group{Kind: ColumnHoliday, Name: name, Dates: DateRange(first, resume.AddDays(-1)), Span: 1})
		}
		if last := len(groups) - 1; last < 0 || groups[last].Kind != ColumnWeek || groups[last].ID != w.Period {
			p, _ := y.Period(w.Period)
			groups = append(groups, periodGroup(p, 0))
		}
		c := Column{Kind: ColumnWeek, Week: w.Index, Period: w.Period, From: w.Monday, To: w.Monday.AddDays(6),
			Label: weekLabel(w.Monday), SchoolDays: w.SchoolDays}
		c.Title = "semaine du " + longDate(w.Monday)
		for d := w.Monday; d.Before(w.Monday.AddDays(5)); d = d.AddDays(1) {
			if reason := y.ClosedReason(d); reason != "" && reason != "hors année scolaire" {
				c.Closed = append(c.Closed, ClosedDay{Date: d, Reason: reason})
			}
		}
		if len(c.Closed) > 0 {
			parts := make([]string, len(c.Closed))
			for j, cd := range c.Closed {
				parts[j] = cd.Reason + " le " + longDate(cd.Date)
			}
			c.Title += fmt.Sprintf(" (%s de classe ; %s)", plural(w.SchoolDays, "jour", "jours"), strings.Join(parts, ", "))
		}
		cols = append(cols, c)
		groups[len(groups)-1].Span++
	}
	for i := range cols {
		c := &cols[i]
		c.Current = !today.IsZero() && !today.Before(c.From) && !today.After(c.To)
		c.Past = !today.IsZero() && c.To.Before(today)
	}
	return cols, groups
}

func periodGroup(p calendar.Period, span int) Group {
	return Group{Kind: ColumnWeek, ID: p.ID, Name: p.ID + " · " + p.Label, Dates: DateRange(p.First, p.Last), Span: span}
}

// holidayName names the holiday meeting [from, to], with its first day
// and the day classes resume.
func holidayName(hs []calendar.Holiday, from, to calendar.Date) (string, calendar.Date, calendar.Date) {
	for _, h := range hs {
		if !h.First.After(to) && (h.Resume.IsZero() || h.Resume.After(from)) {
			return h.Description, h.First, h.Resume
		}
	}
	return "Vacances", from, to.AddDays(1)
}

// sectorIndex numbers the sectors of the loans from 1, by ID.
func sectorIndex(in Input) map[string]int {
	var ids []string
	for _, l := range in.Loans {
		if l.SectorID != "" && !slices.Contains(ids, l.SectorID) {
			ids = append(ids, l.SectorID)
		}
	}
	slices.Sort(ids)
	out := make(map[string]int, len(ids))
	for i, id := range ids {
		out[id] = i + 1
	}
	return out
}

// layout turns the occupants of rows into cells, caching the texts shared
// by many cells.
type layout struct {
	in      Input
	opt     Options
	cols    []Column
	lo, hi  int
	sectors map[string]int
	// dates caches each loan's DateRange, free each column's free title.
	dates []string
	free  []string
}

// row merges the occupied columns [lo, hi) of a pack into cells.
func (lay *layout) row(p Pack, occ []occupant) Row {
	in, opt, cols, lo, hi := lay.in, lay.opt, lay.cols, lay.lo, lay.hi
	row := Row{Pack: p}
	seen := map[int]bool{}
	for j := lo; j < hi; {
		o := occ[j]
		k := j + 1
		if o.kind != CellFree {
			for k < hi && occ[k] == o {
				k++
			}
		}
		c := Cell{Kind: o.kind, First: j - lo, Span: k - j, Clash: o.clash}
		switch {
		case o.kind == CellFree && cols[j].Kind == ColumnHoliday:
			c.Kind, c.Title = CellHoliday, cols[j].Title
		case o.kind == CellFree:
			if lay.free[j] == "" {
				lay.free[j] = "libre, " + cols[j].Title
			}
			c.Title = lay.free[j]
		case o.window >= 0:
			w := in.Maintenance[o.window]
			c.Text = "maintenance"
			c.Title = "maintenance " + DateRange(w.FirstDay, w.LastDay)
			if in.Viewer.Staff && w.Reason != "" {
				c.Detail = w.Reason
				c.Title += " : " + w.Reason
			}
		default:
			l := in.Loans[o.loan]
			if lay.dates[o.loan] == "" {
				lay.dates[o.loan] = DateRange(l.PickupDay, l.ReturnDay)
			}
			describeLoan(&c, l, lay.dates[o.loan], in, opt, lay.sectors)
			if o.kind == CellLoan && !seen[o.loan] {
				row.Loans++
				seen[o.loan] = true
			}
		}
		if o.kind != CellFree {
			c.ContinuesBefore = j == lo && lo > 0 && occ[lo-1].sameOwner(o)
			c.ContinuesAfter = k == hi && hi < len(occ) && occ[hi].sameOwner(o)
		}
		if o.kind == CellLoan || o.kind == CellExtension {
			for t := j; t < k; t++ {
				if cols[t].Kind == ColumnWeek {
					row.PackWeeks++
				}
			}
		}
		if c.Clash {
			c.Title += " — attention : chevauchement avec un autre prêt ou une maintenance"
		}
		row.Cells = append(row.Cells, c)
		j = k
	}
	return row
}

// describeLoan fills the text of a loan's cell (base, extension or
// turnaround), hiding who holds it from a viewer of another school.
func describeLoan(c *Cell, l Loan, dates string, in Input, opt Options, sectors map[string]int) {
	visible := in.Viewer.sees(l)
	c.Own = in.Viewer.own(l)
	c.Hidden = !visible
	c.Faded = opt.Sector != "" && l.SectorID != opt.Sector
	who := "prêté"
	if visible {
		c.LoanID, c.RequestID = l.LoanID, l.RequestID
		who = l.SchoolName
		if l.Class != "" {
			who += " (" + l.Class + ")"
		}
		c.Sector, c.SectorIndex = l.SectorName, sectors[l.SectorID]
		if c.Sector == "" && l.SectorID != "" {
			c.Sector = l.SectorID
		}
	}
	switch c.Kind {
	case CellLoan:
		c.Locked = l.Locked || l.Signed || (!in.Today.IsZero() && !l.PickupDay.After(in.Today))
		if visible {
			c.Text, c.Detail = l.SchoolName, l.Class
		} else {
			c.Text = "prêté"
		}
		c.Title = who + ", " + dates
		if l.ExtensionWeeks > 0 {
			c.Title += fmt.Sprintf(", dont %s de prolongation", plural(l.ExtensionWeeks, "semaine", "semaines"))
		}
		if visible && c.Sector != "" {
			c.Title += ", secteur " + c.Sector
		}
		if visible && l.State != "" {
			c.Title += ", " + l.State
		}
		if c.Locked {
			c.Title += " (verrouillé)"
		}
	case CellExtension:
		c.Text = "prolongation"
		if visible {
			c.Detail = l.SchoolName
		}
		c.Title = fmt.Sprintf("prolongation de %s, %s, jusqu'au %s", plural(l.ExtensionWeeks, "semaine", "semaines"), who, longDate(l.ReturnDay))
	case CellTurnaround:
		c.Text = "remise en état"
		c.Title = fmt.Sprintf("remise en état après le retour du %s (%s)", longDate(l.ReturnDay), plural(l.TurnaroundDays, "jour", "jours"))
		c.Sector, c.SectorIndex, c.Faded = "", 0, false
	}
}

func legend() []LegendItem {
	return []LegendItem{
		{CellLoan, "prêt (école et classe ; « prêté » pour une autre école)"},
		{CellExtension, "prolongation"},
		{CellTurnaround, "remise en état après un retour"},
		{CellMaintenance, "maintenance"},
		{CellHoliday, "vacances scolaires"},
		{CellFree, "libre"},
	}
}

func caption(g Grid, opt Options, sector string) string {
	s := "Planning des packs, année scolaire " + g.SchoolYear
	if opt.Period != "" && len(g.Groups) == 1 {
		s += ", " + g.Groups[0].Name
	}
	if opt.Sector != "" {
		s += ", packs prêtés au secteur " + sector
	}
	if g.Pages > 1 {
		s += fmt.Sprintf(", page %d sur %d", g.Page, g.Pages)
	}
	return s
}

// SortLoans orders loans by pickup day, then request: a stable order for
// lists beside the grid.
func SortLoans(ls []Loan) {
	slices.SortFunc(ls, func(a, b Loan) int {
		return cmp.Or(a.PickupDay.Compare(b.PickupDay), cmp.Compare(a.RequestID, b.RequestID))
	})
}
