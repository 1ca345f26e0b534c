package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/store"
)

// JobName is the name of the nightly reminder job in gocron and the logs.
const JobName = "reminders"

// Options configure New.
type Options struct {
	RunnerOptions
	// Location is the zone of At and of "today". Defaults to Europe/Paris.
	Location *time.Location
	// At is the time of day of the nightly run, "HH:MM". Defaults to "02:00".
	At string
	// Elector, when set, lets only the leader among instances run the job
	// (see PGElector).
	Elector gocron.Elector
	// AfterRun, when set, is called after each scheduled run with its
	// report (tests, metrics).
	AfterRun func(Report, error)
	// Metrics receives each run's duration and counts. Nil records nothing.
	Metrics *metrics.Metrics
	// RetentionYears, when positive, makes each night also apply the
	// personal data retention (store.ApplyRetention) with that many past
	// school years kept.
	RetentionYears int
}

// Scheduler runs the reminder job every night.
type Scheduler struct {
	s      gocron.Scheduler
	runner *Runner
	loc    *time.Location
	clock  clockwork.Clock
	logger *slog.Logger
	after  func(Report, error)
	m      *metrics.Metrics
	years  int
	ctx    context.Context
	cancel context.CancelFunc
}

// New builds the scheduler (not started).
func New(o Options) (*Scheduler, error) {
	if o.Location == nil {
		loc, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		o.Location = loc
	}
	if o.At == "" {
		o.At = "02:00"
	}
	var hh, mm uint
	if _, err := fmt.Sscanf(o.At, "%d:%d", &hh, &mm); err != nil || hh > 23 || mm > 59 || len(o.At) != 5 {
		return nil, fmt.Errorf("jobs: run time %q is not HH:MM", o.At)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sender == nil {
		return nil, errors.New("jobs: no sender")
	}
	runner, err := NewRunner(o.RunnerOptions)
	if err != nil {
		return nil, err
	}
	opts := []gocron.SchedulerOption{
		gocron.WithLocation(o.Location),
		gocron.WithClock(o.Clock),
		gocron.WithLogger(o.Logger),
		gocron.WithStopTimeout(30 * time.Second),
	}
	if o.Elector != nil {
		opts = append(opts, gocron.WithDistributedElector(o.Elector))
	}
	s, err := gocron.NewScheduler(opts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc := &Scheduler{s: s, runner: runner, loc: o.Location, clock: o.Clock, logger: o.Logger, after: o.AfterRun, m: o.Metrics, years: o.RetentionYears, ctx: ctx, cancel: cancel}
	_, err = s.NewJob(
		gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(hh, mm, 0))),
		gocron.NewTask(sc.tick),
		gocron.WithName(JobName),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithContext(ctx),
	)
	if err != nil {
		cancel()
		_ = s.Shutdown()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return sc, nil
}

// tick is the job body: today in Europe/Paris, then the runner.
func (s *Scheduler) tick(ctx context.Context) {
	start := s.clock.Now()
	today := calendar.DateOf(start.In(s.loc))
	rep, err := s.runner.Run(ctx, today)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.logger.ErrorContext(ctx, "Reminder job failed", "date", today.String(), "error", err)
	}
	s.m.JobRun(JobName, s.clock.Since(start), err)
	s.m.Reminders(metrics.ReminderSent, rep.Sent)
	s.m.Reminders(metrics.ReminderSkipped, rep.Skipped)
	s.m.Reminders(metrics.ReminderFailedAttempt, rep.FailedAttempts)
	s.m.Reminders(metrics.ReminderFailed, rep.Failed)
	if s.years > 0 && ctx.Err() == nil {
		s.retention(ctx, today)
	}
	if s.after != nil {
		s.after(rep, err)
	}
}

// Start starts the scheduler.
func (s *Scheduler) Start() { s.s.Start() }

// NextRun returns the time of the next scheduled run.
func (s *Scheduler) NextRun() (time.Time, error) {
	jobs := s.s.Jobs()
	if len(jobs) == 0 {
		return time.Time{}, errors.New("jobs: no job")
	}
	return jobs[0].NextRun()
}

// Shutdown stops the scheduler, cancelling a run in progress (its leased
// reminders are released, or taken over by another instance when their
// lease expires) and waiting for it to return.
func (s *Scheduler) Shutdown() error {
	s.cancel()
	return s.s.Shutdown()
}

// RetentionJobName names the retention step in the metrics and logs.
const RetentionJobName = "retention"

// retention anonymises the personal data past its retention, after the
// reminders (which need the names of current loans only).
func (s *Scheduler) retention(ctx context.Context, today calendar.Date) {
	start := s.clock.Now()
	rep, err := s.runner.o.DB.ApplyRetention(ctx, store.RetentionOptions{Years: s.years, Today: today})
	s.m.JobRun(RetentionJobName, s.clock.Since(start), err)
	if err != nil {
		s.logger.ErrorContext(ctx, "Retention failed", "error", err)
		return
	}
	s.m.Retention("requests", rep.Requests)
	s.m.Retention("loans", rep.Loans)
	s.m.Retention("users", rep.Users)
	s.m.Retention("audit_events", rep.AuditEvents)
	s.m.Retention("api_tokens", rep.APITokens)
	s.m.Retention("login_tokens", rep.LoginTokens)
	s.m.Retention("sessions", rep.Sessions)
	s.m.Retention("login_attempts", rep.LoginAttempts)
	s.logger.InfoContext(ctx, "Retention applied", "kept_from", rep.KeptFrom, "requests", rep.Requests, "loans", rep.Loans,
		"users", rep.Users, "audit_events", rep.AuditEvents, "api_tokens", rep.APITokens,
		"login_tokens", rep.LoginTokens, "sessions", rep.Sessions, "login_attempts", rep.LoginAttempts)
}
