package calendar

import (
	"sort"

	"github.com/rickar/cal/v2/fr"
)

// PublicHoliday is a French public holiday (jour férié).
type PublicHoliday struct {
	Date Date   `json:"date"`
	Name string `json:"name"` // French, e.g. "Lundi de Pâques"
}

// publicHolidaysOf returns the French public holidays of a civil year,
// sorted by date.
func publicHolidaysOf(year int) []PublicHoliday {
	out := make([]PublicHoliday, 0, len(fr.Holidays))
	for _, h := range fr.Holidays {
		actual, _ := h.Calc(year) // France does not move holidays off weekends
		if actual.IsZero() {
			continue
		}
		out = append(out, PublicHoliday{Date: DateOf(actual), Name: h.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// PublicHolidays returns the French public holidays in [from, to), sorted by
// date.
func PublicHolidays(from, to Date) []PublicHoliday {
	var out []PublicHoliday
	for y := from.Year(); y <= to.Year(); y++ {
		for _, h := range publicHolidaysOf(y) {
			if !h.Date.Before(from) && h.Date.Before(to) {
				out = append(out, h)
			}
		}
	}
	return out
}

// PublicHolidayOn returns the public holiday falling on d, if any.
func PublicHolidayOn(d Date) (PublicHoliday, bool) {
	for _, h := range publicHolidaysOf(d.Year()) {
		if h.Date == d {
			return h, true
		}
	}
	return PublicHoliday{}, false
}

// IsWorkingDay reports whether d is a Monday to Friday that is not a public
// holiday. School holidays are working days (the city's staff works then).
func IsWorkingDay(d Date) bool {
	if d.IsWeekend() {
		return false
	}
	_, ok := PublicHolidayOn(d)
	return !ok
}

// PreviousWorkingDay returns the last working day strictly before d.
func PreviousWorkingDay(d Date) Date {
	for d = d.AddDays(-1); !IsWorkingDay(d); d = d.AddDays(-1) {
	}
	return d
}
