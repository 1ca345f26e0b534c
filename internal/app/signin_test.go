package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestSignInByLink(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		u, _ := storetest.User(t, db, &storetest.UserOpts{Name: "Claire Morel"})
		c := b.client(t)

		r := c.get("/")
		assert.Equal(t, http.StatusSeeOther, r.Status)
		assert.Equal(t, "/connexion", r.Location, "signed out: the home page asks to sign in")

		link := c.requestLink(strings.ToUpper(u.Email), "")
		require.NotEmpty(t, link, "a link was e-mailed")
		assert.True(t, strings.HasPrefix(link, b.srv.URL+"/connexion/lien?jeton="), "link %s", link)
		msg := b.mail.All()[0]
		assert.Equal(t, u.Email, msg.To[0].Email)
		assert.Contains(t, msg.Text, "15 minutes")

		// Opening the link (as a mail scanner would) spends nothing.
		path := strings.TrimPrefix(link, b.srv.URL)
		for range 2 {
			r = c.get(path)
			require.Equal(t, http.StatusOK, r.Status)
			assert.Contains(t, r.Body, ">Se connecter</button>")
		}
		r = c.consume(link)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, "/", r.Location)
		r = c.get("/")
		require.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, r.Body, "Claire Morel")
		assert.Contains(t, r.Body, "vous êtes connecté·e", "one-shot flash")
		assert.Contains(t, r.Body, "Se déconnecter")
		r = c.get("/")
		assert.NotContains(t, r.Body, "vous êtes connecté·e", "the flash shows once")

		// Replay: the link worked once.
		other := b.client(t)
		r = other.consume(link)
		assert.Equal(t, http.StatusGone, r.Status)
		assert.Contains(t, r.Body, "Lien expiré ou déjà utilisé")
		assert.Equal(t, http.StatusSeeOther, other.get("/").Status, "the replay opened no session")
	})
}

func TestSignInSameAnswerForUnknownAddress(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	u, _ := storetest.User(t, db, nil)
	c := b.client(t)
	known := c.post("/connexion", url.Values{"email": {u.Email}})
	unknown := c.post("/connexion", url.Values{"email": {"personne@example.fr"}})
	b.app.Wait()
	assert.Equal(t, known.Status, unknown.Status)
	assert.Equal(t, known.Location, unknown.Location)
	assert.Equal(t, known.Body, unknown.Body)
	assert.Len(t, b.mail.All(), 1, "only the known address got a message")
	sent := c.get(known.Location)
	assert.Contains(t, sent.Body, "Si cette adresse correspond à un compte")

	r := c.post("/connexion", url.Values{"email": {"pas une adresse"}})
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, r.Body, `aria-invalid="true"`)
	assert.Contains(t, r.Body, `href="#email"`, "the error summary links to the field")
}

func TestSignInLinkExpires(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	ck := &clock{t: time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)}
	db.SetNowFunc(ck.now)
	b := newBundle(t, db, nil)
	u, _ := storetest.User(t, db, nil)
	c := b.client(t)
	link := c.requestLink(u.Email, "")
	ck.add(16 * time.Minute)
	r := c.consume(link)
	assert.Equal(t, http.StatusGone, r.Status, "expired after 15 minutes")
	assert.Equal(t, http.StatusSeeOther, c.get("/").Status)

	// A session ends after 8 hours without activity.
	c.signIn(u)
	assert.Equal(t, http.StatusOK, c.get("/").Status)
	ck.add(8*time.Hour + time.Minute)
	r = c.get("/")
	assert.Equal(t, http.StatusSeeOther, r.Status, "idle session ended")
}

func TestSignInRateLimited(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	u, _ := storetest.User(t, db, nil)
	c := b.client(t)
	for range store.LoginPerEmail {
		require.NotEmpty(t, c.requestLink(u.Email, ""))
	}
	r := c.post("/connexion", url.Values{"email": {u.Email}})
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Contains(t, r.Body, "Trop de demandes")
	b.app.Wait()
	assert.Len(t, b.mail.All(), store.LoginPerEmail, "no message past the limit")
}

func TestSignOutRevokesSession(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		b := newBundle(t, db, nil)
		u, _ := storetest.User(t, db, nil)
		c := b.client(t)
		c.signIn(u)
		base, _ := url.Parse(b.srv.URL)
		var stolen *http.Cookie
		for _, ck := range c.http.Jar.Cookies(base) {
			if ck.Name == "cm_session" {
				stolen = ck
			}
		}
		require.NotNil(t, stolen)

		// A cross-site form cannot sign the person out (nor post anything).
		r := c.postFrom("/deconnexion", nil, "cross-site")
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Contains(t, r.Body, "depuis un autre site")
		assert.Equal(t, http.StatusOK, c.get("/").Status, "still signed in")

		r = c.post("/deconnexion", nil)
		require.Equal(t, http.StatusSeeOther, r.Status)
		assert.Equal(t, "/connexion", r.Location)
		assert.Equal(t, http.StatusSeeOther, c.get("/").Status, "signed out")

		// The old cookie no longer opens anything: the session is revoked
		// in the database, not only forgotten by the browser.
		thief := b.client(t)
		thief.http.Jar.SetCookies(base, []*http.Cookie{{Name: stolen.Name, Value: stolen.Value, Path: "/"}})
		assert.Equal(t, http.StatusSeeOther, thief.get("/").Status)
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	u, _ := storetest.User(t, db, nil)
	c := b.client(t)
	r := c.postFrom("/connexion", url.Values{"email": {u.Email}}, "cross-site")
	assert.Equal(t, http.StatusForbidden, r.Status)
	b.app.Wait()
	assert.Empty(t, b.mail.All(), "nothing sent")

	// A consumer's POST from another site is refused too: a link cannot be
	// spent by a foreign page.
	link, err := db.NewLoginLink(context.Background(), u.ID)
	require.NoError(t, err)
	r = c.postFrom("/connexion/lien", url.Values{"jeton": {link.Token}}, "cross-site")
	assert.Equal(t, http.StatusForbidden, r.Status)
	r = c.consume(b.app.SignInURL(link.Token, ""))
	assert.Equal(t, http.StatusSeeOther, r.Status, "the token was not spent by the refused post")
}

func TestSuiteKeptThroughSignIn(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, nil)
	u, _ := storetest.User(t, db, nil)
	c := b.client(t)
	r := c.get("/accessibilite?x=1")
	require.Equal(t, http.StatusOK, r.Status, "public page")
	r = c.get("/demandes/12?onglet=avis")
	require.Equal(t, http.StatusSeeOther, r.Status)
	assert.Equal(t, "/connexion?suite=%2Fdemandes%2F12%3Fonglet%3Davis", r.Location)
	form := c.get(r.Location)
	assert.Contains(t, form.Body, `name="suite" value="/demandes/12?onglet=avis"`)

	link := c.requestLink(u.Email, "/demandes/12?onglet=avis")
	assert.Contains(t, link, "suite=%2Fdemandes%2F12%3Fonglet%3Davis", "the link keeps the page")
	r = c.consume(link)
	assert.Equal(t, "/demandes/12?onglet=avis", r.Location)

	for _, bad := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "demandes/12", "/x\r\nSet-Cookie: a=b"} {
		c := b.client(t)
		assert.NotContains(t, b.app.SignInURL("x", bad), "suite=", "foreign path %q dropped from the link", bad)
		fresh, err := db.NewLoginLink(context.Background(), u.ID)
		require.NoError(t, err)
		r := c.post("/connexion/lien", url.Values{"jeton": {fresh.Token}, "suite": {bad}})
		assert.Equal(t, "/", r.Location, "only local paths: %q", bad)
	}
	assert.Equal(t, "", localPath("/\x00"), "control characters")
	assert.Equal(t, "/ecole", localPath("/ecole"))
}

func TestSecureCookieOverHTTPS(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	b := newBundle(t, db, &bundleOpts{baseURL: "https://classemobile.example.fr"})
	u, _ := storetest.User(t, db, nil)
	link, err := db.NewLoginLink(context.Background(), u.ID)
	require.NoError(t, err)
	c := b.client(t)
	r := c.post("/connexion/lien", url.Values{"jeton": {link.Token}})
	require.Equal(t, http.StatusSeeOther, r.Status)
	var sess *http.Cookie
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(ck.Name, "cm_session") {
			sess = ck
		}
	}
	require.NotNil(t, sess)
	assert.Equal(t, "__Host-cm_session", sess.Name)
	assert.True(t, sess.Secure)
	assert.True(t, sess.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, sess.SameSite)
	assert.Equal(t, "/", sess.Path)

	plain := newBundle(t, db, nil)
	link, err = db.NewLoginLink(context.Background(), u.ID)
	require.NoError(t, err)
	r = plain.client(t).post("/connexion/lien", url.Values{"jeton": {link.Token}})
	assert.Contains(t, r.Header.Get("Set-Cookie"), "cm_session=")
	assert.NotContains(t, r.Header.Get("Set-Cookie"), "Secure")
	assert.Contains(t, r.Header.Get("Set-Cookie"), "HttpOnly")
}
