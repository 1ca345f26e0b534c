package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// plannerNow is the day of the planner's journey: a school year under
// way, so that a round has past weeks and too few packs.
var plannerNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

var roundPathRE = regexp.MustCompile(`/tours/(\d+)$`)

// waitRound waits for the browser to land on a round's page (the solve
// page refreshes itself until the solve ends) and returns its id.
func (e *e2e) waitRound(name string) int64 {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loc, err := chromedp.Run(e.ctx, chromedp.Location())
		require.NoError(e.t, err)
		if m := roundPathRE.FindStringSubmatch(strings.SplitN(loc, "#", 2)[0]); m != nil {
			require.NoError(e.t, chromedp.Do(e.ctx, chromedp.WaitVisible(chromedp.CSS("#resultat"))))
			e.check(name)
			id, _ := strconv.ParseInt(m[1], 10, 64)
			return id
		}
		if time.Now().After(deadline) {
			text, _ := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
			e.t.Fatalf("the solve ends: still at %s: %s", loc, text)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestBrowserPlanner is the coordinator's journey through a round in
// Debian's chromium, axe-core on every page: run a round, read an
// unserved project's reason, try its fix as a what-if, pin a project with
// a reason, re-run, read the difference, preview and publish; then the
// teacher reads the reason on the project's page.
func TestBrowserPlanner(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	db := storetest.NewSQLite(t)
	db.SetNowFunc(func() time.Time { return plannerNow })
	t.Cleanup(db.WaitSolves)
	ctx := context.Background()
	d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 10, Sectors: 3, TwoPacks: []int{4}})
	coord := d.Coordinator
	site := newBrowserSite(t, db, func() time.Time { return plannerNow })
	allocCtx, cancel := browserAllocator(ctx, chromium, 1280, 900)
	defer cancel()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	bctx, cancelT := context.WithTimeout(bctx, 8*time.Minute)
	defer cancelT()
	_, err := chromedp.Call(bctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
	require.NoError(t, err)
	e := &e2e{t: t, ctx: bctx, base: site.srv.URL, app: site.app, outbox: site.outbox, axe: axe, start: time.Now(), shots: os.Getenv("SCREENSHOTS")}
	if e.shots != "" {
		require.NoError(t, os.MkdirAll(e.shots, 0o755))
	}

	// The coordinator runs a round of the year with its defaults.
	e.signIn(coord.Email, coord.Name, false)
	e.open("/tours", http.StatusOK, "Tours d'affectation")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#time_limit"), "3")))
	_, err = chromedp.RunResponse(e.ctx, chromedp.Click(chromedp.CSS("form[method=post][action='/tours'] button[type=submit]")))
	require.NoError(t, err)
	first := e.waitRound("Tour d'affectation (brouillon)")
	r1, err := db.Round(ctx, first)
	require.NoError(t, err)
	require.NotEmpty(t, r1.Unserved, "two packs cannot serve ten projects")
	text, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("#non-servis + ul")))
	require.NoError(t, err)
	assert.Contains(t, text, "Pourquoi", "each unserved project says why")
	assert.Contains(t, text, r1.Unserved[0].SchoolName)
	e.screenshot("tour-brouillon.png")

	// Its fix, as a what-if: nothing is sent, the difference is shown.
	e.submit("#non-servis + ul form[action$='/hypotheses'] button", http.StatusOK, "Rien n'a été publié ni envoyé", "Hypothèse (un pack de plus)")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	assert.Contains(t, text, "Nouvellement servis", "the what-if shows the newly served")
	e.screenshot("hypothese.png")

	// Pin a project (exclude the first one served) with a reason, then
	// re-run.
	require.NotEmpty(t, r1.Loans)
	excluded := r1.Loans[0]
	e.open(fmt.Sprintf("/tours/%d/epinglage?demande=%d", first, excluded.RequestID), http.StatusOK, "Fixer ou exclure")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.Click(chromedp.CSS("#choix-exclure")),
		chromedp.SetValue(chromedp.CSS("#raison"), "autre"),
		chromedp.SendKeys(chromedp.CSS("#autre"), "École en travaux jusqu'aux vacances d'hiver")))
	e.submit("form[action$='/epinglage'] button[type=submit]", http.StatusOK, "Relancez le calcul", "Tour avec un épinglage demandé")
	_, err = chromedp.RunResponse(e.ctx, chromedp.Click(chromedp.CSS("#epingles ~ form[action$='/relance'] button")))
	require.NoError(t, err)
	second := e.waitRound("Tour d'affectation (après l'épinglage)")
	require.NotEqual(t, first, second, "the re-run is a new draft")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	assert.Contains(t, text, "École en travaux jusqu'aux vacances d'hiver", "the reason is kept with the round")
	assert.Contains(t, text, "Prêts ajoutés", "the difference with the published plan")
	e.screenshot("tour-apres-epinglage.png")

	// Capacity of the year under this round.
	e.open(fmt.Sprintf("/tours/%d/capacite", second), http.StatusOK, "Capacité")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	assert.Contains(t, text, "tous les projets éligibles")

	// Preview, then publish.
	e.open(fmt.Sprintf("/tours/%d/publication", second), http.StatusOK, "Publier (aperçu)")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	assert.Contains(t, text, "Nouveau prêt pour le projet", "the preview says who is told what")
	e.screenshot("publication.png")
	e.submit("form[action$='/publication'] button[type=submit]", http.StatusOK, "Tour publié", "Tour publié")
	pub, err := db.Round(ctx, second)
	require.NoError(t, err)
	assert.Equal(t, store.RoundPublished, pub.State)
	e.signOut()

	// The excluded project's teacher reads why on the project's page.
	var teacher store.User
	for _, q := range d.Requests {
		if q.ID == excluded.RequestID {
			teacher = q.Teacher
		}
	}
	require.NotZero(t, teacher.ID)
	e.signIn(teacher.Email, teacher.Name, false)
	e.open(fmt.Sprintf("/demandes/%d", excluded.RequestID), http.StatusOK, "Fiche projet (non programmée)")
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("#affectation + p")))
	require.NoError(t, err)
	assert.Contains(t, text, "École en travaux jusqu'aux vacances d'hiver")
	assert.Contains(t, text, "n'a pas pu être programmé")
	t.Logf("axe-core: 0 violations on %d pages: %s", len(e.checked), strings.Join(e.checked, ", "))
}
