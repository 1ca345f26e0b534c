package planning

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// longDate writes "mardi 3 mars 2026" (calendar's French long style).
func longDate(d calendar.Date) string { return d.French(calendar.FrenchLong) }

// weekLabel is a column's short label, the Monday as "02/11": numbers
// only, to fit a column of the printed grid.
func weekLabel(d calendar.Date) string { return fmt.Sprintf("%02d/%02d", d.Day(), int(d.Month())) }

// NumericDate renders a date as French spreadsheets read it: "03/03/2026".
func NumericDate(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day(), int(d.Month()), d.Year())
}

// DateRange renders "du lundi 2 novembre au vendredi 11 décembre 2026",
// with the year once when both days share it.
func DateRange(from, to calendar.Date) string {
	if from == to {
		return "le " + longDate(from)
	}
	first := longDate(from)
	if from.Year() == to.Year() {
		first = strings.TrimSuffix(first, " "+strconv.Itoa(from.Year()))
	}
	return "du " + first + " au " + longDate(to)
}

// plural returns "1 semaine", "2 semaines" (French: 0 is singular).
func plural(n int, one, many string) string {
	if n > -2 && n < 2 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
