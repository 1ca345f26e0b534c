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
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// benchData seeds a data set the size of the demo: 15 schools with their
// directors and teachers, 45 requests spread over every state, the
// referents and the coordinator.
func benchData(b *testing.B, db *store.DB) map[string]store.User {
	people := map[string]store.User{}
	for _, r := range []store.Role{store.RoleCoordinator, store.RoleInspection, store.RoleIT, store.RoleEducation} {
		u, _ := storetest.User(b, db, &storetest.UserOpts{Role: r})
		people[string(r)] = u
	}
	states := []store.RequestState{store.RequestDraft, store.RequestSubmitted, store.RequestAuthorised,
		store.RequestInReview, store.RequestValidated, store.RequestRejected}
	for i := range 15 {
		s := storetest.School(b, db, nil)
		d, _ := storetest.User(b, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI})
		for j := range 3 {
			t, _ := storetest.User(b, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
			q := storetest.Request(b, db, &storetest.RequestOpts{SchoolUAI: s.UAI, TeacherID: t.ID, State: states[(i*3+j)%len(states)]})
			if i == 0 && j == 0 {
				people["teacher"], people["director"] = t, d
				people["request"] = store.User{ID: q.ID}
			}
		}
	}
	return people
}

// nationalPeople picks, in a database seeded by « classemobile demo
// --size national », one person of each role the pages are measured for:
// the teacher of a request in review, that school's director, the
// referents and the coordinator.
func nationalPeople(b *testing.B, db *store.DB) map[string]store.User {
	ctx := context.Background()
	people := map[string]store.User{}
	var row struct {
		ID        int64  `bun:"id"`
		TeacherID int64  `bun:"teacher_id"`
		SchoolUAI string `bun:"school_uai"`
	}
	require.NoError(b, db.Bun().NewRaw(`SELECT id, teacher_id, school_uai FROM requests WHERE state = 'in_review' ORDER BY id LIMIT 1`).Scan(ctx, &row))
	people["request"] = store.User{ID: row.ID}
	pick := func(key, query string, args ...any) {
		var id int64
		require.NoError(b, db.Bun().NewRaw(query, args...).Scan(ctx, &id), key)
		u, err := db.User(ctx, id)
		require.NoError(b, err, key)
		people[key] = u
	}
	pick("teacher", "SELECT ?", row.TeacherID)
	pick("director", "SELECT user_id FROM user_roles WHERE role = 'director' AND school_uai = ? ORDER BY user_id LIMIT 1", row.SchoolUAI)
	for _, r := range []store.Role{store.RoleCoordinator, store.RoleInspection, store.RoleIT, store.RoleEducation} {
		pick(string(r), "SELECT user_id FROM user_roles WHERE role = ? ORDER BY user_id LIMIT 1", string(r))
	}
	return people
}

// BenchmarkPages measures the server time of the main pages with data of
// the demo's size (SQLite), and reports the median and 95th percentile.
// With BENCH_NATIONAL_DB naming a SQLite file seeded by « classemobile
// demo --size national --db FILE » (2,000 schools, 8,000 requests), it
// measures the same pages on it too (sessions are added to that file).
//
//	go test -run '^$' -bench Pages ./internal/app
//	BENCH_NATIONAL_DB=/tmp/national.db go test -run '^$' -bench Pages ./internal/app
func BenchmarkPages(b *testing.B) {
	b.Run("demo", func(b *testing.B) {
		db := storetest.NewSQLite(b)
		benchPages(b, db, benchData(b, db))
	})
	if f := os.Getenv("BENCH_NATIONAL_DB"); f != "" {
		b.Run("national", func(b *testing.B) {
			db := storetest.OpenURL(b, "sqlite:"+f)
			benchPages(b, db, nationalPeople(b, db))
		})
	}
}

func benchPages(b *testing.B, db *store.DB, people map[string]store.User) {
	a, err := New(Deps{DB: db, Mailer: &notifytest.Mailbox{}, BaseURL: "http://localhost:8080"})
	require.NoError(b, err)
	cookie := func(u store.User) *http.Cookie {
		link, err := db.NewLoginLink(context.Background(), u.ID)
		require.NoError(b, err)
		_, secret, _, err := db.ConsumeLoginToken(context.Background(), link.Token, "bench")
		require.NoError(b, err)
		return &http.Cookie{Name: "cm_session", Value: secret}
	}
	reqID := people["request"].ID
	for _, c := range []struct {
		name, who, path string
	}{
		{"a-faire-enseignant", "teacher", "/"},
		{"a-faire-coordination", "coordinator", "/"},
		{"nouvelle-demande", "teacher", "/demandes/nouvelle"},
		{"fiche-projet", "coordinator", fmt.Sprintf("/demandes/%d", reqID)},
		{"demandes", "coordinator", "/demandes"},
		{"mon-ecole", "director", "/ecole"},
		{"avis", "inspection", "/avis"},
		{"validation", "coordinator", "/validation?etat=toutes"},
		{"planning-coordination", "coordinator", "/planning"},
		{"planning-ecole", "director", "/planning"},
		{"synthese", "coordinator", "/synthese"},
	} {
		ck := cookie(people[c.who])
		b.Run(c.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, c.path, nil)
				req.AddCookie(ck)
				w := httptest.NewRecorder()
				start := time.Now()
				a.ServeHTTP(w, req)
				times = append(times, time.Since(start))
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
