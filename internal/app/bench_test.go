package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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

// BenchmarkPages measures the server time of the main pages with data of
// the demo's size (SQLite), and reports the median and 95th percentile.
//
//	go test -run '^$' -bench Pages ./internal/app
func BenchmarkPages(b *testing.B) {
	db := storetest.NewSQLite(b)
	people := benchData(b, db)
	a, err := New(Deps{DB: db, Mailer: &mailbox{}, BaseURL: "http://localhost:8080"})
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
