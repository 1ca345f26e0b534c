package web

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxPathValue bounds a path value: UAI codes, years and ids are short.
const maxPathValue = 200

// checkPathValues answers 404 for a request whose path values (the
// {name} segments of its route) could not name anything: invalid UTF-8, a
// NUL or another control character, or over maxPathValue bytes. Such
// values never reach the database, which would refuse a NUL with an
// error (a 500 otherwise).
func (s *Server) checkPathValues(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validPathValues(r) {
			s.writeError(w, r, errNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validPathValues checks every wildcard of the matched pattern.
func validPathValues(r *http.Request) bool {
	p := r.Pattern
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return true
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return true
		}
		name := strings.TrimSuffix(p[i+1:i+j], "...")
		p = p[i+j+1:]
		if name == "$" {
			continue
		}
		if !validPathValue(r.PathValue(name)) {
			return false
		}
	}
}

func validPathValue(v string) bool {
	if len(v) > maxPathValue || !utf8.ValidString(v) {
		return false
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return false
		}
	}
	return true
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header; the scheme name is case-insensitive (RFC 7235 §2.1, RFC 6750).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}
