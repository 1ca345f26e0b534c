package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

// TestMetricsToken checks that /metrics on the main listener answers only
// with METRICS_TOKEN, and is absent without it.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	srv, err := web.New(web.Deps{DB: db, Logger: storetest.Logger(t)})
	require.NoError(t, err)
	get := func(h http.Handler, auth string) (int, string) {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, tt := range []struct {
		name      string
		giveToken string
		giveAuth  string
		wantCode  int
	}{
		{"no token configured", "", "Bearer whatever-it-is-long-enough", http.StatusNotFound},
		{"token configured, none sent", "s3cret-metrics-token", "", http.StatusNotFound},
		{"wrong token", "s3cret-metrics-token", "Bearer s3cret-metrics-tokeX", http.StatusNotFound},
		{"right token", "s3cret-metrics-token", "Bearer s3cret-metrics-token", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := metrics.New(reg)
			metrics.Register(reg, db.SQL())
			h := rootHandler(config.Config{MetricsToken: tt.giveToken}, srv, reg, m, storetest.Logger(t))
			get(h, "Bearer not-the-token") // counted as an unmatched 404
			code, body := get(h, tt.giveAuth)
			assert.Equal(t, tt.wantCode, code)
			if tt.wantCode != http.StatusOK {
				assert.False(t, strings.Contains(body, "classemobile_"), "no metrics in a refusal")
				return
			}
			for _, want := range []string{
				`go_sql_max_open_connections{db_name="classemobile"} 8`,
				`classemobile_job_reminders_total{outcome="sent"} 0`,
				`classemobile_http_requests_total{code="404",kind="other",method="GET",route="unmatched"} 1`,
			} {
				assert.True(t, strings.Contains(body, want), "scrape has %s", want)
			}
			_, body = get(h, tt.giveAuth)
			want := `classemobile_http_requests_total{code="200",kind="other",method="GET",route="GET /metrics"} 1`
			assert.True(t, strings.Contains(body, want), "the first scrape is counted: %s", want)
		})
	}
}

// TestServeMetricsAddr runs serve with --metrics-addr and a solve, and
// scrapes the metrics listener: the main listener has no /metrics.
func TestServeMetricsAddr(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		dsn := testDSN(t, db)
		mainAddr, metricsAddr := freeAddr(t), freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--db", dsn, "--addr", mainAddr, "--metrics-addr", metricsAddr, "--no-jobs"},
				func(string) string { return "" }, io.Discard, io.Discard)
		}()
		t.Cleanup(func() { cancel(); <-done })
		body := waitGet(t, "http://"+metricsAddr+"/metrics")
		assert.True(t, strings.Contains(body, `go_sql_open_connections{db_name="classemobile"}`), "pool statistics")
		assert.True(t, strings.Contains(body, "go_goroutines"), "runtime metrics")
		res, err := http.Get("http://" + mainAddr + "/readyz")
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, "readyz")
		res, err = http.Get("http://" + mainAddr + "/metrics")
		require.NoError(t, err)
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The web application answers what it does for any unknown path
		// (the sign-in page); no metrics there.
		assert.False(t, strings.Contains(string(page), "go_goroutines"), "no /metrics on the public listener")
		body = waitGet(t, "http://"+metricsAddr+"/metrics")
		want := `classemobile_http_requests_total{code="200",kind="other",method="GET",route="GET /readyz"} 1`
		assert.True(t, strings.Contains(body, want), "readyz counted: %s", want)
	})
}

// testDSN returns a URL opening db's database (its file, or its schema).
func testDSN(t *testing.T, db *store.DB) string {
	t.Helper()
	if db.Dialect() == store.SQLite {
		var file string
		require.NoError(t, db.Bun().NewRaw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(context.Background(), &file))
		return file
	}
	return storetest.NewPostgresURL(t)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// waitGet GETs url until the server answers (it is starting), for up to 20 s.
func waitGet(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", url, b)
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// TestRootHandlerTrustedProxies: behind a trusted proxy the request id it
// sends is kept; from anyone else a forged one is replaced.
func TestRootHandlerTrustedProxies(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	srv, err := web.New(web.Deps{DB: db, Logger: storetest.Logger(t)})
	require.NoError(t, err)
	cfg, err := config.Load([]string{"--trusted-proxies", "192.0.2.0/24"}, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	h := rootHandler(cfg, srv, reg, metrics.New(reg), storetest.Logger(t))
	for _, tt := range []struct {
		remote string
		keep   bool
	}{{"192.0.2.10:3000", true}, {"203.0.113.5:3000", false}} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.RemoteAddr = tt.remote
		req.Header.Set("X-Request-Id", "nginx-42")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tt.keep, rec.Header().Get("X-Request-Id") == "nginx-42", "from %s", tt.remote)
	}
}
