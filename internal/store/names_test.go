package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestLoanCarriesNames: a loan names itself, its school, its teacher and
// its signers beside their ids.
func TestLoanCarriesNames(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("prêt n° %d", l.ID), l.Label)
		school, err := db.School(ctx, req.SchoolUAI)
		require.NoError(t, err)
		assert.Equal(t, school.Name, l.SchoolName)
		assert.NotEmpty(t, l.TeacherName)
		assert.Equal(t, req.Teacher.Name, l.TeacherName)
		assert.Equal(t, []string{pack.Code}, l.PackCodes())

		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: l.SchoolUAI})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = db.SignAgreement(ctx, director, l.ID)
		require.NoError(t, err)
		l, err = db.SignAgreement(ctx, it, l.ID)
		require.NoError(t, err)
		require.NotNil(t, l.DirectorSignature)
		require.NotNil(t, l.ITSignature)
		assert.Equal(t, director.Name, l.DirectorSignature.Name)
		assert.Equal(t, store.RoleDirector, l.DirectorSignature.Role)
		assert.Equal(t, "directeur ou directrice d'école", l.DirectorSignature.RoleLabel)
		assert.Equal(t, it.Name, l.ITSignature.Name)
		assert.Equal(t, "DSI", l.ITSignature.RoleLabel)

		got, err := db.Loan(ctx, l.ID)
		require.NoError(t, err)
		assert.Equal(t, l.Label, got.Label)
		assert.Equal(t, school.Name, got.SchoolName)
		assert.Equal(t, it.Name, got.ITSignature.Name)
	})
}
