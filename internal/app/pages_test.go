package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// cast is two schools with their people, the referents and the
// coordinator, a request in each school and a loan in school A.
type cast struct {
	people           map[string]store.User
	reqA, reqB, auth store.Request
	loanA            store.Loan
	schoolB          store.School
}

func newCast(t *testing.T, db *store.DB) cast {
	t.Helper()
	ctx := context.Background()
	a := storetest.School(t, db, &storetest.SchoolOpts{Name: "École Alexandre Dumas"})
	b := storetest.School(t, db, &storetest.SchoolOpts{Name: "École Bellevue Confidentielle"})
	c := cast{people: map[string]store.User{}, schoolB: b}
	add := func(key string, o storetest.UserOpts) {
		u, _ := storetest.User(t, db, &o)
		c.people[key] = u
	}
	add("teacherA", storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI, Name: "Julien Martin"})
	add("directorA", storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: a.UAI, Name: "Nadia Haddad"})
	add("teacherB", storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: b.UAI, Name: "Bertrand Secret"})
	add("directorB", storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: b.UAI, Name: "Brigitte Cachée"})
	add("inspection", storetest.UserOpts{Role: store.RoleInspection, Name: "Sophie Lambert"})
	add("it", storetest.UserOpts{Role: store.RoleIT, Name: "Karim Benali"})
	add("education", storetest.UserOpts{Role: store.RoleEducation, Name: "Marc Dubois"})
	add("coordinator", storetest.UserOpts{Role: store.RoleCoordinator, Name: "Claire Morel"})
	c.reqA = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, TeacherID: c.people["teacherA"].ID, State: store.RequestSubmitted})
	c.auth = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, TeacherID: c.people["teacherA"].ID, State: store.RequestAuthorised})
	c.reqB = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: b.UAI, TeacherID: c.people["teacherB"].ID, State: store.RequestSubmitted})
	lr := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: a.UAI, TeacherID: c.people["teacherA"].ID})
	p := storetest.Pack(t, db, nil)
	var err error
	c.loanA, err = db.CreateLoan(ctx, store.Actor{UserID: c.people["coordinator"].ID}, store.NewLoan{RequestID: lr.ID, PackIDs: []int64{p.ID}, StartWeek: 0})
	require.NoError(t, err)
	return c
}

// TestPagesByRole opens every page as every role: allowed pages render,
// forbidden ones answer 403, another school's request is a 404, and no page
// of school A shows school B's people.
func TestPagesByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		reqA, reqB := fmt.Sprintf("/demandes/%d", c.reqA.ID), fmt.Sprintf("/demandes/%d", c.reqB.ID)
		editA := fmt.Sprintf("/demandes/%d/modifier", c.reqA.ID)
		conv, inv := fmt.Sprintf("/prets/%d/convention", c.loanA.ID), fmt.Sprintf("/prets/%d/inventaire", c.loanA.ID)
		pages := []string{"/", "/demandes", "/demandes?annee=2026-2027&etat=soumise&tri=ecole", "/demandes/nouvelle",
			reqA, reqB, editA, "/ecole", "/avis", fmt.Sprintf("/avis?demande=%d", c.auth.ID), "/validation",
			"/validation?etat=avis-manquants", conv, inv, "/accessibilite", "/mentions-legales", "/pas-de-page"}
		adminPages := []string{"/admin/personnes", "/admin/personnes?role=teacher&ecole=" + c.schoolB.UAI + "&page=2",
			"/admin/personnes/nouvelle", "/admin/personnes/import", fmt.Sprintf("/admin/personnes/%d", c.people["teacherA"].ID),
			fmt.Sprintf("/admin/personnes/%d/desactivation", c.people["teacherA"].ID)}
		pages = append(pages, adminPages...)
		ok, forbid, hidden := http.StatusOK, http.StatusForbidden, http.StatusNotFound
		want := map[string]map[string]int{
			"teacherA": {"/demandes/nouvelle": ok, reqA: ok, reqB: hidden, editA: http.StatusSeeOther, "/ecole": forbid, "/avis": forbid,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): forbid, "/validation": forbid, "/validation?etat=avis-manquants": forbid, conv: ok, inv: ok},
			"directorA": {"/demandes/nouvelle": forbid, reqA: ok, reqB: hidden, editA: forbid, "/ecole": ok, "/avis": forbid,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): forbid, "/validation": forbid, "/validation?etat=avis-manquants": forbid, conv: ok, inv: ok},
			"directorB": {"/demandes/nouvelle": forbid, reqA: hidden, reqB: ok, editA: forbid, "/ecole": ok, "/avis": forbid,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): forbid, "/validation": forbid, "/validation?etat=avis-manquants": forbid, conv: hidden, inv: hidden},
			"inspection": {"/demandes/nouvelle": forbid, reqA: ok, reqB: ok, editA: forbid, "/ecole": forbid, "/avis": ok,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): ok, "/validation": ok, "/validation?etat=avis-manquants": ok, conv: ok, inv: ok},
			"it": {"/demandes/nouvelle": forbid, reqA: ok, reqB: ok, editA: forbid, "/ecole": forbid, "/avis": ok,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): ok, "/validation": forbid, "/validation?etat=avis-manquants": forbid, conv: ok, inv: ok},
			"education": {"/demandes/nouvelle": forbid, reqA: ok, reqB: ok, editA: forbid, "/ecole": forbid, "/avis": ok,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): ok, "/validation": forbid, "/validation?etat=avis-manquants": forbid, conv: ok, inv: ok},
			"coordinator": {"/demandes/nouvelle": forbid, reqA: ok, reqB: ok, editA: forbid, "/ecole": forbid, "/avis": forbid,
				fmt.Sprintf("/avis?demande=%d", c.auth.ID): forbid, "/validation": ok, "/validation?etat=avis-manquants": ok, conv: ok, inv: ok},
		}
		// The people administration is the coordinator's alone.
		for role, statuses := range want {
			for _, path := range adminPages {
				statuses[path] = forbid
				if role == "coordinator" {
					statuses[path] = ok
				}
			}
		}
		for role, statuses := range want {
			t.Run(role, func(t *testing.T) {
				cl := b.client(t)
				cl.signIn(c.people[role])
				for _, path := range pages {
					status, ok := statuses[path]
					if !ok {
						status = http.StatusOK
					}
					if path == "/pas-de-page" {
						status = http.StatusNotFound
					}
					r := cl.get(path)
					assert.Equal(t, status, r.Status, "%s: GET %s", role, path)
					if r.Status == http.StatusOK || r.Status >= 400 {
						assert.Contains(t, r.Body, `lang="fr"`, "%s: %s is a French page", role, path)
					}
					if strings.HasSuffix(role, "A") {
						for _, secret := range []string{"Bertrand Secret", "Brigitte Cachée", "Bellevue Confidentielle"} {
							assert.NotContains(t, r.Body, secret, "%s: %s leaks school B", role, path)
						}
					}
					if r.Status == http.StatusForbidden {
						assert.Contains(t, r.Body, "Accès refusé")
					}
					if r.Status == http.StatusNotFound {
						assert.Contains(t, r.Body, "Page introuvable")
					}
				}
				if role == "directorB" {
					assert.Contains(t, cl.get(reqB).Body, "Bertrand Secret", "the leak check looks for names that pages do show")
				}
				// Navigation matches the pages the role may open.
				home := cl.get("/")
				assert.Equal(t, statuses["/ecole"] == ok, strings.Contains(home.Body, `href="/ecole"`), "%s: Mon école in the navigation", role)
				assert.Equal(t, statuses["/avis"] == ok, strings.Contains(home.Body, `href="/avis"`), "%s: Avis in the navigation", role)
				assert.Equal(t, statuses["/validation"] == ok, strings.Contains(home.Body, `href="/validation"`), "%s: Validation in the navigation", role)
				assert.Equal(t, statuses["/admin/personnes"] == ok, strings.Contains(home.Body, `href="/admin/personnes"`), "%s: Personnes in the navigation", role)
				assert.Contains(t, home.Body, c.people[role].Name, "the header names the person")
				assert.Contains(t, home.Body, "Se déconnecter")
			})
		}
	})
}

// TestTasksByRole checks that À faire lists each role's tasks.
func TestTasksByRole(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newCast(t, db)
	draft := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.reqA.SchoolUAI, TeacherID: c.people["teacherA"].ID})
	for role, want := range map[string][]string{
		"teacherA":    {"Terminer et envoyer la demande", fmt.Sprintf("/demandes/%d/modifier", draft.ID)},
		"directorA":   {"Autoriser la demande", fmt.Sprintf("/demandes/%d", c.reqA.ID)},
		"directorB":   {"Autoriser la demande", fmt.Sprintf("/demandes/%d", c.reqB.ID)},
		"inspection":  {"Donner votre avis", fmt.Sprintf("/avis?demande=%d", c.auth.ID)},
		"coordinator": {"Retrait le", fmt.Sprintf("/prets/%d", c.loanA.ID)},
	} {
		cl := b.client(t)
		cl.signIn(c.people[role])
		r := cl.get("/")
		require.Equal(t, http.StatusOK, r.Status)
		for _, w := range want {
			assert.Contains(t, r.Body, w, "À faire of %s", role)
		}
	}
}

// TestActionsThroughPages drives the request's steps with form posts and
// checks the store's rules answer: forbidden, hidden, invalid, conflict.
func TestActionsThroughPages(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		ver := func(id int64) string {
			q, err := db.Request(context.Background(), id)
			require.NoError(t, err)
			return fmt.Sprint(q.Version)
		}
		path := fmt.Sprintf("/demandes/%d/autorisation", c.reqA.ID)

		teacher := b.client(t)
		teacher.signIn(c.people["teacherA"])
		assert.Equal(t, http.StatusForbidden, teacher.post(path, url.Values{"version": {ver(c.reqA.ID)}}).Status, "a teacher does not authorise")

		dirB := b.client(t)
		dirB.signIn(c.people["directorB"])
		assert.Equal(t, http.StatusNotFound, dirB.post(path, url.Values{"version": {ver(c.reqA.ID)}}).Status, "another school's request is hidden")

		dirA := b.client(t)
		dirA.signIn(c.people["directorA"])
		r := dirA.post(fmt.Sprintf("/demandes/%d/refus", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "formulaire": {"refus"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "a refusal needs a reason")
		assert.Contains(t, r.Body, `href="#refus-reason"`, "the summary links to the field")
		r = dirA.post("/ecole/autorisations", url.Values{"demande": {fmt.Sprintf("%d:%s", c.reqA.ID, ver(c.reqA.ID)), fmt.Sprintf("%d:1", c.reqB.ID)}})
		require.Equal(t, http.StatusSeeOther, r.Status)
		flash := dirA.get("/ecole").Body
		assert.Contains(t, flash, "Demande autorisée")
		assert.Contains(t, flash, fmt.Sprintf("n° %d", c.reqB.ID), "another school's request is not authorised")
		q, err := db.Request(context.Background(), c.reqA.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestAuthorised, q.State)

		// A stale version is a 409 explained in French.
		r = dirA.post(path, url.Values{"version": {"1"}})
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Contains(t, r.Body, "Action impossible")

		// Opinions: an invalid verdict re-renders Avis à donner with the error.
		insp := b.client(t)
		insp.signIn(c.people["inspection"])
		r = insp.post(fmt.Sprintf("/demandes/%d/avis", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "retour": {"/avis"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, `href="#verdict-favourable"`)
		for _, key := range []string{"inspection", "it", "education"} {
			cl := b.client(t)
			cl.signIn(c.people[key])
			r = cl.post(fmt.Sprintf("/demandes/%d/avis", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "verdict": {"favourable"}, "retour": {"/avis"}})
			require.Equal(t, http.StatusSeeOther, r.Status, key)
			assert.Equal(t, "/avis", r.Location)
		}
		coord := b.client(t)
		coord.signIn(c.people["coordinator"])
		r = coord.post(fmt.Sprintf("/demandes/%d/decision", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "decision": {"rejected"}, "formulaire": {"decision"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "a rejection needs a reason")
		assert.Contains(t, r.Body, `href="#decision-reason"`)
		r = coord.post(fmt.Sprintf("/demandes/%d/packs", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "packs": {"2"}, "reason": {"Deux classes réunies"}})
		require.Equal(t, http.StatusSeeOther, r.Status)
		r = coord.post(fmt.Sprintf("/demandes/%d/decision", c.reqA.ID), url.Values{"version": {ver(c.reqA.ID)}, "decision": {"validated"}})
		require.Equal(t, http.StatusSeeOther, r.Status)
		page := coord.get(fmt.Sprintf("/demandes/%d", c.reqA.ID)).Body
		assert.Contains(t, page, "validée")
		assert.Contains(t, page, "Claire Morel", "the history names who acted")
		assert.Contains(t, page, "Deux classes réunies")
		q, err = db.Request(context.Background(), c.reqA.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestValidated, q.State)
		assert.Equal(t, 2, q.Packs)
	})
}

// TestBadInputNeverFails checks malformed filters and forms answer French
// pages, never a 500.
func TestBadInputNeverFails(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newCast(t, db)
	cl := b.client(t)
	cl.signIn(c.people["teacherA"])
	for _, p := range []string{"/demandes?annee=1800-1801", "/demandes?etat=nimporte", "/demandes?page=-1", "/demandes?tri=x", "/demandes/abc", "/demandes/99999999"} {
		r := cl.get(p)
		assert.Less(t, r.Status, 500, p)
		assert.GreaterOrEqual(t, r.Status, 400, p)
	}
	r := cl.post("/demandes/nouvelle", url.Values{"title": {"x\x00y"}, "pupils": {"douze"}, "training.status": {"bof"}, "extension_weeks": {"7"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	for _, field := range []string{`href="#title"`, `href="#pupils"`, `href="#class_levels-TPS"`} {
		assert.Contains(t, r.Body, field)
	}
	r = cl.post(fmt.Sprintf("/demandes/%d/envoi", c.reqA.ID), url.Values{"version": {"abc"}})
	assert.Less(t, r.Status, 500)
}

// TestServerErrorPage checks that an unexpected failure shows a French
// page with a reference, and that the reference is logged with the cause.
func TestServerErrorPage(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	var logs strings.Builder
	b := newBundle(t, db, nil)
	b.app.logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	u, _ := storetest.User(t, db, nil)
	cl := b.client(t)
	cl.signIn(u)
	require.NoError(t, db.Close())
	r := cl.get("/")
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Contains(t, r.Body, "Erreur du serveur")
	i := strings.Index(r.Body, `<strong class="ref">`)
	require.Positive(t, i, "the page shows a reference")
	ref := r.Body[i+len(`<strong class="ref">`):]
	ref = ref[:strings.Index(ref, "<")]
	assert.Len(t, ref, 12)
	assert.Contains(t, logs.String(), "reference="+ref, "the reference is logged")
	assert.NotContains(t, r.Body, "sql", "the cause stays in the log")
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestRecapOfIncompleteDraft checks the check-before-sending page of a
// draft that lacks commitments: no send button, links to the fields.
func TestRecapOfIncompleteDraft(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newCast(t, db)
	q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.reqA.SchoolUAI, TeacherID: c.people["teacherA"].ID, Incomplete: true})
	cl := b.client(t)
	cl.signIn(c.people["teacherA"])
	r := cl.get(fmt.Sprintf("/demandes/%d/envoi", q.ID))
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.Body, fmt.Sprintf(`href="/demandes/%d/modifier#commitments-secure_use"`, q.ID))
	assert.NotContains(t, r.Body, "Envoyer la demande à la direction")
	r = cl.post(fmt.Sprintf("/demandes/%d/envoi", q.ID), url.Values{"version": {fmt.Sprint(q.Version)}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "submission refused by the store")
	assert.Contains(t, r.Body, "logistics-secure_storage")
}
