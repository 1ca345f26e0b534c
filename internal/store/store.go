// Package store keeps classemobile's data in SQLite or PostgreSQL through bun.
//
// The dialect is chosen by the database URL: a postgres:// URL selects
// PostgreSQL (pgx stdlib driver, bun pgdialect); anything else is the path of
// an SQLite file (bun sqlitedialect, pure-Go driver through sqliteshim).
// Integrity lives in the schema (unique keys, checks, exclusion constraints,
// triggers); the store translates driver errors into ErrNotFound, ErrConflict
// and friends so callers never see a driver type.
//
// # Rules
//
// The store also holds classemobile's rules, so that every face (the JSON
// API, the pages, the command line) parses input, calls the store and
// renders, and decides nothing. They live here rather than in a package of
// their own because most of them need the data (the request's teacher,
// the roles of the person who filed it, the loans of a pack) and must be
// checked inside the transaction that acts:
//
//   - Who may do what: Action names every action (ActRequestAuthorize,
//     ActLoanSign…); one table of actions × roles says which roles may
//     perform it, and Allowed(person, action) / User.Can check it against
//     the set of roles a person holds (User.Roles, table user_roles:
//     directors and teachers hold their role in a school). Routes name
//     their Action; resource-dependent rules (the director of this
//     school, the teacher of this request, a director's own request that
//     the coordinator authorises) are checked by the store method that
//     acts, against the person behind its Actor.
//   - Who sees what: User.SeesRequest, User.SeesSchool, and the
//     person-scoped reads RequestFor, LoanFor, ListRequestsFor,
//     ListLoansFor, ListIncidentsFor, RoundFor, ListRoundsFor,
//     ListFeedsFor, CheckFeedTarget; another school's resource is
//     ErrNotFound.
//   - What input is valid: Request.Validate (and ValidateRequest with the
//     year's calendar), the loan and maintenance checks of each method.
//     A round's input and pins are checked by package round, the use
//     case that computes a round; the store stores, publishes and
//     discards rounds and does not depend on the allocation engine.
//   - How a broken rule reads: one error type, *RuleError, with its Kind
//     (invalid, conflict, forbidden, not_found), a stable Code, the
//     Field(s) at fault, a French Message written where the rule is
//     checked, the resource's current State and what it Conflicts with.
//     FieldErrors builds the validation_failed ones.
//
// States are named types with a French Label (RequestState, LoanState,
// RoundState, PackStatus, ExtensionState, OpinionVerdict, TrainingStatus);
// dates are written in French by calendar.Date.French.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"

	"github.com/classemobile/classemobile/migrations"
)

// Errors returned by store methods.
var (
	// ErrNotFound is returned when the requested row does not exist (or is
	// not visible to the caller).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a write breaks a unique or exclusion
	// constraint: the thing already exists or the slot is taken.
	ErrConflict = errors.New("store: conflict")
	// ErrStale is returned when an update carries a version that is no
	// longer the current one: someone else wrote in between.
	ErrStale = errors.New("store: stale version")
	// ErrInvalidReference is returned when a write names a row that does
	// not exist (a foreign key violation).
	ErrInvalidReference = errors.New("store: invalid reference")
	// ErrPackUnavailable is returned when a loan would overlap another loan
	// of the same pack (exclusion constraint or trigger).
	ErrPackUnavailable = errors.New("store: pack unavailable")
)

// Dialect names the database engine in use.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = migrations.Postgres
	SQLite   Dialect = migrations.SQLite
)

// DefaultURL is the database used when none is configured: an SQLite file in
// the working directory, so serve works on a fresh machine.
const DefaultURL = "classemobile.db"

// DB is the store's handle on one database.
type DB struct {
	bun     *bun.DB
	dialect Dialect
	logger  *slog.Logger
	// now returns the current time; tests may replace it.
	now func() time.Time
	// pickupWindowDays is Options.PickupWindowDays.
	pickupWindowDays int
	// onSolve, when set, observes each round's solve (ObserveSolves).
	onSolve SolveObserver
	// solves counts the background solves running (StartRoundSolve).
	solves *sync.WaitGroup
}

// Options configure Open.
type Options struct {
	// Logger receives the store's log lines. Defaults to a discarding logger.
	Logger *slog.Logger
	// NowFunc returns the current time. Defaults to time.Now.
	NowFunc func() time.Time
	// MaxOpenConns bounds the PostgreSQL pool. Defaults to 20.
	MaxOpenConns int
	// PickupWindowDays is the number of school days before a loan's
	// planned pickup day from which its pickup may be recorded. Defaults
	// to DefaultPickupWindowDays.
	PickupWindowDays int
}

// Open connects to the database named by rawURL without migrating it.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.NowFunc == nil {
		opts.NowFunc = time.Now
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = 20
	}
	if opts.PickupWindowDays <= 0 {
		opts.PickupWindowDays = DefaultPickupWindowDays
	}
	var (
		bdb     *bun.DB
		dialect Dialect
	)
	if IsPostgresURL(rawURL) {
		sqldb, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(opts.MaxOpenConns)
		sqldb.SetMaxIdleConns(opts.MaxOpenConns)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		bdb = bun.NewDB(sqldb, pgdialect.New())
		dialect = Postgres
	} else {
		dsn, err := sqliteDSN(rawURL)
		if err != nil {
			return nil, err
		}
		sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// WAL lets readers run beside the single writer; several
		// connections are useful for concurrent reads.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
		dialect = SQLite
	}
	db := &DB{bun: bdb, dialect: dialect, logger: opts.Logger, now: opts.NowFunc, pickupWindowDays: opts.PickupWindowDays,
		solves: &sync.WaitGroup{}}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return db, nil
}

// IsPostgresURL reports whether rawURL selects PostgreSQL.
func IsPostgresURL(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://")
}

// sqliteDSN turns a path (or a sqlite: / file: URL) into the driver DSN with
// the pragmas every connection needs. Pragmas are per connection in SQLite,
// so they go in the DSN, which the driver applies to each new connection:
//   - foreign_keys(1): SQLite ignores REFERENCES clauses without it;
//   - journal_mode(WAL): readers do not block the writer and vice versa;
//   - busy_timeout(10000): a writer waits up to 10 s for the lock instead of
//     failing at once with "database is locked";
//   - _txlock=immediate: transactions take the write lock at BEGIN. With a
//     plain deferred BEGIN, two transactions that read then write deadlock
//     on the lock upgrade and one fails with SQLITE_BUSY whatever the busy
//     timeout; BEGIN IMMEDIATE makes them queue instead.
//
// A plain path is a file name, not a URI: its '%' and '#' are escaped, as
// SQLite reads the DSN as a URI (a '#' would end the name, and a directory
// named "x#01" would become a file named "x").
func sqliteDSN(raw string) (string, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite://"), "sqlite:")
	path = strings.TrimPrefix(path, "file:")
	plain := path == raw
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if plain {
		path = strings.NewReplacer("%", "%25", "#", "%23").Replace(path)
	}
	if path == "" {
		return "", errors.New("open sqlite: empty path")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("open sqlite %s: %w", path, err)
	}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode(), nil
}

// Dialect returns the engine in use.
func (db *DB) Dialect() Dialect { return db.dialect }

// Bun returns the underlying bun handle, for tests and for packages that
// need raw access in a transaction of their own.
func (db *DB) Bun() *bun.DB { return db.bun }

// Now returns the store's current time, truncated to microseconds so it
// round-trips the same on both dialects.
func (db *DB) Now() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// WithClock returns a handle on the same database whose clock is now: the
// instants it records and the civil day its rules compare with (the pickup
// window). For tests and for commands run "as of" a date.
func (db *DB) WithClock(now func() time.Time) *DB {
	c := *db
	c.now = now
	return &c
}

// Close closes the database.
func (db *DB) Close() error { return db.bun.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.bun.NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// migrateLockKey is the PostgreSQL advisory lock that serialises migrations
// when several instances start at once (bun's own lock table fails the
// second migrator instead of making it wait).
const migrateLockKey = 0x636c6173 // "clas"

// Migrate applies the pending migrations of the database's dialect.
func (db *DB) Migrate(ctx context.Context) (err error) {
	defer wrapf(&err, "migrate")
	return db.migrate(ctx, "")
}

// MigrateTo applies the pending migrations up to and including version
// last ("0018"), for tests of a migration over rows written in the schema
// before it.
func (db *DB) MigrateTo(ctx context.Context, last string) (err error) {
	defer wrapf(&err, "migrate to %s", last)
	return db.migrate(ctx, last)
}

func (db *DB) migrate(ctx context.Context, last string) error {
	ms, err := migrations.For(string(db.dialect))
	if err != nil {
		return err
	}
	if last != "" {
		sub := migrate.NewMigrations()
		for _, m := range ms.Sorted() {
			if m.Name <= last {
				sub.Add(m)
			}
		}
		ms = sub
	}
	if db.dialect == Postgres {
		conn, err := db.bun.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrateLockKey); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrateLockKey)
	}
	m := migrate.NewMigrator(db.bun, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return err
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return err
	}
	if !group.IsZero() {
		db.logger.InfoContext(ctx, "Migrated database", "dialect", db.dialect, "group", group.ID, "migrations", len(group.Migrations))
	}
	return nil
}

// RunInTx runs fn in a transaction, committed if fn returns nil. On SQLite
// the transaction is BEGIN IMMEDIATE (see sqliteDSN).
func (db *DB) RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.bun.RunInTx(ctx, nil, fn)
}

// wrapf prefixes a non-nil error with the operation and translates driver
// errors into the store's sentinels.
func wrapf(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, translate(*errp))...)
}

// translate maps driver errors to the store's sentinel errors, keeping the
// cause in the chain for the logs.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrStale),
		errors.Is(err, ErrInvalidReference), errors.Is(err, ErrPackUnavailable):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w (%s)", ErrConflict, pgErr.ConstraintName)
		case "23P01": // exclusion_violation
			return fmt.Errorf("%w (%s)", ErrPackUnavailable, pgErr.ConstraintName)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w (%s)", ErrInvalidReference, pgErr.ConstraintName)
		case "40001", "40P01": // serialization failure, deadlock
			return fmt.Errorf("%w (%s)", ErrConflict, pgErr.Message)
		}
		return err
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		msg := err.Error()
		switch coded.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
			return fmt.Errorf("%w (%s)", ErrConflict, msg)
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return fmt.Errorf("%w (%s)", ErrInvalidReference, msg)
		case 1811: // SQLITE_CONSTRAINT_TRIGGER: RAISE(ABORT, ...) in our triggers
			if strings.Contains(msg, "pack_unavailable") {
				return fmt.Errorf("%w (%s)", ErrPackUnavailable, msg)
			}
			return fmt.Errorf("%w (%s)", ErrConflict, msg)
		}
	}
	return err
}

// IsConflict reports whether err is a uniqueness, exclusion or concurrency
// conflict.
func IsConflict(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrPackUnavailable) || errors.Is(err, ErrStale)
}
