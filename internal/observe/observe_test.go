package observe_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/observe"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		give      string
		wantKind  metrics.Kind
		wantRoute string
	}{
		{"", metrics.KindOther, "unmatched"},
		{"GET /api/v1/schools/{uai}", metrics.KindAPI, "GET /api/v1/schools/{uai}"},
		{"/api/", metrics.KindAPI, "/api/"},
		{"GET /ics/{file}", metrics.KindFeed, "GET /ics/{file}"},
		{"GET /healthz", metrics.KindOther, "GET /healthz"},
		{"GET /readyz", metrics.KindOther, "GET /readyz"},
		{"GET /loans/{id}/convention", metrics.KindPage, "GET /loans/{id}/convention"},
		{"GET /", metrics.KindPage, "GET /"},
		{"POST example.fr/connexion", metrics.KindPage, "POST example.fr/connexion"},
	} {
		t.Run(tt.give, func(t *testing.T) {
			kind, route := observe.Classify(tt.give)
			assert.Equal(t, tt.wantKind, kind, "kind of %q", tt.give)
			assert.Equal(t, tt.wantRoute, route, "route of %q", tt.give)
		})
	}
}

// TestHandler checks that a request gets an id (header, context, log line),
// and is counted under the pattern the inner mux matched, whatever its path.
func TestHandler(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	var logs bytes.Buffer
	logger := slog.New(observe.LogHandler(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	mux := http.NewServeMux()
	var seenID string
	mux.HandleFunc("GET /api/v1/schools/{uai}", func(w http.ResponseWriter, r *http.Request) {
		seenID = observe.RequestID(r.Context())
		logger.InfoContext(r.Context(), "Inside")
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	h := observe.Handler(mux, observe.Options{Metrics: m, Logger: logger})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/schools/0930001A", nil))
	id := rec.Header().Get("X-Request-Id")
	require.NotEmpty(t, id, "X-Request-Id header")
	assert.Equal(t, id, seenID, "id in the request context")
	assert.Equal(t, 2, strings.Count(logs.String(), `"request_id":"`+id+`"`), "both log lines carry the id: %s", logs.String())
	assert.Contains(t, logs.String(), `"route":"GET /api/v1/schools/{uai}"`)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.RequestCounter("api", "GET /api/v1/schools/{uai}", "GET", "418")))

	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/page", nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere/123", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/page", nil))
	assert.Equal(t, 3.0, testutil.ToFloat64(m.RequestCounter("page", "GET /page", "GET", "200")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.RequestCounter("other", "unmatched", "GET", "404")), "an unknown path is counted without its path")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.RequestCounter("other", "unmatched", "OTHER", "405")), "an unknown method is OTHER")

	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, httptest.NewRequest("GET", "/page", nil))
	assert.NotEqual(t, id, rec2.Header().Get("X-Request-Id"), "ids differ between requests")

	// Histograms are per kind: the API's got one observation.
	n, err := testutil.GatherAndCount(reg, "classemobile_http_api_request_duration_seconds", "classemobile_http_page_request_duration_seconds")
	require.NoError(t, err)
	assert.Equal(t, 2, n, "one series per (kind, route, method)")
}

func TestHandlerRequestIDFromProxy(t *testing.T) {
	t.Parallel()
	h := func(trust bool) http.Handler {
		return observe.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), observe.Options{TrustRequestID: trust})
	}
	for _, tt := range []struct {
		name   string
		trust  bool
		giveID string
		keep   bool
	}{
		{"trusted", true, "abc-123", true},
		{"untrusted", false, "abc-123", false},
		{"forged log line", true, "x\ny=1", false},
		{"too long", true, strings.Repeat("a", 65), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Request-Id", tt.giveID)
			rec := httptest.NewRecorder()
			h(tt.trust).ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			require.NotEmpty(t, got)
			assert.Equal(t, tt.keep, got == tt.giveID, "id %q kept", tt.giveID)
		})
	}
}
