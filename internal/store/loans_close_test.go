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

// TestCloseLoanWithOpenIncidents: the inspectorate closes a loan only when
// every incident of its return is resolved, or with a reason recorded.
func TestCloseLoanWithOpenIncidents(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		pack := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		_, err = db.Bun().NewRaw("UPDATE loans SET state = 'picked_up', picked_up_at = ? WHERE id = ?", time.Now().UTC(), l.ID).Exec(ctx)
		require.NoError(t, err)
		lines := allPresent(t, db, l.ID)
		lines[0].Status, lines[0].Note = store.ItemMissing, "Introuvable"
		_, err = db.Return(ctx, it, l.ID, store.SheetInput{SchoolPerson: "Nadia", TechnicalReport: "Une tablette manque", Lines: lines})
		require.NoError(t, err)

		_, err = db.CloseLoan(ctx, store.Actor{UserID: insp.ID}, l.ID)
		require.Equal(t, "incidents_open", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), pack.Code, "the open incident is named")
		got, err := db.Loan(ctx, l.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanReturned, got.State, "nothing changed")

		closed, err := db.CloseLoanWithReason(ctx, store.Actor{UserID: insp.ID}, l.ID, "Tablette déclarée perdue, remplacement commandé")
		require.NoError(t, err)
		assert.Equal(t, store.LoanClosed, closed.State)
		assert.Equal(t, "Tablette déclarée perdue, remplacement commandé", closed.CloseReason, "the reason is recorded with the closure")
	})
}

// allPresent checks every item of the loan present.
func allPresent(t *testing.T, db *store.DB, loanID int64) []store.SheetLineInput {
	t.Helper()
	items, err := db.LoanItems(context.Background(), loanID)
	require.NoError(t, err)
	lines := make([]store.SheetLineInput, len(items))
	for i, it := range items {
		lines[i] = store.SheetLineInput{ItemID: it.ID, Status: store.ItemPresent, Condition: "bon état"}
	}
	return lines
}
