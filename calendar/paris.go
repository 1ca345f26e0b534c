package calendar

import "time"

// The school calendar and the feeds live in Europe/Paris. The package is pure
// and must work on a machine without a time zone database, so it applies the
// European Union summer-time rule itself (since 1996: from the last Sunday of
// March 01:00 UTC to the last Sunday of October 01:00 UTC, UTC+2; otherwise
// UTC+1). The VTIMEZONE written in feeds states the same rule, so a feed is
// consistent with the conversions made here.

// lastSunday returns the last Sunday of month m of year y.
func lastSunday(y int, m time.Month) Date {
	last := NewDate(y, m+1, 0)
	return last.AddDays(-int(last.Weekday()))
}

// parisOffset returns the UTC offset of Europe/Paris at instant t.
func parisOffset(t time.Time) time.Duration {
	u := t.UTC()
	y := u.Year()
	start := lastSunday(y, time.March).Time().Add(time.Hour)
	end := lastSunday(y, time.October).Time().Add(time.Hour)
	if !u.Before(start) && u.Before(end) {
		return 2 * time.Hour
	}
	return time.Hour
}

// parisWallClock returns t as Paris wall-clock time, expressed in a time.Time
// whose location is UTC (only its fields are meaningful).
func parisWallClock(t time.Time) time.Time {
	return t.UTC().Add(parisOffset(t))
}

// ParisDate returns the civil date in Europe/Paris at instant t. The official
// calendar dataset writes Paris midnights in UTC ("2025-10-17T22:00:00+00:00"
// is 18 October 2025 in Paris); ParisDate turns them back into dates.
func ParisDate(t time.Time) Date {
	return DateOf(parisWallClock(t))
}
