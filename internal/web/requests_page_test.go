package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// GET /requests?page= answers one page counted by the server; the page's
// parameters out of range are the one invalid-input code.
func TestListRequestsPaged(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		for range 3 {
			storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, State: store.RequestSubmitted})
		}
		token := c.tokens[store.RoleCoordinator]
		res := call(t, ts, "GET", "/api/v1/requests?page=2&page_size=2&sort=school", token, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, float64(3), res.JSON["total"])
		assert.Equal(t, float64(2), res.JSON["pages"])
		assert.Equal(t, float64(2), res.JSON["page"])
		assert.Len(t, res.JSON["requests"], 1)
		res = call(t, ts, "GET", "/api/v1/requests", token, nil)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Len(t, res.JSON["requests"], 3, "without page: every request, as before")
		assert.NotContains(t, res.JSON, "total")
		for _, q := range []string{"page_size=5000", "sort=hasard", "opinions=some", "state=perdue"} {
			res := call(t, ts, "GET", "/api/v1/requests?page=1&"+q, token, nil)
			assert.Equal(t, http.StatusUnprocessableEntity, res.Status, q)
			assert.Equal(t, "validation_failed", res.ErrorCode(), q)
		}
		res = call(t, ts, "GET", "/api/v1/requests?page=x", token, nil)
		assert.Equal(t, http.StatusBadRequest, res.Status, "not a number")
	})
}
