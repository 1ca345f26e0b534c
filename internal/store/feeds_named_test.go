package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestSchoolNamedFeeds: a school holds several named links; creating one
// leaves the others working; each is revoked on its own; the lookup
// records the last use; CreateFeed validates its input.
func TestSchoolNamedFeeds(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		other := storetest.School(t, db, nil)
		dir, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		dirB, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: other.UAI})
		actor := store.Actor{UserID: dir.ID}
		target := func(name string) store.FeedTarget {
			return store.FeedTarget{Scope: store.FeedSchool, SchoolUAI: school.UAI, Name: name}
		}
		google, tokGoogle, err := db.CreateFeed(ctx, actor, target("agenda Google de l'école"))
		require.NoError(t, err)
		phone, tokPhone, err := db.CreateFeed(ctx, actor, target(" téléphone de la directrice "))
		require.NoError(t, err)
		assert.Equal(t, "téléphone de la directrice", phone.Name, "trimmed")
		assert.NotEqual(t, tokGoogle, tokPhone)
		_, _, err = db.CreateFeed(ctx, actor, target("agenda Google de l'école"))
		assert.ErrorIs(t, err, store.ErrConflict, "one active link per name")

		for _, bad := range []store.FeedTarget{
			{Scope: "ecole", SchoolUAI: school.UAI},
			{Scope: store.FeedSchool, SchoolUAI: "pas-un-uai"},
			{Scope: store.FeedSchool, SchoolUAI: school.UAI, Name: "a\x01b"},
			{Scope: store.FeedSchool, SchoolUAI: school.UAI, Name: string(make([]byte, 81))},
			{Scope: store.FeedAll, Name: "tout"},
		} {
			_, _, err := db.CreateFeed(ctx, actor, bad)
			re, ok := store.AsRule(err)
			if assert.True(t, ok, "%+v refused by a rule: %v", bad, err) {
				assert.Equal(t, store.RuleInvalid, re.Kind, "%+v", bad)
			}
		}

		lookup := db.NewFeedLookup()
		t.Cleanup(func() { lookup.Close() })
		for _, tok := range []string{tokGoogle, tokPhone} {
			_, err := lookup.FeedByToken(ctx, tok)
			require.NoError(t, err, "both links work")
		}
		feeds, err := db.SchoolFeedsFor(ctx, dir, school.UAI)
		require.NoError(t, err)
		require.Len(t, feeds, 2)
		for _, f := range feeds {
			require.NotNil(t, f.LastUsedAt, "the lookup records the last use of %s", f.Name)
			assert.WithinDuration(t, time.Now(), *f.LastUsedAt, time.Hour)
		}
		_, err = db.SchoolFeedsFor(ctx, dirB, school.UAI)
		assert.ErrorIs(t, err, store.ErrNotFound, "another school's links are hidden")

		_, err = db.RevokeFeedByID(ctx, dirB, google.ID)
		assert.ErrorIs(t, err, store.ErrNotFound, "another school's director cannot revoke")
		_, err = db.RevokeFeedByID(ctx, dir, google.ID)
		require.NoError(t, err)
		_, err = lookup.FeedByToken(ctx, tokGoogle)
		assert.ErrorIs(t, err, store.ErrNotFound, "the revoked link stops")
		_, err = lookup.FeedByToken(ctx, tokPhone)
		assert.NoError(t, err, "the other link still works")
		_, err = db.RevokeFeedByID(ctx, dir, google.ID)
		assert.ErrorIs(t, err, store.ErrNotFound, "already revoked")
		// The name is free again once revoked.
		_, _, err = db.CreateFeed(ctx, actor, target("agenda Google de l'école"))
		assert.NoError(t, err)
	})
}
