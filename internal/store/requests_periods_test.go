package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestShortPreferredPeriodWarns: a preferred period shorter than a loan
// (2026-2027's P3 has 5 school weeks) is accepted with a warning saying
// why, at draft and at submit; a long period gets none.
func TestShortPreferredPeriodWarns(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		q := storetest.RequestContent(school.UAI, teacher.ID, "2026-2027", 24)
		q.PreferredPeriods = []string{"P3", "P2"}
		q, err := db.CreateRequest(ctx, store.Actor{UserID: teacher.ID}, q)
		require.NoError(t, err, "a short period is accepted")
		require.Len(t, q.Warnings, 1, "P3 only: %+v", q.Warnings)
		w := q.Warnings[0]
		assert.Equal(t, store.WarningShortPeriod, w.Code)
		assert.Equal(t, "preferred_periods", w.Field)
		assert.Equal(t, "P3", w.Period)
		assert.Contains(t, w.Message, "période courte : 5 semaines de classe")
		assert.Contains(t, w.Message, "n'y tient pas", "says why under the year's policy")

		q, err = db.SubmitRequest(ctx, store.Actor{UserID: teacher.ID}, q.ID, q.Version)
		require.NoError(t, err)
		require.Len(t, q.Warnings, 1, "still warned once submitted")

		got, err := db.Request(ctx, q.ID)
		require.NoError(t, err)
		require.Len(t, got.Warnings, 1, "a read carries the warning")

		// Under the period-length policy the loan would be shortened.
		_, err = db.SetLoanPolicy(ctx, store.Actor{}, "2026-2027", "period_length")
		require.NoError(t, err)
		got, err = db.Request(ctx, q.ID)
		require.NoError(t, err)
		require.Len(t, got.Warnings, 1)
		assert.Contains(t, got.Warnings[0].Message, "raccourci à 5 semaines de classe")

		// No warning without a short period.
		q2 := storetest.RequestContent(school.UAI, teacher.ID, "2026-2027", 24)
		q2.PreferredPeriods = []string{"P2"}
		q2, err = db.CreateRequest(ctx, store.Actor{UserID: teacher.ID}, q2)
		require.NoError(t, err)
		assert.NotNil(t, q2.Warnings)
		assert.Empty(t, q2.Warnings)
	})
}
