package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestFeedTokens(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		pack := storetest.Pack(t, db, nil)
		lookup := db.NewFeedLookup()
		t.Cleanup(func() { lookup.Close() })

		target := store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI}
		f, token, err := db.CreateFeed(ctx, store.Actor{}, target)
		require.NoError(t, err, "create school feed")
		assert.Len(t, token, 43, "token is 256 bits in base64url")
		assert.Equal(t, school.Name, f.SchoolName, "feed carries the school name")

		poll, err := lookup.FeedByToken(ctx, token)
		require.NoError(t, err, "lookup of a fresh token")
		assert.Equal(t, f.ID, poll.ID)
		assert.Equal(t, store.FeedSchool, poll.Scope)
		assert.Equal(t, school.UAI, poll.SchoolUAI)
		assert.NotEmpty(t, poll.Generation, "generation")

		_, _, err = db.CreateFeed(ctx, store.Actor{}, target)
		assert.ErrorIs(t, err, store.ErrConflict, "a second active feed for the same school")

		rotated, token2, err := db.RotateFeed(ctx, store.Actor{}, target)
		require.NoError(t, err, "rotate")
		assert.NotEqual(t, token, token2, "rotation issues a new token")
		assert.NotEqual(t, f.ID, rotated.ID)
		_, err = lookup.FeedByToken(ctx, token)
		assert.ErrorIs(t, err, store.ErrNotFound, "the rotated token is dead at once")
		_, err = lookup.FeedByToken(ctx, token2)
		assert.NoError(t, err, "the new token works")

		revoked, err := db.RevokeFeed(ctx, store.Actor{}, target)
		require.NoError(t, err, "revoke")
		assert.Equal(t, store.FeedRevoked, revoked.RevokedReason)
		_, err = lookup.FeedByToken(ctx, token2)
		assert.ErrorIs(t, err, store.ErrNotFound, "a revoked token is dead")
		_, err = db.RevokeFeed(ctx, store.Actor{}, target)
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing left to revoke")
		_, _, err = db.RotateFeed(ctx, store.Actor{}, target)
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing to rotate")

		// After a revocation a new feed can be created.
		_, _, err = db.CreateFeed(ctx, store.Actor{}, target)
		assert.NoError(t, err, "create after revoke")

		pf, _, err := db.CreateFeed(ctx, store.Actor{UserID: 0}, store.FeedTarget{Scope: store.FeedPack, PackCode: pack.Code})
		require.NoError(t, err, "pack feed by code")
		assert.Equal(t, pack.ID, pf.PackID)
		assert.Equal(t, pack.Code, pf.PackCode)
		_, _, err = db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedPack, PackID: pack.ID})
		assert.ErrorIs(t, err, store.ErrConflict, "same pack by ID")
		_, _, err = db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedAll})
		assert.NoError(t, err, "coordinator feed")
		_, _, err = db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedAll})
		assert.ErrorIs(t, err, store.ErrConflict, "one coordinator feed")

		_, _, err = db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: "0999999Z"})
		assert.ErrorIs(t, err, store.ErrNotFound, "unknown school")
		_, _, err = db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedPack, PackCode: "NOPE"})
		assert.ErrorIs(t, err, store.ErrNotFound, "unknown pack")

		feeds, err := db.ListFeeds(ctx, "")
		require.NoError(t, err)
		assert.Len(t, feeds, 3, "active feeds: school, pack, all")
		feeds, err = db.ListFeeds(ctx, school.UAI)
		require.NoError(t, err)
		assert.Len(t, feeds, 1, "active feeds of the school")

		trail, err := db.AuditTrail(ctx, "feed", rotated.ID)
		require.NoError(t, err)
		require.NotEmpty(t, trail, "rotation is audited")
		assert.Equal(t, "feed.rotate", trail[0].Action)
		assert.NotContains(t, string(trail[0].After), token2, "the audit log never holds the token")
	})
}

// TestFeedRotateConcurrent rotates one feed from many goroutines at once:
// every rotation that succeeds ends the previous token, and exactly one
// token is active at the end.
func TestFeedRotateConcurrent(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		target := store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI}
		_, first, err := db.CreateFeed(ctx, store.Actor{}, target)
		require.NoError(t, err)
		const n = 12
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			tokens = []string{first}
			start  = make(chan struct{})
		)
		for range n {
			wg.Go(func() {
				<-start
				_, tok, err := db.RotateFeed(ctx, store.Actor{}, target)
				if err != nil {
					assert.True(t, store.IsConflict(err) || errors.Is(err, store.ErrNotFound), "rotation lost a race cleanly: %v", err)
					return
				}
				mu.Lock()
				tokens = append(tokens, tok)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		lookup := db.NewFeedLookup()
		defer lookup.Close()
		live := 0
		for _, tok := range tokens {
			if _, err := lookup.FeedByToken(ctx, tok); err == nil {
				live++
			}
		}
		assert.Greater(t, len(tokens), 1, "some rotations succeeded")
		assert.Equal(t, 1, live, "exactly one live token among %d issued", len(tokens))
		feeds, err := db.ListFeeds(ctx, school.UAI)
		require.NoError(t, err)
		assert.Len(t, feeds, 1, "one active feed row")
	})
}

func TestFeedGeneration(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		_, token, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
		require.NoError(t, err)
		lookup := db.NewFeedLookup()
		defer lookup.Close()
		p1, err := lookup.FeedByToken(ctx, token)
		require.NoError(t, err)
		p2, err := lookup.FeedByToken(ctx, token)
		require.NoError(t, err)
		assert.Equal(t, p1.Generation, p2.Generation, "generation is stable without writes")
		school.Name = "École renommée"
		_, err = db.UpdateSchool(ctx, store.Actor{}, school)
		require.NoError(t, err)
		p3, err := lookup.FeedByToken(ctx, token)
		require.NoError(t, err)
		assert.NotEqual(t, p1.Generation, p3.Generation, "a school change moves the generation")
		f, err := db.Feed(ctx, p3.ID)
		require.NoError(t, err)
		assert.Equal(t, "École renommée", f.SchoolName, "names are read at render time")
	})
}

func TestFeedContentChanged(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		f, _, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedAll})
		require.NoError(t, err)
		a1, err := db.SetFeedContent(ctx, f.ID, "h1")
		require.NoError(t, err)
		assert.Equal(t, a1, a1.Truncate(time.Second), "whole seconds")
		assert.False(t, a1.Before(f.CreatedAt.Truncate(time.Second)), "first rendering: now")
		assert.False(t, a1.After(time.Now()), "never in the future on a first rendering")
		again, err := db.SetFeedContent(ctx, f.ID, "h1")
		require.NoError(t, err)
		assert.Equal(t, a1, again, "same content, same Last-Modified")
		a2, err := db.SetFeedContent(ctx, f.ID, "h2")
		require.NoError(t, err)
		assert.True(t, a2.After(a1), "a change within the same second still moves Last-Modified: %s then %s", a1, a2)
		_, err = db.SetFeedContent(ctx, 987654, "h")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestFeedRevisions(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
		k1 := store.FeedEventKey{LoanID: 1, Kind: "pickup"}
		k2 := store.FeedEventKey{LoanID: 1, Kind: "return"}
		revs, err := db.SyncFeedRevisions(ctx, map[store.FeedEventKey]store.FeedEventState{
			k1: {Hash: "a", Changed: t0}, k2: {Hash: "b", Changed: t0},
		})
		require.NoError(t, err)
		assert.Equal(t, store.FeedRevision{Sequence: 0, ChangedAt: t0}, revs[k1], "new event")

		same, err := db.SyncFeedRevisions(ctx, map[store.FeedEventKey]store.FeedEventState{
			k1: {Hash: "a", Changed: t0.Add(time.Hour)}, k2: {Hash: "b", Changed: t0},
		})
		require.NoError(t, err)
		assert.Equal(t, revs, same, "unchanged hashes keep their revision")

		t1 := t0.Add(48 * time.Hour)
		const n = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				_, err := db.SyncFeedRevisions(ctx, map[store.FeedEventKey]store.FeedEventState{
					k1: {Hash: "a2", Changed: t1}, k2: {Hash: "b", Changed: t0},
				})
				assert.NoError(t, err, "concurrent sync")
			})
		}
		close(start)
		wg.Wait()
		revs, err = db.SyncFeedRevisions(ctx, map[store.FeedEventKey]store.FeedEventState{
			k1: {Hash: "a2", Changed: t1}, k2: {Hash: "b", Changed: t0},
		})
		require.NoError(t, err)
		assert.Equal(t, store.FeedRevision{Sequence: 1, ChangedAt: t1}, revs[k1], "one change, one bump, whatever the concurrency")
		assert.Equal(t, 0, revs[k2].Sequence, "the other event is untouched")

		// A change whose data time is not later (a school renamed) is
		// stamped with the store's clock.
		before := time.Now().UTC().Add(-time.Second)
		revs, err = db.SyncFeedRevisions(ctx, map[store.FeedEventKey]store.FeedEventState{k1: {Hash: "a3", Changed: t1}})
		require.NoError(t, err)
		assert.Equal(t, 2, revs[k1].Sequence)
		assert.True(t, revs[k1].ChangedAt.After(before), "changed now: %s", revs[k1].ChangedAt)
	})
}

// BenchmarkFeedByToken measures the token lookup every feed request makes.
func BenchmarkFeedByToken(b *testing.B) {
	db := storetest.NewSQLite(b)
	ctx := context.Background()
	school := storetest.School(b, db, nil)
	_, token, err := db.CreateFeed(ctx, store.Actor{}, store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI})
	require.NoError(b, err)
	lookup := db.NewFeedLookup()
	defer lookup.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := lookup.FeedByToken(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
