package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// sqlDate stores a calendar.Date as an SQL DATE: written as 'YYYY-MM-DD'
// (never as a midnight timestamp, which bun would shift to UTC), read back
// from the text SQLite keeps or the time.Time PostgreSQL drivers return. The
// zero Date is NULL.
type sqlDate struct{ calendar.Date }

// Value implements driver.Valuer.
func (d sqlDate) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan implements sql.Scanner.
func (d *sqlDate) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		d.Date = calendar.Date{}
		return nil
	case time.Time:
		// Drivers return DATE values at midnight UTC (or with the zone
		// they were written in): the wall-clock date is the value.
		d.Date = calendar.DateOf(v)
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("scan date: unsupported type %T", src)
	}
}

func (d *sqlDate) scanText(s string) error {
	if len(s) > 10 {
		s = s[:10] // "2025-09-01T00:00:00Z" or "2025-09-01 00:00:00"
	}
	v, err := calendar.ParseDate(s)
	if err != nil {
		return fmt.Errorf("scan date: %w", err)
	}
	d.Date = v
	return nil
}

type calendarHolidayRow struct {
	bun.BaseModel `bun:"table:calendar_holidays"`

	ID          int64     `bun:"id,pk,autoincrement"`
	SchoolYear  string    `bun:"school_year,notnull"`
	Description string    `bun:"description,notnull"`
	Zone        string    `bun:"zone,notnull"`
	FirstDay    sqlDate   `bun:"first_day,notnull"`
	ResumeDay   sqlDate   `bun:"resume_day,nullzero"`
	Source      string    `bun:"source,notnull"`
	ImportedAt  time.Time `bun:"imported_at,notnull"`
}

func (r calendarHolidayRow) holiday() calendar.Holiday {
	return calendar.Holiday{SchoolYear: r.SchoolYear, Description: r.Description, Zone: r.Zone,
		First: r.FirstDay.Date, Resume: r.ResumeDay.Date}
}

// ImportedYear summarises the imported holidays of one school year.
type ImportedYear struct {
	SchoolYear string    `json:"school_year"`
	Zone       string    `json:"zone"`
	Holidays   int       `json:"holidays"`
	Source     string    `json:"source"`
	ImportedAt time.Time `json:"imported_at"`
}

// ReplaceCalendarHolidays stores hs as the holidays of the school years they
// cover, in one transaction: every previously imported holiday of those years
// is deleted first, so a re-import of a corrected file leaves no stale row.
// Years absent from hs are untouched. source names the file for the record.
// It returns the school years replaced, sorted. Returns ErrConflict if hs
// holds the same holiday (school year, description, zone) twice.
func (db *DB) ReplaceCalendarHolidays(ctx context.Context, actor Actor, source string, hs []calendar.Holiday) (_ []string, err error) {
	years := calendar.SchoolYears(hs)
	defer wrapf(&err, "ReplaceCalendarHolidays(%s)", strings.Join(years, ","))
	if len(hs) == 0 {
		return nil, nil
	}
	now := db.Now()
	rows := make([]calendarHolidayRow, len(hs))
	for i, h := range hs {
		if h.First.IsZero() {
			return nil, fmt.Errorf("%s %s: no first day", h.SchoolYear, h.Description)
		}
		rows[i] = calendarHolidayRow{SchoolYear: h.SchoolYear, Description: h.Description, Zone: h.Zone,
			FirstDay: sqlDate{h.First}, ResumeDay: sqlDate{h.Resume}, Source: source, ImportedAt: now}
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var before []calendarHolidayRow
		if err := tx.NewSelect().Model(&before).Where("school_year IN (?)", bun.List(years)).
			OrderExpr("first_day, school_year, description, zone").Scan(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*calendarHolidayRow)(nil)).
			Where("school_year IN (?)", bun.List(years)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "calendar.import", "calendar", strings.Join(years, ","),
			holidaysOf(before), map[string]any{"source": source, "holidays": hs})
	})
	if err != nil {
		return nil, err
	}
	return years, nil
}

func holidaysOf(rows []calendarHolidayRow) []calendar.Holiday {
	if len(rows) == 0 {
		return nil
	}
	out := make([]calendar.Holiday, len(rows))
	for i, r := range rows {
		out[i] = r.holiday()
	}
	return out
}

// CalendarHolidays returns the imported holidays of the given school years
// (all imported holidays when none is given), sorted by first day. It is
// empty, not an error, when nothing was imported for them.
func (db *DB) CalendarHolidays(ctx context.Context, years ...string) (_ []calendar.Holiday, err error) {
	defer wrapf(&err, "CalendarHolidays(%s)", strings.Join(years, ","))
	var rows []calendarHolidayRow
	q := db.bun.NewSelect().Model(&rows).OrderExpr("first_day, school_year, description, zone")
	if len(years) > 0 {
		q = q.Where("school_year IN (?)", bun.List(years))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return holidaysOf(rows), nil
}

// ImportedYears lists the school years with imported holidays, sorted.
func (db *DB) ImportedYears(ctx context.Context) (_ []ImportedYear, err error) {
	defer wrapf(&err, "ImportedYears")
	var rows []calendarHolidayRow
	if err := db.bun.NewSelect().Model(&rows).OrderExpr("school_year, first_day").Scan(ctx); err != nil {
		return nil, err
	}
	var out []ImportedYear
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].SchoolYear != r.SchoolYear {
			out = append(out, ImportedYear{SchoolYear: r.SchoolYear, Zone: r.Zone, Source: r.Source, ImportedAt: r.ImportedAt.UTC()})
		}
		last := &out[len(out)-1]
		last.Holidays++
		if r.ImportedAt.After(last.ImportedAt) {
			last.ImportedAt, last.Source = r.ImportedAt.UTC(), r.Source
		}
	}
	return out, nil
}

// CalendarYear returns the calendar of a school year ("2025-2026"). For each
// school year it needs (the year itself and the previous one, whose summer
// holidays fix the rentrée) it uses the imported holidays when there are
// any, else the zone C holidays embedded in the binary. Returns an error
// wrapping calendar.ErrUnknownYear when neither covers the year, and
// calendar.ErrInvalidYear for a malformed name.
func (db *DB) CalendarYear(ctx context.Context, year string) (_ *calendar.Year, err error) {
	defer wrapf(&err, "CalendarYear(%s)", year)
	return calendarYearTx(ctx, db.bun, year)
}

// calendarYearTx is CalendarYear read through idb, so it can run inside a
// transaction without taking a second connection from the pool. For the
// year and the year before it (whose summer fixes the rentrée), imported
// holidays win over the embedded ones, year by year.
func calendarYearTx(ctx context.Context, idb bun.IDB, year string) (*calendar.Year, error) {
	start, err := strconv.Atoi(strings.SplitN(year, "-", 2)[0])
	if err != nil {
		return calendar.NewYear(year, nil)
	}
	years := []string{calendar.YearName(start - 1), year}
	var rows []calendarHolidayRow
	if err := idb.NewSelect().Model(&rows).Where("school_year IN (?)", bun.List(years)).
		OrderExpr("first_day, school_year, description, zone").Scan(ctx); err != nil {
		return nil, err
	}
	imported := holidaysOf(rows)
	embedded := calendar.ZoneC()
	var hs []calendar.Holiday
	for _, y := range years {
		source := embedded
		for _, h := range imported {
			if h.SchoolYear == y {
				source = imported
				break
			}
		}
		for _, h := range source {
			if h.SchoolYear == y {
				hs = append(hs, h)
			}
		}
	}
	return calendar.NewYear(year, hs)
}
