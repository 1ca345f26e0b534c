package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// fictional2027 is a made-up 2027-2028 zone C calendar (not published when
// this was written) plus the end of the 2026-2027 summer holidays.
func fictional2027() []calendar.Holiday {
	d := calendar.MustParseDate
	h := func(year, desc, first, resume string) calendar.Holiday {
		out := calendar.Holiday{SchoolYear: year, Description: desc, Zone: "C", First: d(first)}
		if resume != "" {
			out.Resume = d(resume)
		}
		return out
	}
	return []calendar.Holiday{
		h("2026-2027", "Vacances de la Toussaint", "2026-10-17", "2026-11-02"),
		h("2026-2027", "Vacances de Noël", "2026-12-19", "2027-01-04"),
		h("2026-2027", "Vacances d'Hiver", "2027-02-06", "2027-02-22"),
		h("2026-2027", "Vacances de Printemps", "2027-04-03", "2027-04-19"),
		h("2026-2027", "Pont de l'Ascension", "2027-05-06", "2027-05-10"),
		h("2026-2027", "Vacances d'Été", "2027-07-03", "2027-09-01"),
		h("2027-2028", "Vacances de la Toussaint", "2027-10-23", "2027-11-08"),
		h("2027-2028", "Vacances de Noël", "2027-12-18", "2028-01-03"),
		h("2027-2028", "Vacances d'Hiver", "2028-02-12", "2028-02-28"),
		h("2027-2028", "Vacances de Printemps", "2028-04-08", "2028-04-24"),
		h("2027-2028", "Pont de l'Ascension", "2028-05-25", "2028-05-29"),
		h("2027-2028", "Vacances d'Été", "2028-07-08", ""),
	}
}

func TestCalendarHolidays(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()

		_, err := db.CalendarYear(ctx, "2027-2028")
		require.ErrorIs(t, err, calendar.ErrUnknownYear, "nothing imported yet")
		embedded, err := db.CalendarYear(ctx, "2025-2026")
		require.NoError(t, err, "embedded data")
		assert.Len(t, embedded.Weeks(), 36)

		hs := fictional2027()
		years, err := db.ReplaceCalendarHolidays(ctx, store.Actor{}, "fr-en-calendrier-scolaire.csv", hs)
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-2027", "2027-2028"}, years)

		got, err := db.CalendarHolidays(ctx, "2026-2027", "2027-2028")
		require.NoError(t, err)
		assert.Equal(t, hs, got, "dates round-trip as civil dates, unpublished end as NULL")

		y, err := db.CalendarYear(ctx, "2027-2028")
		require.NoError(t, err, "imported year")
		assert.Equal(t, "2027-09-01", y.Rentree().String(), "rentrée from the imported 2026-2027 summer")
		assert.Equal(t, "2028-07-07", y.LastDay().String())
		assert.Len(t, y.Periods(), 5)

		y25, err := db.CalendarYear(ctx, "2025-2026")
		require.NoError(t, err)
		assert.Equal(t, embedded.Weeks(), y25.Weeks(), "a year not imported keeps the embedded holidays")

		// A corrected re-import of one year replaces all of its rows and
		// leaves the other year alone.
		fixed := []calendar.Holiday{
			{SchoolYear: "2027-2028", Description: "Vacances de la Toussaint", Zone: "C",
				First: calendar.MustParseDate("2027-10-16"), Resume: calendar.MustParseDate("2027-11-02")},
			{SchoolYear: "2027-2028", Description: "Vacances d'Été", Zone: "C", First: calendar.MustParseDate("2028-07-01")},
		}
		years, err = db.ReplaceCalendarHolidays(ctx, store.Actor{}, "corrigé.csv", fixed)
		require.NoError(t, err)
		assert.Equal(t, []string{"2027-2028"}, years)
		got, err = db.CalendarHolidays(ctx, "2027-2028")
		require.NoError(t, err)
		assert.Equal(t, fixed, got, "stale rows of the year are gone")
		got, err = db.CalendarHolidays(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Len(t, got, 6, "the other year is untouched")

		imported, err := db.ImportedYears(ctx)
		require.NoError(t, err)
		require.Len(t, imported, 2)
		assert.Equal(t, "2026-2027", imported[0].SchoolYear)
		assert.Equal(t, 6, imported[0].Holidays)
		assert.Equal(t, "corrigé.csv", imported[1].Source)
		assert.Equal(t, 2, imported[1].Holidays)

		trail, err := db.AuditTrail(ctx, "calendar", "2027-2028")
		require.NoError(t, err)
		require.Len(t, trail, 1)
		assert.Equal(t, "calendar.import", trail[0].Action)
		assert.Contains(t, string(trail[0].After), "corrigé.csv")
	})
}

func TestCalendarHolidaysErrors(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := calendar.Holiday{SchoolYear: "2027-2028", Description: "Vacances de Noël", Zone: "C",
			First: calendar.MustParseDate("2027-12-18"), Resume: calendar.MustParseDate("2028-01-03")}
		_, err := db.ReplaceCalendarHolidays(ctx, store.Actor{}, "x.csv", []calendar.Holiday{h, h})
		assert.ErrorIs(t, err, store.ErrConflict, "same holiday twice")
		got, err := db.CalendarHolidays(ctx)
		require.NoError(t, err)
		assert.Empty(t, got, "the failed import left nothing behind")

		bad := h
		bad.Resume = calendar.MustParseDate("2027-12-01")
		_, err = db.ReplaceCalendarHolidays(ctx, store.Actor{}, "x.csv", []calendar.Holiday{bad})
		assert.Error(t, err, "resume before first refused by the schema")

		_, err = db.CalendarYear(ctx, "2025")
		assert.ErrorIs(t, err, calendar.ErrInvalidYear)
	})
}
