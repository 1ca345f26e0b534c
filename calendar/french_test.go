package calendar_test

import (
	"testing"

	"github.com/classemobile/classemobile/calendar"
)

func TestDateFrench(t *testing.T) {
	tests := []struct {
		date  string
		style calendar.FrenchStyle
		want  string
	}{
		{"2026-09-01", calendar.FrenchLong, "mardi 1er septembre 2026"},
		{"2026-03-03", calendar.FrenchLong, "mardi 3 mars 2026"},
		{"2027-01-10", calendar.FrenchLong, "dimanche 10 janvier 2027"},
		{"2026-12-01", calendar.FrenchDay, "1er décembre 2026"},
		{"2026-08-15", calendar.FrenchDay, "15 août 2026"},
		{"2026-09-01", calendar.FrenchPlain, "mardi 1 septembre 2026"},
		{"2026-09-01", calendar.FrenchNumeric, "mar. 01/09/2026"},
		{"2026-02-28", calendar.FrenchNumeric, "sam. 28/02/2026"},
	}
	for _, tt := range tests {
		if got := calendar.MustParseDate(tt.date).French(tt.style); got != tt.want {
			t.Errorf("%s.French(%d) = %q, want %q", tt.date, tt.style, got, tt.want)
		}
	}
	if got := (calendar.Date{}).French(calendar.FrenchLong); got != "" {
		t.Errorf("zero date = %q, want empty", got)
	}
}
