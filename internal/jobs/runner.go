package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// Sender delivers one e-mail. *notify.SMTP and *notify.Outbox satisfy it.
type Sender interface {
	Send(ctx context.Context, m notify.Message) error
}

// RunnerOptions configure a Runner. Zero fields get defaults.
type RunnerOptions struct {
	// DB is the store. Required.
	DB *store.DB
	// Sender delivers the messages. Required unless only DryRun is used.
	Sender Sender
	// Logger receives the run's log lines. Defaults to discarding.
	Logger *slog.Logger
	// Clock gives the current time (leases, backoff, sent_at). Defaults to
	// the real clock.
	Clock clockwork.Clock
	// Owner names this instance in leases. Defaults to a random name.
	Owner string
	// Schedule gives the reminder offsets. Defaults to DefaultSchedule.
	Schedule *Schedule
	// From is the sender address; its domain ends the Message-IDs.
	// Defaults to "classemobile <noreply@localhost>".
	From string
	// BaseURL is the service's public URL, quoted in messages with the
	// page where the recipient acts.
	BaseURL string
	// Contact is the person every message names for questions (the
	// coordinator), from the configuration. Defaults to nobody named.
	Contact notify.Address
	// MaxLate is how many days past due a reminder may still be sent;
	// older ones are skipped. Defaults to 7.
	MaxLate int
	// Lookback is how many days back the computation looks for missed
	// reminders (those older than MaxLate are recorded as skipped).
	// Defaults to 14.
	Lookback int
	// Lease is how long a claim holds without renewal before another run
	// may take the rows over. A live run renews its leases every third of
	// it, so a run that died (killed, machine lost) leaves its reminders to
	// the next run within one Lease. Defaults to 20 seconds.
	Lease time.Duration
	// MaxAttempts is the number of delivery attempts before a reminder is
	// failed. Defaults to 5.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each one. Defaults to 30 seconds.
	Backoff time.Duration
	// MaxRetryWait bounds how long a run waits for reminders in backoff,
	// or leased by another instance (which may have died), before leaving
	// them to the next run. Defaults to 20 minutes.
	MaxRetryWait time.Duration
	// BatchRecipients is how many recipients one claim takes. Defaults to 10.
	BatchRecipients int
}

// Runner computes and delivers the reminders of one night.
type Runner struct {
	o      RunnerOptions
	sched  Schedule
	from   notify.Address
	domain string
	logger *slog.Logger
	clock  clockwork.Clock
	// mu guards the calendar caches below: a Runner may serve the nightly
	// job and a manual run at once.
	mu      sync.Mutex
	years   map[string]*calendar.Year
	yearErr map[string]bool
	// sendOns memoizes sendOn: the calendar walks day by day, and 100 000
	// loans share a few hundred dates.
	sendOns map[sendOnKey]calendar.Date
}

type sendOnKey struct {
	year string
	due  calendar.Date
}

// NewRunner checks the options and returns a Runner.
func NewRunner(o RunnerOptions) (*Runner, error) {
	if o.DB == nil {
		return nil, errors.New("jobs: no database")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.Owner == "" {
		o.Owner = "instance-" + store.NewSecret("")[:10]
	}
	sched := DefaultSchedule()
	if o.Schedule != nil {
		sched = *o.Schedule
	}
	if o.From == "" {
		o.From = "classemobile <noreply@localhost>"
	}
	from, err := notify.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	domain := "localhost"
	if _, d, ok := strings.Cut(from.Email, "@"); ok && d != "" {
		domain = d
	}
	if o.MaxLate <= 0 {
		o.MaxLate = 7
	}
	if o.Lookback <= 0 {
		o.Lookback = 14
	}
	o.Lookback = max(o.Lookback, o.MaxLate)
	if o.Lease <= 0 {
		o.Lease = 20 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 30 * time.Second
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 20 * time.Minute
	}
	if o.BatchRecipients <= 0 {
		o.BatchRecipients = 10
	}
	return &Runner{o: o, sched: sched, from: from, domain: domain, logger: o.Logger, clock: o.Clock,
		years: map[string]*calendar.Year{}, yearErr: map[string]bool{}, sendOns: map[sendOnKey]calendar.Date{}}, nil
}

// Report sums up one run.
type Report struct {
	Date calendar.Date `json:"date"`
	// Due is the number of reminders due by Date (already recorded or not).
	Due int `json:"due"`
	// Inserted is the number of reminders this run added to the ledger.
	Inserted int `json:"inserted"`
	// Sent is the number of reminders this run delivered, in Messages
	// messages.
	Sent     int `json:"sent"`
	Messages int `json:"messages"`
	// Skipped is the number of reminders this run recorded as skipped:
	// recorded already too late, or claimed and found no longer
	// applicable or too late (the ledger's status skipped).
	Skipped int `json:"skipped"`
	// FailedAttempts counts reminders whose delivery attempt failed;
	// Failed those that reached the last attempt.
	FailedAttempts int `json:"failed_attempts"`
	Failed         int `json:"failed"`
	// Notices is the number of round notices sent.
	Notices int `json:"notices"`
	// Digests is the number of task digests sent, announcing DigestTasks
	// tasks; DigestFailedAttempts counts failed deliveries and
	// DigestsFailed the digests that reached their last attempt.
	Digests              int `json:"digests"`
	DigestTasks          int `json:"digest_tasks"`
	DigestFailedAttempts int `json:"digest_failed_attempts"`
	DigestsFailed        int `json:"digests_failed"`
}

// Run is the nightly job as of today (a Europe/Paris date): compute what
// is due, record it, then deliver everything pending.
func (r *Runner) Run(ctx context.Context, today calendar.Date) (Report, error) {
	rep := Report{Date: today}
	due, err := r.Compute(ctx, today)
	if err != nil {
		return rep, err
	}
	rep.Due = len(due)
	// Reminders already too late are recorded as skipped: the report
	// counts them with the skipped ones, as the ledger does.
	var pending, late []store.Reminder
	for _, d := range due {
		if d.Status == store.ReminderSkipped {
			late = append(late, d)
		} else {
			pending = append(pending, d)
		}
	}
	if rep.Inserted, err = r.o.DB.InsertReminders(ctx, pending); err != nil {
		return rep, err
	}
	n, err := r.o.DB.InsertReminders(ctx, late)
	if err != nil {
		return rep, err
	}
	rep.Inserted += n
	rep.Skipped += n
	err = r.Deliver(ctx, today, &rep)
	if err == nil && r.o.Sender != nil {
		rep.Notices, err = r.SendNotices(ctx)
	}
	r.logger.InfoContext(ctx, "Reminders run", "date", today.String(), "owner", r.o.Owner, "due", rep.Due,
		"inserted", rep.Inserted, "sent", rep.Sent, "messages", rep.Messages, "skipped", rep.Skipped,
		"failed_attempts", rep.FailedAttempts, "failed", rep.Failed, "notices", rep.Notices)
	if err != nil {
		return rep, err
	}
	err = r.SendTaskDigests(ctx, today, &rep)
	r.logger.InfoContext(ctx, "Task digests run", "date", today.String(), "owner", r.o.Owner, "digests", rep.Digests,
		"tasks", rep.DigestTasks, "failed_attempts", rep.DigestFailedAttempts, "failed", rep.DigestsFailed)
	return rep, err
}

// Compute returns the reminders due by today: those whose day to go out
// is today or earlier and whose due date is at most Lookback days ago.
// Those more than MaxLate days past due come back with status skipped and
// the reason. It reads the store, never the clock.
func (r *Runner) Compute(ctx context.Context, today calendar.Date) ([]store.Reminder, error) {
	loans, err := r.o.DB.ReminderLoans(ctx, r.window(today))
	if err != nil {
		return nil, err
	}
	staff, err := r.o.DB.ReminderStaff(ctx)
	if err != nil {
		return nil, err
	}
	return r.due(ctx, loans, staff, today), nil
}

// due returns the reminders of loans due by today (see Compute).
func (r *Runner) due(ctx context.Context, loans []store.ReminderLoan, staff store.ReminderStaff, today calendar.Date) []store.Reminder {
	from := today.AddDays(-r.o.Lookback)
	var out []store.Reminder
	for _, l := range loans {
		for _, c := range r.sched.candidates(l, staff) {
			if c.due.Before(from) || c.due.After(today.AddDays(31)) {
				continue
			}
			sendOn := r.sendOn(ctx, l.SchoolYear, c.due)
			if sendOn.After(today) {
				continue
			}
			rem := store.Reminder{LoanID: l.ID, Kind: c.kind, DueDate: c.due, SendOn: sendOn, RecipientRole: c.role,
				RecipientID: c.user, Status: store.ReminderPending}
			if late := today.DaysSince(c.due); late > r.o.MaxLate {
				rem.Status, rem.SkippedReason = store.ReminderSkipped, r.lateReason(late)
			}
			out = append(out, rem)
		}
	}
	return out
}

// window returns the loans worth reading for the reminders due by today:
// those whose reference date, moved by the widest offset of its kinds, can
// fall between the lookback and a week after today (a reminder due on a
// day off goes out at most a few days earlier).
func (r *Runner) window(today calendar.Date) store.ReminderWindow {
	lo, hi := today.AddDays(-r.o.Lookback), today.AddDays(7)
	widest := func(lists ...[]int) int {
		w := 0
		for _, l := range lists {
			for _, d := range l {
				w = max(w, d)
			}
		}
		return w
	}
	s := r.sched
	return store.ReminderWindow{
		PickupFrom:   lo,
		PickupTo:     hi.AddDays(widest(s.TrainingBefore, s.AgreementBefore, s.PickupBefore)),
		ReturnFrom:   lo.AddDays(-widest(s.OverdueAfter)),
		ReturnTo:     hi.AddDays(widest(s.ReturnBefore)),
		ReturnedFrom: lo.AddDays(-widest(s.AssessmentAfter)),
	}
}

func (r *Runner) lateReason(days int) string {
	return fmt.Sprintf("trop tard : échéance dépassée de %d jours (plus de %d)", days, r.o.MaxLate)
}

// sendOn returns the day a reminder due on d goes out: the school day
// before when d is a weekend, a public holiday or a day without class.
func (r *Runner) sendOn(ctx context.Context, schoolYear string, d calendar.Date) calendar.Date {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := sendOnKey{schoolYear, d}
	if s, ok := r.sendOns[k]; ok {
		return s
	}
	s := r.computeSendOn(ctx, schoolYear, d)
	r.sendOns[k] = s
	return s
}

func (r *Runner) computeSendOn(ctx context.Context, schoolYear string, d calendar.Date) calendar.Date {
	y, ok := r.years[schoolYear]
	if !ok && !r.yearErr[schoolYear] {
		var err error
		y, err = r.o.DB.CalendarYear(ctx, schoolYear)
		if err != nil {
			r.logger.WarnContext(ctx, "No school calendar for reminders; using working days", "school_year", schoolYear, "error", err)
			r.yearErr[schoolYear] = true
		} else {
			r.years[schoolYear] = y
		}
	}
	if y != nil {
		return y.ReminderDay(d)
	}
	if calendar.IsWorkingDay(d) {
		return d
	}
	return calendar.PreviousWorkingDay(d)
}

// Deliver claims pending reminders recipient by recipient, re-checks each
// against the loan as it is now, and sends one message per recipient. It
// waits, up to MaxRetryWait, for reminders in backoff and for those leased
// by other instances, so that a dead instance's work is taken over.
func (r *Runner) Deliver(ctx context.Context, today calendar.Date, rep *Report) (err error) {
	deadline := r.clock.Now().Add(r.o.MaxRetryWait)
	staff, err := r.o.DB.ReminderStaff(ctx)
	if err != nil {
		return err
	}
	ctx, stopRenewing := r.renewLeases(ctx)
	defer func() {
		if cause := stopRenewing(); err == nil && cause != nil {
			err = cause
		}
	}()
	announced := map[string]bool{} // other runs' leases already logged
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.logOtherLeases(ctx, announced); err != nil {
			return err
		}
		now := r.clock.Now()
		claimed, err := r.o.DB.ClaimReminders(ctx, r.o.Owner, now, now.Add(r.o.Lease), r.o.BatchRecipients)
		if err != nil {
			return err
		}
		if len(claimed) == 0 {
			next, ok, err := r.o.DB.NextReminderRelease(ctx)
			if err != nil {
				return err
			}
			if !ok || next.After(deadline) {
				return nil
			}
			if wait := next.Sub(r.clock.Now()); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-r.clock.After(wait + time.Millisecond):
				}
			}
			continue
		}
		if err := r.deliverBatch(ctx, today, staff, claimed, rep); err != nil {
			ids := make([]int64, len(claimed))
			for i, c := range claimed {
				ids[i] = c.ID
			}
			// Give back what was not handled; marked rows are unaffected.
			_ = r.o.DB.ReleaseReminders(context.WithoutCancel(ctx), r.o.Owner, ids)
			return err
		}
	}
}

func (r *Runner) deliverBatch(ctx context.Context, today calendar.Date, staff store.ReminderStaff, claimed []store.Reminder, rep *Report) error {
	var loanIDs, userIDs []int64
	for _, c := range claimed {
		loanIDs = append(loanIDs, c.LoanID)
		userIDs = append(userIDs, c.RecipientID)
	}
	loans, err := r.o.DB.ReminderLoansByID(ctx, slices.Compact(slices.Sorted(slices.Values(loanIDs))))
	if err != nil {
		return err
	}
	users, err := r.o.DB.ActiveUsers(ctx, userIDs)
	if err != nil {
		return err
	}
	skips := map[int64]string{}
	byRecipient := map[int64][]store.Reminder{}
	var order []int64
	for _, c := range claimed {
		if reason := r.check(c, loans, users, staff, today); reason != "" {
			skips[c.ID] = reason
			continue
		}
		if _, ok := byRecipient[c.RecipientID]; !ok {
			order = append(order, c.RecipientID)
		}
		byRecipient[c.RecipientID] = append(byRecipient[c.RecipientID], c)
	}
	n, err := r.o.DB.SkipReminders(ctx, r.o.Owner, skips, r.clock.Now())
	if err != nil {
		return err
	}
	rep.Skipped += n
	for _, uid := range order {
		rems := byRecipient[uid]
		msg := r.compose(users[uid], rems, loans, today)
		ids := make([]int64, len(rems))
		attempts := 0
		for i, x := range rems {
			ids[i] = x.ID
			attempts = max(attempts, x.Attempts)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sendErr := r.o.Sender.Send(ctx, msg)
		now := r.clock.Now()
		if sendErr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			retryAt := now.Add(r.o.Backoff << min(attempts, 20))
			maxAttempts := r.o.MaxAttempts
			if errors.Is(sendErr, notify.ErrInvalidMessage) {
				// Retrying cannot fix a message that cannot be written
				// (an address or a name with a line break): fail it now.
				maxAttempts = 1
			}
			failed, err := r.o.DB.MarkRemindersAttemptFailed(ctx, r.o.Owner, ids, sendErr.Error(), now, retryAt, maxAttempts)
			if err != nil {
				return err
			}
			rep.FailedAttempts += len(ids)
			rep.Failed += failed
			r.logger.WarnContext(ctx, "Reminder delivery failed", "recipient_id", uid, "reminders", len(ids),
				"attempt", attempts+1, "failed", failed, "retry_at", retryAt, "error", sendErr)
			continue
		}
		// The message is out: record it even if the run is being stopped,
		// or the next run would send it again.
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		marked, err := r.o.DB.MarkRemindersSent(markCtx, r.o.Owner, ids, msg.MessageID, now)
		cancel()
		if err != nil {
			return err
		}
		if marked < len(ids) {
			r.logger.WarnContext(ctx, "Reminder lease lost before marking sent", "recipient_id", uid,
				"reminders", len(ids), "marked", marked, "message_id", msg.MessageID)
		}
		rep.Sent += marked
		rep.Messages++
	}
	return nil
}

// check returns why a claimed reminder must not go out, or "".
func (r *Runner) check(c store.Reminder, loans map[int64]store.ReminderLoan, users map[int64]store.User, staff store.ReminderStaff, today calendar.Date) string {
	if late := today.DaysSince(c.DueDate); late > r.o.MaxLate {
		return r.lateReason(late)
	}
	l, ok := loans[c.LoanID]
	if !ok {
		return "prêt introuvable"
	}
	if _, ok := users[c.RecipientID]; !ok {
		return "destinataire désactivé"
	}
	sameDate := false
	for _, k := range r.sched.candidates(l, staff) {
		if k.kind == c.Kind && k.due == c.DueDate {
			if k.user == c.RecipientID {
				return ""
			}
			sameDate = true
		}
	}
	if sameDate {
		return "destinataire changé"
	}
	return skipReason(c, l)
}

// MessageID returns the stable Message-ID of the reminders sent to a
// recipient on a night: a resend carries the same one.
func (r *Runner) MessageID(recipientID int64, night calendar.Date) string {
	return fmt.Sprintf("rappels-%s-u%d@%s", night, recipientID, r.domain)
}

// renewLeases renews this run's leases every third of Lease until the
// returned stop function is called. If a renewal fails, the leases may
// lapse and another run take the reminders over: the returned context is
// then cancelled, so this run stops sending rather than send twice; stop
// returns that cause.
func (r *Runner) renewLeases(ctx context.Context) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		// The renewal period is real time, not the Clock's: a fake clock
		// in tests drives the leases' expiry, not this heartbeat.
		t := time.NewTicker(r.o.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := r.o.DB.RenewReminderLeases(ctx, r.o.Owner, r.clock.Now().Add(r.o.Lease)); err != nil {
				if ctx.Err() == nil {
					r.logger.ErrorContext(ctx, "Reminder leases not renewed; stopping this run", "owner", r.o.Owner, "error", err)
					cancel(fmt.Errorf("renew reminder leases: %w", err))
				}
				return
			}
		}
	}()
	return ctx, func() error {
		close(done)
		<-stopped
		cause := context.Cause(ctx)
		cancel(nil)
		if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
			return nil // the caller's own cancellation, reported by the caller
		}
		return cause
	}
}

// logOtherLeases says what this run does about reminders leased by other
// runs: it waits for a live run's leases, and takes over those of a run
// that stopped renewing them (dead) once they expire. Each owner is logged
// once per state.
func (r *Runner) logOtherLeases(ctx context.Context, announced map[string]bool) error {
	leases, err := r.o.DB.ReminderLeases(ctx)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	for _, l := range leases {
		if l.Owner == r.o.Owner {
			continue
		}
		if l.Until.Before(now) {
			if !announced["expired "+l.Owner] {
				announced["expired "+l.Owner] = true
				r.logger.WarnContext(ctx, "Taking over the reminders of a run that stopped", "owner", r.o.Owner,
					"dead_owner", l.Owner, "reminders", l.Reminders, "lease_expired", l.Until.Format(time.RFC3339))
			}
			continue
		}
		if !announced["live "+l.Owner] {
			announced["live "+l.Owner] = true
			r.logger.InfoContext(ctx, "Waiting for reminders leased by another run", "owner", r.o.Owner,
				"other_owner", l.Owner, "reminders", l.Reminders, "lease_until", l.Until.Format(time.RFC3339),
				"wait", l.Until.Sub(now).Round(time.Second).String())
		}
	}
	return nil
}
