// Command feedbench serves one iCal feed for load tests (scripts/feedbench.sh):
// it seeds a database with a school and its loans, issues the school's feed
// token, prints the feed's path on stdout and serves feed.New with
// feed.HTTPServer, as classemobile serve does (the feed rate limit is on
// at a rate wrk cannot reach). It lives under testdata so that
// go build ./... ignores it; run it with go run or go build by path.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof" // for -pprof
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
)

func main() {
	dbURL := flag.String("db", "", "database URL (default: a new SQLite file in a temporary directory)")
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	loans := flag.Int("loans", 8, "loans of the school (about 5 events each)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (profiling)")
	lookupTTL := flag.Duration("lookup-ttl", 0, "feed.Options.LookupTTL (0: the default, 1s; negative: a database lookup per request)")
	plain := flag.Bool("plain-server", false, "serve with a plain http.Server (no timeouts, no feed.Listener) instead of feed.HTTPServer, for comparison")
	noObserve := flag.Bool("no-observe", false, "serve without the request observer (request ids, metrics, request log) that serve puts in front, for comparison")
	bareAddr := flag.String("bare", "", "also serve the feed's bytes from a bare net/http handler on this address (the floor of Go's HTTP server)")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as classemobile serve does
	}
	if *pprofAddr != "" {
		go http.ListenAndServe(*pprofAddr, nil) // DefaultServeMux has net/http/pprof
	}
	if err := run(*dbURL, *addr, *bareAddr, *loans, *lookupTTL, *plain, *noObserve); err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}

func run(dbURL, addr, bareAddr string, loans int, lookupTTL time.Duration, plainServer, noObserve bool) error {
	ctx := context.Background()
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "feedbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbURL = filepath.Join(dir, "feedbench.db")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(ctx, dbURL, store.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	token, err := seed(ctx, db, loans)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	srv, err := feed.New(feed.Deps{DB: db, Logger: logger, BaseURL: "http://" + addr,
		// The rate limit is on, at a rate wrk cannot reach (one request per
		// nanosecond, a burst of 0.1 s): every request pays for it, as in
		// production. (A small burst would refuse requests whose clock
		// reading went stale while their goroutine waited for a CPU.)
		Options: feed.Options{RatePerMinute: 60e9, Burst: 100_000_000, LookupTTL: lookupTTL}})
	if err != nil {
		return err
	}
	var h http.Handler = srv
	if !noObserve {
		// As serve runs it: request ids, metrics and the request log.
		h = observe.Handler(srv, observe.Options{Metrics: metrics.New(prometheus.NewRegistry()), Logger: logger})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	path := "/ics/" + token + ".ics"
	if bareAddr != "" {
		if err := serveBare(srv, path, bareAddr); err != nil {
			return err
		}
	}
	fmt.Println(path)
	if plainServer {
		// The settings this program had before feed.HTTPServer, for comparison.
		hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
		return hs.Serve(ln)
	}
	// The server classemobile serve runs.
	return feed.HTTPServer(h, logger).Serve(feed.Listener(ln))
}

// seed writes a school with n loans (a mix of states) and returns the token
// of its feed.
func seed(ctx context.Context, db *store.DB, n int) (string, error) {
	school, err := db.CreateSchool(ctx, store.Actor{}, store.School{UAI: "0931234K", Name: "École élémentaire Jean-Jaurès 1",
		Kind: "elementaire", Address: "12 rue de l'Église", PostalCode: "93800", City: "Épinay-sur-Seine"})
	if err != nil {
		return "", err
	}
	teacher, _, err := db.CreateUser(ctx, store.Actor{}, store.User{Email: "enseignant@example.fr", Name: "Enseignant",
		Role: store.RoleTeacher, SchoolUAI: school.UAI})
	if err != nil {
		return "", err
	}
	states := []store.LoanState{store.LoanClosed, store.LoanReturned, store.LoanPickedUp, store.LoanSigned, store.LoanReserved}
	start := calendar.MustParseDate("2026-09-07")
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	b := db.Bun()
	for i := range n {
		pack, err := db.CreatePack(ctx, store.Actor{}, store.Pack{Code: fmt.Sprintf("EIM-%02d", i+1), Label: "Classe mobile"})
		if err != nil {
			return "", err
		}
		pickup := start.AddDays(7 * (i % 30))
		ret := pickup.AddDays(39)
		state := states[i%len(states)]
		var reqID, loanID int64
		if err := b.NewRaw(`INSERT INTO requests (school_year, school_uai, teacher_id, state, class_levels, pupils, title,
			commit_secure_use, commit_visits, commit_parents, commit_feedback, secure_storage, training_status, training_date,
			packs, decided_by, decided_at, has_loan, created_at, updated_at)
			VALUES ('2026-2027', ?, ?, 'validated', 'CE2,CM1', 24, 'Projet', TRUE, TRUE, TRUE, TRUE, TRUE, 'planned', ?, 1, ?, ?, TRUE, ?, ?)
			RETURNING id`, school.UAI, teacher.ID, pickup.AddDays(-10).String(), teacher.ID, at, at, at).Scan(ctx, &reqID); err != nil {
			return "", err
		}
		if err := b.NewRaw(`INSERT INTO loans (request_id, school_year, school_uai, state, start_week, weeks, pickup_day,
			base_return_day, return_day, version, created_at, updated_at)
			VALUES (?, '2026-2027', ?, ?, 0, 6, ?, ?, ?, 1, ?, ?) RETURNING id`,
			reqID, school.UAI, state, pickup.String(), ret.String(), ret.String(), at, at).Scan(ctx, &loanID); err != nil {
			return "", err
		}
		if _, err := b.NewRaw(`INSERT INTO loan_packs (loan_id, pack_id, position, pickup_day, busy_until) VALUES (?, ?, 1, ?, ?)`,
			loanID, pack.ID, pickup.String(), ret.AddDays(8).String()).Exec(ctx); err != nil {
			return "", err
		}
	}
	_, token, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	return token, err
}

// serveBare serves the feed's current bytes, ETag and Last-Modified from
// memory with a handler that does nothing else: what net/http costs by
// itself, for comparison with the real endpoint.
func serveBare(srv http.Handler, path, addr string) error {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body := rec.Body.Bytes()
	etag := rec.Header().Get("ETag")
	hdr := map[string][]string{"Content-Type": rec.Header().Values("Content-Type"), "Etag": {etag},
		"Last-Modified": rec.Header().Values("Last-Modified"), "Cache-Control": rec.Header().Values("Cache-Control")}
	length := []string{strconv.Itoa(len(body))}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range hdr {
			h[k] = v
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Length"] = length
		w.Write(body)
	}))
	return nil
}
