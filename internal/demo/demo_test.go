package demo

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// seedDemo is seedDemoAt for a server at http://localhost:8080.
func seedDemo(ctx context.Context, db *store.DB, out io.Writer, logger *slog.Logger, now time.Time) error {
	return seedDemoAt(ctx, db, out, logger, now, "http://localhost:8080")
}

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		require.NoError(t, seedDemo(ctx, db, &out, logger, now))

		schools, err := db.ListSchools(ctx)
		require.NoError(t, err)
		assert.Len(t, schools, 15, "the 15 public elementary schools")
		for _, s := range schools {
			assert.NotEmpty(t, s.SectorID, "school %s has a quartier", s.UAI)
		}
		sectors, err := db.ListSectors(ctx)
		require.NoError(t, err)
		assert.Len(t, sectors, 7, "the 7 quartiers")
		packs, err := db.ListPacks(ctx)
		require.NoError(t, err)
		require.Len(t, packs, 6)
		for _, p := range packs {
			tablets := 0
			for _, it := range p.Items {
				if it.Kind == store.ItemTablet {
					tablets++
				}
			}
			assert.Equal(t, 12, tablets, "pack %s", p.Code)
		}
		for _, role := range store.Roles {
			users, err := db.ListUsers(ctx, role, "")
			require.NoError(t, err)
			assert.NotEmpty(t, users, "a demo user with role %s", role)
			assert.Contains(t, out.String(), string(role))
		}
		// One line per demo person: role, school, e-mail, API token, sign-in
		// link starting with the base URL. The coordinator's token and
		// link work.
		var token, link string
		lines := 0
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) != 5 || !store.Role(f[0]).Valid() {
				continue
			}
			lines++
			assert.True(t, strings.HasPrefix(f[4], "http://localhost:8080/connexion/lien?jeton="), "link of %s: %s", f[2], f[4])
			if f[0] == "coordinator" {
				token, link = f[3], f[4]
			}
		}
		users, err := db.ListUsers(ctx, "", "")
		require.NoError(t, err)
		assert.Equal(t, len(users), lines, "one line per demo person")
		u, err := db.UserByToken(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, store.RoleCoordinator, u.Role)
		jeton := link[strings.Index(link, "jeton=")+len("jeton="):]
		_, _, su, err := db.ConsumeLoginToken(ctx, jeton, "test")
		require.NoError(t, err, "the printed link signs in")
		assert.Equal(t, u.ID, su.ID)

		// One pack is in repair for two weeks of P3, and the published
		// round planned around it.
		windows, err := db.ListMaintenance(ctx, store.MaintenanceFilter{})
		require.NoError(t, err)
		require.Len(t, windows, 1, "one demo maintenance window")
		assert.Equal(t, "2027-01-11", windows[0].FirstDay.String(), "second Monday of P3 2026-2027")
		assert.Equal(t, "2027-01-22", windows[0].LastDay.String())
		rounds, err := db.ListRounds(ctx, "2026-2027")
		require.NoError(t, err)
		require.NotEmpty(t, rounds)
		r, err := db.Round(ctx, rounds[0].ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundPublished, r.State, "the demo round is published")
		require.Len(t, r.Params.Maintenance, 1, "the round used the window")
		assert.Equal(t, windows[0].ID, r.Params.Maintenance[0].ID)

		// A second run leaves the database alone and prints fresh links.
		out.Reset()
		require.NoError(t, seedDemo(ctx, db, &out, logger, now))
		assert.NotContains(t, out.String(), "Demo data seeded.")
		assert.NotContains(t, out.String(), token, "API tokens are printed once")
		assert.NotContains(t, out.String(), jeton, "a new link")
		var again string
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) == 5 && f[0] == "coordinator" {
				again = f[4][strings.Index(f[4], "jeton=")+len("jeton="):]
			}
		}
		_, _, su, err = db.ConsumeLoginToken(ctx, again, "test")
		require.NoError(t, err, "the fresh link signs in")
		assert.Equal(t, u.ID, su.ID)
		schools, err = db.ListSchools(ctx)
		require.NoError(t, err)
		assert.Len(t, schools, 15)
	})
}

func TestSeedDemoPrintsURLsAndSchools(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var out bytes.Buffer
		o := Options{Out: &out, Logger: slog.New(slog.DiscardHandler), Now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
			BaseURL: "https://classemobile.example.fr/", DatabaseURL: "demo.db"}
		require.NoError(t, Seed(ctx, db, o))
		text := out.String()
		assert.NotContains(t, text, "localhost", "no fixed host in what the demo prints")
		assert.Regexp(t, `https://classemobile.example.fr/ics/\S+\.ics`, text)
		teachers := 0
		for _, line := range strings.Split(text, "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == "teacher" {
				teachers++
				assert.Regexp(t, `^\s+teacher\s+\d{7}[A-Z]\s+\S+@\S+\s+cm_\S+ https://classemobile.example.fr/connexion/lien\?jeton=\S+$`, line, "a teacher's school beside the token")
			}
		}
		assert.Greater(t, teachers, 5)

		// A second run says the database has data and how to start afresh.
		out.Reset()
		require.NoError(t, Seed(ctx, db, o))
		assert.Contains(t, out.String(), "La base contient déjà des données")
		assert.Contains(t, out.String(), "Pour repartir de zéro")
		if db.Dialect() == store.SQLite {
			assert.Contains(t, out.String(), "supprimez demo.db")
		} else {
			assert.Contains(t, out.String(), "DROP SCHEMA public CASCADE")
		}
		assert.Contains(t, out.String(), "classemobile user token --email E")
	})
}

func TestSeedDemoRequests(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		require.NoError(t, seedDemo(ctx, db, io.Discard, slog.New(slog.DiscardHandler), now))
		qs, err := db.ListRequests(ctx, store.RequestFilter{SchoolYear: "2026-2027"})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(qs), 30, "about 35 requests")
		states, schools, years := map[store.RequestState]int{}, map[string]bool{}, map[int]int{}
		for _, q := range qs {
			states[q.State]++
			schools[q.SchoolUAI] = true
			years[q.Eligibility.ParticipationYear]++
			assert.NotEmpty(t, q.Title)
		}
		for _, s := range store.RequestStates {
			assert.NotZero(t, states[s], "a demo request in state %s", s)
		}
		assert.Len(t, schools, 15, "requests in every school")
		assert.NotZero(t, years[2], "second-year requests")
		assert.NotZero(t, years[3], "third-year requests")
		for _, q := range qs {
			if q.State == store.RequestValidated {
				assert.LessOrEqual(t, q.Eligibility.ParticipationYear, 2, "validated requests are eligible")
			}
		}
		directors, err := db.ListUsers(ctx, store.RoleDirector, "")
		require.NoError(t, err)
		assert.Len(t, directors, 15, "a director per school")
	})
}

// TestDemoFeeds renders the demo's feeds, whose loans went through the
// loan workflow (every state), over HTTP, on both dialects.
func TestDemoFeeds(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		var out bytes.Buffer
		now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		require.NoError(t, seedDemo(ctx, db, &out, slog.New(slog.DiscardHandler), now))
		paths := regexp.MustCompile(`/ics/[A-Za-z0-9_-]{43}\.ics`).FindAllString(out.String(), -1)
		require.Len(t, paths, 2, "school and coordinator feeds printed: %s", out.String())
		srv, err := feed.New(feed.Deps{DB: db, BaseURL: "https://classemobile.example.fr", NowFunc: func() time.Time { return now }})
		require.NoError(t, err)
		for _, p := range paths {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
			require.Equal(t, http.StatusOK, w.Code, "GET %s", p)
			cal, err := calendar.ParseICS(w.Body)
			require.NoError(t, err, "feed parses")
			events := 0
			for _, c := range cal.Children {
				if c.Name == "VEVENT" {
					events++
				}
			}
			assert.Positive(t, events, "the demo feed %s shows loans", p)
		}
	})
}
