// Package calendar is the school calendar of classemobile and its iCal
// writer. It is pure: no I/O beyond the readers and writers it is handed, no
// clock (today is always an argument), no logging.
//
// # School calendar
//
// Holidays come from the official French dataset "Le calendrier scolaire"
// (fr-en-calendrier-scolaire). The zone C (académie de Créteil) holidays are
// embedded (ZoneC); ParseOfficial reads a newer official export, and
// ParseHolidays the normalised CSV the package embeds. A Holiday runs from its
// first day without class (First) to the day classes resume (Resume,
// exclusive).
//
// NewYear derives a school year from the holidays:
//
//   - it starts on the rentrée (the day the previous summer holidays end) and
//     ends on the last class day before the summer holidays;
//   - periods P1…Pn are the stretches between holidays that close at least
//     one whole Monday-to-Friday week (the Ascension bridge closes only
//     Thursday and Friday, so it does not split a period);
//   - a school day is a Monday to Friday inside a period that is neither in a
//     holiday nor a French public holiday (github.com/rickar/cal/v2/fr). The
//     package does not model Wednesdays or Saturdays off: the official dataset
//     does not say which schools have class on Wednesday, so Monday to Friday
//     all count;
//   - a school week is a Monday-to-Sunday week with at least one school day,
//     numbered from 0 across the year; a week partly closed (public holiday,
//     bridge, rentrée on a Tuesday) still counts.
//
// A loan of L school weeks lies inside one period: LegalStarts lists the
// school weeks where it may start. LoanDays gives its pickup day (first school
// day of the first week) and return day (last school day of the last week).
// ReminderDay moves a reminder off weekends, public holidays and days without
// class.
//
// # iCal feeds
//
// WriteICS renders a Feed (a calendar name and Events) as an RFC 5545
// iCalendar stream with github.com/emersion/go-ical, and fixes what that
// library leaves out: line folding at 75 octets on UTF-8 boundaries, the
// Europe/Paris VTIMEZONE, feeds without events, REFRESH-INTERVAL's value type,
// carriage returns in text. The output depends only on its input, so an
// unchanged feed renders to identical bytes. ParseICS reads a stream back
// (for tests and tools) without ever panicking.
package calendar

import "errors"

var (
	// ErrInvalidDate is returned when a string is not a "YYYY-MM-DD" date.
	ErrInvalidDate = errors.New("calendar: invalid date")

	// ErrInvalidYear is returned when a school year name is not of the form
	// "2025-2026" (two consecutive years).
	ErrInvalidYear = errors.New("calendar: invalid school year")

	// ErrUnknownYear is returned by NewYear when the holidays given do not
	// cover the school year asked for (its own holidays, or the end of the
	// previous summer that fixes its rentrée, are missing).
	ErrUnknownYear = errors.New("calendar: unknown school year")

	// ErrInvalidHolidays is returned by NewYear when the holidays of a year
	// contradict each other (overlap, end before start, missing end).
	ErrInvalidHolidays = errors.New("calendar: inconsistent holidays")

	// ErrMalformed is returned by ParseHolidays and ParseOfficial for a file
	// that cannot be read; the error names the line.
	ErrMalformed = errors.New("calendar: malformed calendar file")

	// ErrWeekOutOfRange is returned when a school week index is outside the
	// school year.
	ErrWeekOutOfRange = errors.New("calendar: school week out of range")

	// ErrInvalidFeed is returned by WriteICS when a feed or one of its events
	// cannot be rendered (missing UID or stamp, no dates, end before start…).
	ErrInvalidFeed = errors.New("calendar: invalid feed")

	// ErrInvalidICS is returned by ParseICS for input that is not a readable
	// iCalendar stream.
	ErrInvalidICS = errors.New("calendar: invalid iCalendar data")
)
