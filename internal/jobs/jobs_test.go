package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/notify/notifytest"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestMain lends the PostgreSQL tests their schemas from a pool of
// migrated ones (see storetest.Main), and checks that no goroutine is left
// once the pool is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(storetest.WithPool(m),
		// database/sql keeps one opener goroutine per pool until Close; the
		// pools are closed in t.Cleanup, but pgx's may linger a moment.
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
	)
}

const mailFrom = "classemobile <noreply@epinay.example.fr>"

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// people are the users a reminder test needs.
type people struct {
	school   store.School
	teacher  store.User
	teacher2 store.User
	director store.User
	it       store.User
	coord    store.User
	env      storetest.LoanEnv
}

func setupPeople(t testing.TB, db *store.DB) people {
	t.Helper()
	s := storetest.School(t, db, &storetest.SchoolOpts{Name: "École Jean Jaurès"})
	var p people
	p.school = s
	p.teacher, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI, Name: "Élodie Fontaine"})
	p.teacher2, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI, Name: "Karim Benali"})
	p.director, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI, Name: "Anne Directrice"})
	p.it, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT, Name: "Paul DSI"})
	p.coord, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator, Name: "Chef de projet"})
	p.env = storetest.LoanEnv{CoordinatorID: p.coord.ID}
	return p
}

func (p people) loan(t testing.TB, db *store.DB, f storetest.LoanFixture) int64 {
	t.Helper()
	if f.SchoolUAI == "" {
		f.SchoolUAI = p.school.UAI
	}
	if f.TeacherID == 0 {
		f.TeacherID = p.teacher.ID
	}
	return storetest.ReminderLoan(t, db, p.env, f)
}

func newRunner(t testing.TB, db *store.DB, sender jobs.Sender, o jobs.RunnerOptions) *jobs.Runner {
	t.Helper()
	o.DB, o.Sender = db, sender
	if o.From == "" {
		o.From = mailFrom
	}
	if o.Logger == nil {
		o.Logger = storetest.Logger(t)
	}
	r, err := jobs.NewRunner(o)
	require.NoError(t, err, "new runner")
	return r
}

func smtpSender(t testing.TB, srv *notifytest.Server, helo string) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(notify.Options{SMTPURL: srv.URL, From: mailFrom, Timeout: 10 * time.Second, HELO: helo})
	require.NoError(t, err, "SMTP sender")
	return s
}

func byRecipient(msgs []notifytest.Received) map[string][]notifytest.Received {
	out := map[string][]notifytest.Received{}
	for _, m := range msgs {
		for _, to := range m.To {
			out[to] = append(out[to], m)
		}
	}
	return out
}

var today = calendar.NewDate(2026, 3, 12) // a Thursday with class

func TestRunSendsOneFrenchMessagePerRecipient(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		pack := storetest.Pack(t, db, &storetest.PackOpts{Code: "PACK-" + storetest.Unique()})
		// A: training not done, pickup in 14 days (teacher, director).
		a := p.loan(t, db, storetest.LoanFixture{Pickup: today.AddDays(14), DirectorSigned: true, ITSigned: true, PackID: pack.ID})
		// B: out, return in 7 days (teacher).
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		// C: out, return day was yesterday (teacher, director).
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-43), Return: today.AddDays(-1), TrainingDone: true})
		// D: returned a week ago, no assessment (teacher).
		p.loan(t, db, storetest.LoanFixture{State: "returned", Pickup: today.AddDays(-50), Return: today.AddDays(-7), TrainingDone: true})
		// E: teacher2's pickup in 3 days, IT has not signed since 7 days.
		p.loan(t, db, storetest.LoanFixture{TeacherID: p.teacher2.ID, Pickup: today.AddDays(3), TrainingDone: true, DirectorSigned: true})
		// F: an extension request waiting for 2 days (coordinator).
		f := p.loan(t, db, storetest.LoanFixture{TeacherID: p.teacher2.ID, State: "picked_up", Pickup: today.AddDays(-10), Return: today.AddDays(25), TrainingDone: true})
		storetest.ExecLoan(t, db, `INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day) VALUES (?, 2, 'Projet à terminer', ?, 'requested', ?)`,
			f, today.AddDays(-2).In(paris).Add(10*time.Hour), today.AddDays(39).String())
		// G: cancelled, would have had a pickup reminder.
		p.loan(t, db, storetest.LoanFixture{State: "cancelled", Pickup: today.AddDays(3)})

		srv := notifytest.NewServer(t)
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{BaseURL: "https://classemobile.example.fr"})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err, "run")
		assert.Equal(t, 11, rep.Inserted, "reminders recorded (one of them too late: C's return - 7)")
		assert.Equal(t, 10, rep.Sent, "reminders sent")
		assert.Equal(t, 5, rep.Messages, "messages")
		var ledgerSkipped int
		require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM reminders WHERE status = 'skipped'").Scan(ctx, &ledgerSkipped))
		assert.Equal(t, 1, ledgerSkipped, "C's return - 7 is too late")
		assert.Equal(t, ledgerSkipped, rep.Skipped, "the summary counts skipped reminders as the ledger does")

		msgs := byRecipient(srv.Messages())
		require.Len(t, msgs, 5, "recipients")
		for to, ms := range msgs {
			assert.Len(t, ms, 1, "one message per recipient for %s", to)
		}
		teacher := msgs[p.teacher.Email][0]
		assert.Equal(t, fmt.Sprintf("rappels-2026-03-12-u%d@epinay.example.fr", p.teacher.ID), teacher.MessageID(), "stable Message-ID")
		assert.Equal(t, "classemobile : 5 rappels pour le jeudi 12 mars 2026", teacher.Subject(), "teacher subject")
		for _, want := range []string{"Bonjour Élodie Fontaine,", "Formation technique pas encore suivie", "du pack " + pack.Code,
			"jeudi 26 mars 2026", "Retour de la classe mobile dans 7 jours", "Retour en retard", "Bilan de l'action à rédiger",
			"https://classemobile.example.fr"} {
			assert.Contains(t, teacher.Text, want, "teacher's text")
		}
		assert.Contains(t, teacher.HTML, "Bilan de l&#39;action à rédiger", "teacher's HTML, escaped")
		director := msgs[p.director.Email][0]
		assert.Contains(t, director.Text, "Formation technique pas encore suivie", "director: training")
		assert.Contains(t, director.Text, "Retour en retard", "director: overdue")
		assert.NotContains(t, director.Text, "Convention", "director signed everything")
		assert.Equal(t, "classemobile : Convention de prêt à signer", msgs[p.it.Email][0].Subject(), "IT: agreement")
		assert.Contains(t, msgs[p.it.Email][0].Text, "la DSI (le directeur ou la directrice d'école a signé)", "IT: who must sign")
		assert.Contains(t, msgs[p.teacher2.Email][0].Subject(), "Retrait de la classe mobile dans 3 jours", "teacher2: pickup")
		assert.Contains(t, msgs[p.coord.Email][0].Text, "Demande de prolongation", "coordinator: extension")

		sent, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: a})
		require.NoError(t, err, "ledger of A")
		require.Len(t, sent, 2, "training reminders of A (teacher, director)")
		for _, s := range sent {
			assert.Equal(t, store.ReminderSent, s.Status, "status")
			assert.Equal(t, 1, s.Attempts, "attempts")
			assert.Equal(t, today.AddDays(0), s.DueDate, "due today")
		}

		// The same night again, or a second instance: nothing new.
		rep, err = r.Run(ctx, today)
		require.NoError(t, err, "second run")
		assert.Zero(t, rep.Inserted, "nothing inserted twice")
		assert.Zero(t, rep.Messages, "nothing sent twice")
		assert.Len(t, srv.Messages(), 5, "still 5 messages")
	})
}

func TestReminderOnDayOffGoesOutTheSchoolDayBefore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveReturn calendar.Date // the reminder is due the day before
		wantSendOn calendar.Date
	}{
		{name: "Sunday", giveReturn: calendar.NewDate(2026, 3, 16), wantSendOn: calendar.NewDate(2026, 3, 13)},
		{name: "Armistice, a Wednesday", giveReturn: calendar.NewDate(2026, 11, 12), wantSendOn: calendar.NewDate(2026, 11, 10)},
		{name: "Ascension bridge Friday", giveReturn: calendar.NewDate(2026, 5, 16), wantSendOn: calendar.NewDate(2026, 5, 13)},
		{name: "school day", giveReturn: calendar.NewDate(2026, 3, 13), wantSendOn: calendar.NewDate(2026, 3, 12)},
	}
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		r := newRunner(t, db, nil, jobs.RunnerOptions{Schedule: &jobs.Schedule{ReturnBefore: []int{1}}})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: tt.giveReturn.AddDays(-39), Return: tt.giveReturn, TrainingDone: true})
				mine := func(day calendar.Date) []store.Reminder {
					due, err := r.Compute(ctx, day)
					require.NoError(t, err, "compute on %s", day)
					var out []store.Reminder
					for _, d := range due {
						if d.LoanID == loan {
							out = append(out, d)
						}
					}
					return out
				}
				assert.Empty(t, mine(tt.wantSendOn.AddDays(-1)), "not due the day before %s", tt.wantSendOn)
				got := mine(tt.wantSendOn)
				require.Len(t, got, 1, "due on %s", tt.wantSendOn)
				assert.Equal(t, tt.giveReturn.AddDays(-1), got[0].DueDate, "due date")
				assert.Equal(t, tt.wantSendOn, got[0].SendOn, "goes out the school day before")
			})
		}
	})
}

func TestTooLateIsSkippedWithReason(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		// Returned 10 days late: overdue +1 (9 days ago) is too late, +3 and
		// +7 go out.
		loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-52), Return: today.AddDays(-10), TrainingDone: true})
		srv := notifytest.NewServer(t)
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err, "run")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan})
		require.NoError(t, err, "ledger")
		var skipped, sent int
		for _, x := range rows {
			switch x.Status {
			case store.ReminderSkipped:
				skipped++
				assert.True(t, today.DaysSince(x.DueDate) > 7, "skipped reminder due %s is more than 7 days late", x.DueDate)
				assert.Contains(t, x.SkippedReason, "trop tard", "reason")
			case store.ReminderSent:
				sent++
				assert.LessOrEqual(t, today.DaysSince(x.DueDate), 7, "sent reminder due %s", x.DueDate)
			}
		}
		// return - 1 (11 days ago, teacher) and overdue + 1 (9 days ago,
		// teacher and director) are too late; overdue + 3 and + 7 go out to
		// the teacher, the director and the coordinator.
		assert.Equal(t, 3, skipped, "too late")
		assert.Equal(t, 6, sent, "sent")
		assert.Equal(t, 6, rep.Sent, "report")
	})
}

func TestSkipAfterCancellationAndTraining(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		cancelled := p.loan(t, db, storetest.LoanFixture{Pickup: today.AddDays(3), TrainingDone: true, DirectorSigned: true, ITSigned: true})
		trained := p.loan(t, db, storetest.LoanFixture{TeacherID: p.teacher2.ID, Pickup: today.AddDays(7), DirectorSigned: true, ITSigned: true})
		srv := notifytest.NewServer(t)
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{})
		// Recorded by the nightly computation (say, just before a crash)...
		due, err := r.Compute(ctx, today)
		require.NoError(t, err, "compute")
		n, err := db.InsertReminders(ctx, due)
		require.NoError(t, err, "insert")
		require.Equal(t, 5, n, "pickup of one, training - 14 and - 7 of the other (teacher, director)")
		// ...then the loan is cancelled and the training done before sending.
		storetest.ExecLoan(t, db, `UPDATE loans SET state = 'cancelled', cancelled_at = ?, cancel_reason = 'école fermée' WHERE id = ?`, time.Now().UTC(), cancelled)
		storetest.ExecLoan(t, db, `UPDATE requests SET training_status = 'done', training_date = '2026-03-10' WHERE id = (SELECT request_id FROM loans WHERE id = ?)`, trained)
		var rep jobs.Report
		require.NoError(t, r.Deliver(ctx, today, &rep), "deliver")
		assert.Zero(t, rep.Messages, "nothing sent")
		assert.Equal(t, 5, rep.Skipped, "all skipped")
		assert.Empty(t, srv.Messages(), "no e-mail")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{Status: store.ReminderSkipped})
		require.NoError(t, err, "ledger")
		reasons := map[int64]string{}
		for _, x := range rows {
			reasons[x.LoanID] = x.SkippedReason
		}
		assert.Equal(t, "prêt annulé", reasons[cancelled], "cancelled loan")
		assert.Equal(t, "formation effectuée", reasons[trained], "training done")
	})
}

func TestRescheduleAfterExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		srv := notifytest.NewServer(t)
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{})
		due, err := r.Compute(ctx, today)
		require.NoError(t, err, "compute")
		_, err = db.InsertReminders(ctx, due)
		require.NoError(t, err, "insert")
		// The extension is confirmed before the reminder goes out: the
		// return moves two weeks later.
		newReturn := today.AddDays(21)
		storetest.ExecLoan(t, db, `UPDATE loans SET return_day = ?, extension_weeks = 2 WHERE id = ?`, newReturn.String(), loan)
		var rep jobs.Report
		require.NoError(t, r.Deliver(ctx, today, &rep), "deliver")
		assert.Equal(t, 1, rep.Skipped, "old return reminder skipped")
		assert.Empty(t, srv.Messages(), "nothing sent for the old date")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan})
		require.NoError(t, err, "ledger")
		require.Len(t, rows, 1, "one row")
		assert.Equal(t, "date de retour modifiée (prolongation)", rows[0].SkippedReason, "reason")

		// A week before the new date, the reminder goes out for it.
		later := newReturn.AddDays(-7)
		rep, err = r.Run(ctx, later)
		require.NoError(t, err, "run a week before the new return")
		assert.Equal(t, 1, rep.Sent, "reminder for the new date")
		msgs := srv.Messages()
		require.Len(t, msgs, 1, "one message")
		assert.Contains(t, msgs[0].Text, "jeudi 2 avril 2026", "the new return day in the text")
	})
}

func TestSMTPFailuresThenSuccess(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		srv := notifytest.NewServer(t)
		var calls atomic.Int32
		srv.SetReject(func(string) error {
			if calls.Add(1) <= 2 {
				return errors.New("serveur surchargé")
			}
			return nil
		})
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{Backoff: time.Millisecond})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err, "run")
		assert.Equal(t, 2, rep.FailedAttempts, "two failed attempts")
		assert.Equal(t, 1, rep.Sent, "then sent")
		assert.Len(t, srv.Messages(), 1, "delivered once")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan})
		require.NoError(t, err, "ledger")
		require.Len(t, rows, 1, "one reminder")
		assert.Equal(t, store.ReminderSent, rows[0].Status, "sent")
		assert.Equal(t, 3, rows[0].Attempts, "attempts")
	})
}

func TestSMTPDownFailsAfterFiveAttempts(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		srv := notifytest.NewServer(t)
		srv.SetReject(func(string) error { return errors.New("boîte pleine") })
		r := newRunner(t, db, smtpSender(t, srv, "test"), jobs.RunnerOptions{Backoff: time.Millisecond})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err, "run")
		assert.Equal(t, 5, rep.FailedAttempts, "five attempts")
		assert.Equal(t, 1, rep.Failed, "failed")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan, Status: store.ReminderFailed})
		require.NoError(t, err, "ledger")
		require.Len(t, rows, 1, "failed reminder visible")
		assert.Equal(t, 5, rows[0].Attempts, "attempts")
		assert.Contains(t, rows[0].LastError, "boîte pleine", "last error")

		// The coordinator retries once the server is back.
		srv.SetReject(nil)
		_, err = db.RetryReminder(ctx, store.Actor{UserID: p.coord.ID}, rows[0].ID)
		require.NoError(t, err, "retry")
		rep, err = r.Run(ctx, today)
		require.NoError(t, err, "run after retry")
		assert.Equal(t, 1, rep.Sent, "sent after retry")
		assert.Len(t, srv.Messages(), 1, "delivered")
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		r := newRunner(t, db, nil, jobs.RunnerOptions{})
		previews, err := r.DryRun(ctx, today)
		require.NoError(t, err, "dry run")
		require.Len(t, previews, 1, "one message")
		assert.Equal(t, p.teacher.Email, previews[0].Message.To[0].Email, "to the teacher")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{})
		require.NoError(t, err, "ledger")
		assert.Empty(t, rows, "nothing recorded")
	})
}

func TestOutboxWhenNoSMTP(t *testing.T) {
	t.Parallel()
	db := storetest.NewSQLite(t)
	p := setupPeople(t, db)
	p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
	dir := t.TempDir()
	sender, err := notify.New(notify.Options{OutboxDir: dir, From: mailFrom})
	require.NoError(t, err, "outbox")
	r := newRunner(t, db, sender, jobs.RunnerOptions{})
	rep, err := r.Run(context.Background(), today)
	require.NoError(t, err, "run")
	assert.Equal(t, 1, rep.Messages, "one message")
	path := sender.(*notify.Outbox).Path(r.MessageID(p.teacher.ID, today))
	assert.FileExists(t, path, "the .eml file")
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		give    string
		want    func(s *jobs.Schedule)
		wantErr bool
	}{
		{name: "empty keeps defaults", give: "", want: func(*jobs.Schedule) {}},
		{name: "override", give: "training=21,7; return=2", want: func(s *jobs.Schedule) {
			s.TrainingBefore, s.ReturnBefore = []int{7, 21}, []int{2}
		}},
		{name: "disable", give: "extension=", want: func(s *jobs.Schedule) { s.ExtensionAfter = nil }},
		{name: "unknown kind", give: "lunch=1", wantErr: true},
		{name: "negative", give: "pickup=-1", wantErr: true},
		{name: "no equals", give: "pickup", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jobs.ParseSchedule(tt.give)
			if tt.wantErr {
				assert.Error(t, err, "spec %q", tt.give)
				return
			}
			require.NoError(t, err, "spec %q", tt.give)
			want := jobs.DefaultSchedule()
			tt.want(&want)
			assert.Equal(t, want, got, "schedule of %q", tt.give)
		})
	}
}

// TestCatchUpAfterMissedNight drives the gocron scheduler with a fake
// clock: the instance is down the night of the 12th, and the run of the
// 13th sends the reminder due on the 12th.
func TestCatchUpAfterMissedNight(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p := setupPeople(t, db)
		// Return on Thursday 19 March: reminder due Thursday 12.
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: calendar.NewDate(2026, 2, 2), Return: calendar.NewDate(2026, 3, 19), TrainingDone: true})
		srv := notifytest.NewServer(t)
		clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 11, 1, 0, 0, 0, paris))
		runs := make(chan jobs.Report, 4)
		start := func() *jobs.Scheduler {
			s, err := jobs.New(jobs.Options{
				RunnerOptions: jobs.RunnerOptions{DB: db, Sender: smtpSender(t, srv, "test"), From: mailFrom, Clock: clock, Logger: storetest.Logger(t)},
				Location:      paris, At: "02:00",
				AfterRun: func(rep jobs.Report, err error) {
					assert.NoError(t, err, "run of %s", rep.Date)
					runs <- rep
				},
			})
			require.NoError(t, err, "new scheduler")
			s.Start()
			return s
		}
		s := start()
		next, err := s.NextRun()
		require.NoError(t, err, "next run")
		assert.True(t, next.Equal(time.Date(2026, 3, 11, 2, 0, 0, 0, paris)), "first run at 02:00 Paris, got %s", next)
		require.NoError(t, clock.BlockUntilContext(ctx, 1), "scheduler waiting on the clock")
		clock.Advance(time.Hour)
		select {
		case rep := <-runs:
			assert.Equal(t, calendar.NewDate(2026, 3, 11), rep.Date, "run date")
			assert.Zero(t, rep.Sent, "nothing due on the 11th")
		case <-ctx.Done():
			t.Fatal("no run on the 11th")
		}
		require.NoError(t, s.Shutdown(), "shutdown (the instance goes down)")

		// Down for the night of the 12th; back on the 13th at 01:00.
		clock.Advance(47 * time.Hour)
		s = start()
		defer s.Shutdown()
		require.NoError(t, clock.BlockUntilContext(ctx, 1), "scheduler waiting on the clock")
		clock.Advance(time.Hour)
		select {
		case rep := <-runs:
			assert.Equal(t, calendar.NewDate(2026, 3, 13), rep.Date, "run date")
			assert.Equal(t, 1, rep.Sent, "the reminder of the 12th caught up")
		case <-ctx.Done():
			t.Fatal("no run on the 13th")
		}
		msgs := srv.Messages()
		require.Len(t, msgs, 1, "one message")
		assert.Contains(t, msgs[0].Text, "Retour de la classe mobile dans 6 jours", "caught-up text counts from the 13th")
		assert.True(t, strings.HasPrefix(msgs[0].MessageID(), "rappels-2026-03-13-"), "Message-ID of the night it went out")
	})
}

// TestInvalidMessageFailsAtOnce: a recipient whose name holds a line break
// (written before names were checked) cannot get a valid message; the
// reminder fails at the first attempt instead of being retried five times.
func TestInvalidMessageFailsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		loan := p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		_, err := db.Bun().NewRaw("UPDATE users SET name = ? WHERE id = ?", "Élodie\r\nBcc: x@evil.example", p.teacher.ID).Exec(ctx)
		require.NoError(t, err)
		sender, err := notify.New(notify.Options{OutboxDir: t.TempDir(), From: mailFrom})
		require.NoError(t, err)
		r := newRunner(t, db, sender, jobs.RunnerOptions{Backoff: time.Millisecond})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err, "run")
		assert.Equal(t, 1, rep.FailedAttempts, "one attempt only")
		assert.Equal(t, 1, rep.Failed, "failed at once")
		rows, err := db.ListReminders(ctx, store.ReminderFilter{LoanID: loan, Status: store.ReminderFailed})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, 1, rows[0].Attempts)
		assert.Contains(t, rows[0].LastError, "invalid message")
	})
}

// blockingSender blocks each Send until release is closed, after saying
// it started.
type blockingSender struct {
	started chan struct{}
	release chan struct{}
	inner   jobs.Sender
}

func (s *blockingSender) Send(ctx context.Context, m notify.Message) error {
	select {
	case s.started <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.inner.Send(ctx, m)
}

// TestLiveRunKeepsItsLeases: a run sending slowly (longer than several
// leases) renews its leases, so a second run does not take its reminders
// over and nothing is sent twice.
func TestLiveRunKeepsItsLeases(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		dir := t.TempDir()
		outbox, err := notify.NewOutbox(dir, mailFrom)
		require.NoError(t, err)
		slow := &blockingSender{started: make(chan struct{}, 1), release: make(chan struct{}), inner: outbox}
		// Generous times: the test machine may be loaded, and a lease
		// that lapses while A is alive is what this test would catch.
		const lease = 5 * time.Second
		a := newRunner(t, db, slow, jobs.RunnerOptions{Owner: "run-a", Lease: lease})
		type result struct {
			rep jobs.Report
			err error
		}
		resA := make(chan result, 1)
		go func() {
			rep, err := a.Run(ctx, today)
			resA <- result{rep, err}
		}()
		select {
		case <-slow.started:
		case <-time.After(30 * time.Second):
			t.Fatal("run A did not start sending")
		}
		// Run B waits up to 12 s (over two of A's leases) and leaves the
		// reminder to A, which is alive and renews its lease.
		var logs bytes.Buffer
		b := newRunner(t, db, outbox, jobs.RunnerOptions{Owner: "run-b", Lease: lease, MaxRetryWait: 12 * time.Second,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		repB, err := b.Run(ctx, today)
		require.NoError(t, err)
		assert.Zero(t, repB.Sent, "B sent nothing: A still holds the reminder")
		assert.Contains(t, logs.String(), "Waiting for reminders leased by another run")
		assert.Contains(t, logs.String(), "other_owner=run-a")
		assert.NotContains(t, logs.String(), "Taking over")
		close(slow.release)
		ra := <-resA
		require.NoError(t, ra.err)
		assert.Equal(t, 1, ra.rep.Sent, "A sent it")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1, "one message in the outbox")
	})
}

// TestDeadRunLeasesTakenOver: reminders leased by a run that died (its
// leases are no longer renewed) are taken over by the next run once the
// lease expires, and the takeover is logged.
func TestDeadRunLeasesTakenOver(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := setupPeople(t, db)
		p.loan(t, db, storetest.LoanFixture{State: "picked_up", Pickup: today.AddDays(-35), Return: today.AddDays(7), TrainingDone: true})
		// Record the reminders, then lease them to a run that dies at once.
		r0 := newRunner(t, db, nil, jobs.RunnerOptions{})
		due, err := r0.Compute(ctx, today)
		require.NoError(t, err)
		_, err = db.InsertReminders(ctx, due)
		require.NoError(t, err)
		now := time.Now()
		claimed, err := db.ClaimReminders(ctx, "dead-run", now, now.Add(500*time.Millisecond), 10)
		require.NoError(t, err)
		require.NotEmpty(t, claimed)

		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		dir := t.TempDir()
		outbox, err := notify.NewOutbox(dir, mailFrom)
		require.NoError(t, err)
		r := newRunner(t, db, outbox, jobs.RunnerOptions{Owner: "next-run", Logger: logger, Lease: time.Second})
		rep, err := r.Run(ctx, today)
		require.NoError(t, err)
		assert.Equal(t, len(claimed), rep.Sent, "the dead run's reminders are sent")
		assert.Contains(t, logs.String(), "Taking over the reminders of a run that stopped")
		assert.Contains(t, logs.String(), "dead_owner=dead-run")
	})
}
