package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// FeedScope says which loans an iCal feed shows.
type FeedScope string

// The feed scopes.
const (
	// FeedSchool shows the loans of one school.
	FeedSchool FeedScope = "school"
	// FeedPack shows the loans of one pack, all schools.
	FeedPack FeedScope = "pack"
	// FeedAll shows every loan in a window around today (the coordinator's).
	FeedAll FeedScope = "all"
)

// Valid reports whether s is a known scope.
func (s FeedScope) Valid() bool { return s == FeedSchool || s == FeedPack || s == FeedAll }

// FeedTarget names what a feed shows: a scope and, for FeedSchool and
// FeedPack, the school or the pack. A pack is given by ID or by code.
type FeedTarget struct {
	Scope     FeedScope `json:"scope"`
	SchoolUAI string    `json:"school_uai,omitempty"`
	PackID    int64     `json:"pack_id,omitempty"`
	PackCode  string    `json:"pack_code,omitempty"`
	// Name tells a school's several calendar links apart (« agenda Google
	// de l'école »); empty for the target's unnamed feed.
	Name string `json:"name,omitempty"`
}

// String returns a short form of the target ("school 0930001A", "pack
// PACK-1", "all").
func (t FeedTarget) String() string {
	switch t.Scope {
	case FeedSchool:
		return "school " + t.SchoolUAI
	case FeedPack:
		if t.PackCode != "" {
			return "pack " + t.PackCode
		}
		return fmt.Sprintf("pack #%d", t.PackID)
	default:
		return string(t.Scope)
	}
}

// Feed is an issued feed token's metadata; the token itself is only
// returned once, when issued, and only its hash is stored.
type Feed struct {
	ID int64 `json:"id"`
	FeedTarget
	// SchoolName is the school's name for FeedSchool feeds.
	SchoolName string `json:"school_name,omitempty"`
	// CreatedBy is the user who issued the token (0: the command line).
	CreatedBy int64      `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// RevokedReason is "rotated" or "revoked" once the token is dead.
	RevokedReason string `json:"revoked_reason,omitempty"`
	// ContentChangedAt is when the rendered feed last changed (its HTTP
	// Last-Modified); the issue time until the first render.
	ContentChangedAt time.Time `json:"content_changed_at"`
	// LastUsedAt is when a calendar last fetched the feed (to within
	// feedUseGranularity), nil when never.
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Reasons a feed token ended.
const (
	FeedRotated = "rotated"
	FeedRevoked = "revoked"
)

type feedTokenRow struct {
	bun.BaseModel `bun:"table:feed_tokens,alias:f"`

	ID               int64      `bun:"id,pk,autoincrement"`
	Scope            string     `bun:"scope,notnull"`
	SchoolUAI        *string    `bun:"school_uai"`
	PackID           *int64     `bun:"pack_id"`
	TokenHash        string     `bun:"token_hash,notnull"`
	CreatedBy        *int64     `bun:"created_by"`
	CreatedAt        time.Time  `bun:"created_at,notnull"`
	RevokedAt        *time.Time `bun:"revoked_at"`
	RevokedReason    *string    `bun:"revoked_reason"`
	ContentHash      string     `bun:"content_hash,notnull"`
	ContentChangedAt time.Time  `bun:"content_changed_at,notnull"`
	Name             string     `bun:"name,notnull"`
	LastUsedAt       *time.Time `bun:"last_used_at"`

	SchoolName *string `bun:"school_name,scanonly"`
	PackCode   *string `bun:"pack_code,scanonly"`
}

func (r feedTokenRow) feed() Feed {
	f := Feed{ID: r.ID, FeedTarget: FeedTarget{Scope: FeedScope(r.Scope), Name: r.Name}, CreatedAt: r.CreatedAt.UTC(),
		ContentChangedAt: r.ContentChangedAt.UTC(), LastUsedAt: loanTime(r.LastUsedAt)}
	if r.SchoolUAI != nil {
		f.SchoolUAI = *r.SchoolUAI
	}
	if r.PackID != nil {
		f.PackID = *r.PackID
	}
	if r.CreatedBy != nil {
		f.CreatedBy = *r.CreatedBy
	}
	if r.RevokedAt != nil {
		t := r.RevokedAt.UTC()
		f.RevokedAt = &t
	}
	if r.RevokedReason != nil {
		f.RevokedReason = *r.RevokedReason
	}
	if r.SchoolName != nil {
		f.SchoolName = *r.SchoolName
	}
	if r.PackCode != nil {
		f.PackCode = *r.PackCode
	}
	return f
}

// newFeedToken returns a feed token: 256 random bits, URL-safe, 43
// characters (see NewSecret).
func newFeedToken() string { return NewSecret("") }

// resolveFeedTarget checks the target and fills in its pack ID or code.
// Returns ErrNotFound if the school or pack does not exist.
func resolveFeedTarget(ctx context.Context, idb bun.IDB, t FeedTarget) (FeedTarget, error) {
	switch t.Scope {
	case FeedSchool:
		if t.SchoolUAI == "" {
			return t, fmt.Errorf("feed target: no school: %w", ErrNotFound)
		}
		if _, err := getSchool(ctx, idb, t.SchoolUAI); err != nil {
			return t, unknownFeedTarget(err, "school", "école inconnue")
		}
		t.PackID, t.PackCode = 0, ""
	case FeedPack:
		var row packRow
		q := idb.NewSelect().Model(&row)
		switch {
		case t.PackID != 0:
			q = q.Where("id = ?", t.PackID)
		case t.PackCode != "":
			q = q.Where("code = ?", t.PackCode)
		default:
			return t, fmt.Errorf("feed target: no pack: %w", ErrNotFound)
		}
		if err := q.Scan(ctx); err != nil {
			return t, unknownFeedTarget(err, "pack", "pack inconnu")
		}
		t.PackID, t.PackCode, t.SchoolUAI = row.ID, row.Code, ""
	case FeedAll:
		t.SchoolUAI, t.PackID, t.PackCode = "", 0, ""
	default:
		return t, fmt.Errorf("feed target: unknown scope %q: %w", t.Scope, ErrNotFound)
	}
	return t, nil
}

// activeFeed selects the active token row of a resolved target.
func activeFeed(ctx context.Context, idb bun.IDB, t FeedTarget) (feedTokenRow, error) {
	var row feedTokenRow
	q := idb.NewSelect().Model(&row).
		ColumnExpr("f.*").ColumnExpr("s.name AS school_name").ColumnExpr("p.code AS pack_code").
		Join("LEFT JOIN schools AS s ON s.uai = f.school_uai").
		Join("LEFT JOIN packs AS p ON p.id = f.pack_id").
		Where("f.scope = ?", string(t.Scope)).Where("f.name = ?", t.Name).Where("f.revoked_at IS NULL")
	switch t.Scope {
	case FeedSchool:
		q = q.Where("f.school_uai = ?", t.SchoolUAI)
	case FeedPack:
		q = q.Where("f.pack_id = ?", t.PackID)
	}
	err := q.Scan(ctx)
	return row, err
}

func insertFeed(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, t FeedTarget) (Feed, string, error) {
	token := newFeedToken()
	row := feedTokenRow{Scope: string(t.Scope), TokenHash: HashSecret(token), CreatedAt: now, ContentChangedAt: now, Name: t.Name}
	if t.SchoolUAI != "" {
		row.SchoolUAI = &t.SchoolUAI
	}
	if t.PackID != 0 {
		row.PackID = &t.PackID
	}
	if actor.UserID != 0 {
		row.CreatedBy = &actor.UserID
	}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return Feed{}, "", err
	}
	created, err := activeFeed(ctx, tx, t)
	if err != nil {
		return Feed{}, "", err
	}
	return created.feed(), token, nil
}

// unknownFeedTarget turns a missing school or pack into a *RuleError on
// field that still matches ErrNotFound.
func unknownFeedTarget(err error, field, msg string) error {
	if !errors.Is(translate(err), ErrNotFound) {
		return err
	}
	re := Invalid(field, "validation_failed", "%s", msg)
	re.Message = "Données invalides : " + field + " : " + msg
	re.Err = ErrNotFound
	return re
}

// label names the target in French messages.
func (t FeedTarget) label() string {
	if t.Name != "" {
		return "le lien « " + t.Name + " »"
	}
	switch t.Scope {
	case FeedSchool:
		return "l'école " + t.SchoolUAI
	case FeedPack:
		return "le pack " + t.PackCode
	}
	return "tous les prêts"
}

// noActiveFeed is the refusal to rotate or revoke a feed that is not
// active; it matches ErrNotFound.
func noActiveFeed(t FeedTarget, hint string) *RuleError {
	return &RuleError{Kind: RuleNotFound, Code: "no_active_feed", Message: "Aucun flux actif pour " + t.label() + hint + "."}
}

// CreateFeed issues the token of a new feed and returns it in clear, once.
// Returns a *RuleError on school or pack (matching ErrNotFound) if the
// school or pack does not exist, and a *RuleError feed_exists (matching
// ErrConflict) if the target already has an active feed (rotate it
// instead).
//
// The target is validated first (FeedTarget.Validate): a known scope, a
// well-formed school code, a name (school feeds only) of at most
// MaxFeedNameLen characters. A named link is refused with feed_exists
// when the school already has an active link of that name.
func (db *DB) CreateFeed(ctx context.Context, actor Actor, t FeedTarget) (_ Feed, token string, err error) {
	defer wrapf(&err, "CreateFeed(%s)", t)
	t.Name = strings.TrimSpace(t.Name)
	if err := t.Validate(); err != nil {
		return Feed{}, "", err
	}
	var f Feed
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := resolveFeedTarget(ctx, tx, t)
		if err != nil {
			return err
		}
		now := db.Now()
		if f, token, err = insertFeed(ctx, tx, now, actor, t); err != nil {
			if errors.Is(translate(err), ErrConflict) && t.Name != "" {
				return &RuleError{Kind: RuleConflict, Code: "feed_exists", Err: err, Field: "name",
					Message: "Un lien nommé « " + t.Name + " » existe déjà pour cette école : choisissez un autre nom, ou révoquez d'abord l'ancien lien."}
			}
			if errors.Is(translate(err), ErrConflict) {
				return &RuleError{Kind: RuleConflict, Code: "feed_exists", Err: err,
					Message: "Un flux existe déjà pour " + t.label() + ". Son adresse n'est pas conservée : pour en obtenir une nouvelle, renouvelez-le avec « rotate »: true (l'ancienne adresse cessera aussitôt de fonctionner)."}
			}
			return err
		}
		return Audit(ctx, tx, now, actor, "feed.create", "feed", f.ID, nil, f)
	})
	return f, token, err
}

// RotateFeed replaces the active token of a feed with a new one, returned
// in clear once; the old URL stops working at once. Returns a *RuleError
// no_active_feed (matching ErrNotFound) if the target has no active feed.
func (db *DB) RotateFeed(ctx context.Context, actor Actor, t FeedTarget) (_ Feed, token string, err error) {
	defer wrapf(&err, "RotateFeed(%s)", t)
	var f Feed
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := resolveFeedTarget(ctx, tx, t)
		if err != nil {
			return err
		}
		now := db.Now()
		old, err := endFeed(ctx, tx, now, t, FeedRotated)
		if errors.Is(translate(err), ErrNotFound) {
			return noActiveFeed(t, " : créez-le d'abord (sans « rotate »)")
		}
		if err != nil {
			return err
		}
		if f, token, err = insertFeed(ctx, tx, now, actor, t); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "feed.rotate", "feed", f.ID, old, f)
	})
	return f, token, err
}

// RevokeFeed ends the active token of a feed: its URL answers 404 from
// now on. Returns the ended feed, or ErrNotFound if there is none.
func (db *DB) RevokeFeed(ctx context.Context, actor Actor, t FeedTarget) (_ Feed, err error) {
	defer wrapf(&err, "RevokeFeed(%s)", t)
	var f Feed
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := resolveFeedTarget(ctx, tx, t)
		if err != nil {
			return err
		}
		now := db.Now()
		if f, err = endFeed(ctx, tx, now, t, FeedRevoked); err != nil {
			if errors.Is(translate(err), ErrNotFound) {
				return noActiveFeed(t, "")
			}
			return err
		}
		return Audit(ctx, tx, now, actor, "feed.revoke", "feed", f.ID, nil, f)
	})
	return f, err
}

// endFeed marks the active token of t as ended, conditionally, so two
// concurrent rotations cannot both end it: the loser gets ErrNotFound.
func endFeed(ctx context.Context, tx bun.Tx, now time.Time, t FeedTarget, reason string) (Feed, error) {
	row, err := activeFeed(ctx, tx, t)
	if err != nil {
		return Feed{}, err
	}
	res, err := tx.NewUpdate().Model((*feedTokenRow)(nil)).
		Set("revoked_at = ?", now).Set("revoked_reason = ?", reason).
		Where("id = ?", row.ID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return Feed{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Feed{}, ErrNotFound
	}
	row.RevokedAt, row.RevokedReason = &now, &reason
	return row.feed(), nil
}

// ListFeeds returns the active feeds, of one school when schoolUAI is not
// empty, by scope then ID.
func (db *DB) ListFeeds(ctx context.Context, schoolUAI string) (_ []Feed, err error) {
	defer wrapf(&err, "ListFeeds(%s)", schoolUAI)
	var rows []feedTokenRow
	q := db.bun.NewSelect().Model(&rows).
		ColumnExpr("f.*").ColumnExpr("s.name AS school_name").ColumnExpr("p.code AS pack_code").
		Join("LEFT JOIN schools AS s ON s.uai = f.school_uai").
		Join("LEFT JOIN packs AS p ON p.id = f.pack_id").
		Where("f.revoked_at IS NULL").OrderExpr("f.scope, f.id")
	if schoolUAI != "" {
		q = q.Where("f.school_uai = ?", schoolUAI)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Feed, len(rows))
	for i, r := range rows {
		out[i] = r.feed()
	}
	return out, nil
}

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

// Feed returns the feed of an ID, active or not, with its school name and
// pack code. Returns ErrNotFound.
func (db *DB) Feed(ctx context.Context, id int64) (_ Feed, err error) {
	defer wrapf(&err, "Feed(%d)", id)
	var row feedTokenRow
	if err := db.bun.NewSelect().Model(&row).
		ColumnExpr("f.*").ColumnExpr("s.name AS school_name").ColumnExpr("p.code AS pack_code").
		Join("LEFT JOIN schools AS s ON s.uai = f.school_uai").
		Join("LEFT JOIN packs AS p ON p.id = f.pack_id").
		Where("f.id = ?", id).Scan(ctx); err != nil {
		return Feed{}, err
	}
	return row.feed(), nil
}

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
