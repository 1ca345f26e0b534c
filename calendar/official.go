package calendar

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rickar/cal/v2/fr"
)

// DefaultLocation is the académie whose rows ParseOfficial keeps when given
// no location: Créteil, zone C (Épinay-sur-Seine).
const DefaultLocation = "Créteil"

// officialColumns are the columns ParseOfficial needs, in any order.
var officialColumns = []string{"description", "population", "start_date", "end_date", "location", "zones", "annee_scolaire"}

// ParseOfficial reads an export of the official dataset "Le calendrier
// scolaire" (fr-en-calendrier-scolaire, data.education.gouv.fr):
// ;-separated, with the columns
// description;population;start_date;end_date;location;zones;annee_scolaire
// (in any order, extra columns ignored). It keeps the rows of one académie
// (location; "" means DefaultLocation) and normalises them the way the
// embedded file is:
//
//   - start_date and end_date are Paris midnights written in UTC
//     ("2025-10-17T22:00:00+00:00" is 18 October): they are read as Paris
//     dates;
//   - rows whose population is not pupils ("-" or "Élèves") are ignored,
//     such as the teachers' ("Enseignants") summer holidays;
//   - First is the first day without class for a primary pupil without
//     Saturday class: the start date if it falls on a weekend, the next day if
//     it is a weekday (the dataset then gives the last day of class, e.g. a
//     summer starting on a Tuesday evening);
//   - the Ascension bridge comes in three encodings: a row starting on the
//     Wednesday (end of classes), a row starting on the Thursday, or a
//     one-day row for the Friday alone. All give First = the Thursday of
//     Ascension, Resume = the day classes resume (the Monday after a
//     one-day row). A long row mentioning Ascension (the bridge folded into
//     a holiday) is read as an ordinary holiday;
//   - Resume is end_date, the day classes resume; a one-day "Début des
//     Vacances d'Été" row (the summer start alone) gives the summer
//     holidays with no Resume;
//   - the same holiday repeated identically is kept once.
//
// The result is sorted by first day. Returns an error wrapping ErrMalformed,
// naming the line, for a bad header, a row with too few fields, or a kept
// row with a bad date or school year, an end before its start, or two
// different rows for the same holiday.
func ParseOfficial(r io.Reader, location string) ([]Holiday, error) {
	if location == "" {
		location = DefaultLocation
	}
	location = strings.TrimSpace(location)
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true

	col := map[string]int{}
	type seenRow struct {
		h    Holiday
		line int
	}
	seen := map[[2]string]seenRow{}
	var out []Holiday
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		line, _ := cr.FieldPos(0)
		if len(col) == 0 {
			for i, name := range rec {
				name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
				col[name] = i
			}
			for _, c := range officialColumns {
				if _, ok := col[c]; !ok {
					return nil, fmt.Errorf("%w: line %d: no column %q in the header (want %s)", ErrMalformed, line, c, strings.Join(officialColumns, ";"))
				}
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		for _, c := range officialColumns {
			if col[c] >= len(rec) {
				return nil, fmt.Errorf("%w: line %d: %d fields, no %s", ErrMalformed, line, len(rec), c)
			}
		}
		if !strings.EqualFold(field("location"), location) || !isPupils(field("population")) {
			continue
		}
		h, err := officialHoliday(field("description"), field("start_date"), field("end_date"), field("zones"), field("annee_scolaire"))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrMalformed, line, err)
		}
		key := [2]string{h.SchoolYear, h.Description}
		if prev, ok := seen[key]; ok {
			if prev.h != h {
				return nil, fmt.Errorf("%w: line %d: %s %s (%s to %s) contradicts line %d (%s to %s)", ErrMalformed, line, h.SchoolYear, h.Description, h.First, h.Resume, prev.line, prev.h.First, prev.h.Resume)
			}
			continue
		}
		seen[key] = seenRow{h, line}
		out = append(out, h)
	}
	if len(col) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrMalformed)
	}
	sortHolidays(out)
	return out, nil
}

// isPupils reports whether a population applies to primary pupils.
func isPupils(pop string) bool {
	switch strings.ToLower(pop) {
	case "", "-", "élèves", "eleves":
		return true
	}
	return false
}

// officialHoliday normalises one kept row of the official dataset.
func officialHoliday(desc, start, end, zones, year string) (Holiday, error) {
	if _, _, err := parseYearName(year); err != nil {
		return Holiday{}, err
	}
	desc = strings.ReplaceAll(desc, "’", "'")
	if desc == "" {
		return Holiday{}, errors.New("empty description")
	}
	startOnly := false
	if rest, ok := strings.CutPrefix(desc, "Début des "); ok && rest != "" {
		// "Début des Vacances d'Été": only the start is published.
		desc, startOnly = strings.ToUpper(rest[:1])+rest[1:], true
	}
	s, err := officialDate(start)
	if err != nil {
		return Holiday{}, fmt.Errorf("start_date: %v", err)
	}
	e, err := officialDate(end)
	if err != nil {
		return Holiday{}, fmt.Errorf("end_date: %v", err)
	}
	if e.Before(s) {
		return Holiday{}, fmt.Errorf("end_date %s before start_date %s", e, s)
	}
	h := Holiday{SchoolYear: year, Description: desc, Zone: strings.TrimSpace(strings.TrimPrefix(zones, "Zone "))}
	oneDay := e == s

	if strings.Contains(strings.ToLower(desc), "ascension") && e.DaysSince(s) <= 6 {
		asc, _ := fr.Ascension.Calc(s.Year())
		thu := DateOf(asc)
		if d := s.DaysSince(thu); d < -1 || d > 1 {
			return Holiday{}, fmt.Errorf("%s starts %s, not around Ascension (%s)", desc, s, thu)
		}
		h.First = thu
		h.Resume = e
		if oneDay || !e.After(thu) {
			h.Resume = nextWeekday(e)
		}
		return h, nil
	}

	h.First = s
	if !s.IsWeekend() {
		// A weekday start is the last day of class ("fin des cours" in the
		// evening).
		h.First = s.AddDays(1)
	}
	switch {
	case startOnly:
		// Resume not published yet.
	case oneDay:
		h.Resume = nextWeekday(e)
	default:
		h.Resume = e
	}
	if !h.Resume.IsZero() && !h.First.Before(h.Resume) {
		return Holiday{}, fmt.Errorf("%s: no day off between %s and %s", desc, h.First, h.Resume)
	}
	return h, nil
}

// nextWeekday returns the first Monday to Friday after d.
func nextWeekday(d Date) Date {
	for d = d.AddDays(1); d.IsWeekend(); d = d.AddDays(1) {
	}
	return d
}

// officialDate reads a dataset timestamp as a Paris date. The dataset writes
// Paris midnights in UTC ("2025-10-17T22:00:00+00:00"); a plain
// "YYYY-MM-DD" is taken as is.
func officialDate(s string) (Date, error) {
	if len(s) == len(dateLayout) {
		return ParseDate(s)
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return ParisDate(t), nil
		}
	}
	return Date{}, fmt.Errorf("%w: %q", ErrInvalidDate, s)
}
