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

func TestPackMaintenanceAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		school := storetest.School(t, db, nil)
		_, coord := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		_, it := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, director := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		_, teacher := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		pack := storetest.Pack(t, db, nil)
		base := fmt.Sprintf("/api/v1/packs/%d/maintenance", pack.ID)
		body := map[string]any{"first_day": "2026-09-14", "last_day": "2026-09-25", "reason": "Réparation des écrans"}

		tests := []struct {
			name      string
			token     string
			give      any
			path      string
			wantCode  string
			wantField string
			status    int
		}{
			{name: "director may not", token: director, give: body, status: http.StatusForbidden, wantCode: "forbidden"},
			{name: "teacher may not", token: teacher, give: body, status: http.StatusForbidden, wantCode: "forbidden"},
			{name: "end before start", token: coord, give: map[string]any{"first_day": "2026-09-14", "last_day": "2026-09-13", "reason": "x"},
				status: http.StatusUnprocessableEntity, wantCode: "validation_failed", wantField: "last_day"},
			{name: "bad date", token: coord, give: map[string]any{"first_day": "14/09/2026", "last_day": "2026-09-13", "reason": "x"},
				status: http.StatusUnprocessableEntity, wantCode: "validation_failed", wantField: "first_day"},
			{name: "no reason", token: coord, give: map[string]any{"first_day": "2026-09-14", "last_day": "2026-09-15"},
				status: http.StatusUnprocessableEntity, wantCode: "validation_failed", wantField: "reason"},
			{name: "unknown pack", token: coord, give: body, path: "/api/v1/packs/999999/maintenance", status: http.StatusNotFound, wantCode: "not_found"},
			{name: "malformed", token: coord, give: "{", status: http.StatusBadRequest},
		}
		for _, tt := range tests {
			path := tt.path
			if path == "" {
				path = base
			}
			r := call(t, ts, "POST", path, tt.token, tt.give)
			assert.Equal(t, tt.status, r.Status, "%s: %s", tt.name, r.Body)
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, r.ErrorCode(), tt.name)
			}
			if tt.wantField != "" {
				assert.Contains(t, r.ErrorFields(), tt.wantField, tt.name)
			}
		}

		r := call(t, ts, "POST", base, it, body)
		require.Equal(t, http.StatusCreated, r.Status, "IT creates a window: %s", r.Body)
		wid := int64(r.JSON["id"].(float64))
		assert.Equal(t, "2026-09-25", r.JSON["last_day"])
		assert.Equal(t, pack.Code, r.JSON["pack_code"])

		r = call(t, ts, "POST", base, coord, map[string]any{"first_day": "2026-09-20", "last_day": "2026-09-30", "reason": "autre"})
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Equal(t, "maintenance_overlap", r.ErrorCode())

		// A loan onto the pack during the window: 409 naming the window.
		req := storetest.ValidatedRequest(t, db, nil)
		r = call(t, ts, "POST", "/api/v1/loans", coord, map[string]any{"request_id": req.ID, "pack_ids": []int64{pack.ID}, "start_week": 0})
		assert.Equal(t, http.StatusConflict, r.Status, "%s", r.Body)
		assert.Equal(t, "pack_in_maintenance", r.ErrorCode())

		// Everybody reads; directors too.
		r = call(t, ts, "GET", base, director, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Len(t, r.JSON["maintenance"], 1)
		r = call(t, ts, "GET", "/api/v1/maintenance?from=2026-09-01&to=2026-09-30", teacher, nil)
		require.Equal(t, http.StatusOK, r.Status)
		assert.Len(t, r.JSON["maintenance"], 1)
		r = call(t, ts, "GET", "/api/v1/maintenance?from=2026-10-01", coord, nil)
		assert.Len(t, r.JSON["maintenance"], 0, "windows before the day are left out")
		r = call(t, ts, "GET", "/api/v1/maintenance?from=demain", coord, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)

		// Delete: only coordinator and IT; then the loan books; then a
		// window over the loan is a 409 naming it.
		r = call(t, ts, "DELETE", fmt.Sprintf("%s/%d", base, wid), director, nil)
		assert.Equal(t, http.StatusForbidden, r.Status)
		r = call(t, ts, "DELETE", fmt.Sprintf("%s/%d", base, wid), coord, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r = call(t, ts, "DELETE", fmt.Sprintf("%s/%d", base, wid), coord, nil)
		assert.Equal(t, http.StatusNotFound, r.Status, "deleted twice")
		r = call(t, ts, "POST", "/api/v1/loans", coord, map[string]any{"request_id": req.ID, "pack_ids": []int64{pack.ID}, "start_week": 0})
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		loanID := int64(r.JSON["id"].(float64))
		r = call(t, ts, "POST", base, coord, body)
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Equal(t, "pack_loaned", r.ErrorCode())
		e, _ := r.JSON["error"].(map[string]any)
		assert.Contains(t, e["message"], fmt.Sprintf("prêt n° %d", loanID), "the loan using the pack is named")
	})
}
