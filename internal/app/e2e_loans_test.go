package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestBrowserLoanJourney takes a published loan through its life in
// Debian's chromium, on a laptop and on a tablet (800 × 1280): the
// director and IT sign the agreement, IT records the training and the
// pickup time, the teacher asks for a 2-week extension that the
// coordinator grants (the school's feed changes), the inspection closes
// the loan and the teacher writes the assessment. The pickup and the
// return, done at the desk, are store calls here. axe-core runs on every
// page.
func TestBrowserLoanJourney(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	db := storetest.NewSQLite(t)
	ctx := context.Background()
	// The pages' clock: a day into the loans, before their return.
	now := time.Date(2026, 9, 2, 9, 0, 0, 0, time.UTC)
	site := newBrowserSite(t, db, func() time.Time { return now })
	school, people, outbox, srv, a := site.school, site.people, site.outbox, site.srv, site.app
	_, token, err := db.CreateFeed(ctx, store.Actor{UserID: people["director"].ID}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI, Name: "agenda de test"})
	require.NoError(t, err)
	feed := func() string {
		t.Helper()
		resp, err := http.Get(srv.URL + "/ics/" + token + ".ics")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}

	allocCtx, cancel := browserAllocator(ctx, chromium, 1280, 900)
	defer cancel()
	shots := os.Getenv("SCREENSHOTS")
	if shots != "" {
		require.NoError(t, os.MkdirAll(shots, 0o755))
	}
	for _, v := range []struct {
		name          string
		width, height int64
		feedName      string
	}{{"ordinateur", 1280, 900, "téléphone de la directrice"}, {"tablette", 800, 1280, "agenda Google de l'école"}} {
		t.Run(v.name, func(t *testing.T) {
			// Each variant has its own loan, in its own period.
			pack := storetest.Pack(t, db, nil)
			lr := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: school.UAI,
				TeacherID: people["teacher"].ID, TrainingStatus: "planned"})
			_, err := db.Bun().NewRaw("UPDATE requests SET title = ? WHERE id = ?", "Album numérique ("+v.name+")", lr.ID).Exec(ctx)
			require.NoError(t, err)
			loan, err := db.CreateLoan(ctx, store.Actor{UserID: people["coordinator"].ID}, store.NewLoan{RequestID: lr.ID, PackIDs: []int64{pack.ID}})
			require.NoError(t, err)

			bctx, cancel := chromedp.NewContext(allocCtx)
			defer cancel()
			bctx, cancelT := context.WithTimeout(bctx, 10*time.Minute)
			defer cancelT()
			_, err = chromedp.Call(bctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(v.width, v.height)))
			_, err = chromedp.Call(bctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: v.name == "tablette"})
			require.NoError(t, err)
			e := &e2e{t: t, ctx: bctx, base: srv.URL, app: a, outbox: outbox, axe: axe, start: time.Now()}
			if v.name == "ordinateur" {
				e.shots = shots
			}
			loanJourney(t, e, db, people, loan, feed, v.feedName)
			t.Logf("axe-core: 0 violations on %d pages: %s", len(e.checked), strings.Join(e.checked, ", "))
		})
	}
}

func loanJourney(t *testing.T, e *e2e, db *store.DB, people map[string]store.User, loan store.Loan, feed func() string, feedName string) {
	ctx := context.Background()
	page := func(tail string) string { return fmt.Sprintf("/prets/%d%s", loan.ID, tail) }

	// The director signs the agreement from À faire.
	e.signIn(people["director"].Email, people["director"].Name, false)
	text, err := chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	require.Contains(t, text, "Signer la convention de prêt", "À faire lists the agreement")
	e.open(page("/signature"), http.StatusOK, "Convention à signer (direction)")
	e.submit("form[action$='/signature'] button", http.StatusOK, "L'autre partie est prévenue", "Prêt (signé par l'école)")
	e.signOut()

	// IT signs, records the training and sets the pickup time.
	e.signIn(people["it"].Email, people["it"].Name, false)
	e.open(page("/signature"), http.StatusOK, "Convention à signer (DSI)")
	e.submit("form[action$='/signature'] button", http.StatusOK, "signée par les deux parties", "Prêt (convention signée)")
	got, err := db.Loan(ctx, loan.ID)
	require.NoError(t, err)
	require.Equal(t, store.LoanSigned, got.State)
	resp, err := chromedp.RunResponse(e.ctx, chromedp.Navigate(e.base+page("/convention")))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, int(resp.Status))
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("body")))
	require.NoError(t, err)
	assert.Contains(t, text, "Empreinte SHA-256")
	e.check("Convention signée (à imprimer)")
	e.screenshot("convention-signee.png")
	e.open(page(""), http.StatusOK, "Prêt (formation à enregistrer)")
	e.submit("form[action$='/formation'] button", http.StatusOK, "Formation technique enregistrée", "Prêt (formation faite)")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SetValue(chromedp.CSS("#rdv-pickup_time"), "14:30")))
	e.submit("form[action$='/rendez-vous'] button", http.StatusOK, "Rendez-vous de retrait fixé", "Prêt (rendez-vous fixé)")
	e.signOut()

	// The pickup at the desk (the desk pages are another screen).
	items, err := db.LoanItems(ctx, loan.ID)
	require.NoError(t, err)
	lines := make([]store.SheetLineInput, len(items))
	for i, it := range items {
		lines[i] = store.SheetLineInput{ItemID: it.ID, Status: store.ItemPresent}
	}
	_, err = db.PickUp(ctx, people["it"], loan.ID, store.SheetInput{SchoolPerson: "Nadia Haddad", Lines: lines})
	require.NoError(t, err)
	before := feed()

	// The teacher asks for two more weeks; the coordinator grants them.
	e.signIn(people["teacher"].Email, people["teacher"].Name, false)
	e.open(page(""), http.StatusOK, "Prêt (retiré, enseignant·e)")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.Click(chromedp.CSS("#prolongation-weeks-2")),
		chromedp.SendKeys(chromedp.CSS("#prolongation-reason"), "Finir l'album avec les parents.")))
	e.submit("form[action$='/prolongation'] button", http.StatusOK, "Demande de prolongation envoyée", "Prêt (prolongation demandée)")
	e.signOut()
	e.signIn(people["coordinator"].Email, people["coordinator"].Name, false)
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	require.Contains(t, text, "Décider de la prolongation", "À faire lists the extension")
	e.open(page(""), http.StatusOK, "Prêt (prolongation à décider)")
	e.submit("button[value=grant]", http.StatusOK, "Prolongation accordée", "Prêt (prolongé)")
	e.signOut()
	after := feed()
	assert.NotEqual(t, before, after, "the school's feed follows the extension")
	got, err = db.Loan(ctx, loan.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, got.ExtensionWeeks)

	// The return at the desk, then the inspection closes the loan.
	_, err = db.Return(ctx, people["it"], loan.ID, store.SheetInput{SchoolPerson: "Julien Martin", Lines: lines, TechnicalReport: "Matériel complet, rien à signaler."})
	require.NoError(t, err)
	e.signIn(people["inspection"].Email, people["inspection"].Name, false)
	e.open(page(""), http.StatusOK, "Prêt (à clore)")
	e.submit("form[action$='/cloture'] button", http.StatusOK, "Prêt clos", "Prêt (clos)")
	e.signOut()

	// The teacher writes the assessment from À faire.
	e.signIn(people["teacher"].Email, people["teacher"].Name, false)
	text, err = chromedp.Run(e.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	require.Contains(t, text, "Écrire le bilan")
	e.open(page("/bilan"), http.StatusOK, "Bilan")
	require.NoError(t, chromedp.Do(e.ctx,
		chromedp.SendKeys(chromedp.CSS("#pedagogical"), "Les élèves ont écrit, illustré et enregistré un album."),
		chromedp.SendKeys(chromedp.CSS("#human"), "Une classe qui coopère ; les parents sont venus à la présentation."),
		chromedp.Click(chromedp.CSS("#apply_again-oui"))))
	e.submit("form[action$='/bilan'] button", http.StatusOK, "Bilan enregistré", "Prêt (bilan écrit)")
	d, err := db.LoanDetail(ctx, loan.ID)
	require.NoError(t, err)
	assert.Equal(t, store.LoanClosed, d.State)
	require.NotNil(t, d.Assessment)
	e.signOut()

	// The director's school page: the calendar links and how to subscribe.
	e.signIn(people["director"].Email, people["director"].Name, false)
	e.open("/ecole", http.StatusOK, "Mon école (prêts)")
	require.NoError(t, chromedp.Do(e.ctx, chromedp.SendKeys(chromedp.CSS("#agenda-name"), feedName)))
	e.submit("form[action='/ecole/agendas'] button", http.StatusOK, "Copiez son adresse maintenant", "Mon école (lien créé)")
	e.screenshot("ecole-agendas.png")
	e.signOut()
}
