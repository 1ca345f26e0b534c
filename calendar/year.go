package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Period is a stretch of class between two holidays.
type Period struct {
	// ID is "P1", "P2"… in order.
	ID string `json:"id"`
	// Label is the French label, e.g. "Rentrée → Toussaint".
	Label string `json:"label"`
	// First and Last are the first and last class days of the period.
	First Date `json:"first_day"`
	Last  Date `json:"last_day"`
	// FirstWeek and LastWeek are the indices of its first and last school
	// weeks (inclusive).
	FirstWeek int `json:"first_week"`
	LastWeek  int `json:"last_week"`
}

// WeekCount returns the number of school weeks of the period.
func (p Period) WeekCount() int { return p.LastWeek - p.FirstWeek + 1 }

// Week is a school week: a Monday-to-Sunday week with at least one class day.
type Week struct {
	// Index numbers the school weeks of the year from 0; holiday weeks have
	// no index.
	Index int `json:"index"`
	// Monday is the Monday of the week, even when it has no class.
	Monday Date `json:"monday"`
	// Period is the ID of the period holding the week.
	Period string `json:"period"`
	// First and Last are its first and last school days: the pickup day of a
	// loan starting this week, the return day of a loan ending this week.
	First Date `json:"first_day"`
	Last  Date `json:"last_day"`
	// SchoolDays counts its school days (1 to 5).
	SchoolDays int `json:"school_days"`
}

// Year is the calendar of one school year of one zone. It is immutable and
// safe for concurrent use.
type Year struct {
	name     string
	zone     string
	rentree  Date
	end      Date // first day of the summer holidays (exclusive end)
	holidays []Holiday
	periods  []Period
	weeks    []Week
	public   []PublicHoliday
	publicOn map[Date]string
}

// parseYearName checks "2025-2026" and returns its two civil years.
func parseYearName(name string) (int, int, error) {
	a, b, ok := strings.Cut(name, "-")
	if !ok || len(a) != 4 || len(b) != 4 {
		return 0, 0, fmt.Errorf("%w: %q (want e.g. 2025-2026)", ErrInvalidYear, name)
	}
	y1, err1 := strconv.Atoi(a)
	y2, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || y2 != y1+1 {
		return 0, 0, fmt.Errorf("%w: %q (want e.g. 2025-2026)", ErrInvalidYear, name)
	}
	return y1, y2, nil
}

// ValidYearName reports whether name is a school year name of the form
// "2025-2026" (two consecutive civil years).
func ValidYearName(name string) bool {
	_, _, err := parseYearName(name)
	return err == nil
}

// YearName returns the name of the school year starting in the autumn of
// civil year y ("2025-2026" for 2025).
func YearName(y int) string { return fmt.Sprintf("%04d-%04d", y, y+1) }

// NewYear derives the school year name ("2025-2026") from holidays of one
// zone, typically ZoneC() or holidays imported with ParseOfficial. It needs
// the year's own holidays and the previous year's summer holidays (their end
// is the rentrée). Returns an error wrapping ErrInvalidYear for a malformed
// name, ErrUnknownYear when the data does not cover the year, and
// ErrInvalidHolidays when the year's holidays contradict each other.
func NewYear(name string, holidays []Holiday) (*Year, error) {
	y1, _, err := parseYearName(name)
	if err != nil {
		return nil, err
	}
	prevName := YearName(y1 - 1)
	var own, prev []Holiday
	for _, h := range holidays {
		switch h.SchoolYear {
		case name:
			own = append(own, h)
		case prevName:
			prev = append(prev, h)
		}
	}
	if len(own) == 0 {
		return nil, fmt.Errorf("school year %s: no holidays: %w", name, ErrUnknownYear)
	}
	sortHolidays(own)
	sortHolidays(prev)
	if len(prev) == 0 || prev[len(prev)-1].Resume.IsZero() {
		return nil, fmt.Errorf("school year %s: rentrée unknown (end of the %s summer holidays): %w", name, prevName, ErrUnknownYear)
	}
	y := &Year{
		name:     name,
		zone:     own[0].Zone,
		rentree:  prev[len(prev)-1].Resume,
		end:      own[len(own)-1].First,
		holidays: own,
	}
	for _, h := range own {
		if h.Zone != y.zone {
			return nil, fmt.Errorf("school year %s: zones %q and %q mixed: %w", name, y.zone, h.Zone, ErrInvalidHolidays)
		}
	}
	if !y.rentree.Before(y.end) {
		return nil, fmt.Errorf("school year %s: rentrée %s not before the summer holidays %s: %w", name, y.rentree, y.end, ErrInvalidHolidays)
	}
	prevEnd := y.rentree
	for _, h := range own[:len(own)-1] {
		if h.Resume.IsZero() {
			return nil, fmt.Errorf("school year %s: %s: no end date: %w", name, h.Description, ErrInvalidHolidays)
		}
		if h.First.Before(prevEnd) || !h.Resume.Before(y.end) {
			return nil, fmt.Errorf("school year %s: %s (%s to %s) overlaps another holiday or lies outside the year: %w", name, h.Description, h.First, h.Resume, ErrInvalidHolidays)
		}
		prevEnd = h.Resume
	}

	y.public = PublicHolidays(y.rentree, y.end)
	y.publicOn = make(map[Date]string, len(y.public))
	for _, p := range y.public {
		y.publicOn[p.Date] = p.Name
	}

	// Periods: between the rentrée, the breaks (holidays closing a whole
	// Monday-to-Friday week) and the summer holidays.
	start, startName := y.rentree, "Rentrée"
	type span struct {
		from, to   Date // [from, to)
		from_, to_ string
	}
	var spans []span
	for _, h := range own[:len(own)-1] {
		if !closesWholeWeek(h) {
			continue
		}
		spans = append(spans, span{start, h.First, startName, shortName(h.Description)})
		start, startName = h.Resume, shortName(h.Description)
	}
	spans = append(spans, span{start, y.end, startName, shortName(own[len(own)-1].Description)})

	for i, s := range spans {
		p := Period{ID: fmt.Sprintf("P%d", i+1), Label: s.from_ + " → " + s.to_, FirstWeek: len(y.weeks)}
		for d := s.from; d.Before(s.to); d = d.AddDays(1) {
			if y.closedOn(d) == "" {
				if p.First.IsZero() {
					p.First = d
				}
				p.Last = d
			}
		}
		if p.First.IsZero() {
			return nil, fmt.Errorf("school year %s: period %s (%s to %s) has no class day: %w", name, p.ID, s.from, s.to, ErrInvalidHolidays)
		}
		for m := p.First.Monday(); !m.After(p.Last); m = m.AddDays(7) {
			w := Week{Index: len(y.weeks), Monday: m, Period: p.ID}
			for d := m; d.Before(m.AddDays(5)); d = d.AddDays(1) {
				if d.Before(p.First) || d.After(p.Last) || y.closedOn(d) != "" {
					continue
				}
				if w.First.IsZero() {
					w.First = d
				}
				w.Last = d
				w.SchoolDays++
			}
			if w.SchoolDays > 0 {
				y.weeks = append(y.weeks, w)
			}
		}
		p.LastWeek = len(y.weeks) - 1
		y.periods = append(y.periods, p)
	}
	return y, nil
}

// closesWholeWeek reports whether the holiday covers a Monday to Friday.
func closesWholeWeek(h Holiday) bool {
	m := h.First.Monday()
	if m.Before(h.First) {
		m = m.AddDays(7)
	}
	return h.Resume.After(m.AddDays(4))
}

// shortName turns "Vacances de la Toussaint" into "Toussaint".
func shortName(desc string) string {
	for _, p := range []string{"Vacances de la ", "Vacances de l'", "Vacances de ", "Vacances d'", "Vacances d’", "Vacances "} {
		if rest, ok := strings.CutPrefix(desc, p); ok && rest != "" {
			r, n := utf8.DecodeRuneInString(rest)
			return string(unicode.ToUpper(r)) + rest[n:]
		}
	}
	return desc
}

// closedOn returns why d has no class ("weekend", a holiday's or public
// holiday's name), or "" on a school day. Days outside the year are closed.
func (y *Year) closedOn(d Date) string {
	if d.Before(y.rentree) || !d.Before(y.end) {
		return "hors année scolaire"
	}
	if d.IsWeekend() {
		return "week-end"
	}
	if n, ok := y.publicOn[d]; ok {
		return n
	}
	for _, h := range y.holidays {
		if h.Contains(d) {
			return h.Description
		}
	}
	return ""
}

// Name returns the school year name ("2025-2026").
func (y *Year) Name() string { return y.name }

// Zone returns the holiday zone ("C").
func (y *Year) Zone() string { return y.zone }

// Rentree returns the day the school year starts (end of the previous
// summer holidays).
func (y *Year) Rentree() Date { return y.rentree }

// LastDay returns the last class day of the school year.
func (y *Year) LastDay() Date { return y.periods[len(y.periods)-1].Last }

// SummerStart returns the first day of the summer holidays closing the year.
func (y *Year) SummerStart() Date { return y.end }

// Holidays returns the year's holidays, summer included, sorted by date.
func (y *Year) Holidays() []Holiday { return append([]Holiday(nil), y.holidays...) }

// Periods returns the periods P1…Pn in order.
func (y *Year) Periods() []Period { return append([]Period(nil), y.periods...) }

// Weeks returns the school weeks in order; Weeks()[i].Index == i.
func (y *Year) Weeks() []Week { return append([]Week(nil), y.weeks...) }

// PublicHolidays returns the public holidays from the rentrée to the start
// of the summer holidays, including those falling in school holidays.
func (y *Year) PublicHolidays() []PublicHoliday { return append([]PublicHoliday(nil), y.public...) }

// Period returns the period with that ID ("P3").
func (y *Year) Period(id string) (Period, bool) {
	for _, p := range y.periods {
		if p.ID == id {
			return p, true
		}
	}
	return Period{}, false
}

// PeriodOf returns the period whose first-to-last class days hold d.
func (y *Year) PeriodOf(d Date) (Period, bool) {
	for _, p := range y.periods {
		if !d.Before(p.First) && !d.After(p.Last) {
			return p, true
		}
	}
	return Period{}, false
}

// Week returns school week i. Returns an error wrapping ErrWeekOutOfRange if
// i is not in [0, W).
func (y *Year) Week(i int) (Week, error) {
	if i < 0 || i >= len(y.weeks) {
		return Week{}, fmt.Errorf("week %d of %s (%d weeks): %w", i, y.name, len(y.weeks), ErrWeekOutOfRange)
	}
	return y.weeks[i], nil
}

// WeekOf returns the school week holding d (any day, weekend included, of a
// Monday-to-Sunday week that has class). It reports false in holiday weeks
// and outside the year.
func (y *Year) WeekOf(d Date) (Week, bool) {
	m := d.Monday()
	for _, w := range y.weeks {
		if w.Monday == m {
			return w, true
		}
	}
	return Week{}, false
}

// IsSchoolDay reports whether d has class: a Monday to Friday of the year
// that is neither in a holiday nor a public holiday.
func (y *Year) IsSchoolDay(d Date) bool { return y.closedOn(d) == "" }

// ClosedReason returns, in French, why d has no class ("week-end", "Vacances
// de Noël", "Ascension", "hors année scolaire"), or "" if d is a school day.
func (y *Year) ClosedReason(d Date) string { return y.closedOn(d) }

// LegalStarts returns the school weeks where a loan of loanWeeks school weeks
// may start so that it lies inside one period, in increasing order. It is
// empty when loanWeeks < 1 or no period is long enough.
func (y *Year) LegalStarts(loanWeeks int) []int {
	out := []int{}
	if loanWeeks < 1 {
		return out
	}
	for s := 0; s+loanWeeks-1 < len(y.weeks); s++ {
		if y.weeks[s].Period == y.weeks[s+loanWeeks-1].Period {
			out = append(out, s)
		}
	}
	return out
}

// FirstSchoolDay returns the first school day of school week i: the pickup
// day of a loan starting that week. Returns an error wrapping
// ErrWeekOutOfRange if i is not in [0, W).
func (y *Year) FirstSchoolDay(i int) (Date, error) {
	w, err := y.Week(i)
	return w.First, err
}

// LastSchoolDay returns the last school day of school week i: the return
// day of a loan ending that week. Returns an error wrapping
// ErrWeekOutOfRange if i is not in [0, W).
func (y *Year) LastSchoolDay(i int) (Date, error) {
	w, err := y.Week(i)
	return w.Last, err
}

// LoanDays returns the pickup day (first school day of week start) and the
// return day (last school day of week start+weeks-1) of a loan of weeks
// school weeks; holiday weeks in between do not count. Returns an error
// wrapping ErrWeekOutOfRange if the loan does not fit in the year.
func (y *Year) LoanDays(start, weeks int) (pickup, ret Date, err error) {
	if weeks < 1 || start < 0 || start+weeks > len(y.weeks) {
		return Date{}, Date{}, fmt.Errorf("loan of %d weeks from week %d in %s (%d weeks): %w", weeks, start, y.name, len(y.weeks), ErrWeekOutOfRange)
	}
	return y.weeks[start].First, y.weeks[start+weeks-1].Last, nil
}

// PreviousSchoolDay returns the last school day strictly before d; false if
// there is none in the year.
func (y *Year) PreviousSchoolDay(d Date) (Date, bool) {
	if d.After(y.end) {
		d = y.end
	}
	for d = d.AddDays(-1); !d.Before(y.rentree); d = d.AddDays(-1) {
		if y.IsSchoolDay(d) {
			return d, true
		}
	}
	return Date{}, false
}

// NextSchoolDay returns the first school day strictly after d; false if there
// is none in the year.
func (y *Year) NextSchoolDay(d Date) (Date, bool) {
	if d.Before(y.rentree) {
		d = y.rentree.AddDays(-1)
	}
	for d = d.AddDays(1); d.Before(y.end); d = d.AddDays(1) {
		if y.IsSchoolDay(d) {
			return d, true
		}
	}
	return Date{}, false
}

// ReminderDay returns the day a reminder due on d goes out. Inside a period
// (between its first and last class days) it is the last school day on or
// before d, so a reminder due on a weekend, a public holiday or the Ascension
// bridge goes out the school day before. Outside the periods (holidays,
// summer) nobody is at school, and the reminder goes to the city's staff on
// the last working day on or before d (not a weekend nor a public holiday).
func (y *Year) ReminderDay(d Date) Date {
	if p, ok := y.PeriodOf(d); ok {
		for e := d; !e.Before(p.First); e = e.AddDays(-1) {
			if y.IsSchoolDay(e) {
				return e
			}
		}
	}
	if IsWorkingDay(d) {
		return d
	}
	return PreviousWorkingDay(d)
}

// Overview is a year in one value, for JSON output (the API and
// "classemobile calendar show --json").
type Overview struct {
	SchoolYear     string          `json:"school_year"`
	Zone           string          `json:"zone"`
	Rentree        Date            `json:"rentree"`
	LastDay        Date            `json:"last_day"`
	Periods        []Period        `json:"periods"`
	Weeks          []Week          `json:"weeks"`
	Holidays       []Holiday       `json:"holidays"`
	PublicHolidays []PublicHoliday `json:"public_holidays"`
	LoanWeeks      int             `json:"loan_weeks"`
	LegalStarts    []int           `json:"legal_starts"`
	// LoanPolicies gives, for every loan policy, the legal starts of a
	// loan of LoanWeeks weeks (LegalStarts are those of within_period).
	LoanPolicies []PolicyStarts `json:"loan_policies"`
}

// PolicyStarts are the legal starts of a loan under one policy.
type PolicyStarts struct {
	Policy LoanPolicy  `json:"policy"`
	Label  string      `json:"label"`
	Starts []LoanStart `json:"starts"`
}

// Overview returns the year with the legal start weeks of a loan of
// loanWeeks school weeks.
func (y *Year) Overview(loanWeeks int) Overview {
	return Overview{
		SchoolYear:     y.name,
		Zone:           y.zone,
		Rentree:        y.rentree,
		LastDay:        y.LastDay(),
		Periods:        y.Periods(),
		Weeks:          y.Weeks(),
		Holidays:       y.Holidays(),
		PublicHolidays: y.PublicHolidays(),
		LoanWeeks:      loanWeeks,
		LegalStarts:    y.LegalStarts(loanWeeks),
		LoanPolicies:   y.policyStarts(loanWeeks),
	}
}

func (y *Year) policyStarts(loanWeeks int) []PolicyStarts {
	var out []PolicyStarts
	for _, p := range LoanPolicies() {
		out = append(out, PolicyStarts{Policy: p, Label: p.Label(), Starts: y.LoanStarts(p, loanWeeks)})
	}
	return out
}

// SchoolYearAt returns the school year holding d according to holidays: the
// year whose rentrée is on or before d and the next one's is after. When the
// data does not know the rentrée of d's civil year, the year is taken to
// start on 1 September.
func SchoolYearAt(holidays []Holiday, d Date) string {
	y := d.Year()
	prev := YearName(y - 1) // the summer of year y closes school year y-1/y
	var summer Holiday
	for _, h := range holidays {
		if h.SchoolYear == prev && h.First.After(summer.First) {
			summer = h
		}
	}
	rentree := summer.Resume
	if rentree.IsZero() {
		rentree = NewDate(y, time.September, 1)
	}
	if d.Before(rentree) {
		return prev
	}
	return YearName(y)
}

// CurrentSchoolYear returns the zone C school year holding today
// ("2025-2026" from the 2025 rentrée to the eve of the 2026 one).
func CurrentSchoolYear(today Date) string { return SchoolYearAt(ZoneC(), today) }
