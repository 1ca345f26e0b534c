package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/notify/notifytest"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

var linkRE = regexp.MustCompile(`https?://\S+/connexion/lien\?\S+`)

// testBundle is a running application on a test database.
type testBundle struct {
	db   *store.DB
	app  *App
	srv  *httptest.Server
	mail *notifytest.Mailbox
}

type bundleOpts struct {
	baseURL string // defaults to the test server's URL
	metrics *metrics.Metrics
}

// newAPI returns the JSON API over db with the iCal feeds in front of it,
// as classemobile serve composes them, and the API's server (the pages'
// printer).
func newAPI(t *testing.T, db *store.DB) (http.Handler, *web.Server, error) {
	t.Helper()
	feeds, err := feed.New(feed.Deps{DB: db, Logger: storetest.Logger(t)})
	if err != nil {
		return nil, nil, err
	}
	printer, err := NewLoanPrinter(db, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	api, err := web.New(web.Deps{DB: db, Logger: storetest.Logger(t), Feeds: feeds, Printer: printer})
	return feeds.Handler(api), api, err
}

func newBundle(t *testing.T, db *store.DB, opts *bundleOpts) *testBundle {
	t.Helper()
	if opts == nil {
		opts = &bundleOpts{}
	}
	b := &testBundle{db: db, mail: &notifytest.Mailbox{}}
	front, api, err := newAPI(t, db)
	require.NoError(t, err)
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.app.ServeHTTP(w, r) })
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	base := opts.baseURL
	if base == "" {
		base = b.srv.URL
	}
	b.app, err = New(Deps{DB: db, Mailer: b.mail, API: front, Printer: api, Logger: storetest.Logger(t), BaseURL: base, Metrics: opts.metrics})
	require.NoError(t, err)
	return b
}

// client is a browser-like client: a cookie jar, redirects not followed
// (tests look at each 303), Origin and Sec-Fetch-Site set like a browser
// posting a form of the same site.
type client struct {
	t    *testing.T
	b    *testBundle
	http *http.Client
}

func (b *testBundle) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, b: b, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// response is a read response.
type response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body), Header: resp.Header}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.b.srv.URL+path, nil)
	require.NoError(c.t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// post sends a form as a same-origin browser would.
func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	return c.postFrom(path, form, "same-origin")
}

func (c *client) postFrom(path string, form url.Values, fetchSite string) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", fetchSite)
	if fetchSite == "same-origin" {
		req.Header.Set("Origin", c.b.srv.URL)
	}
	return c.do(req)
}

// requestLink asks a sign-in link for email and returns the link of the
// e-mail it received ("" when none arrived).
func (c *client) requestLink(email, suite string) string {
	c.t.Helper()
	before := len(c.b.mail.All())
	r := c.post("/connexion", url.Values{"email": {email}, "suite": {suite}})
	require.Equal(c.t, http.StatusSeeOther, r.Status, "link request answered by a redirect: %s", r.Body)
	c.b.app.Wait()
	msgs := c.b.mail.All()
	if len(msgs) == before {
		return ""
	}
	link := linkRE.FindString(msgs[len(msgs)-1].Text)
	require.NotEmpty(c.t, link, "the message holds a link: %s", msgs[len(msgs)-1].Text)
	return link
}

// consume posts the « Se connecter » form of a link.
func (c *client) consume(link string) response {
	c.t.Helper()
	u, err := url.Parse(link)
	require.NoError(c.t, err)
	q := u.Query()
	return c.post("/connexion/lien", url.Values{"jeton": {q.Get("jeton")}, "suite": {q.Get("suite")}})
}

// signIn signs the client in as u through a link made by the store.
func (c *client) signIn(u store.User) {
	c.t.Helper()
	link, err := c.b.db.NewLoginLink(context.Background(), u.ID)
	require.NoError(c.t, err)
	r := c.consume(c.b.app.SignInURL(link.Token, ""))
	require.Equal(c.t, http.StatusSeeOther, r.Status, "sign-in: %s", r.Body)
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
