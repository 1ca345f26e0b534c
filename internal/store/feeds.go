package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
