package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/notify/notifytest"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// BenchmarkRoundPage measures the server time of a round's page with its
// grid (and of the what-if and publication pages): on a town (6 packs,
// 40 validated projects, a draft round), and with BENCH_TOWN_DB or
// BENCH_NATIONAL_DB naming SQLite files seeded by « classemobile demo
// --size town|national --db FILE », on their latest round of the year
// (the national grid pages by 25 packs). It reports the median and the
// 95th percentile.
//
//	go test -run '^$' -bench RoundPage ./internal/app
//	BENCH_NATIONAL_DB=/tmp/national.db go test -run '^$' -bench RoundPage ./internal/app
func BenchmarkRoundPage(b *testing.B) {
	b.Run("town", func(b *testing.B) {
		db := storetest.NewSQLite(b)
		d := storetest.Rounds(b, db, &storetest.RoundOpts{Packs: 6, Requests: 40, Sectors: 5, TwoPacks: []int{3, 9, 17}})
		r, err := round.Run(context.Background(), db, store.Actor{UserID: d.Coordinator.ID},
			round.Input{SchoolYear: d.Year, Today: storetest.RoundToday, TimeLimit: 2 * time.Second})
		require.NoError(b, err)
		benchRound(b, db, d.Coordinator, r.ID)
	})
	for name, env := range map[string]string{"demo": "BENCH_TOWN_DB", "national": "BENCH_NATIONAL_DB"} {
		f := os.Getenv(env)
		if f == "" {
			continue
		}
		b.Run(name, func(b *testing.B) {
			db := storetest.OpenURL(b, "sqlite:"+f)
			ctx := context.Background()
			var ids []int64
			require.NoError(b, db.Bun().NewRaw(`SELECT id FROM rounds ORDER BY id DESC LIMIT 1`).Scan(ctx, &ids))
			require.NotEmpty(b, ids, "a round in %s", f)
			var uid int64
			require.NoError(b, db.Bun().NewRaw(`SELECT user_id FROM user_roles WHERE role = 'coordinator' ORDER BY user_id LIMIT 1`).Scan(ctx, &uid))
			u, err := db.User(ctx, uid)
			require.NoError(b, err)
			benchRound(b, db, u, ids[0])
		})
	}
}

func benchRound(b *testing.B, db *store.DB, coord store.User, roundID int64) {
	ctx := context.Background()
	a, err := New(Deps{DB: db, Mailer: &notifytest.Mailbox{}, BaseURL: "http://localhost:8080"})
	require.NoError(b, err)
	link, err := db.NewLoginLink(ctx, coord.ID)
	require.NoError(b, err)
	_, secret, _, err := db.ConsumeLoginToken(ctx, link.Token, "bench")
	require.NoError(b, err)
	ck := &http.Cookie{Name: "cm_session", Value: secret}
	for _, c := range []struct{ name, path string }{
		{"tour", fmt.Sprintf("/tours/%d", roundID)},
		{"tour-page-2", fmt.Sprintf("/tours/%d?page=2", roundID)},
		{"publication", fmt.Sprintf("/tours/%d/publication", roundID)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				req.AddCookie(ck)
				w := httptest.NewRecorder()
				start := time.Now()
				a.ServeHTTP(w, req)
				times = append(times, time.Since(start))
				if w.Code == http.StatusBadRequest && c.name == "tour-page-2" {
					b.Skip("one page of packs only")
				}
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", c.path, w.Code)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
