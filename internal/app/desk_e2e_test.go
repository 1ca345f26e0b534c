package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestBrowserDesk runs the pickup and return desk in chromium on a
// tablet, in portrait (800 × 1280) and in landscape: IT ticks the 12
// tablets with one missing and the school's person confirms; the incident
// opens; the return finds the tablet; the coordinator resolves the
// incident. The loan's earlier steps (agreement signed, training done) are
// set through the store. axe-core checks every page.
func TestBrowserDesk(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	base := storetest.NewSQLite(t)
	// Monday 2 November 2026, 9 h, Paris: the loans start today.
	now := calendar.MustParseDate("2026-11-02").Time().Add(8 * time.Hour)
	db := base.WithClock(func() time.Time { return now })
	ctx := context.Background()
	site := newBrowserSite(t, db, func() time.Time { return now })
	school, people, srv, a, outbox := site.school, site.people, site.srv, site.app, site.outbox
	allocCtx, cancel := browserAllocator(ctx, chromium, 1280, 1280)
	defer cancel()
	shots := os.Getenv("SCREENSHOTS")

	for _, v := range []struct {
		name          string
		width, height int64
	}{{"portrait", 800, 1280}, {"paysage", 1280, 800}} {
		t.Run(v.name, func(t *testing.T) {
			// A loan of its own, signed by both parties, the training done.
			req := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: school.UAI, TeacherID: people["teacher"].ID})
			pack := storetest.Pack(t, db, nil)
			loan, err := db.CreateLoan(ctx, store.Actor{UserID: people["coordinator"].ID}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 7})
			require.NoError(t, err)
			require.Equal(t, "2026-11-02", loan.PickupDay.String())
			for _, who := range []string{"director", "it"} {
				_, err := db.SignAgreement(ctx, people[who], loan.ID)
				require.NoError(t, err)
			}
			missing := pack.Items[4] // Tablette 05

			bctx, cancel := chromedp.NewContext(allocCtx)
			defer cancel()
			bctx, cancelT := context.WithTimeout(bctx, 5*time.Minute)
			defer cancelT()
			_, err = chromedp.Call(bctx, cdppage.SetBypassCSP, cdppage.SetBypassCSPParams{Enabled: true})
			require.NoError(t, err)
			require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(v.width, v.height)))
			e := &e2e{t: t, ctx: bctx, base: srv.URL, app: a, outbox: outbox, axe: axe, start: time.Now()}

			// IT at the desk: the agenda, then the pickup checklist.
			e.signIn(people["it"].Email, people["it"].Name, false)
			e.open("/retraits-retours", http.StatusOK, "Retraits et retours")
			text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
			require.NoError(t, err)
			assert.Contains(t, text, loan.Label)
			assert.Contains(t, text, "Convention\u00a0: signée")
			pickup := fmt.Sprintf("/prets/%d/retrait", loan.ID)
			e.open(pickup, http.StatusOK, "Retrait, liste à pointer")
			// Targets of at least 44 px: the item labels and the button.
			h, err := chromedp.Run(bctx, chromedp.Evaluate[float64](fmt.Sprintf(
				`document.querySelector('label[for="present-%d"]').getBoundingClientRect().height`, missing.ID)))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, h, 44.0, "an item's label is a large target")
			h, err = chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector('.desk-form button[type=submit]').getBoundingClientRect().height`))
			require.NoError(t, err)
			assert.GreaterOrEqual(t, h, 44.0, "the button is a large target")
			for _, it := range pack.Items {
				if it.ID != missing.ID {
					require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("label[for='present-%d']", it.ID)))))
				}
			}
			require.NoError(t, chromedp.Do(bctx,
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#remarque-%d", missing.ID)), "absente de la valise"),
				chromedp.Click(chromedp.CSS("label[for='ecart']")),
				chromedp.SendKeys(chromedp.CSS("#commentaire"), "Tablette 05 restée au service informatique"),
				chromedp.SendKeys(chromedp.CSS("#personne"), "Nadia Haddad")))
			if shots != "" && v.name == "portrait" {
				require.NoError(t, os.MkdirAll(shots, 0o755))
				e.shots = shots
				e.screenshot("pointage-retrait-tablette.png")
				e.shots = ""
			}
			e.submit(".desk-form button[type=submit]", http.StatusOK, "Retrait enregistré", "Retrait enregistré")
			text, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
			require.NoError(t, err)
			assert.Contains(t, text, "manquant au retrait")
			d, err := db.LoanDetail(ctx, loan.ID)
			require.NoError(t, err)
			require.Equal(t, store.LoanPickedUp, d.State)
			require.Len(t, d.Incidents, 1, "the missing tablet opened an incident")
			assert.Equal(t, missing.ID, d.Incidents[0].ItemID)
			e.open("/incidents", http.StatusOK, "Incidents")
			e.open(fmt.Sprintf("/packs/%d", pack.ID), http.StatusOK, "Pack")
			e.open("/packs", http.StatusOK, "Packs")

			// The inventory sheet prints with both names.
			e.open(fmt.Sprintf("/prets/%d/inventaire", loan.ID), http.StatusOK, "Feuille d'inventaire")
			text, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
			require.NoError(t, err)
			assert.Contains(t, text, "Pour l'école : Nadia Haddad")
			assert.Contains(t, text, "Pour la DSI : Karim Benali")

			// The return: the missing tablet is found.
			e.open(fmt.Sprintf("/prets/%d/retour", loan.ID), http.StatusOK, "Retour, liste à pointer")
			for _, it := range pack.Items {
				require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("label[for='present-%d']", it.ID)))))
			}
			require.NoError(t, chromedp.Do(bctx,
				chromedp.SendKeys(chromedp.CSS("#bilan"), "Matériel complet, mises à jour faites."),
				chromedp.SendKeys(chromedp.CSS("#personne"), "Julien Martin")))
			e.submit(".desk-form button[type=submit]", http.StatusOK, "Retour enregistré", "Retour enregistré")
			d, err = db.LoanDetail(ctx, loan.ID)
			require.NoError(t, err)
			require.Equal(t, store.LoanReturned, d.State)
			require.Len(t, d.Incidents, 1, "the tablet found opens nothing")
			e.signOut()

			// The coordinator resolves the incident.
			e.signIn(people["coordinator"].Email, people["coordinator"].Name, false)
			e.open("/incidents", http.StatusOK, "Incidents à résoudre")
			inc := d.Incidents[0]
			require.NoError(t, chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#resolution-%d", inc.ID)), "Tablette retrouvée au retour")))
			e.submit(fmt.Sprintf("form[action='/incidents/%d/resolution'] button", inc.ID), http.StatusOK, "résolu", "Incident résolu")
			d, err = db.LoanDetail(ctx, loan.ID)
			require.NoError(t, err)
			assert.False(t, d.Incidents[0].Open())
			assert.Equal(t, "Tablette retrouvée au retour", d.Incidents[0].Resolution)
			e.signOut()
			t.Logf("axe-core: 0 violations on %d pages: %s", len(e.checked), strings.Join(e.checked, ", "))
		})
	}
}
