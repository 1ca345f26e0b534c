package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// memSender keeps the messages it is given; fail makes it refuse them.
type memSender struct {
	mu   sync.Mutex
	msgs []notify.Message
	fail bool
}

func (s *memSender) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("451 try again later")
	}
	s.msgs = append(s.msgs, m)
	return nil
}

// take returns the messages sent since the last take, by recipient e-mail.
func (s *memSender) take() map[string]notify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]notify.Message{}
	for _, m := range s.msgs {
		out[m.To[0].Email] = m
	}
	s.msgs = nil
	return out
}

const baseURL = "https://classemobile.epinay.example.fr"

// journey is a school's people, the town's referents and a coordinator.
type journey struct {
	school, other                    store.School
	teacher, director, otherDirector store.User
	inspection, it, education, coord store.User
	referents                        map[store.Role]store.User
	db                               *store.DB
	clock                            *clockwork.FakeClock
	sender                           *memSender
	runner                           *jobs.Runner
}

func newJourney(t *testing.T, db *store.DB) *journey {
	t.Helper()
	j := &journey{db: db, sender: &memSender{}}
	j.school = storetest.School(t, db, &storetest.SchoolOpts{Name: "ECOLE ELEMENTAIRE JEAN JAURES 1"})
	j.other = storetest.School(t, db, &storetest.SchoolOpts{Name: "ECOLE ELEMENTAIRE VICTOR HUGO 2"})
	user := func(role store.Role, uai, name string) store.User {
		u, _ := storetest.User(t, db, &storetest.UserOpts{Role: role, SchoolUAI: uai, Name: name})
		return u
	}
	j.teacher = user(store.RoleTeacher, j.school.UAI, "Élodie Fontaine")
	j.director = user(store.RoleDirector, j.school.UAI, "Anne Lefèvre")
	j.otherDirector = user(store.RoleDirector, j.other.UAI, "Luc Moreau")
	j.inspection = user(store.RoleInspection, "", "Sophie Lambert")
	j.it = user(store.RoleIT, "", "Karim Benali")
	j.education = user(store.RoleEducation, "", "Marc Dubois")
	j.coord = user(store.RoleCoordinator, "", "Claire Morel")
	j.referents = map[store.Role]store.User{store.RoleInspection: j.inspection, store.RoleIT: j.it, store.RoleEducation: j.education}
	j.clock = clockwork.NewFakeClockAt(time.Date(2026, 3, 12, 1, 0, 0, 0, time.UTC))
	j.runner = newRunner(t, db, j.sender, jobs.RunnerOptions{Clock: j.clock, BaseURL: baseURL, Owner: "night"})
	return j
}

// run runs the digests of a night and returns the messages, by e-mail.
func (j *journey) run(t *testing.T, day calendar.Date) (map[string]notify.Message, jobs.Report) {
	t.Helper()
	var rep jobs.Report
	require.NoError(t, j.runner.SendTaskDigests(context.Background(), day, &rep))
	return j.sender.take(), rep
}

func (j *journey) request(t *testing.T) store.Request {
	t.Helper()
	q, err := j.db.CreateRequest(context.Background(), store.Actor{UserID: j.teacher.ID},
		storetest.RequestContent(j.school.UAI, j.teacher.ID, storetest.RequestYear, 22))
	require.NoError(t, err)
	q, err = j.db.SubmitRequest(context.Background(), store.Actor{UserID: j.teacher.ID}, q.ID, q.Version)
	require.NoError(t, err)
	return q
}

func (j *journey) authorise(t *testing.T, q store.Request) store.Request {
	t.Helper()
	q, err := j.db.AuthorizeRequest(context.Background(), store.Actor{UserID: j.director.ID}, q.ID, q.Version)
	require.NoError(t, err)
	return q
}

func (j *journey) opinions(t *testing.T, q store.Request, roles ...store.Role) store.Request {
	t.Helper()
	var err error
	for _, role := range roles {
		q, err = j.db.SetRequestOpinion(context.Background(), store.Actor{UserID: j.referents[role].ID}, q.ID, q.Version,
			store.Opinion{Role: role, Verdict: store.OpinionFavourable, Comment: "Bon projet."})
		require.NoError(t, err)
	}
	return q
}

func (j *journey) decide(t *testing.T, q store.Request, d store.RequestState, reason string) store.Request {
	t.Helper()
	q, err := j.db.DecideRequest(context.Background(), store.Actor{UserID: j.coord.ID}, q.ID, q.Version, d, reason)
	require.NoError(t, err)
	return q
}

func recipients(msgs map[string]notify.Message) []string {
	var out []string
	for k := range msgs {
		out = append(out, k)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for k := i; k > 0 && s[k] < s[k-1]; k-- {
			s[k], s[k-1] = s[k-1], s[k]
		}
	}
	return s
}

func emails(us ...store.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	return sortStrings(out)
}

func TestTaskDigestsFollowTheRequest(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)

		// Submitted: the school's director, and nobody else.
		q := j.request(t)
		msgs, rep := j.run(t, day)
		require.Equal(t, emails(j.director), recipients(msgs), "only the school's director")
		m := msgs[j.director.Email]
		assert.Equal(t, "classemobile : 1 demande à autoriser", m.Subject)
		assert.True(t, strings.HasPrefix(m.Text, "Bonjour Anne Lefèvre,\n\nUne demande de classe mobile est arrivée jusqu'à vous dans classemobile.\n"), m.Text)
		assert.Contains(t, m.Text, "== 1 demande à autoriser ==")
		assert.Contains(t, m.Text, fmt.Sprintf("« Raconter son quartier en baladodiffusion » (demande n° %d)", q.ID))
		assert.Contains(t, m.Text, "Élodie Fontaine, ECOLE ELEMENTAIRE JEAN JAURES 1, année 2026-2027.")
		assert.Contains(t, m.Text, fmt.Sprintf("Ouvrir la demande : %s/demandes/%d\n", baseURL, q.ID))
		assert.Contains(t, m.Text, baseURL+"/ecole")
		assert.Contains(t, m.Text, "Une question ? Claire Morel, "+j.coord.Email, "a contact")
		assert.Equal(t, 1, rep.Digests)
		assert.Equal(t, 1, rep.DigestTasks)

		// The same night again: nothing twice.
		msgs, _ = j.run(t, day)
		assert.Empty(t, msgs, "a second run sends nothing")

		// Authorised: the three referents, each once.
		q = j.authorise(t, q)
		msgs, _ = j.run(t, day)
		require.Equal(t, emails(j.inspection, j.it, j.education), recipients(msgs))
		assert.Equal(t, "classemobile : 1 demande attend votre avis", msgs[j.it.Email].Subject)
		assert.Contains(t, msgs[j.it.Email].Text, "elle attend l'avis technique de la DSI.")
		assert.Contains(t, msgs[j.inspection.Email].Text, "elle attend l'avis pédagogique de l'Inspection.")
		assert.Contains(t, msgs[j.education.Email].Text, baseURL+"/avis")

		// Two opinions: nobody yet. The third: the coordinator, the next day.
		q = j.opinions(t, q, store.RoleInspection, store.RoleIT)
		msgs, _ = j.run(t, day.AddDays(1))
		assert.Empty(t, msgs, "the coordinator waits for the three opinions")
		q = j.opinions(t, q, store.RoleEducation)
		msgs, _ = j.run(t, day.AddDays(1))
		require.Equal(t, emails(j.coord), recipients(msgs))
		assert.Equal(t, "classemobile : 1 demande à valider ou refuser", msgs[j.coord.Email].Subject)
		assert.Contains(t, msgs[j.coord.Email].Text, baseURL+"/validation")

		// Rejected: the teacher and the director, with the reason.
		q = j.decide(t, q, store.RequestRejected, "Projet trop proche de celui de l'an dernier.")
		msgs, _ = j.run(t, day.AddDays(2))
		require.Equal(t, emails(j.teacher, j.director), recipients(msgs))
		for _, u := range []store.User{j.teacher, j.director} {
			m := msgs[u.Email]
			assert.Equal(t, "classemobile : 1 demande refusée", m.Subject)
			assert.Contains(t, m.Text, "Bonjour "+u.Name+",")
			assert.Contains(t, m.Text, "Motif : Projet trop proche de celui de l'an dernier.")
			assert.Contains(t, m.HTML, "Motif : Projet trop proche de celui de l&#39;an dernier.")
		}
		msgs, _ = j.run(t, day.AddDays(3))
		assert.Empty(t, msgs, "every task was announced once")
	})
}

func TestTaskDigestsOneADay(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)
		first := j.request(t)
		msgs, _ := j.run(t, day)
		require.Contains(t, msgs, j.director.Email)

		// Two more requests the same day: the director hears of them the
		// next day, in one message, without the first one again.
		second, third := j.request(t), j.request(t)
		msgs, _ = j.run(t, day)
		assert.Empty(t, msgs, "at most one digest a day")
		msgs, rep := j.run(t, day.AddDays(1))
		require.Equal(t, emails(j.director), recipients(msgs))
		m := msgs[j.director.Email]
		assert.Equal(t, "classemobile : 2 demandes à autoriser", m.Subject)
		assert.Contains(t, m.Text, "2 demandes de classe mobile sont arrivées jusqu'à vous")
		assert.Contains(t, m.Text, "== 2 demandes à autoriser ==", "the heading counts what is shown")
		assert.Equal(t, 2, strings.Count(m.Text, "Ouvrir la demande :"))
		assert.Contains(t, m.Text, fmt.Sprintf("/demandes/%d", second.ID))
		assert.Contains(t, m.Text, fmt.Sprintf("/demandes/%d", third.ID))
		assert.NotContains(t, m.Text, fmt.Sprintf("/demandes/%d\n", first.ID), "the first was announced already")
		assert.Equal(t, 2, rep.DigestTasks)

		digests, err := db.TaskDigests(context.Background(), j.director.ID)
		require.NoError(t, err)
		require.Len(t, digests, 2)
		assert.Equal(t, day.AddDays(1), digests[0].Day)
		assert.Equal(t, day, digests[1].Day)
		for _, d := range digests {
			assert.Equal(t, store.DigestSent, d.Status)
		}
	})
}

func TestTaskDigestFailedDeliveryIsRetriedOnce(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)
		first := j.request(t)
		j.sender.fail = true
		_, rep := j.run(t, day)
		assert.Equal(t, 0, rep.Digests)
		assert.Equal(t, 1, rep.DigestFailedAttempts)

		// The next night, the waiting digest goes out with what came since.
		j.sender.fail = false
		second := j.request(t)
		j.clock.Advance(24 * time.Hour)
		msgs, rep := j.run(t, day.AddDays(1))
		require.Equal(t, emails(j.director), recipients(msgs))
		m := msgs[j.director.Email]
		assert.Equal(t, "classemobile : 2 demandes à autoriser", m.Subject)
		assert.Contains(t, m.Text, fmt.Sprintf("/demandes/%d\n", first.ID))
		assert.Contains(t, m.Text, fmt.Sprintf("/demandes/%d\n", second.ID))
		assert.Equal(t, 1, rep.Digests)
		msgs, _ = j.run(t, day.AddDays(2))
		assert.Empty(t, msgs)
		digests, err := db.TaskDigests(context.Background(), j.director.ID)
		require.NoError(t, err)
		require.Len(t, digests, 1, "one digest, sent on its second attempt")
		assert.Equal(t, 2, digests[0].Attempts)
	})
}

var linkRe = regexp.MustCompile(`https?://[^\s"<>]+`)

// allowedPaths are the pages of the web application (APP-URLS.md) a role
// may be sent to: its request pages and its list.
var allowedPaths = map[store.Role][]*regexp.Regexp{
	store.RoleDirector:    {regexp.MustCompile(`^/demandes/(\d+)$`), regexp.MustCompile(`^/ecole$`)},
	store.RoleTeacher:     {regexp.MustCompile(`^/demandes/(\d+)$`)},
	store.RoleInspection:  {regexp.MustCompile(`^/demandes/(\d+)$`), regexp.MustCompile(`^/avis$`)},
	store.RoleIT:          {regexp.MustCompile(`^/demandes/(\d+)$`), regexp.MustCompile(`^/avis$`)},
	store.RoleEducation:   {regexp.MustCompile(`^/demandes/(\d+)$`), regexp.MustCompile(`^/avis$`)},
	store.RoleCoordinator: {regexp.MustCompile(`^/demandes/(\d+)$`), regexp.MustCompile(`^/validation$`)},
}

func TestTaskDigestLinksOpenTheRecipientsPages(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)
		// Every kind at once: a request submitted, one awaiting opinions,
		// one with its three opinions, one validated and one rejected.
		j.request(t)
		j.authorise(t, j.request(t))
		j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...)
		j.decide(t, j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...), store.RequestValidated, "Projet retenu.")
		j.decide(t, j.opinions(t, j.authorise(t, j.request(t)), store.ReferentRoles...), store.RequestRejected, "Projet incomplet.")
		msgs, _ := j.run(t, day)
		people := []store.User{j.teacher, j.director, j.inspection, j.it, j.education, j.coord}
		require.Equal(t, emails(people...), recipients(msgs), "every role gets its digest")
		for _, u := range people {
			m := msgs[u.Email]
			links := append(linkRe.FindAllString(m.Text, -1), linkRe.FindAllString(m.HTML, -1)...)
			require.NotEmpty(t, links, "links for %s", u.Role)
			for _, link := range links {
				l, err := url.Parse(link)
				require.NoError(t, err, "link %s to %s", link, u.Role)
				assert.Equal(t, baseURL, l.Scheme+"://"+l.Host, "link %s starts with BASE_URL", link)
				matched := false
				for _, re := range allowedPaths[u.Role] {
					sub := re.FindStringSubmatch(l.Path)
					if sub == nil {
						continue
					}
					matched = true
					if len(sub) == 2 {
						// The request opens for this person: a director's
						// and a teacher's requests are their school's.
						var id int64
						fmt.Sscan(sub[1], &id)
						q, err := db.Request(ctx, id)
						require.NoError(t, err, "link %s names a request", link)
						if u.Role == store.RoleDirector || u.Role == store.RoleTeacher {
							assert.Equal(t, u.SchoolUAI, q.SchoolUAI, "link %s to %s stays in the school", link, u.Role)
						}
					}
				}
				assert.True(t, matched, "link %s is a page of %s (%s)", link, u.Role, m.Subject)
			}
		}
		// The director: a request to authorise and two decisions.
		assert.Equal(t, "classemobile : 3 demandes pour vous", msgs[j.director.Email].Subject)
		assert.Contains(t, msgs[j.director.Email].Text, "== 2 décisions sur des demandes ==")
		assert.Contains(t, msgs[j.teacher.Email].Text, "Motif : Projet retenu.")
		assert.Contains(t, msgs[j.teacher.Email].Text, "Motif : Projet incomplet.")
		assert.Contains(t, msgs[j.it.Email].Text, "== 1 demande attend votre avis ==", "the request awaiting opinions only")
		assert.Contains(t, msgs[j.coord.Email].Text, "== 1 demande à valider ou refuser ==")
		assert.NotContains(t, recipients(msgs), j.otherDirector.Email, "no other school's director")
	})
}

func TestTaskDigestDryRunShowsWhatARunSends(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)
		j.authorise(t, j.request(t))
		j.request(t)
		subjects := func(ms []notify.Message) map[string]string {
			out := map[string]string{}
			for _, m := range ms {
				out[m.To[0].Email] = m.Subject
			}
			return out
		}
		preview, err := j.runner.DryRunTaskDigests(ctx, day)
		require.NoError(t, err)
		again, err := j.runner.DryRunTaskDigests(ctx, day)
		require.NoError(t, err)
		assert.Equal(t, subjects(preview), subjects(again), "a dry run writes nothing")
		msgs, _ := j.run(t, day)
		sent := map[string]string{}
		for k, m := range msgs {
			sent[k] = m.Subject
		}
		assert.Equal(t, sent, subjects(preview), "the dry run shows what the run sends")
		assert.Len(t, sent, 4, "the director and the three referents")
		preview, err = j.runner.DryRunTaskDigests(ctx, day)
		require.NoError(t, err)
		assert.Empty(t, preview, "nothing left to send")
	})
}

func TestTaskDigestOwnClassGoesToTheCoordinator(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		j := newJourney(t, db)
		day := calendar.NewDate(2026, 3, 12)
		// The director also teaches, and files a request for their class.
		_, err := db.ChangePerson(ctx, store.Actor{}, j.director.ID, store.PersonInput{Name: j.director.Name,
			Roles: []store.Role{store.RoleDirector, store.RoleTeacher}, SchoolUAI: j.school.UAI})
		require.NoError(t, err)
		q, err := db.CreateRequest(ctx, store.Actor{UserID: j.director.ID},
			storetest.RequestContent(j.school.UAI, j.director.ID, storetest.RequestYear, 22))
		require.NoError(t, err)
		_, err = db.SubmitRequest(ctx, store.Actor{UserID: j.director.ID}, q.ID, q.Version)
		require.NoError(t, err)
		msgs, _ := j.run(t, day)
		require.Equal(t, emails(j.coord), recipients(msgs), "the coordinator authorises a director's own class")
		m := msgs[j.coord.Email]
		assert.Equal(t, "classemobile : 1 demande à autoriser", m.Subject)
		assert.Contains(t, m.Text, "par un directeur ou une directrice pour sa propre classe")
		assert.NotContains(t, m.Text, "/ecole", "no link to a director's page")
		for _, link := range linkRe.FindAllString(m.Text+m.HTML, -1) {
			u, err := url.Parse(link)
			require.NoError(t, err)
			assert.Regexp(t, `^/demandes/\d+$`, u.Path)
		}
	})
}
