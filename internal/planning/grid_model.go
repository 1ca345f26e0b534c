package planning

import (
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
