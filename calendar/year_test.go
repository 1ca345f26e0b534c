package calendar_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

func mustYear(t testing.TB, name string) *calendar.Year {
	t.Helper()
	y, err := calendar.NewYear(name, calendar.ZoneC())
	require.NoError(t, err, "NewYear(%s)", name)
	return y
}

type wantPeriod struct {
	first, last string
	weeks       int
}

// TestYearPeriods checks every school year of the embedded data against the
// official dates (first and last class days of each period) and the number
// of Monday-to-Friday school weeks per period.
func TestYearPeriods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		giveYear    string
		wantPeriods []wantPeriod
	}{
		{name: "2018-2019", giveYear: "2018-2019", wantPeriods: []wantPeriod{
			{"2018-09-03", "2018-10-19", 7}, {"2018-11-05", "2018-12-21", 7}, {"2019-01-07", "2019-02-22", 7},
			{"2019-03-11", "2019-04-19", 6}, {"2019-05-06", "2019-07-05", 9}}},
		{name: "2019-2020", giveYear: "2019-2020", wantPeriods: []wantPeriod{
			{"2019-09-02", "2019-10-18", 7}, {"2019-11-04", "2019-12-20", 7}, {"2020-01-06", "2020-02-07", 5},
			{"2020-02-24", "2020-04-03", 6}, {"2020-04-20", "2020-07-03", 11}}},
		{name: "2020-2021 rentrée on a Tuesday, summer on a Wednesday", giveYear: "2020-2021", wantPeriods: []wantPeriod{
			{"2020-09-01", "2020-10-16", 7}, {"2020-11-02", "2020-12-18", 7}, {"2021-01-04", "2021-02-12", 6},
			{"2021-03-01", "2021-04-09", 6}, {"2021-04-26", "2021-07-06", 11}}},
		{name: "2021-2022 rentrée on a Thursday", giveYear: "2021-2022", wantPeriods: []wantPeriod{
			{"2021-09-02", "2021-10-22", 8}, {"2021-11-08", "2021-12-17", 6}, {"2022-01-03", "2022-02-18", 7},
			{"2022-03-07", "2022-04-22", 7}, {"2022-05-09", "2022-07-07", 9}}},
		{name: "2022-2023 resuming on Tuesdays", giveYear: "2022-2023", wantPeriods: []wantPeriod{
			{"2022-09-01", "2022-10-21", 8}, {"2022-11-07", "2022-12-16", 6}, {"2023-01-03", "2023-02-17", 7},
			{"2023-03-06", "2023-04-21", 7}, {"2023-05-09", "2023-07-07", 9}}},
		{name: "2023-2024", giveYear: "2023-2024", wantPeriods: []wantPeriod{
			{"2023-09-04", "2023-10-20", 7}, {"2023-11-06", "2023-12-22", 7}, {"2024-01-08", "2024-02-09", 5},
			{"2024-02-26", "2024-04-05", 6}, {"2024-04-22", "2024-07-05", 11}}},
		{name: "2024-2025", giveYear: "2024-2025", wantPeriods: []wantPeriod{
			{"2024-09-02", "2024-10-18", 7}, {"2024-11-04", "2024-12-20", 7}, {"2025-01-06", "2025-02-14", 6},
			{"2025-03-03", "2025-04-11", 6}, {"2025-04-28", "2025-07-04", 10}}},
		{name: "2025-2026 (bench calendar)", giveYear: "2025-2026", wantPeriods: []wantPeriod{
			{"2025-09-01", "2025-10-17", 7}, {"2025-11-03", "2025-12-19", 7}, {"2026-01-05", "2026-02-20", 7},
			{"2026-03-09", "2026-04-17", 6}, {"2026-05-04", "2026-07-03", 9}}},
		{name: "2026-2027 with a 5-week third period", giveYear: "2026-2027", wantPeriods: []wantPeriod{
			{"2026-09-01", "2026-10-16", 7}, {"2026-11-02", "2026-12-18", 7}, {"2027-01-04", "2027-02-05", 5},
			{"2027-02-22", "2027-04-02", 6}, {"2027-04-19", "2027-07-02", 11}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			y := mustYear(t, tt.giveYear)
			periods := y.Periods()
			require.Len(t, periods, len(tt.wantPeriods), "periods of %s", tt.giveYear)
			total, next := 0, 0
			for i, p := range periods {
				want := tt.wantPeriods[i]
				assert.Equal(t, fmt.Sprintf("P%d", i+1), p.ID)
				assert.Equal(t, want.first, p.First.String(), "first class day of %s", p.ID)
				assert.Equal(t, want.last, p.Last.String(), "last class day of %s", p.ID)
				assert.Equal(t, want.weeks, p.WeekCount(), "school weeks of %s", p.ID)
				assert.Equal(t, next, p.FirstWeek, "weeks of %s follow the previous period's", p.ID)
				next = p.LastWeek + 1
				total += want.weeks
			}
			assert.Equal(t, periods[0].First, y.Rentree(), "the year starts on the rentrée")
			assert.Equal(t, periods[len(periods)-1].Last, y.LastDay())

			weeks := y.Weeks()
			require.Len(t, weeks, total, "W of %s", tt.giveYear)
			for i, w := range weeks {
				assert.Equal(t, i, w.Index, "index of week %d", i)
				assert.Equal(t, w.Monday, w.Monday.Monday(), "week %d starts on a Monday", i)
				assert.True(t, w.SchoolDays >= 1 && w.SchoolDays <= 5, "school days of week %d", i)
				assert.True(t, y.IsSchoolDay(w.First) && y.IsSchoolDay(w.Last), "week %d bounds are school days", i)
				if i > 0 {
					assert.True(t, weeks[i-1].Monday.Before(w.Monday), "weeks in order at %d", i)
				}
				p, ok := y.Period(w.Period)
				require.True(t, ok, "period of week %d", i)
				assert.True(t, i >= p.FirstWeek && i <= p.LastWeek, "week %d inside %s", i, p.ID)
			}
		})
	}
}

// TestSummerEndIsNextRentree checks the summer holidays closing each year end
// on the next year's rentrée.
func TestSummerEndIsNextRentree(t *testing.T) {
	t.Parallel()
	for start := 2018; start <= 2025; start++ {
		y, next := mustYear(t, calendar.YearName(start)), mustYear(t, calendar.YearName(start+1))
		hs := y.Holidays()
		summer := hs[len(hs)-1]
		assert.Equal(t, "Vacances d'Été", summer.Description, "last holiday of %s", y.Name())
		assert.Equal(t, summer.First, y.SummerStart())
		assert.Equal(t, next.Rentree(), summer.Resume, "end of the %s summer", y.Name())
		assert.True(t, y.LastDay().Before(summer.First) && summer.First.DaysSince(y.LastDay()) <= 3, "last class day of %s just before the summer", y.Name())
	}
}

// TestLegalStarts2025 is the bench contract: W = 36 and the legal start
// weeks of a 6-week loan inside one period.
func TestLegalStarts2025(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2025-2026")
	require.Len(t, y.Weeks(), 36, "W")
	assert.Equal(t, []int{0, 1, 7, 8, 14, 15, 21, 27, 28, 29, 30}, y.LegalStarts(6))

	wantRanges := map[string][2]int{"P1": {0, 6}, "P2": {7, 13}, "P3": {14, 20}, "P4": {21, 26}, "P5": {27, 35}}
	for id, r := range wantRanges {
		p, ok := y.Period(id)
		require.True(t, ok, "period %s", id)
		assert.Equal(t, r, [2]int{p.FirstWeek, p.LastWeek}, "weeks of %s", id)
	}
	// Mondays as in the bench instances: 1 Sep + 7k within each period.
	w := y.Weeks()
	assert.Equal(t, "2025-09-01", w[0].Monday.String())
	assert.Equal(t, "2025-11-03", w[7].Monday.String())
	assert.Equal(t, "2026-01-05", w[14].Monday.String())
	assert.Equal(t, "2026-03-09", w[21].Monday.String())
	assert.Equal(t, "2026-05-04", w[27].Monday.String())
	assert.Equal(t, "2026-06-29", w[35].Monday.String())

	tests := []struct {
		name      string
		giveWeeks int
		want      []int
	}{
		{name: "5 weeks", giveWeeks: 5, want: []int{0, 1, 2, 7, 8, 9, 14, 15, 16, 21, 22, 27, 28, 29, 30, 31}},
		{name: "9 weeks fit only P5", giveWeeks: 9, want: []int{27}},
		{name: "10 weeks fit nowhere", giveWeeks: 10, want: []int{}},
		{name: "zero", giveWeeks: 0, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, y.LegalStarts(tt.giveWeeks))
		})
	}
}

func TestLegalStarts2026ThirdPeriod(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2026-2027")
	p3, ok := y.Period("P3")
	require.True(t, ok)
	for _, s := range y.LegalStarts(6) {
		assert.NotEqual(t, "P3", y.Weeks()[s].Period, "no 6-week loan starts in P3 (week %d)", s)
	}
	assert.Equal(t, 5, p3.WeekCount())
}

func TestYearErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		giveYear string
		giveData []calendar.Holiday
		wantErr  error
	}{
		{name: "unpublished year", giveYear: "2027-2028", giveData: calendar.ZoneC(), wantErr: calendar.ErrUnknownYear},
		{name: "before the data", giveYear: "2017-2018", giveData: calendar.ZoneC(), wantErr: calendar.ErrUnknownYear},
		{name: "no data", giveYear: "2025-2026", wantErr: calendar.ErrUnknownYear},
		{name: "malformed name", giveYear: "2025", giveData: calendar.ZoneC(), wantErr: calendar.ErrInvalidYear},
		{name: "not consecutive", giveYear: "2025-2027", giveData: calendar.ZoneC(), wantErr: calendar.ErrInvalidYear},
		{name: "overlapping holidays", giveYear: "2025-2026", giveData: append(calendar.ZoneC(), calendar.Holiday{
			SchoolYear: "2025-2026", Description: "Vacances en trop", Zone: "C",
			First: calendar.MustParseDate("2025-10-25"), Resume: calendar.MustParseDate("2025-11-10"),
		}), wantErr: calendar.ErrInvalidHolidays},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			y, err := calendar.NewYear(tt.giveYear, tt.giveData)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, y)
			if err != nil {
				assert.Contains(t, err.Error(), tt.giveYear, "the error names the year")
			}
		})
	}
}

func TestIsSchoolDay(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2025-2026")
	tests := []struct {
		name       string
		giveDay    string
		want       bool
		wantReason string
	}{
		{name: "rentrée", giveDay: "2025-09-01", want: true},
		{name: "eve of the rentrée", giveDay: "2025-08-29", wantReason: "hors année scolaire"},
		{name: "Saturday", giveDay: "2025-09-06", wantReason: "week-end"},
		{name: "Wednesday has class", giveDay: "2025-09-03", want: true},
		{name: "Toussaint holidays", giveDay: "2025-10-20", wantReason: "Vacances de la Toussaint"},
		{name: "resume day", giveDay: "2025-11-03", want: true},
		{name: "Armistice", giveDay: "2025-11-11", wantReason: "Armistice de 1918"},
		{name: "Easter Monday", giveDay: "2026-04-06", wantReason: "Lundi de Pâques"},
		{name: "1 May", giveDay: "2026-05-01", wantReason: "Fête du Travail"},
		{name: "day before Ascension", giveDay: "2026-05-13", want: true},
		{name: "Ascension", giveDay: "2026-05-14", wantReason: "Ascension"},
		{name: "Ascension bridge", giveDay: "2026-05-15", wantReason: "Pont de l'Ascension"},
		{name: "Whit Monday", giveDay: "2026-05-25", wantReason: "Lundi de Pentecôte"},
		{name: "last class day", giveDay: "2026-07-03", want: true},
		{name: "summer", giveDay: "2026-07-06", wantReason: "hors année scolaire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := calendar.MustParseDate(tt.giveDay)
			assert.Equal(t, tt.want, y.IsSchoolDay(d))
			assert.Equal(t, tt.wantReason, y.ClosedReason(d))
		})
	}
}

func TestWeekOfAndLoanDays(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2025-2026")

	w, ok := y.WeekOf(calendar.MustParseDate("2026-05-16"))
	require.True(t, ok, "Ascension week has class")
	assert.Equal(t, 28, w.Index)
	assert.Equal(t, "2026-05-11", w.Monday.String())
	assert.Equal(t, "2026-05-13", w.Last.String(), "last class day before the bridge")
	assert.Equal(t, 3, w.SchoolDays)

	w, ok = y.WeekOf(calendar.MustParseDate("2025-11-11"))
	require.True(t, ok)
	assert.Equal(t, 4, w.SchoolDays, "Armistice week")

	_, ok = y.WeekOf(calendar.MustParseDate("2025-10-22"))
	assert.False(t, ok, "holiday week")

	first, err := y.FirstSchoolDay(25)
	require.NoError(t, err)
	assert.Equal(t, "2026-04-07", first.String(), "pickup after Easter Monday")
	last, err := y.LastSchoolDay(28)
	require.NoError(t, err)
	assert.Equal(t, "2026-05-13", last.String(), "return before the Ascension bridge")
	_, err = y.LastSchoolDay(36)
	assert.ErrorIs(t, err, calendar.ErrWeekOutOfRange)

	tests := []struct {
		name       string
		giveStart  int
		giveWeeks  int
		wantPickup string
		wantReturn string
		wantErr    error
	}{
		{name: "first loan", giveStart: 0, giveWeeks: 6, wantPickup: "2025-09-01", wantReturn: "2025-10-10"},
		{name: "P4 loan", giveStart: 21, giveWeeks: 6, wantPickup: "2026-03-09", wantReturn: "2026-04-17"},
		{name: "pickup after Easter Monday", giveStart: 25, giveWeeks: 1, wantPickup: "2026-04-07", wantReturn: "2026-04-10"},
		{name: "extension over the spring holidays", giveStart: 21, giveWeeks: 8, wantPickup: "2026-03-09", wantReturn: "2026-05-13"},
		{name: "beyond the year", giveStart: 30, giveWeeks: 7, wantErr: calendar.ErrWeekOutOfRange},
		{name: "negative", giveStart: -1, giveWeeks: 6, wantErr: calendar.ErrWeekOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pickup, ret, err := y.LoanDays(tt.giveStart, tt.giveWeeks)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantPickup, pickup.String(), "pickup day")
			assert.Equal(t, tt.wantReturn, ret.String(), "return day")
		})
	}
}

func TestReminderDay(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2025-2026")
	tests := []struct {
		name    string
		giveDue string
		want    string
	}{
		{name: "school day", giveDue: "2026-01-05", want: "2026-01-05"},
		{name: "Ascension bridge goes out Wednesday", giveDue: "2026-05-15", want: "2026-05-13"},
		{name: "weekend after the bridge", giveDue: "2026-05-17", want: "2026-05-13"},
		{name: "Armistice", giveDue: "2025-11-11", want: "2025-11-10"},
		{name: "Whit Monday", giveDue: "2026-05-25", want: "2026-05-22"},
		{name: "weekend in a period", giveDue: "2025-09-13", want: "2025-09-12"},
		{name: "weekday in holidays stays", giveDue: "2025-10-22", want: "2025-10-22"},
		{name: "public holiday in holidays", giveDue: "2025-12-25", want: "2025-12-24"},
		{name: "Saturday in holidays", giveDue: "2025-11-01", want: "2025-10-31"},
		{name: "14 July in summer", giveDue: "2026-07-14", want: "2026-07-13"},
		{name: "Monday resume after 1 January weekend", giveDue: "2026-01-04", want: "2026-01-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, y.ReminderDay(calendar.MustParseDate(tt.giveDue)).String())
		})
	}

	prev, ok := y.PreviousSchoolDay(calendar.MustParseDate("2025-11-03"))
	require.True(t, ok)
	assert.Equal(t, "2025-10-17", prev.String(), "school day before the Toussaint resume")
	_, ok = y.PreviousSchoolDay(y.Rentree())
	assert.False(t, ok, "nothing before the rentrée")
	next, ok := y.NextSchoolDay(calendar.MustParseDate("2026-05-13"))
	require.True(t, ok)
	assert.Equal(t, "2026-05-18", next.String(), "school day after the bridge")
	_, ok = y.NextSchoolDay(y.LastDay())
	assert.False(t, ok, "nothing after the last class day")
}

func TestPublicHolidays(t *testing.T) {
	t.Parallel()
	y := mustYear(t, "2025-2026")
	var got []string
	for _, h := range y.PublicHolidays() {
		got = append(got, h.Date.String()+" "+h.Name)
	}
	assert.Equal(t, []string{
		"2025-11-01 Toussaint", "2025-11-11 Armistice de 1918", "2025-12-25 Noël", "2026-01-01 Nouvel an",
		"2026-04-06 Lundi de Pâques", "2026-05-01 Fête du Travail", "2026-05-08 Fête de la Victoire",
		"2026-05-14 Ascension", "2026-05-25 Lundi de Pentecôte",
	}, got)
	assert.True(t, calendar.IsWorkingDay(calendar.MustParseDate("2025-10-22")))
	assert.False(t, calendar.IsWorkingDay(calendar.MustParseDate("2026-07-14")))
	assert.Equal(t, "2026-07-10", calendar.PreviousWorkingDay(calendar.MustParseDate("2026-07-13")).String())
}

func TestCurrentSchoolYear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		giveToday string
		want      string
	}{
		{name: "eve of the 2025 rentrée", giveToday: "2025-08-31", want: "2024-2025"},
		{name: "2025 rentrée", giveToday: "2025-09-01", want: "2025-2026"},
		{name: "winter", giveToday: "2026-02-01", want: "2025-2026"},
		{name: "summer", giveToday: "2026-08-31", want: "2025-2026"},
		{name: "2026 rentrée", giveToday: "2026-09-01", want: "2026-2027"},
		{name: "rentrée on a Thursday", giveToday: "2021-09-01", want: "2020-2021"},
		{name: "Thursday rentrée day", giveToday: "2021-09-02", want: "2021-2022"},
		{name: "beyond the data: 1 September", giveToday: "2027-09-01", want: "2027-2028"},
		{name: "beyond the data: August", giveToday: "2027-08-31", want: "2026-2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, calendar.CurrentSchoolYear(calendar.MustParseDate(tt.giveToday)))
		})
	}
}

func TestZoneC(t *testing.T) {
	t.Parallel()
	hs := calendar.ZoneC()
	assert.Equal(t, []string{"2017-2018", "2018-2019", "2019-2020", "2020-2021", "2021-2022", "2022-2023",
		"2023-2024", "2024-2025", "2025-2026", "2026-2027"}, calendar.SchoolYears(hs))
	for _, h := range hs {
		assert.Equal(t, "C", h.Zone)
	}
	hs[0].Description = "changed"
	assert.NotEqual(t, "changed", calendar.ZoneC()[0].Description, "ZoneC returns a copy")
}
