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

// viewsCast is the pages' cast with a loan in school B too, so that
// school A's people see it as « prêté ».
type viewsCast struct {
	cast
	loanB store.Loan
}

func newViewsCast(t *testing.T, db *store.DB) viewsCast {
	t.Helper()
	c := viewsCast{cast: newCast(t, db)}
	lr := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: c.schoolB.UAI, TeacherID: c.people["teacherB"].ID})
	p := storetest.Pack(t, db, nil)
	var err error
	c.loanB, err = db.CreateLoan(context.Background(), store.Actor{UserID: c.people["coordinator"].ID},
		store.NewLoan{RequestID: lr.ID, PackIDs: []int64{p.ID}, StartWeek: 0})
	require.NoError(t, err)
	return c
}

// TestViewsByRole opens the planning, the synthèse, their exports and the
// administration pages as every role.
func TestViewsByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newViewsCast(t, db)
		ok, forbid := http.StatusOK, http.StatusForbidden
		schoolA := c.loanA.SchoolUAI
		staff := map[string]bool{"inspection": true, "it": true, "education": true, "coordinator": true}
		for role, u := range c.people {
			t.Run(role, func(t *testing.T) {
				cl := b.client(t)
				cl.signIn(u)
				want := map[string]int{
					"/planning": ok, "/planning?periode=P2&secteur=nulle-part": ok, "/planning.csv": ok,
					"/synthese": forbid, "/synthese?secteur=x&periode=P1": forbid, "/synthese/synthese.csv": forbid, "/synthese/bilans.csv": forbid,
					"/admin": forbid, "/admin/ecoles": forbid, "/admin/ecoles/" + schoolA: forbid, "/admin/annee": forbid,
					"/admin/relances": forbid, "/admin/relances?etat=failed": forbid, "/admin/flux": forbid, "/admin/calendrier": forbid,
				}
				if staff[role] {
					want["/synthese"], want["/synthese?secteur=x&periode=P1"], want["/synthese/synthese.csv"] = ok, ok, ok
				}
				if role == "coordinator" || role == "inspection" {
					want["/synthese/bilans.csv"] = ok
				}
				if role == "coordinator" {
					for _, p := range []string{"/admin", "/admin/ecoles", "/admin/ecoles/" + schoolA, "/admin/annee", "/admin/relances", "/admin/relances?etat=failed", "/admin/flux", "/admin/calendrier"} {
						want[p] = ok
					}
				}
				for path, status := range want {
					r := cl.get(path)
					assert.Equal(t, status, r.Status, "%s: GET %s", role, path)
					if r.Status == ok && strings.HasSuffix(path, ".csv") {
						assert.True(t, strings.HasPrefix(r.Body, "\uFEFF"), "%s: %s starts with a BOM for Excel", role, path)
						assert.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
					}
				}
				// The planning: staff see every school by name, a school's
				// people their own loans by name and the others as « prêté ».
				for _, path := range []string{"/planning", "/planning.csv"} {
					body := cl.get(path).Body
					switch {
					case staff[role]:
						assert.Contains(t, body, "Bellevue Confidentielle", "%s sees school B's loan on %s", role, path)
						assert.Contains(t, body, "Alexandre Dumas", "%s sees school A's loan on %s", role, path)
					case strings.HasSuffix(role, "A"):
						assert.NotContains(t, body, "Bellevue Confidentielle", "%s: %s hides school B", role, path)
						assert.Contains(t, body, "Alexandre Dumas", "%s sees their school's loan on %s", role, path)
						assert.Contains(t, body, "prêté", "%s sees school B's loan as lent on %s", role, path)
					case strings.HasSuffix(role, "B"):
						assert.NotContains(t, body, "Alexandre Dumas", "%s: %s hides school A", role, path)
						assert.Contains(t, body, "prêté")
					}
				}
				home := cl.get("/").Body
				assert.Contains(t, home, `href="/planning"`, "%s: the planning in the navigation", role)
				assert.Equal(t, staff[role], strings.Contains(home, `href="/synthese"`), "%s: Synthèse in the navigation", role)
				assert.Equal(t, role == "coordinator", strings.Contains(home, `href="/admin"`), "%s: Administration in the navigation", role)
			})
		}
	})
}

// TestPlanningPage checks the grid's filters, paging and bad input.
func TestPlanningPage(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	c := newViewsCast(t, db)
	cl := b.client(t)
	cl.signIn(c.people["coordinator"])
	r := cl.get("/planning")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Contains(t, r.Body, `<th scope="colgroup"`, "periods are column groups")
	assert.Contains(t, r.Body, fmt.Sprintf(`href="/packs/%d"`, c.loanA.Packs[0].PackID), "a pack's row links to its page")
	assert.Contains(t, r.Body, fmt.Sprintf(`href="/demandes/%d"`, c.loanA.RequestID), "a loan links to its request")
	assert.Contains(t, r.Body, "Vacances de la Toussaint")
	p1 := cl.get("/planning?periode=P1")
	require.Equal(t, http.StatusOK, p1.Status)
	assert.NotContains(t, p1.Body, "Vacances de la Toussaint", "one period's weeks only")
	assert.Contains(t, p1.Body, `<option value="P1" selected>`)
	for _, bad := range []string{"/planning?periode=P9", "/planning?annee=2026", "/planning?page=zéro", "/planning?page=99", "/planning.csv?periode=P9"} {
		r := cl.get(bad)
		assert.Equal(t, http.StatusBadRequest, r.Status, "GET %s", bad)
		assert.Contains(t, r.Body, `lang="fr"`)
	}
	assert.Equal(t, http.StatusNotFound, cl.get("/planning?annee=1890-1891").Status, "a year without calendar")
	csv := cl.get("/planning.csv?periode=P1")
	assert.Contains(t, csv.Header.Get("Content-Disposition"), "planning-2026-2027-P1.csv")
	lines := strings.Split(strings.TrimPrefix(csv.Body, "\uFEFF"), "\r\n")
	assert.True(t, strings.HasPrefix(lines[0], "Période;;P1;"), "';'-separated, CRLF: %q", lines[0])
}

// TestSynthesisPage checks the synthèse's rows, filters and the override
// in the page and its CSV.
func TestSynthesisPage(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := newBundle(t, db, nil)
		c := newViewsCast(t, db)
		coord := c.people["coordinator"]
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.loanA.SchoolUAI, TeacherID: c.people["teacherA"].ID, State: store.RequestAuthorised})
		q, err := db.SetRequestOpinion(ctx, store.Actor{UserID: c.people["inspection"].ID}, q.ID, q.Version,
			store.Opinion{Role: store.RoleInspection, Verdict: store.OpinionFavourable, Comment: "Bien."})
		require.NoError(t, err)
		_, err = db.DecideRequestOverride(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, store.RequestValidated, "", "Avis de la DSI attendu après les vacances")
		require.NoError(t, err)
		cl := b.client(t)
		cl.signIn(coord)
		r := cl.get("/synthese")
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, r.Body, "Avis de la DSI attendu après les vacances", "the override shows in the page")
		assert.Contains(t, r.Body, "3 packs demandés dont 3 sans période souhaitée.", "the summary counts the packs without a preferred period")
		assert.Contains(t, r.Body, fmt.Sprintf(`href="/demandes/%d"`, q.ID))
		assert.Contains(t, r.Body, "Prêts de l'année")
		assert.Contains(t, r.Body, "Bilans")
		csv := cl.get("/synthese/synthese.csv")
		require.Equal(t, http.StatusOK, csv.Status)
		assert.Contains(t, csv.Body, "Validation sans les trois avis (motif)", "the override's column")
		assert.Contains(t, csv.Body, "Avis de la DSI attendu après les vacances", "the override in the CSV")
		other := cl.get("/synthese?secteur=aucun-secteur")
		assert.NotContains(t, other.Body, fmt.Sprintf(`href="/demandes/%d"`, q.ID), "the sector filter drops the row")
		assert.Equal(t, http.StatusBadRequest, cl.get("/synthese?annee=deux-mille").Status)
		// A referent reads it, without the assessments.
		it := b.client(t)
		it.signIn(c.people["it"])
		r = it.get("/synthese")
		require.Equal(t, http.StatusOK, r.Status)
		assert.NotContains(t, r.Body, "/synthese/bilans.csv", "IT does not read the assessments")
	})
}

// TestAdminActions runs the administration's forms as the coordinator.
func TestAdminActions(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := newBundle(t, db, nil)
		c := newViewsCast(t, db)
		cl := b.client(t)
		cl.signIn(c.people["coordinator"])
		uai := c.loanA.SchoolUAI
		school, err := db.School(ctx, uai)
		require.NoError(t, err)

		// A school: bad input is the form again, nothing changed.
		form := url.Values{"name": {"  "}, "kind": {"elementaire"}, "city": {"Épinay"}, "priority_education": {"REP"},
			"version": {fmt.Sprint(school.Version)}}
		r := cl.post("/admin/ecoles/"+uai, form)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "Le nom de l")
		got, err := db.School(ctx, uai)
		require.NoError(t, err)
		assert.Equal(t, school, got, "nothing changed")
		form.Set("name", "École Alexandre Dumas (rénovée)")
		form.Set("priority_education", "REP+++")
		r = cl.post("/admin/ecoles/"+uai, form)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		form.Set("priority_education", "REP")
		form.Set("sector_id", "nulle-part")
		r = cl.post("/admin/ecoles/"+uai, form)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "unknown sector")
		form.Set("sector_id", "")
		r = cl.post("/admin/ecoles/"+uai, form)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		got, err = db.School(ctx, uai)
		require.NoError(t, err)
		assert.Equal(t, "École Alexandre Dumas (rénovée)", got.Name)
		assert.Equal(t, "REP", got.PriorityEducation)
		r = cl.post("/admin/ecoles/"+uai, form) // the version read is stale now
		assert.Equal(t, http.StatusConflict, r.Status)
		assert.Equal(t, http.StatusNotFound, cl.get("/admin/ecoles/0939999Z").Status)

		// The school year's settings.
		r = cl.post("/admin/annee", url.Values{"annee": {"2026-2027"}, "loan_weeks": {"30"}, "loan_policy": {"across_breaks"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "Durée de prêt hors de 1 à 20 semaines")
		r = cl.post("/admin/annee", url.Values{"annee": {"2026-2027"}, "loan_weeks": {"5"}, "loan_policy": {"across_breaks"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		set, err := db.YearSettings(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, 5, set.LoanWeeks)
		assert.Equal(t, calendar.AcrossBreaks, set.LoanPolicy)
		page := cl.get("/admin/annee?annee=2026-2027").Body
		assert.Contains(t, page, `value="across_breaks" checked`)
		assert.Contains(t, page, "Vacances d&#39;Été&nbsp;: à partir du samedi 3 juillet 2027, date de reprise pas encore publiée",
			"a summer without its end says so, not « à la reprise du » and nothing")

		// A failed reminder is put back to send.
		due := c.loanA.PickupDay
		_, err = db.InsertReminders(ctx, []store.Reminder{{LoanID: c.loanA.ID, Kind: store.ReminderPickup, DueDate: due,
			RecipientRole: store.RoleTeacher, RecipientID: c.people["teacherA"].ID}})
		require.NoError(t, err)
		now := time.Date(due.Year(), due.Month(), due.Day(), 6, 0, 0, 0, time.UTC)
		claimed, err := db.ClaimReminders(ctx, "test", now, now.Add(time.Minute), 10)
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		_, err = db.MarkRemindersAttemptFailed(ctx, "test", []int64{claimed[0].ID}, "550 boîte inconnue", now, now.Add(time.Second), 1)
		require.NoError(t, err)
		r = cl.get("/admin/relances?etat=failed")
		assert.Contains(t, r.Body, "550 boîte inconnue", "the failure's cause")
		assert.Contains(t, r.Body, "Renvoyer")
		r = cl.post(fmt.Sprintf("/admin/relances/%d/relance", claimed[0].ID), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		rem, err := db.ReminderByID(ctx, claimed[0].ID)
		require.NoError(t, err)
		assert.Equal(t, store.ReminderPending, rem.Status)
		r = cl.post(fmt.Sprintf("/admin/relances/%d/relance", claimed[0].ID), nil)
		assert.Equal(t, http.StatusSeeOther, r.Status, "a second retry changes nothing and says so")
		assert.Equal(t, http.StatusNotFound, cl.post("/admin/relances/abc/relance", nil).Status)

		// A feed: created with its address shown once, then revoked.
		r = cl.post("/admin/flux", url.Values{"scope": {"school"}, "school": {"pas-un-uai"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		r = cl.post("/admin/flux", url.Values{"scope": {"school"}, "school": {uai}})
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, "/ics/", "the new feed's address")
		feeds, err := db.ListFeeds(ctx, uai)
		require.NoError(t, err)
		require.Len(t, feeds, 1)
		r = cl.post("/admin/flux/revocation", url.Values{"scope": {"school"}, "school": {uai}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		feeds, err = db.ListFeeds(ctx, uai)
		require.NoError(t, err)
		assert.Empty(t, feeds, "revoked")

		// A disabled person is enabled again.
		teacher := c.people["teacherB"]
		_, err = db.DisableUser(ctx, store.Actor{}, teacher.ID)
		require.NoError(t, err)
		assert.Contains(t, cl.get(fmt.Sprintf("/admin/personnes/%d", teacher.ID)).Body, "Réactiver le compte")
		r = cl.post(fmt.Sprintf("/admin/personnes/%d/reactivation", teacher.ID), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		p, err := db.Person(ctx, teacher.ID)
		require.NoError(t, err)
		assert.False(t, p.Disabled())

		// Nobody else acts.
		dir := b.client(t)
		dir.signIn(c.people["directorA"])
		for _, path := range []string{"/admin/ecoles/" + uai, "/admin/annee", "/admin/flux", "/admin/flux/revocation",
			fmt.Sprintf("/admin/relances/%d/relance", claimed[0].ID), fmt.Sprintf("/admin/personnes/%d/reactivation", teacher.ID)} {
			assert.Equal(t, http.StatusForbidden, dir.post(path, url.Values{"scope": {"school"}, "school": {uai}}).Status, "POST %s", path)
		}
	})
}

// officialCSV writes the official export's rows for the embedded
// holidays of year, the first one's return moved a week later.
func officialCSV(year string) []byte {
	var b strings.Builder
	b.WriteString("\uFEFFdescription;population;start_date;end_date;location;zones;annee_scolaire\n")
	first := true
	for _, h := range calendar.ZoneC() {
		if h.SchoolYear != year {
			continue
		}
		resume := h.Resume
		if resume.IsZero() { // the last summer: its return is not published yet
			resume = h.First.AddDays(60)
		}
		if first {
			resume, first = resume.AddDays(7), false
		}
		fmt.Fprintf(&b, "%s;Élèves;%sT00:00:00+01:00;%sT00:00:00+01:00;Créteil;Zone C;%s\n", h.Description, h.First, resume, year)
	}
	return []byte(b.String())
}

// TestCalendarImportPage previews the official file, then applies it.
func TestCalendarImportPage(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := newBundle(t, db, nil)
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		cl := b.client(t)
		cl.signIn(coord)
		require.Equal(t, http.StatusOK, cl.get("/admin/calendrier").Status)
		r := cl.upload("/admin/calendrier", "calendrier.csv", []byte("pas un calendrier"))
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "export officiel")
		r = cl.upload("/admin/calendrier", "fr-en-calendrier-scolaire.csv", officialCSV("2026-2027"))
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, "dates changées", "the preview shows the change")
		assert.Contains(t, r.Body, "inchangée")
		stored, err := db.CalendarHolidays(ctx, "2026-2027")
		require.NoError(t, err)
		assert.Empty(t, stored, "the preview stores nothing")
		m := hiddenData.FindStringSubmatch(r.Body)
		require.Len(t, m, 2)
		r = cl.post("/admin/calendrier/application", url.Values{"donnees": {m[1]}, "source": {"fr-en-calendrier-scolaire.csv"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		stored, err = db.CalendarHolidays(ctx, "2026-2027")
		require.NoError(t, err)
		assert.NotEmpty(t, stored, "applied")
		assert.Equal(t, http.StatusBadRequest, cl.post("/admin/calendrier/application", url.Values{"donnees": {"%%%"}}).Status)
		dir, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		other := b.client(t)
		other.signIn(dir)
		assert.Equal(t, http.StatusForbidden, other.get("/admin/calendrier").Status)
		assert.Equal(t, http.StatusForbidden, other.post("/admin/calendrier/application", url.Values{"donnees": {m[1]}}).Status)
	})
}
