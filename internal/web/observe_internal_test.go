package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestRequestIDInErrors checks that a JSON error names the request id the
// response header carries, on both dialects, and that readyz answers.
func TestRequestIDInErrors(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		s, err := New(Deps{DB: db, Logger: storetest.Logger(t)})
		require.NoError(t, err)
		h := observe.Handler(s, observe.Options{})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/schools", nil))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		var body struct {
			Error struct {
				Code      string `json:"code"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		assert.Equal(t, "unauthenticated", body.Error.Code)
		assert.NotEmpty(t, body.Error.RequestID)
		assert.Equal(t, rec.Header().Get("X-Request-Id"), body.Error.RequestID)

		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		assert.Equal(t, http.StatusOK, rec.Code, "readyz on a migrated database: %s", rec.Body)
	})
}
