package jobs_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/notify/notifytest"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// multiNight is a Friday; loans picked up on Monday 23 March have their
// training reminder (14 days before, to the teacher and the director) and
// their agreement reminder (10 days before, to the director and IT) due.
var multiNight = calendar.NewDate(2026, 3, 13)

// seedMulti creates 50 schools with a director, 200 teachers, one IT user,
// one coordinator, and 200 loans with 4 reminders due each: 800.
func seedMulti(t *testing.T, db *store.DB) {
	t.Helper()
	coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
	var fs []storetest.LoanFixture
	for range 50 {
		s := storetest.School(t, db, nil)
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI})
		for range 4 {
			teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
			fs = append(fs, storetest.LoanFixture{SchoolUAI: s.UAI, TeacherID: teacher.ID, Pickup: multiNight.AddDays(10)})
		}
	}
	storetest.ReminderLoans(t, db, storetest.LoanEnv{CoordinatorID: coord.ID}, fs)
}

// instance is one classemobile process: its own database pool, clock,
// scheduler and SMTP client (HELO = its name).
type instance struct {
	name    string
	db      *store.DB
	clock   *clockwork.FakeClock
	sched   *jobs.Scheduler
	elector *jobs.PGElector
	reports chan runResult
}

type runResult struct {
	rep jobs.Report
	err error
}

func startInstance(t *testing.T, dsn, name string, srv *notifytest.Server, elect bool) *instance {
	t.Helper()
	in := &instance{name: name, db: storetest.OpenURL(t, dsn), reports: make(chan runResult, 4),
		clock: clockwork.NewFakeClockAt(multiNight.In(paris).Add(2*time.Hour - time.Second))}
	o := jobs.Options{
		RunnerOptions: jobs.RunnerOptions{DB: in.db, Sender: smtpSender(t, srv, name), From: mailFrom, Clock: in.clock,
			Logger: storetest.Logger(t), Owner: name,
			// Each instance has its own fake clock, which finish advances
			// by minutes: leases must outlast that skew (renewal runs on
			// real time and never fires here).
			Lease: 15 * time.Minute},
		Location: paris, At: "02:00",
		AfterRun: func(rep jobs.Report, err error) { in.reports <- runResult{rep, err} },
	}
	if elect {
		in.elector = jobs.NewPGElector(in.db.Bun().DB, jobs.DefaultLeaderKey)
		o.Elector = in.elector
		t.Cleanup(func() { in.elector.Close() })
	}
	s, err := jobs.New(o)
	require.NoError(t, err, "scheduler %s", name)
	in.sched = s
	s.Start()
	t.Cleanup(func() { s.Shutdown() })
	return in
}

// tick makes the instance's clock reach 02:00: its nightly run starts.
func (in *instance) tick(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, in.clock.BlockUntilContext(ctx, 1), "%s: scheduler waiting for 02:00", in.name)
	in.clock.Advance(time.Second)
}

// finish waits for the instance's run to end, advancing its clock past
// the leases it may be waiting on (another instance's, or a dead one's).
func (in *instance) finish(t *testing.T, ctx context.Context) runResult {
	t.Helper()
	for {
		select {
		case res := <-in.reports:
			return res
		case <-ctx.Done():
			t.Fatalf("%s: run did not finish", in.name)
		case <-time.After(100 * time.Millisecond):
			// Advance the clock only while the runner sleeps on it (waiting
			// for another instance's lease, or a backoff): the scheduler's
			// timer for the next night is one waiter, the runner a second.
			// Advancing while it sends would expire its own leases and let
			// another instance take them, which no real clock does in the
			// few seconds of a run.
			waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			err := in.clock.BlockUntilContext(waitCtx, 2)
			cancel()
			if err == nil {
				in.clock.Advance(time.Minute)
			}
		}
	}
}

// delivered counts, per ledger id, the reminders the SMTP server accepted.
func delivered(srv *notifytest.Server) (perID map[int64]int, perRecipient map[string]int) {
	perID, perRecipient = map[int64]int{}, map[string]int{}
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			perRecipient[to]++
		}
		for f := range strings.SplitSeq(m.Header.Get(jobs.ReminderIDsHeader), ",") {
			id, _ := strconv.ParseInt(f, 10, 64)
			perID[id]++
		}
	}
	return perID, perRecipient
}

func countStatus(t *testing.T, db *store.DB) map[store.ReminderStatus]int {
	t.Helper()
	rows, err := db.ListReminders(context.Background(), store.ReminderFilter{Limit: 10000})
	require.NoError(t, err, "ledger")
	out := map[store.ReminderStatus]int{}
	for _, r := range rows {
		out[r.Status]++
	}
	return out
}

func assertExactlyOnce(t *testing.T, srv *notifytest.Server, db *store.DB) {
	t.Helper()
	perID, perRecipient := delivered(srv)
	dups := 0
	for id, n := range perID {
		if n > 1 {
			dups++
			t.Errorf("reminder %d delivered %d times", id, n)
		}
	}
	assert.Len(t, perID, 800, "distinct reminders delivered")
	assert.Zero(t, dups, "duplicates")
	assert.Len(t, perRecipient, 251, "recipients: 200 teachers, 50 directors, IT")
	for to, n := range perRecipient {
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", to, n)
		}
	}
	st := countStatus(t, db)
	assert.Equal(t, 800, st[store.ReminderSent], "ledger: sent")
	assert.Zero(t, st[store.ReminderPending], "ledger: pending")
	t.Logf("delivered %d reminders in %d messages, %d duplicates", len(perID), len(srv.Messages()), dups)
}

// TestThreeSchedulersExactlyOnce starts three instances on one PostgreSQL
// database 300 ms apart, without an elector so that all three run at once
// and only the ledger keeps reminders exactly-once.
func TestThreeSchedulersExactlyOnce(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() == store.SQLite {
			t.Skip("several instances need PostgreSQL: SQLite is one process with one writer")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dsn := storetest.NewPostgresURL(t)
		main := storetest.OpenURL(t, dsn)
		seedMulti(t, main)
		srv := notifytest.NewServer(t)

		var ins []*instance
		for i, name := range []string{"a", "b", "c"} {
			if i > 0 {
				<-time.After(300 * time.Millisecond)
			}
			in := startInstance(t, dsn, name, srv, false)
			in.tick(t, ctx)
			ins = append(ins, in)
		}
		total := 0
		for _, in := range ins {
			res := in.finish(t, ctx)
			require.NoError(t, res.err, "run of %s", in.name)
			t.Logf("instance %s: %d reminders in %d messages", in.name, res.rep.Sent, res.rep.Messages)
			total += res.rep.Sent
		}
		assert.Equal(t, 800, total, "reminders sent, summed over instances")
		assertExactlyOnce(t, srv, main)
	})
}

// TestKilledInstanceOthersFinish kills an instance in the middle of its
// run (stuck in an SMTP session, then its process gone): the two others
// take its leased reminders over once the leases expire.
func TestKilledInstanceOthersFinish(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() == store.SQLite {
			t.Skip("several instances need PostgreSQL: SQLite is one process with one writer")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dsn := storetest.NewPostgresURL(t)
		main := storetest.OpenURL(t, dsn)
		seedMulti(t, main)
		srv := notifytest.NewServer(t)
		stuck, kill := make(chan struct{}), make(chan struct{})
		var once sync.Once
		srv.SetReject(func(helo string) error {
			if helo != "a" {
				return nil
			}
			once.Do(func() { close(stuck) })
			<-kill
			return errors.New("connexion perdue")
		})

		a := startInstance(t, dsn, "a", srv, false)
		a.tick(t, ctx)
		select {
		case <-stuck:
		case <-ctx.Done():
			t.Fatal("instance a never reached the SMTP server")
		}
		var leasedByA int
		require.NoError(t, main.Bun().NewRaw("SELECT count(*) FROM reminders WHERE lease_owner = 'a'").Scan(ctx, &leasedByA), "count a's leases")
		require.Positive(t, leasedByA, "a holds leases")
		t.Logf("instance a stuck in SMTP holding %d reminders", leasedByA)

		var others []*instance
		for _, name := range []string{"b", "c"} {
			<-time.After(300 * time.Millisecond)
			in := startInstance(t, dsn, name, srv, false)
			in.tick(t, ctx)
			others = append(others, in)
		}
		// b and c send everything but a's reminders, then wait for a's
		// leases. Kill a: its database pool goes, then its SMTP session.
		for _, in := range others {
			require.NoError(t, in.clock.BlockUntilContext(ctx, 2), "%s waiting for a's leases", in.name)
		}
		st := countStatus(t, main)
		assert.Equal(t, 800-leasedByA, st[store.ReminderSent], "sent while a is stuck")
		require.NoError(t, a.db.Close(), "kill a's database pool")
		close(kill)
		res := <-a.reports
		assert.Error(t, res.err, "a's run dies")
		require.NoError(t, a.sched.Shutdown(), "a stops")

		total := 0
		for _, in := range others {
			res := in.finish(t, ctx)
			require.NoError(t, res.err, "run of %s", in.name)
			t.Logf("instance %s: %d reminders in %d messages", in.name, res.rep.Sent, res.rep.Messages)
			total += res.rep.Sent
		}
		assert.Equal(t, 800, total, "b and c sent everything, a's share included (%d)", leasedByA)
		assertExactlyOnce(t, srv, main)
	})
}

// TestElectorOneLeader checks the advisory-lock elector: one leader at a
// time, and a new one when the leader's session ends.
func TestElectorOneLeader(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() == store.SQLite {
			t.Skip("leader election needs PostgreSQL advisory locks")
		}
		ctx := context.Background()
		dsn := storetest.NewPostgresURL(t)
		key := jobs.DefaultLeaderKey + int64(time.Now().UnixNano()%1000000) // independent of parallel tests
		var es []*jobs.PGElector
		var dbs []*store.DB
		for range 3 {
			d := storetest.OpenURL(t, dsn)
			dbs = append(dbs, d)
			e := jobs.NewPGElector(d.Bun().DB, key)
			t.Cleanup(func() { e.Close() })
			es = append(es, e)
		}
		require.NoError(t, es[0].IsLeader(ctx), "first asks: leader")
		require.NoError(t, es[0].IsLeader(ctx), "still leader")
		assert.ErrorIs(t, es[1].IsLeader(ctx), jobs.ErrNotLeader, "second is not")
		assert.ErrorIs(t, es[2].IsLeader(ctx), jobs.ErrNotLeader, "third is not")
		// The leader's process dies: its pool and session go.
		require.NoError(t, es[0].Close(), "leader gone")
		require.NoError(t, dbs[0].Close(), "leader's pool gone")
		require.NoError(t, es[1].IsLeader(ctx), "second takes over")
		assert.ErrorIs(t, es[2].IsLeader(ctx), jobs.ErrNotLeader, "third still not")
	})
}

// TestThreeSchedulersWithElector: with the elector, one instance runs the
// night and the two others skip it.
func TestThreeSchedulersWithElector(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() == store.SQLite {
			t.Skip("several instances need PostgreSQL: SQLite is one process with one writer")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dsn := storetest.NewPostgresURL(t)
		main := storetest.OpenURL(t, dsn)
		seedMulti(t, main)
		srv := notifytest.NewServer(t)
		var ins []*instance
		for i, name := range []string{"a", "b", "c"} {
			if i > 0 {
				<-time.After(300 * time.Millisecond)
			}
			in := startInstance(t, dsn, name, srv, true)
			in.tick(t, ctx)
			ins = append(ins, in)
		}
		// Whichever instance won the election (the first one, unless the
		// machine is slow) runs the night; wait for its report.
		var leader *instance
		var res runResult
		for leader == nil {
			select {
			case res = <-ins[0].reports:
				leader = ins[0]
			case res = <-ins[1].reports:
				leader = ins[1]
			case res = <-ins[2].reports:
				leader = ins[2]
			case <-ctx.Done():
				t.Fatal("no instance ran")
			case <-time.After(100 * time.Millisecond):
				for _, in := range ins {
					in.clock.Advance(time.Minute)
				}
			}
		}
		require.NoError(t, res.err, "leader's run")
		assert.Equal(t, 800, res.rep.Sent, "the leader (%s) sent everything", leader.name)
		for _, in := range ins {
			require.NoError(t, in.sched.Shutdown(), "shutdown %s", in.name)
		}
		for _, in := range ins {
			select {
			case r := <-in.reports:
				t.Errorf("%s ran although %s was the leader: %+v", in.name, leader.name, r.rep)
			default:
			}
		}
		assertExactlyOnce(t, srv, main)
	})
}
