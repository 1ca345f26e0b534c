// Package observe wraps the service's top-level HTTP handler: it gives
// each request an id (in the request context, the X-Request-Id response
// header and every log line written with the request's context), counts
// and times the request by its matched route pattern for the metrics, and
// writes one log line per request.
//
// It sits in front of everything serve mounts (the JSON API, the pages,
// the feeds), so the route pattern is the one the inner ServeMux matched
// (http.Request.Pattern, which the mux sets on the request it is given).
package observe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/classemobile/classemobile/internal/metrics"
)

type ctxKey struct{}

// RequestID returns the id of the request whose context ctx is, or "" outside
// a request served through Handler. Error pages and JSON errors show it, so
// a person can quote it and an operator find the request's log lines.
func RequestID(ctx context.Context) string {
	if st, ok := ctx.Value(ctxKey{}).(*state); ok {
		return st.id
	}
	return ""
}

// WithRequestID returns ctx carrying a request id (tests, jobs that want
// their log lines grouped).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, &state{id: id})
}

// Options configure Handler.
type Options struct {
	// Metrics receives one observation per request. Nil records nothing.
	Metrics *metrics.Metrics
	// Logger receives one line per request: Info for the API and pages,
	// Debug for feeds and probes, which clients poll. Defaults to discarding.
	Logger *slog.Logger
	// TrustRequestID keeps a well-formed X-Request-Id header as the
	// request's id. Set it only behind proxy.Trust.Handler, which removes
	// the header from requests that do not come from a trusted proxy.
	// Defaults to false: ids are made here.
	TrustRequestID bool
}

// idPrefix makes this process's request ids unique among instances.
var idPrefix = func() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// state is a request's id and status, and its ResponseWriter.
type state struct {
	http.ResponseWriter
	id   string
	code int
	hdr  [1]string // the X-Request-Id header value, without an allocation of its own
}

func (s *state) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *state) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush keeps http.Flusher reachable through the wrapper (the feeds
// flush to send a response in one write).
func (s *state) Flush() {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (s *state) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var hRequestID = http.CanonicalHeaderKey("X-Request-Id")

// Handler returns next observed: request id, metrics and a log line.
func Handler(next http.Handler, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var seq atomic.Uint64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &state{ResponseWriter: w}
		if o.TrustRequestID {
			if id := r.Header.Get(hRequestID); validID(id) {
				st.id = id
			}
		}
		if st.id == "" {
			var buf [32]byte
			b := append(append(buf[:0], idPrefix...), '-')
			st.id = string(strconv.AppendUint(b, seq.Add(1), 36))
		}
		st.hdr[0] = st.id
		w.Header()[hRequestID] = st.hdr[:]
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, st))
		next.ServeHTTP(st, r)
		d := time.Since(start)
		code := st.code
		if code == 0 {
			code = http.StatusOK // nothing written: net/http sends 200
		}
		kind, route := Classify(r.Pattern)
		method := methodLabel(r.Method)
		o.Metrics.Request(kind, route, method, code, d)
		level := slog.LevelInfo
		if kind == metrics.KindFeed || kind == metrics.KindOther && route != "unmatched" {
			level = slog.LevelDebug
		}
		if o.Logger.Enabled(r.Context(), level) {
			o.Logger.LogAttrs(r.Context(), level, "Request", slog.String("method", r.Method),
				slog.String("route", route), slog.String("path", logPath(r, kind)), slog.Int("status", code),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000))
		}
	})
}

// logPath is the path to log: a feed's path holds its secret token.
func logPath(r *http.Request, kind metrics.Kind) string {
	if kind == metrics.KindFeed {
		return "/ics/…"
	}
	return r.URL.Path
}

// validID accepts ids a proxy makes (nginx's $request_id, UUIDs): short,
// with no character that could forge a log line.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Classify returns the kind and route label of a matched ServeMux
// pattern ("GET /api/v1/schools/{uai}" → KindAPI and the pattern itself).
// The empty pattern (nothing matched) is "unmatched": a route label never
// holds a raw path, whose values are unbounded.
func Classify(pattern string) (metrics.Kind, string) {
	if pattern == "" {
		return metrics.KindOther, "unmatched"
	}
	path := pattern
	if i := strings.IndexByte(path, ' '); i >= 0 {
		path = strings.TrimLeft(path[i:], " ")
	}
	if i := strings.IndexByte(path, '/'); i > 0 { // a host before the path
		path = path[i:]
	}
	switch {
	case strings.HasPrefix(path, "/api/"):
		return metrics.KindAPI, pattern
	case strings.HasPrefix(path, "/ics/"):
		return metrics.KindFeed, pattern
	case path == "/healthz", path == "/readyz", path == "/metrics":
		return metrics.KindOther, pattern
	default:
		return metrics.KindPage, pattern
	}
}

// methodLabel bounds the method label: clients may send any token.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// LogHandler returns h adding a request_id attribute to every record
// logged with a request's context.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := RequestID(ctx); id != "" {
		rec = rec.Clone() // the record's attributes may share an array with a caller's copy
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
