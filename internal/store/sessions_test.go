package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// clock is a settable clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLoginTokenSingleUse(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, _ := storetest.User(t, db, nil)
		link, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		require.NoError(t, err)
		assert.Equal(t, u.ID, link.User.ID)
		assert.GreaterOrEqual(t, len(link.Token), 22, "at least 128 bits in base64url")

		var stored int
		require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM login_tokens WHERE token_hash = ?", link.Token).Scan(ctx, &stored))
		assert.Zero(t, stored, "the token is not stored in clear")

		sess, secret, got, err := db.ConsumeLoginToken(ctx, link.Token, "test")
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.ID)
		assert.Equal(t, u.ID, sess.UserID)
		assert.NotEmpty(t, secret)

		_, _, _, err = db.ConsumeLoginToken(ctx, link.Token, "test")
		assert.ErrorIs(t, err, store.ErrLoginTokenInvalid, "a replayed token is refused")
		_, _, _, err = db.ConsumeLoginToken(ctx, "nope", "test")
		assert.ErrorIs(t, err, store.ErrLoginTokenInvalid, "unknown token")

		su, _, err := db.SessionUser(ctx, secret)
		require.NoError(t, err)
		assert.Equal(t, u.ID, su.ID)
		require.NoError(t, db.RevokeSession(ctx, secret))
		_, _, err = db.SessionUser(ctx, secret)
		assert.ErrorIs(t, err, store.ErrNoSession, "revoked session")
		require.NoError(t, db.RevokeSession(ctx, secret), "revoking twice is fine")
	})
}

func TestLoginTokenConcurrentUse(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, _ := storetest.User(t, db, nil)
		link, err := db.NewLoginLink(ctx, u.ID)
		require.NoError(t, err)
		var wg sync.WaitGroup
		results := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, _, _, err := db.ConsumeLoginToken(ctx, link.Token, "race")
				results <- err
			})
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			if err == nil {
				ok++
			} else {
				assert.ErrorIs(t, err, store.ErrLoginTokenInvalid)
			}
		}
		assert.Equal(t, 1, ok, "exactly one of concurrent uses opens a session")
	})
}

func TestLoginTokenExpiry(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)}
		db.SetNowFunc(c.now)
		u, _ := storetest.User(t, db, nil)
		link, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		require.NoError(t, err)
		c.add(store.LoginTokenTTL)
		_, _, _, err = db.ConsumeLoginToken(ctx, link.Token, "")
		assert.ErrorIs(t, err, store.ErrLoginTokenInvalid, "expired after 15 minutes")

		link, err = db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		require.NoError(t, err)
		c.add(store.LoginTokenTTL - time.Second)
		_, secret, _, err := db.ConsumeLoginToken(ctx, link.Token, "")
		require.NoError(t, err, "still valid just before 15 minutes")

		// Idle expiry: activity keeps the session alive, 8 h without ends it.
		c.add(store.SessionIdle - time.Minute)
		_, _, err = db.SessionUser(ctx, secret)
		require.NoError(t, err, "active within the idle delay")
		c.add(store.SessionIdle - time.Minute)
		_, _, err = db.SessionUser(ctx, secret)
		require.NoError(t, err, "the previous view reset the idle delay")
		c.add(store.SessionIdle)
		_, _, err = db.SessionUser(ctx, secret)
		assert.ErrorIs(t, err, store.ErrNoSession, "idle for 8 hours")

		// Absolute expiry: 30 days whatever the activity.
		link, err = db.NewLoginLink(ctx, u.ID)
		require.NoError(t, err)
		_, secret, _, err = db.ConsumeLoginToken(ctx, link.Token, "")
		require.NoError(t, err)
		for elapsed := time.Duration(0); elapsed < store.SessionMax-7*time.Hour; elapsed += 7 * time.Hour {
			c.add(7 * time.Hour)
			_, _, err = db.SessionUser(ctx, secret)
			require.NoError(t, err, "active after %s", elapsed)
		}
		c.add(7 * time.Hour)
		_, _, err = db.SessionUser(ctx, secret)
		assert.ErrorIs(t, err, store.ErrNoSession, "ended after 30 days")
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)}
		db.SetNowFunc(c.now)
		u, _ := storetest.User(t, db, nil)
		for i := range store.LoginPerEmail {
			_, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
			require.NoError(t, err, "attempt %d", i+1)
		}
		_, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.2")
		assert.ErrorIs(t, err, store.ErrRateLimited, "per address, whatever the client")
		_, err = db.RequestLoginLink(ctx, "nobody@example.fr", "192.0.2.3")
		assert.ErrorIs(t, err, store.ErrNotFound, "an unknown address is not limited by another's attempts")

		// Per client: many addresses from one client.
		for i := range store.LoginPerClientIP {
			_, err := db.RequestLoginLink(ctx, "x"+string(rune('a'+i%26))+"@example.fr", "198.51.100.7")
			require.ErrorIs(t, err, store.ErrNotFound, "attempt %d", i+1)
		}
		other, _ := storetest.User(t, db, nil)
		_, err = db.RequestLoginLink(ctx, other.Email, "198.51.100.7")
		assert.ErrorIs(t, err, store.ErrRateLimited, "per client address")

		c.add(store.LoginWindow + time.Second)
		_, err = db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		assert.NoError(t, err, "the window has passed")
	})
}

func TestSessionsOfDisabledPerson(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		u, _ := storetest.User(t, db, nil)
		link, err := db.NewLoginLink(ctx, u.ID)
		require.NoError(t, err)
		_, secret, _, err := db.ConsumeLoginToken(ctx, link.Token, "")
		require.NoError(t, err)
		link2, err := db.NewLoginLink(ctx, u.ID)
		require.NoError(t, err)
		n, err := db.RevokeUserSessions(ctx, store.Actor{}, u.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		_, _, err = db.SessionUser(ctx, secret)
		assert.ErrorIs(t, err, store.ErrNoSession)

		_, err = db.Bun().NewRaw("UPDATE users SET disabled_at = created_at WHERE id = ?", u.ID).Exec(ctx)
		require.NoError(t, err)
		_, _, _, err = db.ConsumeLoginToken(ctx, link2.Token, "")
		assert.ErrorIs(t, err, store.ErrLoginTokenInvalid, "a disabled person cannot sign in")
		_, err = db.RequestLoginLink(ctx, u.Email, "192.0.2.9")
		assert.ErrorIs(t, err, store.ErrNotFound, "no link for a disabled person")
	})
}

func TestRetentionDeletesSignInData(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)}
		db.SetNowFunc(c.now)
		u, _ := storetest.User(t, db, nil)
		count := func(table string) int {
			var n int
			require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &n))
			return n
		}
		signIn := func() string {
			link, err := db.NewLoginLink(ctx, u.ID)
			require.NoError(t, err)
			_, secret, _, err := db.ConsumeLoginToken(ctx, link.Token, "")
			require.NoError(t, err)
			return secret
		}

		// Early in the day: a session left idle, a revoked one, an old
		// link request and a link never used.
		idle := signIn()
		require.NoError(t, db.RevokeSession(ctx, signIn()))
		_, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		require.NoError(t, err)
		old := count("login_attempts")
		require.Positive(t, old)
		c.add(store.SessionIdle + time.Minute)

		// Now: a live session, a link still valid, a fresh link request.
		live := signIn()
		fresh, err := db.RequestLoginLink(ctx, u.Email, "192.0.2.1")
		require.NoError(t, err)
		require.Equal(t, 5, count("login_tokens"))
		require.Equal(t, 3, count("sessions"))
		recent := count("login_attempts") - old
		require.Positive(t, recent)

		rep, err := db.ApplyRetention(ctx, store.RetentionOptions{})
		require.NoError(t, err)
		assert.Equal(t, 3, rep.LoginTokens, "the expired links, used or not")
		assert.Equal(t, 2, rep.Sessions, "the idle and the revoked sessions")
		assert.Equal(t, old, rep.LoginAttempts, "the request older than the rate-limit window")
		assert.Equal(t, 2, count("login_tokens"), "the live session's link and the fresh one, not yet expired")
		assert.Equal(t, 1, count("sessions"))
		assert.Equal(t, recent, count("login_attempts"))

		_, _, err = db.SessionUser(ctx, live)
		assert.NoError(t, err, "the live session survives")
		_, _, err = db.SessionUser(ctx, idle)
		assert.ErrorIs(t, err, store.ErrNoSession)
		_, _, _, err = db.ConsumeLoginToken(ctx, fresh.Token, "")
		assert.NoError(t, err, "the valid link still works")

		// Past the session's absolute end, it goes too.
		c.add(store.SessionMax)
		rep, err = db.ApplyRetention(ctx, store.RetentionOptions{})
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Sessions, "both remaining sessions ended")
		assert.Zero(t, count("sessions"))
		assert.Zero(t, count("login_attempts"))
		assert.Zero(t, count("login_tokens"))
	})
}
