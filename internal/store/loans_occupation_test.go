package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// signLoan has both parties sign the loan's agreement.
func signLoan(t *testing.T, db *store.DB, l store.Loan) {
	t.Helper()
	ctx := context.Background()
	director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: l.SchoolUAI})
	it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
	_, err := db.SignAgreement(ctx, director, l.ID)
	require.NoError(t, err)
	_, err = db.SignAgreement(ctx, it, l.ID)
	require.NoError(t, err)
}

// at returns db with its clock at noon, Paris time, on day.
func at(db *store.DB, day string) *store.DB {
	t := calendar.MustParseDate(day).Time().Add(11 * time.Hour)
	return db.WithClock(func() time.Time { return t })
}

// TestPickupWindowAndOccupation: a pickup opens only 5 school days before
// the planned day, never while a pack is still out with another school; a
// return frees the pack, and the pack shows who has it.
func TestPickupWindowAndOccupation(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		pack := storetest.Pack(t, db, nil)
		reqA := storetest.ValidatedRequest(t, db, nil)
		reqB := storetest.ValidatedRequest(t, db, nil)
		// A: weeks 0–5 (1 September – 9 October 2026); B: week 7, from
		// Monday 2 November 2026 (after the All Saints' holiday), on the
		// same pack once A's turnaround is over.
		a, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqA.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		b, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqB.ID, PackIDs: []int64{pack.ID}, StartWeek: 7})
		require.NoError(t, err)
		require.Equal(t, "2026-11-02", b.PickupDay.String())
		signLoan(t, db, a)
		signLoan(t, db, b)
		sheet := func(l store.Loan) store.SheetInput {
			return store.SheetInput{SchoolPerson: "Nadia Haddad", Lines: allPresent(t, db, l.ID), TechnicalReport: "RAS"}
		}

		// Too early: the window opens 5 school days before 2 November,
		// the All Saints' holiday not counted: Monday 12 October.
		_, err = at(db, "2026-10-09").PickUp(ctx, it, b.ID, sheet(b))
		require.Equal(t, "pickup_too_early", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), "12 octobre 2026")

		_, err = at(db, "2026-09-01").PickUp(ctx, it, a.ID, sheet(a))
		require.NoError(t, err)
		p, err := db.Pack(ctx, pack.ID)
		require.NoError(t, err)
		require.NotNil(t, p.Holder, "the pack shows who has it")
		assert.Equal(t, a.ID, p.Holder.LoanID)
		assert.Contains(t, p.Whereabouts, "prêt n° ")

		// A is still out (its return was not recorded): B cannot take the pack.
		_, err = at(db, "2026-11-02").PickUp(ctx, it, b.ID, sheet(b))
		assert.Equal(t, "pack_still_out", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), pack.Code)
		lb, err := db.Loan(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, lb.State, "nothing changed")

		// Even written straight into the table, a second open occupation
		// of the pack is refused by the database.
		_, err = db.Bun().NewRaw("UPDATE loans SET state = 'picked_up', picked_up_at = ? WHERE id = ?", time.Now().UTC(), b.ID).Exec(ctx)
		assert.Error(t, err, "the database refuses a second loan out on one pack")

		_, err = at(db, "2026-10-09").Return(ctx, it, a.ID, sheet(a))
		require.NoError(t, err)
		p, err = db.Pack(ctx, pack.ID)
		require.NoError(t, err)
		assert.Nil(t, p.Holder, "back at the IT department")
		assert.Equal(t, "disponible au service informatique", p.Whereabouts)

		_, err = at(db, "2026-10-16").PickUp(ctx, it, b.ID, sheet(b))
		require.NoError(t, err, "the window is open and the pack is back")
		var out int
		require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM pack_occupations WHERE pack_id = ? AND returned_at IS NULL", pack.ID).Scan(ctx, &out))
		assert.Equal(t, 1, out)
	})
}

// TestPickupConcurrentOnePack: two loans of one pack picked up at the same
// time: the database lets exactly one through.
func TestPickupConcurrentOnePack(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		pack := storetest.Pack(t, db, nil)
		reqA := storetest.ValidatedRequest(t, db, nil)
		reqB := storetest.ValidatedRequest(t, db, nil)
		a, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqA.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		b, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqB.ID, PackIDs: []int64{pack.ID}, StartWeek: 7})
		require.NoError(t, err)
		signLoan(t, db, a)
		signLoan(t, db, b)
		day := at(db, "2026-09-01")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, l := range []store.Loan{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := day
				if l.ID == b.ID {
					d = at(db, "2026-10-30")
				}
				_, errs[i] = d.PickUp(ctx, it, l.ID, store.SheetInput{SchoolPerson: "X", Lines: allPresent(t, db, l.ID)})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				assert.Equal(t, "pack_still_out", loanErrCode(t, err), "%v", err)
			}
		}
		assert.Equal(t, 1, ok, "exactly one pickup: %v", errs)
	})
}
