package feed

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// benchLoans returns n loans of one school in a mix of states, about five
// events each.
func benchLoans(n int) []store.FeedLoan {
	states := []store.LoanState{store.LoanClosed, store.LoanReturned, store.LoanPickedUp, store.LoanSigned, store.LoanReserved}
	start := calendar.MustParseDate("2026-09-07")
	loans := make([]store.FeedLoan, n)
	for i := range loans {
		pickup := start.AddDays(7 * (i % 30))
		loans[i] = store.FeedLoan{ID: int64(i + 1), State: states[i%len(states)], SchoolUAI: "0931234K",
			SchoolName: "École élémentaire Jean-Jaurès 1", SchoolAddress: "12 rue de l'Église, 93800 Épinay-sur-Seine",
			ClassLevels: []string{"CE2", "CM1"}, Packs: []store.FeedLoanPack{{ID: int64(i%6 + 1), Code: fmt.Sprintf("EIM-%d", i%6+1)}},
			PickupDay: pickup, ReturnDay: pickup.AddDays(39), BaseReturnDay: pickup.AddDays(39),
			TrainingStatus: store.TrainingPlanned, TrainingDate: pickup.AddDays(-10),
			Changed: time.Date(2026, 9, 1, 8, 0, 0, int(time.Duration(i)*time.Second), time.UTC)}
	}
	return loans
}

// BenchmarkRenderFeed200 renders a feed of 200 events: planning the events
// from the loans and writing the iCalendar bytes (everything a cache miss
// does besides the database), then also its gzip representation.
func BenchmarkRenderFeed200(b *testing.B) {
	loans := benchLoans(44) // 201 events; the last is dropped
	target := store.FeedTarget{Scope: store.FeedAll}
	today := calendar.MustParseDate("2026-09-01")
	if n := len(planFeed(target, loans, today, "classemobile.example.fr")); n < 200 {
		b.Fatalf("%d events, want at least 200", n)
	}
	render := func(b *testing.B) []byte {
		planned := planFeed(target, loans, today, "classemobile.example.fr")[:200]
		cal := calendar.Feed{Name: "Classes mobiles — tous les prêts", Events: make([]calendar.Event, len(planned))}
		for i, p := range planned {
			ev := p.event
			ev.Sequence, ev.Modified = 1, p.changed
			cal.Events[i] = ev
		}
		body, err := calendar.MarshalICS(cal)
		if err != nil {
			b.Fatal(err)
		}
		return body
	}
	b.Run("ics", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			size = len(render(b))
		}
		b.ReportMetric(float64(size), "bytes/feed")
	})
	b.Run("ics+gzip", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			gz, err := gzipBytes(render(b))
			if err != nil {
				b.Fatal(err)
			}
			size = len(gz)
		}
		b.ReportMetric(float64(size), "gzip-bytes/feed")
	})
}

// BenchmarkFeedRequest measures the feed endpoint in process (no network):
// a cached 200 and a 304, each with its token lookup.
func BenchmarkFeedRequest(b *testing.B) {
	db := storetest.NewSQLite(b)
	ctx := context.Background()
	school := storetest.School(b, db, nil)
	pack := storetest.Pack(b, db, &storetest.PackOpts{Tablets: 1})
	for i := range 8 {
		pickup := calendar.MustParseDate("2026-09-07").AddDays(49 * i)
		storetest.FeedLoan(b, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack.ID},
			Pickup: pickup, Return: pickup.AddDays(39), At: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)})
	}
	_, token, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	if err != nil {
		b.Fatal(err)
	}
	m := metrics.New(prometheus.NewRegistry())
	s, err := New(Deps{DB: db, Logger: storetest.Logger(b), Options: Options{RatePerMinute: -1}, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	var srv http.Handler = s
	if os.Getenv("FEED_BENCH_OBSERVED") != "0" {
		// As serve runs it: behind the request observer (FEED_BENCH_OBSERVED=0: without, for comparison).
		srv = observe.Handler(s, observe.Options{Metrics: m, Logger: storetest.Logger(b)})
	}
	path := "/ics/" + token + ".ics"
	first := httptest.NewRecorder()
	srv.ServeHTTP(first, httptest.NewRequest(http.MethodGet, path, nil))
	if first.Code != http.StatusOK {
		b.Fatalf("GET: %d", first.Code)
	}
	etag := first.Header().Get("ETag")
	for _, c := range []struct {
		name   string
		etag   string
		status int
	}{{"200", "", http.StatusOK}, {"304", etag, http.StatusNotModified}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodGet, path, nil)
					if c.etag != "" {
						req.Header.Set("If-None-Match", c.etag)
					}
					w := httptest.NewRecorder()
					srv.ServeHTTP(w, req)
					if w.Code != c.status {
						b.Errorf("status %d, want %d", w.Code, c.status)
						return
					}
				}
			})
		})
	}
}
