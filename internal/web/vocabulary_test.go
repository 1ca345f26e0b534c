package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestSchoolYearEverywhere: rounds' body and the list queries take
// school_year (year stays accepted).
func TestSchoolYearEverywhere(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 3})
		res := call(t, ts, "POST", "/api/v1/rounds", d.Token, map[string]any{"school_year": d.Year, "date": "2026-08-20", "time_limit": "2s"})
		require.Equal(t, http.StatusCreated, res.Status, "school_year in the body: %s", res.Body)
		assert.Equal(t, d.Year, res.JSON["school_year"])

		res = call(t, ts, "GET", "/api/v1/requests?school_year=1990-1991", d.Token, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Empty(t, res.JSON["requests"], "another year filters everything out: %s", res.Body)
		res = call(t, ts, "GET", "/api/v1/requests?school_year="+d.Year, d.Token, nil)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotEmpty(t, res.JSON["requests"], "the year's requests: %s", res.Body)
	})
}

// TestOneVocabulary: opinions and decisions accept the French words
// people type and answer in the one vocabulary of the API; every invalid
// field, whatever the rule, is the one code validation_failed naming the
// field.
func TestOneVocabulary(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: store.RequestAuthorised})
		base := fmt.Sprintf("/api/v1/requests/%d", q.ID)

		for role, word := range map[store.Role]string{store.RoleInspection: "Favorable", store.RoleIT: "réservé", store.RoleEducation: "défavorable"} {
			res := call(t, ts, "POST", base+"/opinions", c.tokens[role], map[string]any{"verdict": word})
			require.Equal(t, http.StatusOK, res.Status, "%s: %s", word, res.Body)
		}
		res := call(t, ts, "GET", base, c.tokens[store.RoleCoordinator], nil)
		require.Equal(t, http.StatusOK, res.Status)
		verdicts := map[string]any{}
		for _, o := range res.JSON["opinions"].([]any) {
			o := o.(map[string]any)
			verdicts[o["role"].(string)] = o["verdict"]
		}
		assert.Equal(t, map[string]any{"inspection": "favourable", "it": "reserved", "education": "unfavourable"}, verdicts)

		for _, tt := range []struct {
			name, path, role string
			body             map[string]any
			field            string
		}{
			{"unknown verdict", "/opinions", "inspection", map[string]any{"verdict": "bof"}, "verdict"},
			{"NUL in a comment", "/opinions", "inspection", map[string]any{"verdict": "favorable", "comment": "a\u0000b"}, "comment"},
			{"unknown decision", "/decision", "coordinator", map[string]any{"decision": "peut-être"}, "decision"},
			{"rejection without reason", "/decision", "coordinator", map[string]any{"decision": "rejetée"}, "reason"},
			{"packs out of range", "/packs", "coordinator", map[string]any{"packs": 99, "reason": "x"}, "packs"},
			{"packs without reason", "/packs", "coordinator", map[string]any{"packs": 2}, "reason"},
		} {
			res := call(t, ts, "POST", base+tt.path, c.tokens[store.Role(tt.role)], tt.body)
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s: %s", tt.name, res.Body)
			assert.Equal(t, "validation_failed", res.ErrorCode(), tt.name)
			assert.Contains(t, res.ErrorFields(), tt.field, tt.name)
		}

		res = call(t, ts, "POST", base+"/decision", c.tokens[store.RoleCoordinator], map[string]any{"decision": "Validée"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "validated", res.JSON["state"], "the French word, the API's state")
	})
}
