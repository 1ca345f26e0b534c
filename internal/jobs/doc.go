// Package jobs runs classemobile's nightly job: the loan reminders, the
// round notices, the task digests and the retention of personal data.
//
// A Runner computes, for a Europe/Paris date, every reminder due by that day
// from the loans as they are (training, agreement, pickup, return, overdue,
// assessment, extension; offsets in a Schedule), records them in the
// reminder ledger of the store (a unique key per loan, kind, due date and
// recipient, so recording twice changes nothing), then claims the pending
// ones recipient by recipient with a lease, re-checks each against the loan
// as it is now (skipped with a French reason when it no longer applies or is
// more than a week late), and sends each recipient one French message
// (plain text and HTML) with a Message-ID stable per recipient and night.
// Failed deliveries are retried with exponential backoff and marked failed
// after the last attempt.
//
// A Scheduler runs the Runner every night with gocron/v2 in Europe/Paris,
// as a named singleton job, on an injectable clock. With several instances
// on one PostgreSQL database a PGElector (session advisory lock) lets one
// leader run it; the ledger keeps reminders exactly-once even if two run.
// The package declares the Sender it consumes; internal/notify provides
// the SMTP and outbox implementations.
package jobs
