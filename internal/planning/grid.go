package planning

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// Pack is a row of the grid.
type Pack struct {
	ID    int64
	Code  string
	Label string
}

// Loan is a loan shown on the grid or compared by Compare: a live loan, or
// a loan a round proposes (LoanID 0 until the round is published).
type Loan struct {
	// LoanID names the live loan; 0 for a loan a draft only proposes.
	LoanID    int64
	RequestID int64
	// Title is the project's title.
	Title      string
	SchoolUAI  string
	SchoolName string
	// Class is the class levels, as shown ("CM1, CM2").
	Class      string
	SectorID   string
	SectorName string
	// PackIDs and PackCodes are the packs lent, in order.
	PackIDs   []int64
	PackCodes []string
	// StartWeek is the index of the first school week, Weeks the base
	// length in school weeks, ExtensionWeeks the extension granted.
	StartWeek      int
	Weeks          int
	ExtensionWeeks int
	// PickupDay is the first school day, ReturnDay the last (extension
	// included); the packs stay busy TurnaroundDays calendar days more.
	PickupDay      calendar.Date
	ReturnDay      calendar.Date
	TurnaroundDays int
	// State is the French label of the loan's state ("réservé",
	// "convention signée", "proposé").
	State string
	// Signed is true once the agreement is signed (and after: picked up,
	// returned, closed).
	Signed bool
	// Locked is true for a loan that rounds keep as is (started, signed or
	// reserved by hand). A loan whose pickup day is past is shown locked
	// anyway.
	Locked bool
}

// packCount is the number of packs the loan takes (at least one).
func (l Loan) packCount() int { return max(len(l.PackIDs), len(l.PackCodes), 1) }

// baseReturnDay is the last school day before the extension.
func (l Loan) baseReturnDay(weeks []calendar.Week) calendar.Date {
	last := l.StartWeek + l.Weeks - 1
	if l.ExtensionWeeks > 0 && last >= 0 && last < len(weeks) && !weeks[last].Last.After(l.ReturnDay) {
		return weeks[last].Last
	}
	return l.ReturnDay
}

// Window is a dated maintenance window of a pack (both days included).
type Window struct {
	ID       int64
	PackID   int64
	FirstDay calendar.Date
	LastDay  calendar.Date
	Reason   string
}

// Viewer says who looks at the grid: staff see every loan by name; the
// people of a school (its director, its teachers) see their schools'
// loans by name and the others as « prêté ».
type Viewer struct {
	Staff bool
	// Schools are the UAI codes of the viewer's schools.
	Schools []string
}

// own reports whether the loan is one of the viewer's schools'.
func (v Viewer) own(l Loan) bool { return l.SchoolUAI != "" && slices.Contains(v.Schools, l.SchoolUAI) }

// sees reports whether the viewer may see who holds loan l.
func (v Viewer) sees(l Loan) bool { return v.Staff || v.own(l) }

// Input is what Build needs: the calendar of the year, the packs (rows, in
// order), the loans of a plan, the maintenance windows, today's date (to
// mark started loans and the current week) and the viewer.
type Input struct {
	Year        *calendar.Year
	Packs       []Pack
	Loans       []Loan
	Maintenance []Window
	Today       calendar.Date
	Viewer      Viewer
}

// Options narrow the grid: one period's weeks, the packs that carry a
// loan of one sector, some packs, and pages of rows for the national size.
type Options struct {
	// Period keeps the school weeks of that period only ("P3"); loans
	// crossing its ends are cut and say so.
	Period string
	// Sector keeps the packs with at least one loan of the sector; the
	// other sectors' loans on them are shown faded.
	Sector string
	// PackIDs keeps these packs only (all when empty).
	PackIDs []int64
	// PageSize is the number of rows per page (all rows when 0); Page the
	// page shown, from 1.
	PageSize int
	Page     int
}

// Error is a bad grid request (an unknown period…). Message is French.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return "planning: " + e.Field + ": " + e.Message }

// ErrNoYear is returned by Build when the input has no calendar.
var ErrNoYear = errors.New("planning: no school year calendar")

// ColumnKind tells a school week from a holiday break.
type ColumnKind string

// Column kinds.
const (
	ColumnWeek    ColumnKind = "week"
	ColumnHoliday ColumnKind = "holiday"
)

// ClosedDay is a weekday without class inside a school week (a public
// holiday, a bridge).
type ClosedDay struct {
	Date   calendar.Date
	Reason string
}

// Column is one column of the grid: a school week, or a whole holiday
// break between two periods (the packs of an extension stay at school
// over it).
type Column struct {
	Kind ColumnKind
	// Week is the school week index (ColumnWeek), -1 for a holiday.
	Week int
	// Period is the period of a school week.
	Period string
	// From is the Monday of the first calendar week covered, To the Sunday
	// of the last.
	From calendar.Date
	To   calendar.Date
	// Label is short ("2 nov."), Title the full French sentence.
	Label string
	Title string
	// SchoolDays counts the class days of a school week; Closed lists its
	// weekdays without class (public holidays, bridges).
	SchoolDays int
	Closed     []ClosedDay
	// Current is true for the column holding today; Past when it ended
	// before today.
	Current bool
	Past    bool
}

// Short reports whether a school week has fewer than five class days.
func (c Column) Short() bool { return c.Kind == ColumnWeek && c.SchoolDays < 5 }

// Group is a column-group header: a period or a holiday break.
type Group struct {
	Kind ColumnKind
	// ID is the period's ID ("P1"); empty for a holiday.
	ID string
	// Name is "P1 · Rentrée → Toussaint" or "Vacances de la Toussaint";
	// Dates "du lundi 1er septembre au vendredi 16 octobre 2026".
	Name  string
	Dates string
	// Span is the number of columns of the group.
	Span int
}

// CellKind is what a cell shows.
type CellKind string

// Cell kinds.
const (
	CellFree        CellKind = "free"
	CellHoliday     CellKind = "holiday"
	CellLoan        CellKind = "loan"
	CellExtension   CellKind = "extension"
	CellTurnaround  CellKind = "turnaround"
	CellMaintenance CellKind = "maintenance"
)

// Cell is one cell of a row, spanning Span columns from column First.
type Cell struct {
	Kind  CellKind
	First int
	Span  int
	// Text is what the cell says (the school and class, « prêté »,
	// « prolongation », « remise en état », « maintenance »); Detail a
	// second line (class, dates); Title the whole French sentence, for a
	// tooltip and assistive technologies.
	Text   string
	Detail string
	Title  string
	// Sector is the sector's name as a label; SectorIndex numbers the
	// sectors of the grid from 1 (for a pattern), 0 when hidden or none.
	Sector      string
	SectorIndex int
	// LoanID and RequestID name the loan (0 when the viewer may not see
	// it or the loan is only proposed).
	LoanID    int64
	RequestID int64
	// Locked marks a loan kept as is (started, signed or reserved by
	// hand); Own a loan of the viewer's school; Faded a loan outside the
	// sector filter; Hidden a loan shown as « prêté ».
	Locked bool
	Own    bool
	Faded  bool
	Hidden bool
	// ContinuesBefore and ContinuesAfter say that the loan or window goes
	// on beyond the columns shown.
	ContinuesBefore bool
	ContinuesAfter  bool
	// Clash is true when two loans, or a loan and a maintenance window,
	// meet in these columns (a plan that should not exist).
	Clash bool
}

// Class returns the CSS classes of the cell ("cell cell-loan locked
// sector-2").
func (c Cell) Class() string {
	var b strings.Builder
	b.WriteString("cell cell-")
	b.WriteString(string(c.Kind))
	for _, f := range []struct {
		on   bool
		name string
	}{{c.Locked, "locked"}, {c.Own, "own"}, {c.Faded, "faded"}, {c.Hidden, "hidden"},
		{c.ContinuesBefore, "cont-before"}, {c.ContinuesAfter, "cont-after"}, {c.Clash, "clash"}} {
		if f.on {
			b.WriteString(" ")
			b.WriteString(f.name)
		}
	}
	if c.SectorIndex > 0 {
		fmt.Fprintf(&b, " sector-%d", c.SectorIndex)
	}
	return b.String()
}

// Row is a pack's row.
type Row struct {
	Pack  Pack
	Cells []Cell
	// Loans counts the loans of the pack in the columns shown.
	Loans int
	// PackWeeks counts the school weeks shown during which the pack is
	// lent.
	PackWeeks int
}

// LegendItem explains one kind of cell.
type LegendItem struct {
	Kind  CellKind
	Label string
}

// Grid is the packs × school weeks table of a school year.
type Grid struct {
	SchoolYear string
	Today      calendar.Date
	Groups     []Group
	Columns    []Column
	Rows       []Row
	Legend     []LegendItem
	// Private is true when other schools' loans are shown as « prêté ».
	Private bool
	// Page is the page shown (from 1), Pages the number of pages,
	// TotalRows the rows before paging.
	Page      int
	Pages     int
	TotalRows int
	// Caption describes the table in French.
	Caption string
}

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
