package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// returnedLoan is a loan of school A back from the school, with its
// teacher.
func returnedLoan(t *testing.T, db *store.DB, c cast) (store.Loan, store.User) {
	t.Helper()
	ctx := context.Background()
	p := storetest.Pack(t, db, nil)
	id := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: c.loanA.SchoolUAI, PackIDs: []int64{p.ID},
		State: store.LoanReturned, Pickup: calendar.MustParseDate("2026-09-07"), Return: calendar.MustParseDate("2026-10-16"),
		DirectorSigned: true, ITSigned: true, Training: store.TrainingDone, TrainingDate: calendar.MustParseDate("2026-09-01"),
		At: time.Date(2026, 10, 16, 15, 0, 0, 0, time.UTC)})
	l, err := db.Loan(ctx, id)
	require.NoError(t, err)
	u, err := db.User(ctx, l.TeacherID)
	require.NoError(t, err)
	return l, u
}

// TestLoanPagesByRole opens the loan's pages as every role: everybody who
// sees the school reads them, the agreement to sign is the signers', and
// a director of another school gets 404 on each.
func TestLoanPagesByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		id := c.loanA.ID
		fiche, bilan, ics, sign := loanPath(id, ""), loanPath(id, "/bilan"), loanPath(id, "/agenda.ics"), loanPath(id, "/signature")
		ok, forbid, hidden := http.StatusOK, http.StatusForbidden, http.StatusNotFound
		want := map[string][4]int{
			"teacherA":    {ok, ok, ok, forbid},
			"directorA":   {ok, ok, ok, ok},
			"directorB":   {hidden, hidden, hidden, hidden},
			"teacherB":    {hidden, hidden, hidden, forbid},
			"inspection":  {ok, ok, ok, forbid},
			"it":          {ok, ok, ok, ok},
			"education":   {ok, ok, ok, forbid},
			"coordinator": {ok, ok, ok, forbid},
		}
		for role, st := range want {
			cl := b.client(t)
			cl.signIn(c.people[role])
			for i, path := range []string{fiche, bilan, ics, sign} {
				r := cl.get(path)
				assert.Equal(t, st[i], r.Status, "%s: GET %s", role, path)
				if r.Status == ok && path == ics {
					assert.Contains(t, r.Header.Get("Content-Type"), "text/calendar")
					assert.Contains(t, r.Body, "BEGIN:VCALENDAR")
					assert.Contains(t, r.Body, "UID:loan-")
				}
				if r.Status == ok && path == fiche {
					assert.Contains(t, r.Body, "Convention signée", "%s: the step line", role)
					assert.Contains(t, r.Body, "Ajouter à mon agenda")
				}
				if strings.HasSuffix(role, "B") {
					assert.NotContains(t, r.Body, c.loanA.RequestTitle, "%s: %s leaks school A", role, path)
				}
			}
		}
	})
}

// TestLoanActionsByRole posts every loan action as every role: the roles
// the action table refuses get 403, another school's people 404, and the
// allowed ones change the loan (303), the store's rules answering the
// rest (422 for bad input, 409 for the wrong state).
func TestLoanActionsByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := newBundle(t, db, nil)
		// Two days into loan A, before its return day.
		b.app.now = func() time.Time { return time.Date(2026, 9, 2, 10, 0, 0, 0, time.UTC) }
		c := newCast(t, db)
		id := c.loanA.ID
		done, teacherR := returnedLoan(t, db, c)
		type post struct {
			path string
			form url.Values
		}
		actions := map[string]post{
			"signature":   {loanPath(id, "/signature"), nil},
			"formation":   {loanPath(id, "/formation"), url.Values{"done_on": {"2026-09-01"}}},
			"rendez-vous": {loanPath(id, "/rendez-vous"), url.Values{"pickup_time": {"14:30"}}},
			"prolongation": {loanPath(id, "/prolongation"),
				url.Values{"weeks": {"2"}, "reason": {"Finir l'album"}}},
			"decision": {loanPath(id, "/prolongation/decision"), url.Values{"decision": {"grant"}}},
			"cloture":  {loanPath(done.ID, "/cloture"), nil},
			"bilan": {loanPath(done.ID, "/bilan"), url.Values{"pedagogical": {"Écrire et illustrer."},
				"human": {"Coopération."}, "apply_again": {"oui"}}},
		}
		// Who may not: by the action table (403) or by the school (404).
		refused := map[string]map[string]int{
			"signature":    {"teacherA": 403, "inspection": 403, "education": 403, "coordinator": 403, "directorB": 404},
			"formation":    {"directorA": 403, "inspection": 403, "education": 403, "teacherA": 403},
			"rendez-vous":  {"teacherA": 403, "directorA": 403, "inspection": 403, "education": 403},
			"prolongation": {"directorA": 403, "inspection": 403, "it": 403, "education": 403, "teacherB": 404},
			"decision":     {"teacherA": 403, "directorA": 403, "inspection": 403, "it": 403, "education": 403},
			"cloture":      {"teacherA": 403, "directorA": 403, "it": 403, "education": 403, "coordinator": 403, "directorB": 403},
			"bilan":        {"directorA": 403, "inspection": 403, "it": 403, "education": 403, "coordinator": 403, "teacherB": 404},
		}
		clients := map[string]*client{}
		for role, u := range c.people {
			clients[role] = b.client(t)
			clients[role].signIn(u)
		}
		for name, a := range actions {
			for role, status := range refused[name] {
				r := clients[role].post(a.path, a.form)
				assert.Equal(t, status, r.Status, "%s: POST %s", role, name)
			}
		}
		l, err := db.Loan(ctx, id)
		require.NoError(t, err)
		assert.Nil(t, l.DirectorSignature, "nothing was signed by the refused")
		assert.Empty(t, l.PickupTime)

		// Bad input: French errors, nothing changed.
		r := clients["it"].post(loanPath(id, "/rendez-vous"), url.Values{"pickup_time": {"25:99"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, `href="#rdv-pickup_time"`)
		r = clients["teacherA"].post(loanPath(id, "/prolongation"), url.Values{"weeks": {"2"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "a reason is needed")
		r = clients["teacherA"].post(loanPath(done.ID, "/bilan"), actions["bilan"].form)
		assert.Equal(t, http.StatusForbidden, r.Status, "teacher A is not this loan's teacher")
		r = clients["inspection"].post(loanPath(id, "/cloture"), nil)
		assert.Equal(t, http.StatusConflict, r.Status, "a reserved loan does not close")

		// The allowed: director and IT sign, both told by e-mail.
		before := len(b.mail.All())
		for _, role := range []string{"directorA", "it"} {
			r := clients[role].post(actions["signature"].path, nil)
			require.Equal(t, http.StatusSeeOther, r.Status, "%s signs: %s", role, r.Body)
		}
		b.app.Wait()
		assert.Greater(t, len(b.mail.All()), before+1, "both parties are told")
		l, err = db.Loan(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, l.State)
		conv := clients["directorA"].get(loanPath(id, "/convention"))
		require.Equal(t, http.StatusOK, conv.Status)
		assert.Contains(t, conv.Body, "Empreinte SHA-256")
		assert.Contains(t, conv.Body, "tel qu'il a été signé")
		for _, name := range []string{"formation", "rendez-vous", "prolongation"} {
			role := map[string]string{"formation": "it", "rendez-vous": "it", "prolongation": "teacherA"}[name]
			r := clients[role].post(actions[name].path, actions[name].form)
			require.Equal(t, http.StatusSeeOther, r.Status, "%s: %s: %s", role, name, r.Body)
		}
		r = clients["coordinator"].post(actions["decision"].path, actions["decision"].form)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		page := clients["coordinator"].get(loanPath(id, ""))
		assert.Contains(t, page.Body, "la convention est à signer de nouveau", "the flash says the agreement is reset")
		l, err = db.Loan(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, store.LoanReserved, l.State, "new dates: to sign again")
		assert.Equal(t, 2, l.ExtensionWeeks)
		assert.Equal(t, "14:30", l.PickupTime)

		r = clients["inspection"].post(actions["cloture"].path, nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		tc := b.client(t)
		tc.signIn(teacherR)
		r = tc.post(actions["bilan"].path, url.Values{"human": {"Coopération."}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "the pedagogical part and the answer are missing")
		assert.Contains(t, r.Body, `href="#pedagogical"`)
		r = tc.post(actions["bilan"].path, actions["bilan"].form)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		d, err := db.LoanDetail(ctx, done.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanClosed, d.State)
		require.NotNil(t, d.Assessment)
		assert.True(t, d.Assessment.ApplyAgain)
		page = tc.get(loanPath(done.ID, ""))
		assert.Contains(t, page.Body, "Bilan <span class=\"muted\">(fait)</span>")
	})
}

// TestSchoolCalendarLinks: the director creates two named links, each
// shown once; the list shows name, creation and last use; revoking one
// leaves the other working.
func TestSchoolCalendarLinks(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newCast(t, db)
	dir := b.client(t)
	dir.signIn(c.people["directorA"])
	r := dir.post("/ecole/agendas", url.Values{"name": {""}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, `href="#agenda-name"`)
	var urls []string
	for _, name := range []string{"agenda Google de l'école", "téléphone de la directrice"} {
		r := dir.post("/ecole/agendas", url.Values{"name": {name}})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		i := strings.Index(r.Body, b.srv.URL+"/ics/")
		require.Positive(t, i, "the address is shown")
		u := r.Body[i:]
		u = u[:strings.Index(u, `"`)]
		urls = append(urls, u)
	}
	r = dir.post("/ecole/agendas", url.Values{"name": {"téléphone de la directrice"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "one link per name")
	page := dir.get("/ecole")
	require.Equal(t, http.StatusOK, page.Status)
	for _, u := range urls {
		assert.NotContains(t, page.Body, u, "an address shows once")
	}
	for _, w := range []string{"agenda Google de l&#39;école", "téléphone de la directrice", "Google Agenda", "Outlook", "Thunderbird", "iPhone", "jamais utilisé"} {
		assert.Contains(t, page.Body, w)
	}
	feed := b.client(t)
	assert.Equal(t, http.StatusOK, feed.get(strings.TrimPrefix(urls[0], b.srv.URL)).Status)
	assert.NotContains(t, dir.get("/ecole").Body, "jamais utilisé pour l&#39;instant</td><td><form method=\"post\" action=\"/ecole/agendas/1/", "last use shown")
	feeds, err := db.SchoolFeedsFor(context.Background(), c.people["directorA"], c.loanA.SchoolUAI)
	require.NoError(t, err)
	require.Len(t, feeds, 2)
	// Another school's director cannot revoke it.
	dirB := b.client(t)
	dirB.signIn(c.people["directorB"])
	assert.Equal(t, http.StatusNotFound, dirB.post(fmt.Sprintf("/ecole/agendas/%d/revocation", feeds[0].ID), nil).Status)
	teacher := b.client(t)
	teacher.signIn(c.people["teacherA"])
	assert.Equal(t, http.StatusForbidden, teacher.post(fmt.Sprintf("/ecole/agendas/%d/revocation", feeds[0].ID), nil).Status)
	r = dir.post(fmt.Sprintf("/ecole/agendas/%d/revocation", feeds[0].ID), nil)
	require.Equal(t, http.StatusSeeOther, r.Status)
	assert.Equal(t, http.StatusNotFound, feed.get(strings.TrimPrefix(urls[0], b.srv.URL)).Status, "revoked")
	assert.Equal(t, http.StatusOK, feed.get(strings.TrimPrefix(urls[1], b.srv.URL)).Status, "the other still works")
}

// TestLoanTasksOnHome: the À faire page lists the agreements to sign, the
// pickups and the assessments due.
func TestLoanTasksOnHome(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newCast(t, db)
	done, teacherR := returnedLoan(t, db, c)
	for role, want := range map[string]string{
		"directorA": loanPath(c.loanA.ID, "/signature"),
		"it":        loanPath(c.loanA.ID, "/signature"),
		"directorB": "",
	} {
		cl := b.client(t)
		cl.signIn(c.people[role])
		body := cl.get("/").Body
		if want == "" {
			assert.NotContains(t, body, "Signer la convention", role)
			continue
		}
		assert.Contains(t, body, "Signer la convention", role)
		assert.Contains(t, body, want, role)
	}
	cl := b.client(t)
	cl.signIn(teacherR)
	body := cl.get("/").Body
	assert.Contains(t, body, "Écrire le bilan")
	assert.Contains(t, body, loanPath(done.ID, "/bilan"))
	insp := b.client(t)
	insp.signIn(c.people["inspection"])
	assert.Contains(t, insp.get("/").Body, "Clore le prêt")
}
