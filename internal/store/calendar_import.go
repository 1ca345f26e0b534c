package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/classemobile/classemobile/calendar"
)

// CalendarChangeKind says what an import does to one holiday.
type CalendarChangeKind string

// The kinds of calendar changes.
const (
	CalendarAdded     CalendarChangeKind = "added"
	CalendarChanged   CalendarChangeKind = "changed"
	CalendarRemoved   CalendarChangeKind = "removed"
	CalendarUnchanged CalendarChangeKind = "unchanged"
)

// CalendarChange is one holiday of a previewed import: its dates before
// and after, in French (« du samedi 17 octobre 2026 à la reprise du lundi
// 2 novembre 2026 »).
type CalendarChange struct {
	SchoolYear  string
	Description string
	Kind        CalendarChangeKind
	Before      string
	After       string
}

// CalendarImportPreview is what an import of holidays would change, year
// by year, against the current data (imported, else embedded).
type CalendarImportPreview struct {
	Years   []string
	Changes []CalendarChange
	// Shrinking lists the years for which the file has fewer holidays
	// than now, in French: a partial export, refused.
	Shrinking []string
}

// OK reports whether the import may be applied.
func (p CalendarImportPreview) OK() bool { return len(p.Shrinking) == 0 }

func holidayDates(h calendar.Holiday) string {
	if h.Resume.IsZero() {
		return "à partir du " + h.First.French(calendar.FrenchLong)
	}
	return "du " + h.First.French(calendar.FrenchLong) + " à la reprise du " + h.Resume.French(calendar.FrenchLong)
}

// PreviewCalendarImport compares the holidays hs (read from the official
// file) with the current holidays of the years they cover. Nothing is
// stored.
func (db *DB) PreviewCalendarImport(ctx context.Context, hs []calendar.Holiday) (_ CalendarImportPreview, err error) {
	defer wrapf(&err, "PreviewCalendarImport")
	p := CalendarImportPreview{Years: calendar.SchoolYears(hs)}
	embedded := map[string][]calendar.Holiday{}
	for _, h := range calendar.ZoneC() {
		embedded[h.SchoolYear] = append(embedded[h.SchoolYear], h)
	}
	for _, year := range p.Years {
		current, err := db.CalendarHolidays(ctx, year)
		if err != nil {
			return CalendarImportPreview{}, err
		}
		if len(current) == 0 {
			current = embedded[year]
		}
		var next []calendar.Holiday
		for _, h := range hs {
			if h.SchoolYear == year {
				next = append(next, h)
			}
		}
		if len(next) < len(current) {
			p.Shrinking = append(p.Shrinking, fmt.Sprintf("%s : %d période(s) de vacances dans le fichier, %d actuellement", year, len(next), len(current)))
		}
		before := map[string]calendar.Holiday{}
		for _, h := range current {
			before[strings.ToLower(h.Description)] = h
		}
		for _, h := range next {
			key := strings.ToLower(h.Description)
			c := CalendarChange{SchoolYear: year, Description: h.Description, After: holidayDates(h), Kind: CalendarAdded}
			if old, ok := before[key]; ok {
				c.Before, c.Kind = holidayDates(old), CalendarChanged
				if old.First == h.First && old.Resume == h.Resume {
					c.Kind = CalendarUnchanged
				}
				delete(before, key)
			}
			p.Changes = append(p.Changes, c)
		}
		for _, h := range current {
			if _, ok := before[strings.ToLower(h.Description)]; ok {
				p.Changes = append(p.Changes, CalendarChange{SchoolYear: year, Description: h.Description, Kind: CalendarRemoved, Before: holidayDates(h)})
			}
		}
	}
	return p, nil
}

// ApplyCalendarImport stores the holidays hs (ReplaceCalendarHolidays)
// unless the import would leave a year with fewer holidays than now: a
// partial export is refused with a *RuleError calendar_shrinks naming the
// years. It returns the years replaced.
func (db *DB) ApplyCalendarImport(ctx context.Context, actor Actor, source string, hs []calendar.Holiday) (_ []string, err error) {
	defer wrapf(&err, "ApplyCalendarImport")
	if len(hs) == 0 {
		return nil, Invalid("fichier", "validation_failed", "aucune période de vacances dans le fichier")
	}
	p, err := db.PreviewCalendarImport(ctx, hs)
	if err != nil {
		return nil, err
	}
	if !p.OK() {
		return nil, &RuleError{Kind: RuleConflict, Code: "calendar_shrinks",
			Message: "Fichier incomplet, rien n'a été importé : " + strings.Join(p.Shrinking, " ; ")}
	}
	return db.ReplaceCalendarHolidays(ctx, actor, source, hs)
}
