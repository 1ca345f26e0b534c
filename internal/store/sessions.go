package store

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Sign-in lifetimes. A login token is sent by e-mail and works once; the
// session it opens ends after SessionIdle without activity or SessionMax
// after sign-in, whichever comes first.
const (
	LoginTokenTTL = 15 * time.Minute
	SessionIdle   = 8 * time.Hour
	SessionMax    = 30 * 24 * time.Hour
	// sessionTouchEvery bounds the writes of last_seen_at: a page view
	// within this delay of the last recorded one writes nothing.
	sessionTouchEvery = time.Minute
)

// Rate limits of sign-in link requests, over LoginWindow: per e-mail
// address (so nobody floods a mailbox) and per client address (so nobody
// probes many addresses).
const (
	LoginWindow      = 15 * time.Minute
	LoginPerEmail    = 5
	LoginPerClientIP = 30
)

// Errors of the sign-in.
var (
	// ErrRateLimited is returned by RequestLoginLink when too many links
	// were asked for the address or from the client in LoginWindow.
	ErrRateLimited = errors.New("store: too many sign-in attempts")
	// ErrLoginTokenInvalid is returned by ConsumeLoginToken for an unknown,
	// used or expired token, or one of a disabled person: the caller
	// cannot and need not tell which.
	ErrLoginTokenInvalid = errors.New("store: login token invalid")
	// ErrNoSession is returned by SessionUser for an unknown, revoked or
	// expired session, or one of a disabled person.
	ErrNoSession = errors.New("store: no session")
)

// LoginLink is a freshly created one-use login token and its owner. The
// token is returned in clear once; only its hash is stored.
type LoginLink struct {
	User      User
	Token     string
	ExpiresAt time.Time
}

// Session is a signed-in person's session.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

type loginTokenRow struct {
	bun.BaseModel `bun:"table:login_tokens,alias:lt"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id,notnull"`
	TokenHash string     `bun:"token_hash,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:se"`

	ID         int64      `bun:"id,pk,autoincrement"`
	UserID     int64      `bun:"user_id,notnull"`
	SecretHash string     `bun:"secret_hash,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	LastSeenAt time.Time  `bun:"last_seen_at,notnull"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull"`
	RevokedAt  *time.Time `bun:"revoked_at"`
	UserAgent  string     `bun:"user_agent,notnull"`
}

func (r sessionRow) session() Session {
	return Session{ID: r.ID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(), LastSeenAt: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

type loginAttemptRow struct {
	bun.BaseModel `bun:"table:login_attempts"`

	ID   int64     `bun:"id,pk,autoincrement"`
	Kind string    `bun:"kind,notnull"`
	Key  string    `bun:"key,notnull"`
	At   time.Time `bun:"at,notnull"`
}

// RequestLoginLink records a request for a sign-in link for email from
// clientIP and, when email belongs to an active person, creates a one-use
// login token for them. It returns ErrRateLimited (nothing created) when
// the address or the client asked too often, and ErrNotFound when no
// active person has this address: the caller must answer both the same way
// to the client, so that nobody learns whether an address exists. The
// attempt is counted in every case.
func (db *DB) RequestLoginLink(ctx context.Context, email, clientIP string) (_ LoginLink, err error) {
	defer wrapf(&err, "RequestLoginLink")
	var link LoginLink
	limited, unknown := false, false
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		since := now.Add(-LoginWindow)
		for _, a := range []struct {
			kind, key string
			max       int
		}{{"email", HashSecret("email:" + email), LoginPerEmail}, {"ip", HashSecret("ip:" + clientIP), LoginPerClientIP}} {
			n, err := tx.NewSelect().Model((*loginAttemptRow)(nil)).
				Where("kind = ?", a.kind).Where("key = ?", a.key).Where("at > ?", since).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) >= a.max {
				limited = true
			}
			if _, err := tx.NewInsert().Model(&loginAttemptRow{Kind: a.kind, Key: a.key, At: now}).Exec(ctx); err != nil {
				return err
			}
		}
		// Old attempts are of no use: prune them as we go.
		if _, err := tx.NewDelete().Model((*loginAttemptRow)(nil)).Where("at < ?", now.Add(-24*time.Hour)).Exec(ctx); err != nil {
			return err
		}
		if limited {
			return nil
		}
		var u userRow
		err := tx.NewSelect().Model(&u).Where("email = ?", email).Where("disabled_at IS NULL").Scan(ctx)
		if errors.Is(translate(err), ErrNotFound) {
			unknown = true // the attempt still counts: commit it
			return nil
		}
		if err != nil {
			return err
		}
		us := []User{u.user()}
		if err := withRoles(ctx, tx, us); err != nil {
			return err
		}
		link, err = newLoginToken(ctx, tx, now, us[0])
		return err
	})
	switch {
	case err != nil:
		return LoginLink{}, err
	case limited:
		return LoginLink{}, ErrRateLimited
	case unknown:
		return LoginLink{}, ErrNotFound
	}
	return link, nil
}

// NewLoginLink creates a one-use login token for an active person, without
// rate limit: for the command line and the demo, whose users are trusted.
// Returns ErrNotFound for an unknown or disabled person.
func (db *DB) NewLoginLink(ctx context.Context, userID int64) (_ LoginLink, err error) {
	defer wrapf(&err, "NewLoginLink(%d)", userID)
	var link LoginLink
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var u userRow
		if err := tx.NewSelect().Model(&u).Where("id = ?", userID).Where("disabled_at IS NULL").Scan(ctx); err != nil {
			return err
		}
		us := []User{u.user()}
		if err := withRoles(ctx, tx, us); err != nil {
			return err
		}
		var err error
		link, err = newLoginToken(ctx, tx, db.Now(), us[0])
		return err
	})
	return link, err
}

func newLoginToken(ctx context.Context, tx bun.Tx, now time.Time, u User) (LoginLink, error) {
	token := NewSecret("")
	row := loginTokenRow{UserID: u.ID, TokenHash: HashSecret(token), CreatedAt: now, ExpiresAt: now.Add(LoginTokenTTL)}
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return LoginLink{}, err
	}
	return LoginLink{User: u, Token: token, ExpiresAt: row.ExpiresAt}, nil
}

// ConsumeLoginToken uses a login token, once, and opens a session for its
// owner. It returns the session and its secret (for the cookie; only its
// hash is stored). Returns ErrLoginTokenInvalid for an unknown, used or
// expired token or a disabled person; a token is spent even when it turns
// out expired.
func (db *DB) ConsumeLoginToken(ctx context.Context, token, userAgent string) (_ Session, secret string, _ User, err error) {
	defer wrapf(&err, "ConsumeLoginToken")
	var (
		sess Session
		user User
	)
	invalid := false
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		// The conditional update is the single-use guarantee: of two
		// concurrent consumers only one sees a row affected.
		var tok loginTokenRow
		res, err := tx.NewUpdate().Model(&tok).Set("used_at = ?", now).
			Where("token_hash = ?", HashSecret(token)).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			invalid = true
			return nil
		}
		if err := tx.NewSelect().Model(&tok).Where("token_hash = ?", HashSecret(token)).Scan(ctx); err != nil {
			return err
		}
		if !now.Before(tok.ExpiresAt) {
			invalid = true
			return nil // the token stays spent
		}
		var u userRow
		if err := tx.NewSelect().Model(&u).Where("id = ?", tok.UserID).Scan(ctx); err != nil {
			return err
		}
		if u.DisabledAt != nil {
			invalid = true
			return nil
		}
		us := []User{u.user()}
		if err := withRoles(ctx, tx, us); err != nil {
			return err
		}
		user = us[0]
		secret = NewSecret("")
		if len(userAgent) > 300 {
			userAgent = userAgent[:300]
		}
		row := sessionRow{UserID: u.ID, SecretHash: HashSecret(secret), CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(SessionMax), UserAgent: userAgent}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		sess = row.session()
		return Audit(ctx, tx, now, Actor{UserID: u.ID}, "session.open", "session", row.ID, nil, nil)
	})
	if err == nil && invalid {
		return Session{}, "", User{}, ErrLoginTokenInvalid
	}
	return sess, secret, user, err
}

// SessionUser returns the person of a live session and records the
// activity (at most once a minute). Returns ErrNoSession for an unknown,
// revoked, idle (SessionIdle) or expired (SessionMax) session, or one of a
// disabled person.
func (db *DB) SessionUser(ctx context.Context, secret string) (_ User, _ Session, err error) {
	defer wrapf(&err, "SessionUser")
	now := db.Now()
	var row sessionRow
	if err := db.bun.NewSelect().Model(&row).Where("secret_hash = ?", HashSecret(secret)).Scan(ctx); err != nil {
		if errors.Is(translate(err), ErrNotFound) {
			return User{}, Session{}, ErrNoSession
		}
		return User{}, Session{}, err
	}
	if row.RevokedAt != nil || !now.Before(row.ExpiresAt) || !now.Before(row.LastSeenAt.Add(SessionIdle)) {
		return User{}, Session{}, ErrNoSession
	}
	var u userRow
	if err := db.bun.NewSelect().Model(&u).Where("id = ?", row.UserID).Scan(ctx); err != nil {
		return User{}, Session{}, err
	}
	if u.DisabledAt != nil {
		return User{}, Session{}, ErrNoSession
	}
	if now.Sub(row.LastSeenAt) >= sessionTouchEvery {
		if _, err := db.bun.NewUpdate().Model((*sessionRow)(nil)).Set("last_seen_at = ?", now).
			Where("id = ?", row.ID).Where("revoked_at IS NULL").Exec(ctx); err != nil {
			return User{}, Session{}, err
		}
		row.LastSeenAt = now
	}
	us := []User{u.user()}
	if err := withRoles(ctx, db.bun, us); err != nil {
		return User{}, Session{}, err
	}
	return us[0], row.session(), nil
}

// RevokeSession ends the session of a secret (sign-out). Revoking an
// unknown or already revoked session is not an error.
func (db *DB) RevokeSession(ctx context.Context, secret string) (err error) {
	defer wrapf(&err, "RevokeSession")
	return db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		var row sessionRow
		res, err := tx.NewUpdate().Model(&row).Set("revoked_at = ?", now).
			Where("secret_hash = ?", HashSecret(secret)).Where("revoked_at IS NULL").
			Returning("id, user_id").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		return Audit(ctx, tx, now, Actor{UserID: row.UserID}, "session.close", "session", row.ID, nil, nil)
	})
}

// RevokeUserSessions ends every session of a person (disabled, or asked to
// sign out everywhere) and returns how many were live.
func (db *DB) RevokeUserSessions(ctx context.Context, actor Actor, userID int64) (_ int, err error) {
	defer wrapf(&err, "RevokeUserSessions(%d)", userID)
	var n int64
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		res, err := tx.NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", now).
			Where("user_id = ?", userID).Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n == 0 {
			return nil
		}
		return Audit(ctx, tx, now, actor, "session.revoke_all", "user", userID, nil, map[string]int64{"sessions": n})
	})
	return int(n), err
}

// ActiveUserByEmail returns the active person with this address (lower case).
// Returns ErrNotFound.
func (db *DB) ActiveUserByEmail(ctx context.Context, email string) (_ User, err error) {
	defer wrapf(&err, "ActiveUserByEmail(%s)", email)
	var row userRow
	if err := db.bun.NewSelect().Model(&row).Where("email = ?", email).Where("disabled_at IS NULL").Scan(ctx); err != nil {
		return User{}, err
	}
	us := []User{row.user()}
	if err := withRoles(ctx, db.bun, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}
