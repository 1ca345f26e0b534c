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

func TestSchoolValidate(t *testing.T) {
	t.Parallel()
	lat := 91.0
	for _, tt := range []struct {
		name       string
		give       store.School
		wantFields []string
	}{
		{name: "fine", give: store.School{UAI: " 0931234a ", Name: " École Jean-Jaurès "}},
		{name: "bad uai and no name", give: store.School{UAI: "93", Name: "  "}, wantFields: []string{"name", "uai"}},
		{name: "priority education", give: store.School{UAI: "0931234A", Name: "X", PriorityEducation: "REP++"}, wantFields: []string{"priority_education"}},
		{name: "latitude", give: store.School{UAI: "0931234A", Name: "X", Latitude: &lat}, wantFields: []string{"latitude"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.give.Validate()
			if tt.wantFields == nil {
				assert.NoError(t, err)
				return
			}
			re, ok := store.AsRule(err)
			require.True(t, ok, "a rule error: %v", err)
			assert.Equal(t, tt.wantFields, re.Fields)
		})
	}
}

func TestSchoolRulesInStore(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// CreateSchool normalises and checks its input itself.
		s, err := db.CreateSchool(ctx, store.Actor{}, store.School{UAI: " 0931234a", Name: " École Paul-Éluard "})
		require.NoError(t, err)
		assert.Equal(t, "0931234A", s.UAI)
		assert.Equal(t, "École Paul-Éluard", s.Name)
		assert.Equal(t, "elementaire", s.Kind)
		_, err = db.CreateSchool(ctx, store.Actor{}, store.School{UAI: "0931235B", Name: "X", PriorityEducation: "oui"})
		re, ok := store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, []string{"priority_education"}, re.Fields)
		_, err = db.School(ctx, "0931235B")
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing created")

		// UpdateSchool wants the version read, and valid fields.
		s.Name = ""
		_, err = db.UpdateSchool(ctx, store.Actor{}, s)
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, []string{"name"}, re.Fields)
		s.Name, s.Version = "École Paul-Éluard", 0
		_, err = db.UpdateSchool(ctx, store.Actor{}, s)
		re, ok = store.AsRule(err)
		require.True(t, ok)
		assert.Equal(t, []string{"version"}, re.Fields)
		s.Version, s.City = 1, "Épinay-sur-Seine"
		got, err := db.UpdateSchool(ctx, store.Actor{}, s)
		require.NoError(t, err)
		assert.Equal(t, 2, got.Version)
		assert.Equal(t, "Épinay-sur-Seine", got.City)
	})
}

func TestEnableUser(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		u, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		actor := store.Actor{UserID: coord.ID}
		p, err := db.EnableUser(ctx, actor, u.ID)
		require.NoError(t, err)
		assert.False(t, p.Disabled(), "enabling an active person changes nothing")
		_, err = db.DisableUser(ctx, actor, u.ID)
		require.NoError(t, err)
		p, err = db.EnableUser(ctx, actor, u.ID)
		require.NoError(t, err)
		assert.False(t, p.Disabled())
		active, err := db.People(ctx, store.PeopleFilter{Role: store.RoleIT})
		require.NoError(t, err)
		assert.Len(t, active, 1, "listed among the active people again")
		trail, err := db.AuditTrail(ctx, "user", u.ID)
		require.NoError(t, err)
		var actions []string
		for _, ev := range trail {
			actions = append(actions, ev.Action)
		}
		assert.Equal(t, []string{"user.create", "user.disable", "user.enable"}, actions, "one entry per change")
		_, err = db.EnableUser(ctx, actor, 999999)
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestSetYearSettings(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		actor := store.Actor{UserID: coord.ID}
		set, err := db.YearSettings(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, store.DefaultLoanWeeks, set.LoanWeeks, "the default length before any setting")

		for _, tt := range []struct {
			name       string
			give       store.YearSettingsInput
			wantFields []string
		}{
			{name: "too short", give: store.YearSettingsInput{LoanWeeks: 0, LoanPolicy: "within_period"}, wantFields: []string{"loan_weeks"}},
			{name: "too long and no policy", give: store.YearSettingsInput{LoanWeeks: 21}, wantFields: []string{"loan_policy", "loan_weeks"}},
			{name: "unknown policy", give: store.YearSettingsInput{LoanWeeks: 5, LoanPolicy: "anywhere"}, wantFields: []string{"loan_policy"}},
		} {
			_, err := db.SetYearSettings(ctx, actor, "2026-2027", tt.give)
			re, ok := store.AsRule(err)
			require.True(t, ok, "%s: a rule error: %v", tt.name, err)
			assert.Equal(t, tt.wantFields, re.Fields, tt.name)
		}
		_, err = db.SetYearSettings(ctx, actor, "1890-1891", store.YearSettingsInput{LoanWeeks: 5, LoanPolicy: "within_period"})
		assert.ErrorIs(t, err, store.ErrNotFound, "a year without calendar")

		set, err = db.SetYearSettings(ctx, actor, "2026-2027", store.YearSettingsInput{LoanWeeks: 5, LoanPolicy: "across_breaks"})
		require.NoError(t, err)
		assert.Equal(t, 5, set.LoanWeeks)
		// Setting the policy alone keeps the length.
		_, err = db.SetLoanPolicy(ctx, actor, "2026-2027", "period_length")
		require.NoError(t, err)
		set, err = db.YearSettings(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, 5, set.LoanWeeks)
		assert.Equal(t, "period_length", string(set.LoanPolicy))
		// A new year's row made by SetLoanPolicy gets the default length.
		_, err = db.SetLoanPolicy(ctx, actor, "2025-2026", "across_breaks")
		require.NoError(t, err)
		set, err = db.YearSettings(ctx, "2025-2026")
		require.NoError(t, err)
		assert.Equal(t, store.DefaultLoanWeeks, set.LoanWeeks)
	})
}

func TestCalendarImportPreviewAndApply(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var hs []calendar.Holiday
		for _, h := range calendar.ZoneC() {
			if h.SchoolYear == "2026-2027" {
				hs = append(hs, h)
			}
		}
		require.NotEmpty(t, hs)
		moved := hs[0]
		moved.Resume = moved.Resume.AddDays(7)
		next := append([]calendar.Holiday{moved}, hs[1:]...)

		p, err := db.PreviewCalendarImport(ctx, next)
		require.NoError(t, err)
		assert.True(t, p.OK())
		assert.Equal(t, []string{"2026-2027"}, p.Years)
		kinds := map[store.CalendarChangeKind]int{}
		for _, c := range p.Changes {
			kinds[c.Kind]++
		}
		assert.Equal(t, map[store.CalendarChangeKind]int{store.CalendarChanged: 1, store.CalendarUnchanged: len(hs) - 1}, kinds)
		assert.NotEqual(t, p.Changes[0].Before, p.Changes[0].After, "both dates shown")

		// A partial file is refused, nothing stored.
		_, err = db.ApplyCalendarImport(ctx, store.Actor{}, "partiel.csv", next[:2])
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "calendar_shrinks", re.Code)
		stored, err := db.CalendarHolidays(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Empty(t, stored, "nothing imported")

		years, err := db.ApplyCalendarImport(ctx, store.Actor{}, "officiel.csv", next)
		require.NoError(t, err)
		assert.Equal(t, []string{"2026-2027"}, years)
		stored, err = db.CalendarHolidays(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Len(t, stored, len(hs))
		p, err = db.PreviewCalendarImport(ctx, next)
		require.NoError(t, err)
		for _, c := range p.Changes {
			assert.Equal(t, store.CalendarUnchanged, c.Kind, "%s after the import", c.Description)
		}
	})
}
