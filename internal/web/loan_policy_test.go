package web_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestLoanPolicyAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 8, Sectors: 8})
		_, insp := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})

		res := call(t, ts, "GET", "/api/v1/calendar/2026-2027", insp, nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Equal(t, "within_period", res.JSON["loan_policy"], "the default setting")
		assert.Len(t, res.JSON["loan_policies"], 3, "the starts of every policy")

		res = call(t, ts, "PUT", "/api/v1/calendar/2026-2027/loan-policy", insp, map[string]any{"loan_policy": "across_breaks"})
		assert.Equal(t, 403, res.Status, "only the coordinator sets the policy")
		res = call(t, ts, "PUT", "/api/v1/calendar/2026-2027/loan-policy", d.Token, map[string]any{"loan_policy": "always"})
		assert.Equal(t, 422, res.Status, "%s", res.Body)
		res = call(t, ts, "PUT", "/api/v1/calendar/2041-2042/loan-policy", d.Token, map[string]any{"loan_policy": "across_breaks"})
		assert.Equal(t, 404, res.Status, "%s", res.Body)
		res = call(t, ts, "PUT", "/api/v1/calendar/2026-2027/loan-policy", d.Token, map[string]any{"loan_policy": "across_breaks"})
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Equal(t, "across_breaks", res.JSON["loan_policy"])
		res = call(t, ts, "GET", "/api/v1/calendar/2026-2027", insp, nil)
		assert.Equal(t, "across_breaks", res.JSON["loan_policy"])

		date := storetest.RoundToday.String()
		res = call(t, ts, "POST", "/api/v1/rounds", d.Token, map[string]any{"year": d.Year, "date": date, "loan_policy": "sometimes"})
		assert.Equal(t, 422, res.Status, "%s", res.Body)
		res = call(t, ts, "POST", "/api/v1/rounds", d.Token, map[string]any{"year": d.Year, "date": date})
		require.Equal(t, 201, res.Status, "%s", res.Body)
		params, _ := res.JSON["params"].(map[string]any)
		assert.Equal(t, "across_breaks", params["loan_policy"], "the year's setting")
		res = call(t, ts, "POST", "/api/v1/rounds", d.Token, map[string]any{"year": d.Year, "date": date, "loan_policy": "period_length"})
		require.Equal(t, 201, res.Status, "%s", res.Body)
		params, _ = res.JSON["params"].(map[string]any)
		assert.Equal(t, "period_length", params["loan_policy"], "the round's own policy")
	})
}
