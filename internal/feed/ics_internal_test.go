package feed

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestFeedTimedPickup renders a loan whose pickup has a time: a timed event
// in Europe/Paris (with the VTIMEZONE), the rest all-day. The output is the
// golden feed_timed.ics in package web's testdata (rewritten by -update,
// run there), beside the other goldens that the ical.js test of package web
// reads.
func TestFeedTimedPickup(t *testing.T) {
	t.Parallel()
	pickup := time.Date(2027, 1, 4, 7, 30, 0, 0, time.UTC) // 08:30 in Paris
	loan := store.FeedLoan{ID: 42, State: store.LoanSigned, SchoolUAI: "0931234K", SchoolName: "École élémentaire Jean-Jaurès 1",
		ClassLevels: []string{"CM1"}, Packs: []store.FeedLoanPack{{ID: 3, Code: "EIM-3"}},
		PickupDay: calendar.MustParseDate("2027-01-04"), ReturnDay: calendar.MustParseDate("2027-02-12"),
		BaseReturnDay: calendar.MustParseDate("2027-02-12"), PickupTime: pickup, TrainingStatus: store.TrainingDone,
		Changed: time.Date(2026, 11, 20, 13, 45, 0, 0, time.UTC)}
	planned := planFeed(store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: "0931234K"}, []store.FeedLoan{loan},
		calendar.MustParseDate("2026-11-28"), "classemobile.epinay-sur-seine.fr")
	cal := calendar.Feed{Name: "Classe mobile — École élémentaire Jean-Jaurès 1"}
	for _, p := range planned {
		ev := p.event
		ev.Modified = p.changed
		cal.Events = append(cal.Events, ev)
	}
	body, err := calendar.MarshalICS(cal)
	require.NoError(t, err)
	assert.Contains(t, string(body), "DTSTART;TZID=Europe/Paris:20270104T083000\r\n", "pickup at 08:30 Paris time")
	assert.Contains(t, string(body), "DTEND;TZID=Europe/Paris:20270104T093000\r\n", "one hour")
	assert.Contains(t, string(body), "DTSTART;VALUE=DATE:20270104\r\n", "the loan itself stays all-day")
	assert.Contains(t, string(body), "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n")
	path := filepath.Join("..", "web", "testdata", "feed_timed.ics")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.WriteFile(path, body, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden %s (run go test -update)", path)
	assert.Equal(t, string(want), string(body), "feed differs from %s", path)
}

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newRateLimiter(60, 30)
	for i := range 30 {
		ok, _ := l.allow("a", clock())
		require.True(t, ok, "request %d of the burst", i+1)
	}
	ok, wait := l.allow("a", clock())
	assert.False(t, ok, "burst spent")
	assert.Equal(t, time.Second, wait, "one token per second at 60/min")
	ok, _ = l.allow("b", clock())
	assert.True(t, ok, "buckets are per key")
	now = now.Add(500 * time.Millisecond)
	ok, wait = l.allow("a", clock())
	assert.False(t, ok, "half a token")
	assert.Equal(t, 500*time.Millisecond, wait)
	now = now.Add(500 * time.Millisecond)
	ok, _ = l.allow("a", clock())
	assert.True(t, ok, "refilled one")
	now = now.Add(time.Hour)
	for range 30 {
		ok, _ = l.allow("a", clock())
		require.True(t, ok, "full again after an hour, but no more than the burst")
	}
	ok, _ = l.allow("a", clock())
	assert.False(t, ok, "the burst caps the refill")
	now = now.Add(2 * time.Minute)
	l.allow("c", clock())
	assert.Equal(t, 1, l.len(), "refilled buckets are swept")

	off := newRateLimiter(-1, 30)
	for range 1000 {
		ok, _ := off.allow("a", clock())
		require.True(t, ok, "a negative rate disables the limiter")
	}
}

// TestFeedCacheRenders counts renders: polls of an unchanged feed are
// served from memory; a loan change, a new day, or a change made through
// another instance render again, and two instances converge on the same
// bytes.
func TestFeedCacheRenders(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		newServer := func() *Server {
			s, err := New(Deps{DB: db, Logger: storetest.Logger(t), NowFunc: clock, Options: Options{RatePerMinute: -1, LookupTTL: -1}})
			require.NoError(t, err)
			return s
		}
		a, b := newServer(), newServer()
		school := storetest.School(t, db, nil)
		pack := storetest.Pack(t, db, &storetest.PackOpts{Tablets: 1})
		loan := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack.ID},
			Pickup: calendar.MustParseDate("2027-01-04"), Return: calendar.MustParseDate("2027-02-12"),
			At: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)})
		_, token, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
		require.NoError(t, err)
		get := func(s *Server) []byte {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ics/"+token+".ics", nil))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			return w.Body.Bytes()
		}
		// 16 clients at once on a cold cache: one render.
		bodies := make(chan []byte, 16)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				<-start
				w := httptest.NewRecorder()
				a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ics/"+token+".ics", nil))
				bodies <- w.Body.Bytes()
			})
		}
		close(start)
		wg.Wait()
		close(bodies)
		first := get(a)
		for body := range bodies {
			assert.Equal(t, first, body, "concurrent first requests get the same bytes")
		}
		for range 20 {
			assert.Equal(t, first, get(a))
		}
		assert.EqualValues(t, 1, a.feeds.renderCount.Load(), "16 concurrent then 20 polls of an unchanged feed, one render")
		assert.Equal(t, first, get(b), "another instance renders the same bytes")

		storetest.ChangeLoan(t, db, loan, now, map[string]any{"return_day": calendar.MustParseDate("2027-02-19")})
		changedA := get(a)
		assert.NotEqual(t, first, changedA, "a loan change is seen")
		assert.EqualValues(t, 2, a.feeds.renderCount.Load(), "one more render")
		assert.Equal(t, changedA, get(b), "the other instance sees it too, same bytes")
		assert.EqualValues(t, 2, b.feeds.renderCount.Load())

		now = now.Add(24 * time.Hour)
		assert.True(t, bytes.Equal(changedA, get(a)), "same content the next day")
		assert.EqualValues(t, 3, a.feeds.renderCount.Load(), "but rendered again for the new day")
	})
}
