package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

// browser is a person's browser on the application: a cookie jar,
// redirects followed.
type browser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: base, http: &http.Client{Jar: jar}}
}

func (b *browser) get(link string) (int, string, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	require.NoError(b.t, err)
	req.Header.Set("Sec-Fetch-Site", "none")
	resp, err := b.http.Do(req)
	require.NoError(b.t, err, "GET %s", link)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.RequestURI(), string(body)
}

// signIn posts the « Se connecter » form of a fresh link for u, with suite.
func (b *browser) signIn(db *store.DB, u store.User, suite string) (int, string) {
	b.t.Helper()
	link, err := db.NewLoginLink(context.Background(), u.ID)
	require.NoError(b.t, err)
	form := url.Values{"jeton": {link.Token}, "suite": {suite}}
	req, err := http.NewRequest(http.MethodPost, b.base+"/connexion/lien", strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	resp, err := b.http.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	return resp.StatusCode, resp.Request.URL.RequestURI()
}

// TestEveryMessageLinkOpensForItsRecipient builds every kind of message
// the nightly job sends (task digests of each role, reminders of each
// kind, round notices) and opens each of their links, signed in as the recipient,
// through the real web application: each answers 200, the loan pages and the
// assessment form included.
func TestEveryMessageLinkOpensForItsRecipient(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var pages *app.App
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pages.ServeHTTP(w, r) }))
		t.Cleanup(srv.Close)
		feeds, err := feed.New(feed.Deps{DB: db, Logger: storetest.Logger(t)})
		require.NoError(t, err)
		printer, err := app.NewLoanPrinter(db, nil, nil)
		require.NoError(t, err)
		api, err := web.New(web.Deps{DB: db, Logger: storetest.Logger(t), Feeds: feeds, Printer: printer})
		require.NoError(t, err)
		pages, err = app.New(app.Deps{DB: db, Mailer: &memSender{}, API: feeds.Handler(api), Printer: api, Logger: storetest.Logger(t), BaseURL: srv.URL})
		require.NoError(t, err)

		// Task digests: every kind of request state at once.
		j := newJourney(t, db)
		sender := &memSender{}
		clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 12, 1, 0, 0, 0, time.UTC))
		runner := newRunner(t, db, sender, jobs.RunnerOptions{Clock: clock, BaseURL: srv.URL, Owner: "night"})
		j.request(t)
		j.authorise(t, j.request(t))
		j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...)
		j.decide(t, j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...), store.RequestValidated, "Projet retenu.")
		j.decide(t, j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...), store.RequestRejected, "Projet incomplet.")
		require.NoError(t, runner.SendTaskDigests(ctx, today, &jobs.Report{}))
		users := map[string]store.User{}
		for _, u := range []store.User{j.teacher, j.director, j.inspection, j.it, j.education, j.coord} {
			users[u.Email] = u
		}
		digests := sender.take()
		require.Len(t, digests, 6, "a digest for the teacher, the director, each referent and the coordinator")

		// Reminders of each kind: training, pickup, agreement to sign,
		// return soon, overdue, assessment, extension to decide.
		p := setupPeople(t, db)
		for _, u := range []store.User{p.teacher, p.teacher2, p.director, p.it, p.coord} {
			users[u.Email] = u
		}
		pack := storetest.Pack(t, db, &storetest.PackOpts{Code: "PACK-" + storetest.Unique()})
		p.loan(t, db, storetest.LoanFixture{Pickup: today.AddDays(14), DirectorSigned: true, ITSigned: true, PackID: pack.ID})
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-43), Return: today.AddDays(-1), TrainingDone: true})
		p.loan(t, db, storetest.LoanFixture{State: "returned", Pickup: today.AddDays(-50), Return: today.AddDays(-7), TrainingDone: true})
		p.loan(t, db, storetest.LoanFixture{TeacherID: p.teacher2.ID, Pickup: today.AddDays(3), TrainingDone: true, DirectorSigned: true})
		f := p.loan(t, db, storetest.LoanFixture{TeacherID: p.teacher2.ID, State: "picked_up", Pickup: today.AddDays(-10), Return: today.AddDays(25), TrainingDone: true})
		storetest.ExecLoan(t, db, `INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day) VALUES (?, 2, 'Projet à terminer', ?, 'requested', ?)`,
			f, today.AddDays(-2).In(paris).Add(10*time.Hour), today.AddDays(39).String())
		remRunner := newRunner(t, db, sender, jobs.RunnerOptions{BaseURL: srv.URL})
		rep, err := remRunner.Run(ctx, today)
		require.NoError(t, err)
		require.GreaterOrEqual(t, rep.Messages, 5, "reminders to both teachers, the director, IT and the coordinators")
		reminders := sender.take()

		// Round notices: a round published tells its teachers and
		// directors of their loans.
		rd := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 3})
		coord := store.Actor{UserID: rd.Coordinator.ID}
		round, err := round.Run(ctx, db, coord, round.Input{SchoolYear: rd.Year, Today: storetest.RoundToday, TimeLimit: 3 * time.Second})
		require.NoError(t, err)
		_, err = db.PublishRound(ctx, coord, round.ID)
		require.NoError(t, err)
		n, err := runner.SendNotices(ctx)
		require.NoError(t, err)
		require.Positive(t, n, "notices sent")
		notices := sender.take()
		for email := range notices {
			var id int64
			require.NoError(t, db.Bun().NewRaw("SELECT id FROM users WHERE email = ?", email).Scan(ctx, &id))
			u, err := db.User(ctx, id)
			require.NoError(t, err)
			users[email] = u
		}

		linkRe := regexp.MustCompile(`https?://[^\s"<>]+`)
		seen := map[string]bool{}
		opened := 0
		for _, set := range []map[string]notify.Message{digests, reminders, notices} {
			for email, m := range set {
				u := users[email]
				require.NotZero(t, u.ID, "recipient %s", email)
				b := newBrowser(t, srv.URL)
				status, _ := b.signIn(db, u, "")
				require.Equal(t, http.StatusOK, status, "%s signs in", u.Name)
				links := append(linkRe.FindAllString(m.Text, -1), linkRe.FindAllString(m.HTML, -1)...)
				require.NotEmpty(t, links, "%s: %s", u.Role, m.Subject)
				for _, link := range links {
					link = strings.ReplaceAll(link, "&amp;", "&")
					require.True(t, strings.HasPrefix(link, srv.URL), "link %s starts with BASE_URL", link)
					status, at, body := b.get(link)
					l, _ := url.Parse(link)
					seen[regexp.MustCompile(`\d+`).ReplaceAllString(l.Path, "{id}")] = true
					opened++
					assert.Equal(t, http.StatusOK, status, "%s (%s) opens %s (%s), ended at %s: %.300s", u.Name, u.Role, link, m.Subject, at, body)
				}
			}
		}
		assert.Greater(t, opened, 12, "links opened")
		assert.True(t, seen["/prets/{id}"], "reminders link the loan's page: %v", seen)
		assert.True(t, seen["/prets/{id}/bilan"], "the assessment reminder links the assessment form: %v", seen)
		t.Logf("links opened: %d; pages: %v", opened, seen)

		// Not signed in yet: the link goes through the sign-in and on to
		// the page (suite).
		var link string
		for _, l := range linkRe.FindAllString(digests[j.teacher.Email].Text, -1) {
			if strings.Contains(l, "/demandes/") {
				link = l
				break
			}
		}
		require.NotEmpty(t, link, "the teacher's digest links a request")
		b := newBrowser(t, srv.URL)
		status, at, _ := b.get(link)
		l, _ := url.Parse(link)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "/connexion?suite="+url.QueryEscape(l.Path), at, "signed out: the sign-in page, keeping the page")
		status, at = b.signIn(db, j.teacher, l.Path)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, l.Path, at, "after sign-in, the page of the message")
	})
}
