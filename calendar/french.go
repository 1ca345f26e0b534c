package calendar

import "fmt"

// The French names of weekdays (Sunday first, like time.Weekday) and of
// months (January first): the only copy in the project.
var (
	frenchWeekdays      = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	frenchShortWeekdays = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frenchMonths        = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// FrenchStyle says how French writes a date.
type FrenchStyle int

// The French date styles.
const (
	// FrenchLong: "mardi 1er septembre 2026", what people read in
	// messages, pages and feeds.
	FrenchLong FrenchStyle = iota
	// FrenchDay: "1er septembre 2026", without the weekday.
	FrenchDay
	// FrenchPlain: "mardi 1 septembre 2026", the first of the month
	// written as a number (the command line's style).
	FrenchPlain
	// FrenchNumeric: "mar. 01/09/2026", for tables.
	FrenchNumeric
)

// French writes the date in French in the given style; the zero Date is
// the empty string.
func (d Date) French(style FrenchStyle) string {
	if d.IsZero() {
		return ""
	}
	day := fmt.Sprint(d.Day())
	if d.Day() == 1 && style != FrenchPlain {
		day = "1er"
	}
	switch style {
	case FrenchDay:
		return fmt.Sprintf("%s %s %d", day, frenchMonths[d.Month()-1], d.Year())
	case FrenchNumeric:
		return fmt.Sprintf("%s %02d/%02d/%04d", frenchShortWeekdays[d.Weekday()], d.Day(), d.Month(), d.Year())
	}
	return fmt.Sprintf("%s %s %s %d", frenchWeekdays[d.Weekday()], day, frenchMonths[d.Month()-1], d.Year())
}
