package proxy_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/classemobile/classemobile/internal/proxy"
)

func TestTrustHandler(t *testing.T) {
	t.Parallel()
	trust := proxy.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")})
	type seen struct {
		remote, xff, reqID string
		https              bool
	}
	var got seen
	h := trust.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{r.RemoteAddr, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Request-Id"), proxy.IsHTTPS(r)}
	}))
	for _, tt := range []struct {
		name       string
		giveRemote string
		giveXFF    string
		giveProto  string
		want       seen
	}{
		{"client direct, forged headers removed", "203.0.113.9:5000", "198.51.100.1", "https",
			seen{remote: "203.0.113.9:5000"}},
		{"trusted proxy", "127.0.0.1:4000", "198.51.100.1", "https",
			seen{remote: "198.51.100.1:0", xff: "198.51.100.1", reqID: "abc", https: true}},
		{"chain: the rightmost untrusted hop", "10.1.2.3:4000", "6.6.6.6, 198.51.100.1, 10.9.9.9", "http",
			seen{remote: "198.51.100.1:0", xff: "6.6.6.6, 198.51.100.1, 10.9.9.9", reqID: "abc"}},
		{"malformed chain keeps the proxy", "10.1.2.3:4000", "not-an-ip", "",
			seen{remote: "10.1.2.3:4000", xff: "not-an-ip", reqID: "abc"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.giveRemote
			req.Header.Set("X-Forwarded-For", tt.giveXFF)
			req.Header.Set("X-Request-Id", "abc")
			if tt.giveProto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.giveProto)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNoTrustedProxyIsPassThrough(t *testing.T) {
	t.Parallel()
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := proxy.New(nil).Handler(next)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.False(t, proxy.IsHTTPS(req), "nothing believed without trusted proxies")
}
