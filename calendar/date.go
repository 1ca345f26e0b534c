package calendar

import (
	"cmp"
	"encoding/json"
	"fmt"
	"time"
)

// Date is a civil date (year, month, day) with no time of day and no time
// zone. The zero Date is "no date" (IsZero reports true). Dates are
// comparable with == and ordered with Before, After and Compare.
//
// Date exists so that a day never travels as a time.Time at local midnight,
// which shifts to the previous day once written in UTC (DESIGN.md §5).
type Date struct {
	year  int
	month time.Month
	day   int
}

// dateLayout is the only textual form of a Date: ISO 8601 "YYYY-MM-DD".
const dateLayout = "2006-01-02"

// NewDate returns the date year-month-day. Out-of-range values are normalised
// the way time.Date does (NewDate(2026, 2, 30) is 2 March 2026).
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the civil date of t in t's own location. Convert t first
// (t.In(loc)) to get the date somewhere else.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d}
}

// ParseDate parses "YYYY-MM-DD". Returns an error wrapping ErrInvalidDate for
// anything else.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
	}
	return DateOf(t), nil
}

// MustParseDate is ParseDate for constants in tests and examples; it panics
// on a malformed string.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Year returns the year of d.
func (d Date) Year() int { return d.year }

// Month returns the month of d.
func (d Date) Month() time.Month { return d.month }

// Day returns the day of the month of d.
func (d Date) Day() int { return d.day }

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Time returns d at midnight UTC. Use it for arithmetic and formatting only;
// convert with In to get a midnight in a real time zone.
func (d Date) Time() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, loc)
}

// String returns d as "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(dateLayout)
}

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date {
	return NewDate(d.year, d.month, d.day+n)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// IsWeekend reports whether d is a Saturday or a Sunday.
func (d Date) IsWeekend() bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// Monday returns the Monday of the ISO week (Monday to Sunday) holding d.
func (d Date) Monday() Date {
	off := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDays(-off)
}

// Compare returns -1 if d is before e, +1 if after, 0 if equal.
func (d Date) Compare(e Date) int {
	switch {
	case d.year != e.year:
		return cmp.Compare(d.year, e.year)
	case d.month != e.month:
		return cmp.Compare(d.month, e.month)
	default:
		return cmp.Compare(d.day, e.day)
	}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// DaysSince returns the number of days from e to d (negative if d is before e).
func (d Date) DaysSince(e Date) int {
	return int(d.Time().Sub(e.Time()).Hours() / 24)
}

// MarshalText encodes d as "YYYY-MM-DD" ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes "YYYY-MM-DD"; "" gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON encodes d as the JSON string "YYYY-MM-DD", or null for the
// zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON decodes a JSON string "YYYY-MM-DD" or null (the zero Date).
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalidDate, b)
	}
	return d.UnmarshalText([]byte(s))
}
