package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

var deskKeyRE = regexp.MustCompile(`name="cle" value="([0-9a-f]{32})"`)

// signCastLoan has school A's director and the IT department sign the
// cast's loan.
func signCastLoan(t *testing.T, db *store.DB, c cast) {
	t.Helper()
	for _, who := range []string{"directorA", "it"} {
		_, err := db.SignAgreement(context.Background(), c.people[who], c.loanA.ID)
		require.NoError(t, err)
	}
}

// deskForm is the checklist's form: every item ticked but skip, with the
// page's key.
func deskForm(t *testing.T, cl *client, path string, items []store.LoanItem, skip int64) url.Values {
	t.Helper()
	page := cl.get(path)
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	m := deskKeyRE.FindStringSubmatch(page.Body)
	require.NotNil(t, m, "the form carries its key")
	f := url.Values{"cle": {m[1]}, "personne": {"Nadia Haddad"}}
	for _, it := range items {
		if it.ID != skip {
			f.Add("present", strconv.FormatInt(it.ID, 10))
		}
	}
	return f
}

// TestDeskPagesByRole opens the desk, packs and incidents pages as every
// role: the staff who run them see them, the others are refused, and a
// director of another school gets 404 on the loan's desk page.
func TestDeskPagesByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		signCastLoan(t, db, c)
		packID := c.loanA.Packs[0].PackID
		items, err := db.LoanItems(context.Background(), c.loanA.ID)
		require.NoError(t, err)
		pickup, ret := fmt.Sprintf("/prets/%d/retrait", c.loanA.ID), fmt.Sprintf("/prets/%d/retour", c.loanA.ID)
		pack, item := fmt.Sprintf("/packs/%d", packID), fmt.Sprintf("/packs/%d/elements/%d", packID, items[0].ID)
		pages := []string{"/retraits-retours", pickup, ret, "/packs", pack, item, "/incidents"}
		ok, forbid, hidden := http.StatusOK, http.StatusForbidden, http.StatusNotFound
		desk := map[string]int{"/retraits-retours": ok, pickup: ok, ret: ok, "/packs": ok, pack: ok, item: ok, "/incidents": ok}
		referent := map[string]int{"/retraits-retours": forbid, pickup: forbid, ret: forbid, "/packs": ok, pack: ok, item: forbid, "/incidents": ok}
		school := map[string]int{"/retraits-retours": forbid, pickup: forbid, ret: forbid, "/packs": ok, pack: ok, item: forbid, "/incidents": forbid}
		other := map[string]int{"/retraits-retours": forbid, pickup: hidden, ret: hidden, "/packs": ok, pack: ok, item: forbid, "/incidents": forbid}
		want := map[string]map[string]int{"coordinator": desk, "it": desk, "inspection": referent, "education": referent,
			"teacherA": school, "directorA": school, "teacherB": other, "directorB": other}
		for role, statuses := range want {
			t.Run(role, func(t *testing.T) {
				cl := b.client(t)
				cl.signIn(c.people[role])
				for _, path := range pages {
					r := cl.get(path)
					assert.Equal(t, statuses[path], r.Status, "%s: GET %s", role, path)
					assert.Contains(t, r.Body, `lang="fr"`)
				}
				home := cl.get("/")
				assert.Equal(t, statuses["/retraits-retours"] == ok, regexp.MustCompile(`href="/retraits-retours"`).MatchString(home.Body), "%s: desk in the navigation", role)
				staff := statuses["/incidents"] == ok
				assert.Equal(t, staff, regexp.MustCompile(`href="/packs"`).MatchString(home.Body), "%s: packs in the navigation", role)
				// Everyone opens a pack from the planning; only the staff
				// see its next loan and maintenance.
				assert.Equal(t, staff, strings.Contains(cl.get(pack).Body, "Prochain prêt"), "%s: the pack's next loan", role)
				assert.Equal(t, statuses["/incidents"] == ok, regexp.MustCompile(`href="/incidents"`).MatchString(home.Body), "%s: incidents in the navigation", role)
			})
		}
		cl := b.client(t)
		cl.signIn(c.people["it"])
		page := cl.get(pickup)
		assert.Contains(t, page.Body, "dont 12 tablettes")
		assert.Contains(t, page.Body, items[0].Serial)
		assert.Contains(t, cl.get("/retraits-retours").Body, c.loanA.Label, "the loan waits for its pickup")
	})
}

// TestDeskActionsByRole posts every action of the desk, packs and
// incidents pages as every role: the refused ones change nothing; the
// allowed ones record and answer 303.
func TestDeskActionsByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		signCastLoan(t, db, c)
		packID := c.loanA.Packs[0].PackID
		items, err := db.LoanItems(ctx, c.loanA.ID)
		require.NoError(t, err)
		pickup := fmt.Sprintf("/prets/%d/retrait", c.loanA.ID)
		ret := fmt.Sprintf("/prets/%d/retour", c.loanA.ID)

		itCl := b.client(t)
		itCl.signIn(c.people["it"])
		form := deskForm(t, itCl, pickup, items, items[4].ID)

		// Nobody but the desk's staff records a pickup.
		for _, role := range []string{"teacherA", "directorA", "directorB", "inspection", "education"} {
			cl := b.client(t)
			cl.signIn(c.people[role])
			assert.Equal(t, http.StatusForbidden, cl.post(pickup, form).Status, role)
			assert.Equal(t, http.StatusForbidden, cl.post(ret, form).Status, role)
		}
		l, err := db.Loan(ctx, c.loanA.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, l.State, "nothing recorded")

		// A missing tablet without the IT department's consent: the form
		// comes back with the ticks kept.
		r := itCl.post(pickup, form)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.Body)
		assert.Contains(t, r.Body, "manquant")
		assert.Contains(t, r.Body, fmt.Sprintf(`id="present-%d" name="present" value="%d" checked`, items[0].ID, items[0].ID))
		assert.Contains(t, r.Body, form.Get("cle"), "the same key is kept")

		form.Set("ecart", "oui")
		form.Set("commentaire", "tablette 05 en réparation")
		r = itCl.post(pickup, form)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, pickup, r.Location)
		// The retry of the same form records nothing more.
		r = itCl.post(pickup, form)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		d, err := db.LoanDetail(ctx, c.loanA.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanPickedUp, d.State)
		require.Len(t, d.Incidents, 1)
		assert.Equal(t, "manquant au retrait", d.Incidents[0].What())
		trail, err := db.AuditTrail(ctx, "loan", c.loanA.ID)
		require.NoError(t, err)
		pickups := 0
		for _, e := range trail {
			if e.Action == "loan.pickup" {
				pickups++
			}
		}
		assert.Equal(t, 1, pickups, "recorded once")
		// Another school sees the pack as lent, without the school's name.
		otherCl := b.client(t)
		otherCl.signIn(c.people["teacherB"])
		seen := otherCl.get(fmt.Sprintf("/packs/%d", packID))
		require.Equal(t, http.StatusOK, seen.Status)
		assert.Contains(t, seen.Body, "prêté")
		assert.NotContains(t, seen.Body, c.loanA.SchoolName)
		assert.Contains(t, itCl.get(fmt.Sprintf("/packs/%d", packID)).Body, c.loanA.SchoolName, "the staff see who has it")
		done := itCl.get(pickup)
		assert.Contains(t, done.Body, "Retrait enregistré")
		assert.Contains(t, done.Body, "Imprimer la feuille d'inventaire")

		// Coordinator records the return with the tablet found.
		coord := b.client(t)
		coord.signIn(c.people["coordinator"])
		rf := deskForm(t, coord, ret, items, 0)
		r = coord.post(ret, rf)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "the technical report is required")
		assert.Contains(t, r.Body, "bilan technique")
		rf.Set("bilan", "RAS")
		r = coord.post(ret, rf)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, http.StatusSeeOther, coord.post(ret, rf).Status, "a retry is answered")

		// Incidents: referents without the resolve action are refused; a
		// resolution needs a comment.
		incPath := fmt.Sprintf("/incidents/%d/resolution", d.Incidents[0].ID)
		for _, role := range []string{"inspection", "education", "teacherA", "directorB"} {
			cl := b.client(t)
			cl.signIn(c.people[role])
			assert.Equal(t, http.StatusForbidden, cl.post(incPath, url.Values{"resolution": {"x"}}).Status, role)
		}
		r = coord.post(incPath, url.Values{"resolution": {" "}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "obligatoire")
		r = coord.post(incPath, url.Values{"resolution": {"Tablette retrouvée au retour"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Contains(t, coord.get("/incidents").Body, "Tablette retrouvée au retour")

		// Pack items: add, edit, retire, for coordinator and IT only.
		add := fmt.Sprintf("/packs/%d/elements", packID)
		edit := fmt.Sprintf("/packs/%d/elements/%d", packID, items[0].ID)
		for _, role := range []string{"inspection", "teacherA", "directorA"} {
			cl := b.client(t)
			cl.signIn(c.people[role])
			assert.Equal(t, http.StatusForbidden, cl.post(add, url.Values{"type": {"accessory"}, "libelle": {"Stylet"}}).Status, role)
			assert.Equal(t, http.StatusForbidden, cl.post(edit, url.Values{"type": {"tablet"}, "libelle": {"X"}}).Status, role)
			assert.Equal(t, http.StatusForbidden, cl.post(edit+"/retrait", url.Values{"motif": {"x"}}).Status, role)
		}
		r = coord.post(add, url.Values{"type": {"chaise"}, "libelle": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "Le libellé est obligatoire")
		r = coord.post(add, url.Values{"type": {"accessory"}, "libelle": {"Stylet"}, "serie": {items[1].Serial}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a serial number already used")
		assert.Contains(t, r.Body, "déjà celui d&#39;un autre élément")
		r = coord.post(add, url.Values{"type": {"accessory"}, "libelle": {"Stylet"}, "serie": {"STY-001"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		r = itCl.post(edit, url.Values{"type": {"tablet"}, "libelle": {"Tablette 01"}, "serie": {"SER-NEW"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		r = itCl.post(edit+"/retrait", url.Values{"motif": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		r = itCl.post(edit+"/retrait", url.Values{"motif": {"écran cassé"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		p, err := db.Pack(ctx, packID)
		require.NoError(t, err)
		assert.Len(t, p.Items, 14)
		require.Len(t, p.RetiredItems, 1)
		assert.Equal(t, "SER-NEW", p.RetiredItems[0].Serial)
		assert.Contains(t, coord.get(fmt.Sprintf("/packs/%d", packID)).Body, "écran cassé")

		// Maintenance: a clash names the loan; a free window is added and
		// removed.
		mnt := fmt.Sprintf("/packs/%d/maintenance", packID)
		for _, role := range []string{"inspection", "teacherA"} {
			cl := b.client(t)
			cl.signIn(c.people[role])
			assert.Equal(t, http.StatusForbidden, cl.post(mnt, url.Values{"debut": {"2027-06-01"}, "fin": {"2027-06-04"}, "motif": {"x"}}).Status, role)
		}
		r = coord.post(mnt, url.Values{"debut": {c.loanA.PickupDay.String()}, "fin": {c.loanA.PickupDay.AddDays(3).String()}, "motif": {"mise à jour"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, r.Body)
		assert.Contains(t, r.Body, c.loanA.Label)
		r = coord.post(mnt, url.Values{"debut": {"pas une date"}, "fin": {""}, "motif": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		r = coord.post(mnt, url.Values{"debut": {"2027-06-01"}, "fin": {"2027-06-04"}, "motif": {"mise à jour iPadOS"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		ws, err := db.ListMaintenance(ctx, store.MaintenanceFilter{PackID: packID})
		require.NoError(t, err)
		require.Len(t, ws, 1)
		del := fmt.Sprintf("/packs/%d/maintenance/%d/suppression", packID, ws[0].ID)
		assert.Equal(t, http.StatusForbidden, func() int {
			cl := b.client(t)
			cl.signIn(c.people["education"])
			return cl.post(del, nil).Status
		}())
		r = itCl.post(del, nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		ws, err = db.ListMaintenance(ctx, store.MaintenanceFilter{PackID: packID})
		require.NoError(t, err)
		assert.Empty(t, ws)
		assert.Equal(t, http.StatusNotFound, itCl.post(del, nil).Status, "already removed")
	})
}
