package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// viewsData seeds a small town: four packs, five schools in three
// sectors, loans over the year (two packs for one), a maintenance window,
// the referents, the coordinator and a director.
func viewsData(t *testing.T, db *store.DB) map[string]store.User {
	ctx := context.Background()
	people := map[string]store.User{}
	add := func(key string, o storetest.UserOpts) store.User {
		u, _ := storetest.User(t, db, &o)
		people[key] = u
		return u
	}
	coord := add("coordinator", storetest.UserOpts{Role: store.RoleCoordinator, Email: "coordination@example.fr", Name: "Claire Morel"})
	add("it", storetest.UserOpts{Role: store.RoleIT, Email: "dsi@example.fr", Name: "Karim Benali"})
	var packs []store.Pack
	for i := range 4 {
		packs = append(packs, storetest.Pack(t, db, &storetest.PackOpts{Code: fmt.Sprintf("CM-%02d", i+1)}))
	}
	schools := []storetest.SchoolOpts{
		{Name: "École Alexandre Dumas", SectorID: "centre"}, {Name: "École Anatole France", SectorID: "centre"},
		{Name: "École Jean Jaurès", SectorID: "orgemont"}, {Name: "École Georges Martin", SectorID: "orgemont"},
		{Name: "École Lacépède", SectorID: "presles"},
	}
	y, err := db.CalendarYear(ctx, storetest.LoanYear)
	require.NoError(t, err)
	// The first legal start of each period.
	var starts []int
	legal := y.LegalStarts(store.DefaultLoanWeeks)
	for _, per := range y.Periods() {
		if i := slices.IndexFunc(legal, func(w int) bool { return w >= per.FirstWeek && w <= per.LastWeek }); i >= 0 {
			starts = append(starts, legal[i])
		}
	}
	require.GreaterOrEqual(t, len(starts), 4)
	plan := []struct {
		school, start int
		packs         []int
	}{{0, 0, []int{0, 1}}, {1, 0, []int{2}}, {2, 1, []int{0}}, {3, 2, []int{1, 2}}, {4, 3, []int{3}}, {0, 3, []int{0}}}
	var made []store.School
	for i, o := range schools {
		s := storetest.School(t, db, &o)
		made = append(made, s)
		if i == 0 {
			add("director", storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI, Email: "direction.dumas@example.fr", Name: "Nadia Haddad"})
		}
	}
	for _, p := range plan {
		lr := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: made[p.school].UAI, Packs: len(p.packs)})
		var ids []int64
		for _, i := range p.packs {
			ids = append(ids, packs[i].ID)
		}
		_, err := db.CreateLoan(ctx, store.Actor{UserID: coord.ID}, store.NewLoan{RequestID: lr.ID, PackIDs: ids, StartWeek: starts[p.start]})
		require.NoError(t, err)
	}
	w := y.Weeks()[starts[2]]
	_, err = db.CreateMaintenance(ctx, store.Actor{UserID: coord.ID}, store.NewMaintenance{PackID: packs[3].ID,
		FirstDay: w.First, LastDay: w.First.AddDays(11), Reason: "Écrans à remplacer"})
	require.NoError(t, err)
	return people
}

// browserApp serves the application on db with e-mails in an outbox
// directory, for a browser journey.
func browserApp(t *testing.T, db *store.DB) (*App, *httptest.Server, string) {
	t.Helper()
	outbox := t.TempDir()
	mailer, err := notify.NewOutbox(outbox, "classemobile <noreply@example.fr>")
	require.NoError(t, err)
	front, api, err := newAPI(t, db)
	require.NoError(t, err)
	var a *App
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	a, err = New(Deps{DB: db, Mailer: mailer, API: front, Printer: api, Logger: storetest.Logger(t), BaseURL: srv.URL})
	require.NoError(t, err)
	return a, srv, outbox
}

// TestBrowserViews visits the planning, the synthèse and every
// administration page in chromium, with axe-core on each: the coordinator
// edits a school (one mistake first), sets the year, creates a feed; a
// director then reads the planning with the other schools as « prêté ».
func TestBrowserViews(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	db := storetest.NewSQLite(t)
	people := viewsData(t, db)
	a, srv, outbox := browserApp(t, db)
	allocCtx, cancel := browserAllocator(context.Background(), chromium, 1280, 900)
	defer cancel()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancelT := context.WithTimeout(bctx, 6*time.Minute)
	defer cancelT()
	_, err := chromedp.Call(bctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
	require.NoError(t, err)
	e := &e2e{t: t, ctx: bctx, base: srv.URL, app: a, outbox: outbox, axe: axe, start: time.Now(), shots: os.Getenv("SCREENSHOTS")}
	if e.shots != "" {
		require.NoError(t, os.MkdirAll(e.shots, 0o755))
	}

	e.signIn(people["coordinator"].Email, people["coordinator"].Name, false)
	e.open("/planning", http.StatusOK, "Planning des packs")
	text, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("table.grid")))
	require.NoError(t, err)
	assert.Contains(t, text, "École Lacépède", "the coordinator sees every school")
	assert.Contains(t, text, "maintenance")
	e.screenshot("planning.png")
	e.open("/planning?periode=P2&secteur=orgemont", http.StatusOK, "Planning des packs (P2, un secteur)")
	e.open("/synthese", http.StatusOK, "Synthèse")
	e.screenshot("synthese.png")
	e.open("/admin", http.StatusOK, "Administration")
	e.open("/admin/personnes", http.StatusOK, "Personnes")
	e.open("/admin/personnes/nouvelle", http.StatusOK, "Inviter une personne")
	e.open("/admin/personnes/import", http.StatusOK, "Importer des personnes")
	e.open(fmt.Sprintf("/admin/personnes/%d", people["it"].ID), http.StatusOK, "Modifier une personne")
	e.open(fmt.Sprintf("/admin/personnes/%d/desactivation", people["it"].ID), http.StatusOK, "Désactiver une personne")
	e.submit("form[action$='/desactivation'] button[type=submit]", http.StatusOK, "", "Personnes (après désactivation)")
	e.open(fmt.Sprintf("/admin/personnes/%d", people["it"].ID), http.StatusOK, "Personne désactivée")
	e.submit("form[action$='/reactivation'] button", http.StatusOK, "est réactivé", "Personne réactivée")
	e.open("/admin/ecoles", http.StatusOK, "Écoles")
	e.screenshot("admin-ecoles.png")
	uai := people["director"].SchoolUAI
	e.open("/admin/ecoles/"+uai, http.StatusOK, "Modifier une école")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#name"), "  ")))
	e.submit("form[action^='/admin/ecoles/'] button[type=submit]", http.StatusUnprocessableEntity, "1 champ est à corriger", "Modifier une école (erreur)")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SendKeys(chromedp.CSS("#name"), "École élémentaire Alexandre Dumas")))
	e.submit("form[action^='/admin/ecoles/'] button[type=submit]", http.StatusOK, "enregistrée", "Écoles (enregistrée)")
	e.open("/admin/annee?annee="+storetest.LoanYear, http.StatusOK, "Année scolaire")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#loan_weeks"), "5"),
		chromedp.Click(chromedp.CSS("#loan_policy-across_breaks"))))
	e.submit("form[action='/admin/annee'] button[type=submit]", http.StatusOK, "enregistrés", "Année scolaire (enregistrée)")
	set, err := db.YearSettings(context.Background(), storetest.LoanYear)
	require.NoError(t, err)
	assert.Equal(t, 5, set.LoanWeeks)
	assert.Equal(t, calendar.AcrossBreaks, set.LoanPolicy)
	e.open("/admin/calendrier", http.StatusOK, "Calendrier scolaire")
	file := filepath.Join(t.TempDir(), "fr-en-calendrier-scolaire.csv")
	require.NoError(t, os.WriteFile(file, officialCSV(storetest.LoanYear), 0o644))
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetUploadFiles(chromedp.CSS("#fichier"), []string{file})))
	e.submit("form[action='/admin/calendrier'] button[type=submit]", http.StatusOK, "dates changées", "Calendrier scolaire (aperçu)")
	e.submit("form[action='/admin/calendrier/application'] button[type=submit]", http.StatusOK, "Calendrier importé", "Calendrier scolaire (importé)")
	e.open("/admin/relances", http.StatusOK, "Relances")
	e.open("/admin/flux", http.StatusOK, "Flux de calendrier")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#scope"), "all")))
	e.submit("form[action='/admin/flux'] button[type=submit]", http.StatusOK, "Adresse du nouveau flux", "Flux de calendrier (créé)")
	e.submit("form[action='/admin/flux/revocation'] button", http.StatusOK, "révoqué", "Flux de calendrier (révoqué)")
	e.signOut()

	e.signIn(people["director"].Email, people["director"].Name, false)
	e.open("/planning", http.StatusOK, "Planning des packs (direction d'école)")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("table.grid")))
	require.NoError(t, err)
	assert.Contains(t, text, "Alexandre Dumas", "the director's school by name")
	assert.Contains(t, text, "prêté", "the others as lent")
	assert.NotContains(t, text, "Lacépède", "no other school's name")
	t.Logf("axe-core: 0 violations on %d pages: %s", len(e.checked), strings.Join(e.checked, ", "))
}
