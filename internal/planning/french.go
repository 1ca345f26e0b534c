package planning

import (
	"fmt"

	"github.com/classemobile/classemobile/calendar"
)

var (
	weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	months   = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
	shortMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
		"sept.", "oct.", "nov.", "déc."}
)

// dayOfMonth writes 1 as "1er", the French way.
func dayOfMonth(d calendar.Date) string {
	if d.Day() == 1 {
		return "1er"
	}
	return fmt.Sprint(d.Day())
}

// LongDate renders a date the French way: "mardi 3 mars 2026".
func LongDate(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s %s %s %d", weekdays[d.Weekday()], dayOfMonth(d), months[d.Month()-1], d.Year())
}

// ShortDate renders a date in a few characters: "3 mars", "12 nov.".
func ShortDate(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return dayOfMonth(d) + " " + shortMonths[d.Month()-1]
}

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
		return "le " + LongDate(from)
	}
	first := LongDate(from)
	if from.Year() == to.Year() {
		first = fmt.Sprintf("%s %s %s", weekdays[from.Weekday()], dayOfMonth(from), months[from.Month()-1])
	}
	return "du " + first + " au " + LongDate(to)
}

// plural returns "1 semaine", "2 semaines" (French: 0 is singular).
func plural(n int, one, many string) string {
	if n > -2 && n < 2 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
