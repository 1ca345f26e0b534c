package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FeedPoll is what one request for a feed learns from the database in a
// single query: the feed behind the token (ID and target only: names and
// times are read when the feed is rendered) and the generation of the data
// it is rendered from.
type FeedPoll struct {
	ID int64
	FeedTarget
	// Generation changes whenever data shown in feeds may have changed:
	// it concatenates max(updated_at) of the tables feeds read. A cached
	// rendering made at the same generation (and on the same day) is
	// still valid. It is global, not per feed: any loan change invalidates
	// every feed, which costs one render per feed and keeps the lookup a
	// handful of index probes.
	Generation string
}

// FeedLookup resolves feed tokens with a statement prepared once: feed
// polls are the hottest path of the service.
type FeedLookup struct {
	db   *DB
	stmt atomic.Pointer[sql.Stmt]
	mu   sync.Mutex // serialises preparing
}

// NewFeedLookup returns a token resolver for feed requests. Close it when
// done with it.
func (db *DB) NewFeedLookup() *FeedLookup { return &FeedLookup{db: db} }

// Close releases the prepared statement.
func (l *FeedLookup) Close() error {
	if stmt := l.stmt.Swap(nil); stmt != nil {
		return stmt.Close()
	}
	return nil
}

// prepared returns the lookup statement, preparing it on first use (and
// again after a failure: a database that is down at the first request
// must not disable feeds until a restart).
func (l *FeedLookup) prepared(ctx context.Context) (*sql.Stmt, error) {
	if stmt := l.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if stmt := l.stmt.Load(); stmt != nil {
		return stmt, nil
	}
	q := feedPollSQL
	if l.db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	stmt, err := l.db.bun.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	l.stmt.Store(stmt)
	return stmt, nil
}

// FeedByToken returns the active feed whose token is token, with the data
// generation, in one round trip (a prepared statement with the generation
// as scalar subqueries). Returns ErrNotFound for an unknown, rotated or
// revoked token.
func (l *FeedLookup) FeedByToken(ctx context.Context, token string) (_ FeedPoll, err error) {
	defer wrapf(&err, "FeedByToken")
	stmt, err := l.prepared(ctx)
	if err != nil {
		return FeedPoll{}, err
	}
	var (
		p      FeedPoll
		scope  string
		school sql.NullString
		packID sql.NullInt64
		gens   [len(feedGenerationTables)]sql.NullString
	)
	var used sql.NullTime
	dest := make([]any, 0, 5+len(gens))
	dest = append(dest, &p.ID, &scope, &school, &packID, &used)
	for i := range gens {
		dest = append(dest, &gens[i])
	}
	if err := stmt.QueryRowContext(ctx, HashSecret(token)).Scan(dest...); err != nil {
		return FeedPoll{}, err
	}
	p.Scope, p.SchoolUAI, p.PackID = FeedScope(scope), school.String, packID.Int64
	var b strings.Builder
	for i, g := range gens {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(g.String)
	}
	p.Generation = b.String()
	if now := l.db.Now(); !used.Valid || now.Sub(used.Time) >= feedUseGranularity {
		// The last use is shown to the people who manage the link; a write
		// at most every feedUseGranularity keeps polls cheap. A failed
		// write must not refuse the feed: the next poll records it.
		_, _ = l.db.bun.NewUpdate().Model((*feedTokenRow)(nil)).Set("last_used_at = ?", now).
			Where("id = ?", p.ID).Exec(ctx)
	}
	return p, nil
}

// feedUseGranularity is how often a feed's last use is written: calendars
// poll every few minutes to hours, and a day is what people read.
const feedUseGranularity = 10 * time.Minute

// feedGenerationTables are the tables whose rows feeds show; each has an
// index on updated_at.
var feedGenerationTables = [...]string{"loans", "requests", "loan_assessments", "schools", "packs"}

var feedPollSQL = func() string {
	var b strings.Builder
	b.WriteString("SELECT f.id, f.scope, f.school_uai, f.pack_id, f.last_used_at")
	for _, t := range feedGenerationTables {
		fmt.Fprintf(&b, ", (SELECT max(updated_at) FROM %s)", t)
	}
	b.WriteString(" FROM feed_tokens AS f WHERE f.token_hash = ? AND f.revoked_at IS NULL")
	return b.String()
}()
