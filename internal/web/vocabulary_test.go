package web_test

import (
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
