package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// upload posts a file to the import form as a browser would.
func (c *client) upload(path, name string, content []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("fichier", name)
	require.NoError(c.t, err)
	_, err = fw.Write(content)
	require.NoError(c.t, err)
	require.NoError(c.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, c.b.srv.URL+path, &body)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.b.srv.URL)
	return c.do(req)
}

var hiddenData = regexp.MustCompile(`name="donnees" value="([^"]*)"`)

func peopleCount(t *testing.T, db *store.DB) int {
	t.Helper()
	ps, err := db.People(context.Background(), store.PeopleFilter{IncludeDisabled: true})
	require.NoError(t, err)
	return len(ps)
}

func TestInvitePerson(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		coord := b.client(t)
		coord.signIn(c.people["coordinator"])
		before := peopleCount(t, db)

		// Bad input: every field's problem in French, nothing created.
		r := coord.post("/admin/personnes/nouvelle", url.Values{"email": {"pas-une-adresse"}, "name": {""}, "roles": {"teacher"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		for _, want := range []string{"champs sont à corriger", `href="#email"`, "n&#39;est pas une adresse e-mail valide", `href="#name"`,
			"Nom manquant", `href="#school"`, "École manquante", `aria-invalid="true"`} {
			assert.Contains(t, r.Body, want)
		}
		r = coord.post("/admin/personnes/nouvelle", url.Values{"email": {"x@ville.fr"}, "name": {"X"}, "roles": {"pirate"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "Rôle inconnu")
		r = coord.post("/admin/personnes/nouvelle", url.Values{"email": {c.people["teacherA"].Email}, "name": {"Double"}, "roles": {"it"}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "déjà celle d&#39;une autre personne")
		assert.Equal(t, before, peopleCount(t, db), "nothing created")

		// A good invitation: listed, and a sign-in link e-mailed.
		mails := len(b.mail.All())
		r = coord.post("/admin/personnes/nouvelle", url.Values{"email": {"Lea.Roux@ac-creteil.fr"}, "name": {"Léa Roux"},
			"roles": {"teacher", "director"}, "school": {c.schoolB.UAI}, "lien": {"oui"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, "/admin/personnes", r.Location)
		list := coord.get("/admin/personnes")
		assert.Contains(t, list.Body, "Léa Roux est invité·e\u00a0: un lien de connexion a été envoyé")
		assert.Contains(t, list.Body, "lea.roux@ac-creteil.fr")
		assert.Contains(t, list.Body, "direction d&#39;école, enseignant·e")
		b.app.Wait()
		require.Len(t, b.mail.All(), mails+1)
		link := linkRE.FindString(b.mail.All()[mails].Text)
		require.NotEmpty(t, link)
		lea := b.client(t)
		require.Equal(t, http.StatusSeeOther, lea.consume(link).Status, "the invited person signs in with the link")
		assert.Contains(t, lea.get("/ecole").Body, "Léa Roux")

		// Filters: by role and by school.
		f := coord.get("/admin/personnes?role=director&ecole=" + c.schoolB.UAI)
		assert.Contains(t, f.Body, "Léa Roux")
		assert.Contains(t, f.Body, "Brigitte Cachée")
		assert.NotContains(t, f.Body, "Nadia Haddad")
		assert.NotContains(t, f.Body, "Bertrand Secret")
	})
}

func TestChangeDisableAndLink(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		coord := b.client(t)
		coord.signIn(c.people["coordinator"])
		teacher := c.people["teacherA"]
		path := fmt.Sprintf("/admin/personnes/%d", teacher.ID)
		ctx := context.Background()

		// Change roles: the teacher also directs school B... without a school refused.
		r := coord.post(path, url.Values{"name": {teacher.Name}, "roles": {"teacher"}, "school": {""}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "École manquante")
		r = coord.post(path, url.Values{"name": {teacher.Name}, "roles": {"teacher", "director"}, "school": {c.schoolB.UAI}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		p, err := db.Person(ctx, teacher.ID)
		require.NoError(t, err)
		assert.True(t, p.HasRole(store.RoleDirector))
		assert.Equal(t, c.schoolB.UAI, personInput(p).SchoolUAI)

		// A new sign-in link.
		mails := len(b.mail.All())
		r = coord.post(path+"/lien", nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		b.app.Wait()
		require.Len(t, b.mail.All(), mails+1)
		assert.Equal(t, teacher.Email, b.mail.All()[mails].To[0].Email)

		// Disable: a confirmation page first, then the POST.
		conf := coord.get(path + "/desactivation")
		assert.Equal(t, http.StatusOK, conf.Status)
		assert.Contains(t, conf.Body, "ne pourra plus se connecter")
		other := b.client(t)
		other.signIn(teacher)
		r = coord.post(path+"/desactivation", nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		p, err = db.Person(ctx, teacher.ID)
		require.NoError(t, err)
		assert.True(t, p.Disabled())
		assert.Equal(t, http.StatusSeeOther, other.get("/").Status, "the disabled person's session ended")
		assert.Contains(t, coord.get("/admin/personnes").Body, "désactivé")
		assert.Equal(t, http.StatusConflict, coord.post(path+"/lien", nil).Status, "no link for a disabled person")

		// The coordinator cannot disable themself; others may not disable anyone.
		self := fmt.Sprintf("/admin/personnes/%d/desactivation", c.people["coordinator"].ID)
		assert.Equal(t, http.StatusConflict, coord.post(self, nil).Status)
		dir := b.client(t)
		dir.signIn(c.people["directorA"])
		assert.Equal(t, http.StatusForbidden, dir.post(fmt.Sprintf("/admin/personnes/%d/desactivation", c.people["teacherB"].ID), nil).Status)
		assert.Equal(t, http.StatusForbidden, dir.post("/admin/personnes/nouvelle", url.Values{"email": {"z@ville.fr"}}).Status)
		assert.Equal(t, http.StatusNotFound, coord.get("/admin/personnes/99999999").Status)
		assert.Equal(t, http.StatusNotFound, coord.get("/admin/personnes/abc").Status)
	})
}

func TestImportPeople(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		c := newCast(t, db)
		coord := b.client(t)
		coord.signIn(c.people["coordinator"])
		before := peopleCount(t, db)

		// A file with errors: refused line by line, nothing changed, no apply button.
		bad := "email;nom;roles;uai\n" +
			"paul.durand@ac-creteil.fr;Paul Durand;enseignant;9999999Z\n" +
			"pas-une-adresse;Anne Lefèvre;enseignante;" + c.schoolB.UAI + "\n" +
			"jean.petit@ac-creteil.fr;Jean Petit;astronaute;\n" +
			"marie.noel@ac-creteil.fr;Marie Noël;dsi;\n"
		r := coord.upload("/admin/personnes/import", "annuaire.csv", []byte("\ufeff"+bad))
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		for _, want := range []string{"Fichier refusé\u00a0: 3 lignes en erreur", "Ligne 2\u00a0:", "Ligne 3\u00a0:", "Ligne 4\u00a0:", "9999999Z",
			"n&#39;est pas une adresse e-mail valide", "astronaute"} {
			assert.Contains(t, r.Body, want)
		}
		assert.NotContains(t, r.Body, "Ligne 5\u00a0:")
		assert.NotContains(t, r.Body, "Appliquer ces changements")
		// Even posted to the apply action, the file changes nothing.
		r = coord.post("/admin/personnes/import/application", url.Values{"donnees": {b64(bad)}})
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Equal(t, before, peopleCount(t, db), "nothing created")

		// No file, an empty file.
		r = coord.upload("/admin/personnes/import", "vide.csv", nil)
		assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
		assert.Contains(t, r.Body, "Le fichier est vide")
		assert.Equal(t, http.StatusBadRequest, coord.post("/admin/personnes/import/application", url.Values{"donnees": {"%%%"}}).Status)

		// A correct file: previewed, applied, applied again changes nothing.
		good := "email;nom;roles;uai\n" +
			"paul.durand@ac-creteil.fr;Paul Durand;enseignant;" + c.schoolB.UAI + "\n" +
			"marie.noel@ac-creteil.fr;Marie Noël;dsi;\n" +
			c.people["teacherA"].Email + ";Julien Martin;enseignant, directeur;" + c.people["teacherA"].SchoolUAI + "\n"
		r = coord.upload("/admin/personnes/import", "annuaire.csv", []byte(good))
		require.Equal(t, http.StatusOK, r.Status, r.Body)
		assert.Contains(t, r.Body, "2 personnes à créer, 1 à modifier, 0 inchangée.")
		assert.Contains(t, r.Body, "Appliquer ces changements")
		assert.Equal(t, before, peopleCount(t, db), "a preview writes nothing")
		m := hiddenData.FindStringSubmatch(r.Body)
		require.Len(t, m, 2)
		r = coord.post("/admin/personnes/import/application", url.Values{"donnees": {m[1]}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		list := coord.get("/admin/personnes")
		assert.Contains(t, list.Body, "Import appliqué\u00a0: 2 personnes créées, 1 modifiée, 0 inchangée.")
		assert.Contains(t, list.Body, "Paul Durand")
		assert.Equal(t, before+2, peopleCount(t, db))
		p, err := db.PersonByEmail(context.Background(), c.people["teacherA"].Email)
		require.NoError(t, err)
		assert.True(t, p.HasRole(store.RoleDirector))

		r = coord.upload("/admin/personnes/import", "annuaire.csv", []byte(good))
		assert.Contains(t, r.Body, "0 personne à créer, 0 à modifier, 3 inchangées.")
		r = coord.post("/admin/personnes/import/application", url.Values{"donnees": {m[1]}})
		require.Equal(t, http.StatusSeeOther, r.Status)
		assert.Contains(t, coord.get("/admin/personnes").Body, "0 personne créée, 0 modifiée, 3 inchangées.")
		assert.Equal(t, before+2, peopleCount(t, db))

		// Another role cannot import.
		it := b.client(t)
		it.signIn(c.people["it"])
		assert.Equal(t, http.StatusForbidden, it.upload("/admin/personnes/import", "a.csv", []byte(good)).Status)
		assert.Equal(t, http.StatusForbidden, it.post("/admin/personnes/import/application", url.Values{"donnees": {m[1]}}).Status)
		assert.False(t, strings.Contains(it.get("/").Body, "/admin/personnes"))
	})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
