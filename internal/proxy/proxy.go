// Package proxy believes the forwarding headers of trusted reverse
// proxies, and only theirs.
//
// Behind a reverse proxy (TLS termination), a request's peer is the proxy:
// the client's address and scheme come in X-Forwarded-For and
// X-Forwarded-Proto. Anyone can send those headers, so they are believed
// only from the configured proxies' addresses and removed from every other
// request before a handler sees it.
package proxy

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Forwarding headers: handled here, removed from untrusted requests.
var headers = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip", "Forwarded", "X-Request-Id"}

type ctxKey struct{}

// Trust is a set of trusted proxy ranges.
type Trust struct {
	prefixes []netip.Prefix
}

// New returns a Trust of the given ranges (none: nothing is trusted).
func New(prefixes []netip.Prefix) *Trust { return &Trust{prefixes: prefixes} }

// trusted reports whether addr ("ip:port" or "ip") is a trusted proxy.
func (t *Trust) trusted(addr string) bool {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Handler returns next with forwarding headers applied: from a trusted
// proxy, r.RemoteAddr becomes the client's address (the rightmost
// X-Forwarded-For entry that is not itself a trusted proxy) and the scheme
// of X-Forwarded-Proto is kept for IsHTTPS; from anyone else, the headers
// are deleted. With no trusted proxy, next is returned unchanged and the
// headers are ignored (nothing in the service reads them).
func (t *Trust) Handler(next http.Handler) http.Handler {
	if len(t.prefixes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !t.trusted(r.RemoteAddr) {
			for _, h := range headers {
				r.Header.Del(h)
			}
			next.ServeHTTP(w, r)
			return
		}
		if client := t.client(r.Header.Values("X-Forwarded-For")); client != "" {
			r.RemoteAddr = net.JoinHostPort(client, "0")
		}
		if proto := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); proto == "https" {
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// client returns the address of the client from X-Forwarded-For values:
// walking from the right (the entry our proxy added), the first address
// that is not a trusted proxy. Entries left of it were written by the
// client and are not believed.
func (t *Trust) client(values []string) string {
	var hops []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(hops[i])
		if err != nil {
			return "" // malformed: keep the proxy's own address
		}
		if !t.trusted(hops[i]) {
			return ip.Unmap().String()
		}
	}
	return ""
}

// IsHTTPS reports whether the client reached the service over TLS: a
// direct TLS connection, or a trusted proxy saying X-Forwarded-Proto: https.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(ctxKey{}).(bool)
	return v
}
