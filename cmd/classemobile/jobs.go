package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/config"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/metrics"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

const jobsUsage = `jobs run-once [--date YYYY-MM-DD] [--dry-run] [--db URL] [flags]

Runs the nightly reminder job once, as of a date (default: today in
Europe/Paris): computes the reminders due, records them in the ledger and
sends them, one e-mail per recipient, by SMTP (SMTP_URL) or as .eml files in
the outbox directory. --dry-run prints what would be sent and writes nothing.
Reminder offsets can be overridden with --schedule or REMINDER_SCHEDULE,
e.g. "training=14,7;return=7,1;extension=2".`

func runJobs(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "run-once" {
		fmt.Fprintf(e.stderr, "Usage: classemobile %s\n", jobsUsage)
		if len(args) == 0 {
			return usagef("jobs: no subcommand")
		}
		if args[0] == "-h" || args[0] == "--help" {
			return errHelpShown
		}
		return usagef("jobs: unknown subcommand %q", args[0])
	}
	fs := newFlagSet(e, "jobs run-once", jobsUsage)
	dbURL := dbFlag(fs, e)
	date := fs.String("date", "", "the night to run, YYYY-MM-DD (default today in Europe/Paris)")
	dryRun := fs.Bool("dry-run", false, "print the messages that would be sent; write nothing")
	smtpURL := fs.String("smtp", e.getenv("SMTP_URL"), "SMTP server, smtp://user:pass@host:587 or smtps://host:465 [SMTP_URL]")
	outbox := fs.String("outbox", e.getenv("OUTBOX_DIR"), "directory for .eml files when SMTP is not set [OUTBOX_DIR] (default outbox/ beside the SQLite file)")
	mailFrom := fs.String("mail-from", envOr(e, "MAIL_FROM", "classemobile <noreply@localhost>"), "sender of e-mails [MAIL_FROM]")
	baseURL := fs.String("base-url", feedBaseURL(e), "public URL of the service, for the links in e-mails [BASE_URL] (default http://localhost<ADDR>)")
	schedule := fs.String("schedule", e.getenv("REMINDER_SCHEDULE"), "reminder offsets override [REMINDER_SCHEDULE]")
	contactName := fs.String("contact-name", e.getenv("CONTACT_NAME"), "the coordinator named as contact in e-mails [CONTACT_NAME]")
	contactEmail := fs.String("contact-email", e.getenv("CONTACT_EMAIL"), "the contact's e-mail address [CONTACT_EMAIL]")
	lease := fs.Duration("lease", 0, "how long a dead run's claim holds its reminders (renewed every third while alive; default 20s)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("jobs run-once: unexpected argument %q", fs.Arg(0))
	}
	night := calendar.ParisDate(time.Now())
	if *date != "" {
		d, err := calendar.ParseDate(*date)
		if err != nil {
			return usagef("jobs run-once: --date: %q is not YYYY-MM-DD", *date)
		}
		night = d
	}
	sched, err := jobs.ParseSchedule(*schedule)
	if err != nil {
		return usagef("jobs run-once: %v", err)
	}
	if _, err := notify.ParseAddress(*mailFrom); err != nil {
		return usagef("jobs run-once: --mail-from: %v", err)
	}
	db, err := openDB(ctx, e, *dbURL, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	// Info: a run says when it waits for, or takes over, another run's
	// reminders (a run killed before, another instance).
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := jobs.RunnerOptions{DB: db, Logger: logger, Schedule: &sched, From: *mailFrom, BaseURL: strings.TrimRight(*baseURL, "/"),
		Contact: notify.Address{Name: *contactName, Email: *contactEmail}, Lease: *lease}
	if *dryRun {
		r, err := jobs.NewRunner(opts)
		if err != nil {
			return err
		}
		previews, err := r.DryRun(ctx, night)
		if err != nil {
			return err
		}
		n := 0
		for _, p := range previews {
			n += len(p.Reminders)
			fmt.Fprintf(e.stdout, "To: %s\nSubject: %s\nMessage-ID: <%s>\n", p.Message.To[0], p.Message.Subject, p.Message.MessageID)
			for _, rem := range p.Reminders {
				fmt.Fprintf(e.stdout, "Reminder: loan %d, %s, due %s, to %s\n", rem.LoanID, rem.Kind, rem.DueDate, rem.RecipientRole)
			}
			fmt.Fprintf(e.stdout, "\n%s\n", p.Message.Text)
		}
		digests, err := r.DryRunTaskDigests(ctx, night)
		if err != nil {
			return err
		}
		for _, m := range digests {
			fmt.Fprintf(e.stdout, "To: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s\n", m.To[0], m.Subject, m.MessageID, m.Text)
		}
		fmt.Fprintf(e.stderr, "Dry run for %s: %d reminders in %d messages and %d task digests would be sent; nothing written.\n", night, n, len(previews), len(digests))
		return nil
	}
	if *outbox == "" {
		*outbox = config.DefaultOutbox(*dbURL)
	}
	sender, err := notify.New(notify.Options{SMTPURL: *smtpURL, From: *mailFrom, OutboxDir: *outbox})
	if err != nil {
		return err
	}
	opts.Sender = sender
	r, err := jobs.NewRunner(opts)
	if err != nil {
		return err
	}
	rep, err := r.Run(ctx, night)
	fmt.Fprintf(e.stdout, "%s: %d due, %d recorded, %d sent in %d messages, %d skipped, %d failed attempts, %d failed\n",
		rep.Date, rep.Due, rep.Inserted, rep.Sent, rep.Messages, rep.Skipped, rep.FailedAttempts, rep.Failed)
	fmt.Fprintf(e.stdout, "%s: %d task digests sent (%d tasks), %d failed attempts, %d failed\n",
		rep.Date, rep.Digests, rep.DigestTasks, rep.DigestFailedAttempts, rep.DigestsFailed)
	if o, ok := sender.(*notify.Outbox); ok && rep.Messages+rep.Digests > 0 {
		fmt.Fprintf(e.stderr, "Messages written to %s\n", o.Dir())
	}
	return err
}

func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// startJobs starts the nightly reminder scheduler of serve; the returned
// function stops it (run defers it). On PostgreSQL the instances elect a
// leader through an advisory lock.
func startJobs(ctx context.Context, cfg config.Config, e env, db *store.DB, logger *slog.Logger, m *metrics.Metrics) (stop func(), err error) {
	sched, err := jobs.ParseSchedule(e.getenv("REMINDER_SCHEDULE"))
	if err != nil {
		return nil, fmt.Errorf("REMINDER_SCHEDULE: %w", err)
	}
	sender, err := notify.New(notify.Options{SMTPURL: cfg.SMTPURL, From: cfg.MailFrom, OutboxDir: cfg.OutboxDir})
	if err != nil {
		return nil, err
	}
	o := jobs.Options{
		RunnerOptions: jobs.RunnerOptions{DB: db, Sender: sender, Logger: logger, Schedule: &sched, From: cfg.MailFrom, BaseURL: cfg.BaseURL,
			Contact: notify.Address{Name: cfg.ContactName, Email: cfg.ContactEmail}},
		Location: cfg.Location,
		At:       cfg.JobsAt,
		Metrics:  m,
		// RetentionYears: the nightly job also anonymises old personal data.
		RetentionYears: cfg.RetentionYears,
	}
	var elector *jobs.PGElector
	if db.Dialect() == store.Postgres {
		elector = jobs.NewPGElector(db.Bun().DB, jobs.DefaultLeaderKey)
		o.Elector = elector
	}
	s, err := jobs.New(o)
	if err != nil {
		return nil, err
	}
	s.Start()
	watchCtx, stopWatch := context.WithCancel(ctx)
	if elector != nil {
		go watchLeader(watchCtx, elector, m)
	} else {
		m.SetLeader(true) // SQLite: one instance, which runs the job
	}
	if next, err := s.NextRun(); err == nil {
		logger.Info("Nightly reminders scheduled", "next_run", next.Format(time.RFC3339), "leader_election", elector != nil)
	}
	return func() {
		stopWatch()
		if err := s.Shutdown(); err != nil {
			logger.Warn("Stopping the job scheduler", "error", err)
		}
		if elector != nil {
			elector.Close()
		}
	}, nil
}

// watchLeader keeps the leader gauge current: gocron asks the elector only
// at each run, so between runs the gauge would say nothing. Asking also
// takes the leadership when it is free, so an instance that starts alone is
// the leader at once.
func watchLeader(ctx context.Context, e *jobs.PGElector, m *metrics.Metrics) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		m.SetLeader(e.IsLeader(ctx) == nil)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
