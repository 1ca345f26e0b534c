package calendar_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
)

func TestDate(t *testing.T) {
	t.Parallel()
	d := calendar.MustParseDate("2025-10-31")
	assert.Equal(t, "2025-10-31", d.String())
	assert.Equal(t, calendar.NewDate(2025, time.November, 3), d.AddDays(3), "AddDays over a month end")
	assert.Equal(t, calendar.NewDate(2026, time.March, 2), calendar.NewDate(2026, time.February, 30), "normalised")
	assert.Equal(t, time.Friday, d.Weekday())
	assert.Equal(t, calendar.MustParseDate("2025-10-27"), d.Monday())
	assert.Equal(t, calendar.MustParseDate("2025-10-27"), calendar.MustParseDate("2025-11-02").Monday(), "Monday of a Sunday")
	assert.Equal(t, 3, d.AddDays(3).DaysSince(d))
	assert.Equal(t, 151, calendar.MustParseDate("2026-03-29").DaysSince(calendar.MustParseDate("2025-10-29")), "across a DST change")
	assert.True(t, d.Before(d.AddDays(1)))
	assert.True(t, d.After(d.AddDays(-1)))
	assert.Equal(t, 0, d.Compare(calendar.NewDate(2025, 10, 31)))
	assert.True(t, calendar.Date{}.IsZero())
	assert.Equal(t, time.Date(2025, 10, 31, 0, 0, 0, 0, time.UTC), d.Time())

	_, err := calendar.ParseDate("31/10/2025")
	assert.ErrorIs(t, err, calendar.ErrInvalidDate)
	_, err = calendar.ParseDate("2025-02-30")
	assert.ErrorIs(t, err, calendar.ErrInvalidDate)
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	type doc struct {
		D calendar.Date         `json:"d"`
		Z calendar.Date         `json:"z"`
		M map[calendar.Date]int `json:"m"`
	}
	in := doc{D: calendar.MustParseDate("2026-05-14"), M: map[calendar.Date]int{calendar.MustParseDate("2026-05-15"): 1}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"d":"2026-05-14","z":null,"m":{"2026-05-15":1}}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	assert.Error(t, json.Unmarshal([]byte(`{"d":"2026-5-14"}`), &out))
	assert.Error(t, json.Unmarshal([]byte(`{"d":20260514}`), &out))
}

func TestParisDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "summer time midnight", give: "2025-10-17T22:00:00+00:00", want: "2025-10-18"},
		{name: "winter time midnight", give: "2025-11-02T23:00:00+00:00", want: "2025-11-03"},
		{name: "just before spring change", give: "2026-03-29T00:59:59Z", want: "2026-03-29"},
		{name: "evening after autumn change", give: "2025-10-26T23:00:00Z", want: "2025-10-27"},
		{name: "evening before autumn change", give: "2025-10-25T22:00:00Z", want: "2025-10-26"},
		{name: "late evening winter", give: "2026-01-31T22:59:00Z", want: "2026-01-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, err := time.Parse(time.RFC3339, tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.want, calendar.ParisDate(ts).String())
		})
	}
}
