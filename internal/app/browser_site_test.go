package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// browserSite is the application served to a browser test: a school,
// one person of each role, the sign-in e-mails written to an outbox.
type browserSite struct {
	app    *App
	srv    *httptest.Server
	outbox string
	school store.School
	people map[string]store.User
}

// newBrowserSite serves the application on db; now, when set, is its
// clock.
func newBrowserSite(t *testing.T, db *store.DB, now func() time.Time) *browserSite {
	t.Helper()
	s := &browserSite{school: storetest.School(t, db, &storetest.SchoolOpts{Name: "École élémentaire Alexandre Dumas"}),
		people: map[string]store.User{}, outbox: t.TempDir()}
	for _, p := range []struct {
		key  string
		opts storetest.UserOpts
	}{
		{"teacher", storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.school.UAI, Email: "julien.martin@example.fr", Name: "Julien Martin"}},
		{"director", storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.school.UAI, Email: "nadia.haddad@example.fr", Name: "Nadia Haddad"}},
		{"inspection", storetest.UserOpts{Role: store.RoleInspection, Email: "ien@example.fr", Name: "Sophie Lambert"}},
		{"it", storetest.UserOpts{Role: store.RoleIT, Email: "dsi@example.fr", Name: "Karim Benali"}},
		{"education", storetest.UserOpts{Role: store.RoleEducation, Email: "education@example.fr", Name: "Marc Dubois"}},
		{"coordinator", storetest.UserOpts{Role: store.RoleCoordinator, Email: "coordination@example.fr", Name: "Claire Morel"}},
	} {
		u, _ := storetest.User(t, db, &p.opts)
		s.people[p.key] = u
	}
	mailer, err := notify.NewOutbox(s.outbox, "classemobile <noreply@example.fr>")
	require.NoError(t, err)
	front, api, err := newAPI(t, db)
	require.NoError(t, err)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.app.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	s.app, err = New(Deps{DB: db, Mailer: mailer, API: front, Printer: api, Logger: storetest.Logger(t), BaseURL: s.srv.URL, NowFunc: now})
	require.NoError(t, err)
	return s
}

// browserAllocator starts headless chromium with a window of width ×
// height.
func browserAllocator(ctx context.Context, chromium string, width, height int) (context.Context, context.CancelFunc) {
	return chromedp.NewExecAllocator(ctx, append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(width, height))...)
}
