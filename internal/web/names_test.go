package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// labelOf is, for an id naming a school, a person, a pack or a loan, the
// key of the human label that must stand beside it.
var labelOf = map[string][]string{
	"school_uai":       {"school_name"},
	"teacher_id":       {"teacher_name"},
	"author_id":        {"author_name"},
	"recipient_id":     {"recipient_name"},
	"pack_id":          {"pack_code"},
	"pack_ids":         {"pack_codes"},
	"loan_id":          {"loan_label"},
	"user_id":          {"name", "user_name"},
	"requested_by":     {"requested_by_name"},
	"decided_by":       {"decided_by_name"},
	"created_by":       {"created_by_name"},
	"blocking_loan_id": {"blocking_loan_label"},
}

// missingNames walks a JSON value and lists every id of labelOf whose
// object has no non-empty label beside it. An object nested in the one
// the id names (its "id") needs none: the parent is labelled.
func missingNames(v any, path string, parentID any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			labels, ok := labelOf[k]
			if !ok || x == nil || x == "" || x == float64(0) || (k == "loan_id" && x == parentID) {
				continue
			}
			found := false
			for _, l := range labels {
				if s, ok := v[l]; ok && s != "" && s != nil {
					found = true
				}
			}
			if !found {
				out = append(out, path+"."+k)
			}
		}
		for k, x := range v {
			out = append(out, missingNames(x, path+"."+k, v["id"])...)
		}
	case []any:
		for i, x := range v {
			out = append(out, missingNames(x, fmt.Sprintf("%s[%d]", path, i), parentID)...)
		}
	}
	return out
}

// TestNamesBesideIDs: the responses that name a school, a person, a pack
// or a loan carry its label beside the id (school name, person's name,
// pack code, « prêt n° 9, ECOLE … »).
func TestNamesBesideIDs(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{".loan_id"}, missingNames(map[string]any{"loan_id": float64(3)}, "", nil), "the walk finds a bare id")
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := newTestServer(t, db)
		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		coord, coordToken := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		loan := storetest.ReminderLoan(t, db, storetest.LoanEnv{CoordinatorID: coord.ID},
			storetest.LoanFixture{SchoolUAI: school.UAI, TeacherID: teacher.ID, State: "picked_up", TrainingDone: true})
		_, err := db.InsertReminders(ctx, []store.Reminder{
			{LoanID: loan, Kind: store.ReminderReturn, DueDate: calendar.NewDate(2026, 2, 9), RecipientRole: store.RoleTeacher, RecipientID: teacher.ID},
		})
		require.NoError(t, err)
		l, err := db.Loan(ctx, loan)
		require.NoError(t, err)

		for _, path := range []string{"/api/v1/reminders", "/api/v1/incidents", "/api/v1/loans", fmt.Sprintf("/api/v1/loans/%d", loan),
			"/api/v1/requests", fmt.Sprintf("/api/v1/requests/%d", l.RequestID), "/api/v1/packs", "/api/v1/maintenance", "/api/v1/feeds"} {
			res := call(t, ts, "GET", path, coordToken, nil)
			require.Equal(t, 200, res.Status, "%s: %s", path, res.Body)
			var body any = res.JSON
			assert.Empty(t, missingNames(body, path, nil), "%s: ids without their names", path)
		}
		res := call(t, ts, "GET", "/api/v1/reminders", coordToken, nil)
		rems := res.JSON["reminders"].([]any)
		require.NotEmpty(t, rems)
		label, _ := rems[0].(map[string]any)["loan_label"].(string)
		assert.True(t, strings.HasPrefix(label, fmt.Sprintf("prêt n° %d, ", loan)) && strings.HasSuffix(label, school.Name), "%q", label)
	})
}
