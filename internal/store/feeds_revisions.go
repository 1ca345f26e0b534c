package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"
)

// SetFeedContent records the hash of a feed's latest rendering and returns
// when its content last changed: unchanged if the hash is the recorded one,
// else now (strictly after the previous change, at the second: HTTP dates
// have no finer resolution, and If-Modified-Since must see every change;
// the first rendering of a feed just takes now).
// Returns ErrNotFound for an unknown feed.
func (db *DB) SetFeedContent(ctx context.Context, feedID int64, hash string) (_ time.Time, err error) {
	defer wrapf(&err, "SetFeedContent(%d)", feedID)
	var row feedTokenRow
	if err := db.bun.NewSelect().Model(&row).Column("content_hash", "content_changed_at").
		Where("id = ?", feedID).Scan(ctx); err != nil {
		return time.Time{}, err
	}
	if row.ContentHash == hash {
		return row.ContentChangedAt.UTC(), nil
	}
	var at time.Time
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&row).Column("content_hash", "content_changed_at").Where("id = ?", feedID)
		if db.dialect == Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		at = row.ContentChangedAt.UTC()
		if row.ContentHash == hash {
			return nil
		}
		prev := at.Truncate(time.Second)
		at = db.Now().Truncate(time.Second)
		if !at.After(prev) && row.ContentHash != "" {
			// Strictly later than a content a client may hold; the first
			// rendering replaces no content, so now is enough.
			at = prev.Add(time.Second)
		}
		if at.Before(prev) {
			at = prev
		}
		_, err := tx.NewUpdate().Model((*feedTokenRow)(nil)).
			Set("content_hash = ?", hash).Set("content_changed_at = ?", at).
			Where("id = ?", feedID).Exec(ctx)
		return err
	})
	return at, err
}

// FeedEventKey identifies a feed event across scopes: a loan and an event
// kind ("pickup", "return"…).
type FeedEventKey struct {
	LoanID int64
	Kind   string
}

// FeedEventState is the current content of a feed event, as the renderer
// sees it.
type FeedEventState struct {
	// Hash digests everything the event shows.
	Hash string
	// Changed is the time of the data change that gave this content (the
	// loan's updated_at); used as the event's change time when it is later
	// than the recorded one.
	Changed time.Time
}

// FeedRevision is the recorded revision of a feed event.
type FeedRevision struct {
	Sequence  int
	ChangedAt time.Time
}

type feedRevisionRow struct {
	bun.BaseModel `bun:"table:feed_event_revisions"`

	LoanID    int64     `bun:"loan_id,pk"`
	Kind      string    `bun:"kind,pk"`
	Hash      string    `bun:"hash,notnull"`
	Sequence  int       `bun:"sequence,notnull"`
	ChangedAt time.Time `bun:"changed_at,notnull"`
}

// revisionChunk bounds the IN lists of revision queries.
const revisionChunk = 500

// SyncFeedRevisions returns the revision of each event, first recording
// the events whose content changed: a new event starts at sequence 0,
// changed at its Changed time; an event whose hash differs from the
// recorded one gets sequence+1 and a change time of its Changed time if
// later than the recorded one, else now. When nothing changed it only
// reads. It is idempotent and safe when several renderers (goroutines or
// instances) run it at once: inserts do nothing on conflict, and updates
// only apply while the recorded hash still differs, so an event is bumped
// once per change.
func (db *DB) SyncFeedRevisions(ctx context.Context, events map[FeedEventKey]FeedEventState) (_ map[FeedEventKey]FeedRevision, err error) {
	defer wrapf(&err, "SyncFeedRevisions")
	keys := make([]FeedEventKey, 0, len(events))
	for k := range events {
		keys = append(keys, k)
	}
	// A fixed order of writes keeps concurrent PostgreSQL writers from
	// deadlocking on row locks.
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].LoanID != keys[j].LoanID {
			return keys[i].LoanID < keys[j].LoanID
		}
		return keys[i].Kind < keys[j].Kind
	})
	recorded, err := loadRevisions(ctx, db.bun, keys)
	if err != nil {
		return nil, err
	}
	var stale []FeedEventKey
	for _, k := range keys {
		if r, ok := recorded[k]; !ok || r.Hash != events[k].Hash {
			stale = append(stale, k)
		}
	}
	if len(stale) > 0 {
		err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			now := db.Now()
			for _, k := range stale {
				ev := events[k]
				r, ok := recorded[k]
				if !ok {
					row := feedRevisionRow{LoanID: k.LoanID, Kind: k.Kind, Hash: ev.Hash, ChangedAt: ev.Changed.UTC().Truncate(time.Microsecond)}
					if row.ChangedAt.IsZero() {
						row.ChangedAt = now
					}
					if _, err := tx.NewInsert().Model(&row).On("CONFLICT (loan_id, kind) DO NOTHING").Exec(ctx); err != nil {
						return err
					}
					continue
				}
				at := ev.Changed.UTC().Truncate(time.Microsecond)
				if !at.After(r.ChangedAt) {
					at = now
				}
				if _, err := tx.NewUpdate().Model((*feedRevisionRow)(nil)).
					Set("hash = ?", ev.Hash).Set("sequence = sequence + 1").Set("changed_at = ?", at).
					Where("loan_id = ?", k.LoanID).Where("kind = ?", k.Kind).Where("hash <> ?", ev.Hash).
					Exec(ctx); err != nil {
					return err
				}
			}
			fresh, err := loadRevisions(ctx, tx, stale)
			if err != nil {
				return err
			}
			for k, r := range fresh {
				recorded[k] = r
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make(map[FeedEventKey]FeedRevision, len(keys))
	for _, k := range keys {
		r, ok := recorded[k]
		if !ok {
			return nil, fmt.Errorf("revision of loan %d %s: %w", k.LoanID, k.Kind, ErrNotFound)
		}
		out[k] = FeedRevision{Sequence: r.Sequence, ChangedAt: r.ChangedAt.UTC()}
	}
	return out, nil
}

// loadRevisions reads the recorded revisions of the loans of keys.
func loadRevisions(ctx context.Context, idb bun.IDB, keys []FeedEventKey) (map[FeedEventKey]feedRevisionRow, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, k := range keys {
		if !seen[k.LoanID] {
			seen[k.LoanID] = true
			ids = append(ids, k.LoanID)
		}
	}
	out := make(map[FeedEventKey]feedRevisionRow, len(keys))
	for len(ids) > 0 {
		n := min(len(ids), revisionChunk)
		var rows []feedRevisionRow
		if err := idb.NewSelect().Model(&rows).Where("loan_id IN (?)", bun.List(ids[:n])).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		for _, r := range rows {
			out[FeedEventKey{LoanID: r.LoanID, Kind: r.Kind}] = r
		}
		ids = ids[n:]
	}
	return out, nil
}
