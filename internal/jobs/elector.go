package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// ErrNotLeader is returned by PGElector.IsLeader when another instance
// holds the leadership.
var ErrNotLeader = errors.New("jobs: not the leader")

// DefaultLeaderKey is the PostgreSQL advisory lock key of the nightly job's
// leadership ("cmjobs").
const DefaultLeaderKey int64 = 0x636d6a6f6273

// PGElector elects one leader among the instances sharing a PostgreSQL
// database, for gocron's WithDistributedElector: the leader is the instance
// holding a session advisory lock, on a connection it keeps open. When the
// leader dies, its session ends, the lock is freed and the next instance to
// ask takes it. (gocron's Locker would only hold during a run, so every
// instance would run each tick; the ledger keeps reminders exactly-once
// anyway, the elector saves the duplicate work.)
type PGElector struct {
	db  *sql.DB
	key int64

	mu   sync.Mutex
	conn *sql.Conn
}

// NewPGElector returns an elector on db's advisory lock key.
func NewPGElector(db *sql.DB, key int64) *PGElector {
	return &PGElector{db: db, key: key}
}

// IsLeader returns nil when this instance is (or just became) the leader,
// ErrNotLeader when another one is, or the database error.
func (e *PGElector) IsLeader(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		// Still leader as long as the session that holds the lock lives:
		// session advisory locks last until unlocked or disconnected.
		var one int
		if err := e.conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err == nil {
			return nil
		}
		e.conn.Close()
		e.conn = nil
	}
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("elector: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", e.key).Scan(&got); err != nil {
		conn.Close()
		return fmt.Errorf("elector: %w", err)
	}
	if !got {
		conn.Close()
		return ErrNotLeader
	}
	e.conn = conn
	return nil
}

// Close gives up the leadership.
func (e *PGElector) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return nil
	}
	_, _ = e.conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", e.key)
	err := e.conn.Close()
	e.conn = nil
	return err
}
