package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func loanErrCode(t *testing.T, err error) string {
	t.Helper()
	var le *store.RuleError
	if errors.As(err, &le) {
		if le.Kind == store.RuleInvalid {
			assert.Equal(t, store.InvalidCode, le.Code, "one code for invalid input")
			return cmp.Or(le.Detail, le.Code)
		}
		return le.Code
	}
	return ""
}

func TestLoansCreateRules(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		pack2 := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{ExcludedPeriods: "P2"})

		tests := []struct {
			name     string
			give     store.NewLoan
			wantCode string
		}{
			{name: "unknown request", give: store.NewLoan{RequestID: 999999, PackIDs: []int64{pack.ID}}, wantCode: "unknown_request"},
			{name: "illegal start in P3", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 14}, wantCode: "illegal_start"},
			{name: "start week out of year", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 99}, wantCode: "illegal_start"},
			{name: "excluded period", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 7}, wantCode: "excluded_period"},
			{name: "two packs for one needed", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID, pack2.ID}}, wantCode: "wrong_pack_count"},
			{name: "unknown pack", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{999999}}, wantCode: "unknown_pack"},
			{name: "wrong year", give: store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, SchoolYear: "2025-2026"}, wantCode: "wrong_year"},
		}
		for _, tt := range tests {
			_, err := db.CreateLoan(ctx, store.Actor{}, tt.give)
			assert.Equal(t, tt.wantCode, loanErrCode(t, err), "%s: %v", tt.name, err)
		}

		inReview := storetest.ValidatedRequest(t, db, nil)
		_, err := db.Bun().NewRaw("UPDATE requests SET state = 'in_review', decided_by = NULL, decided_at = NULL WHERE id = ?", inReview.ID).Exec(ctx)
		require.NoError(t, err)
		_, err = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: inReview.ID, PackIDs: []int64{pack.ID}})
		assert.Equal(t, "request_not_validated", loanErrCode(t, err), "%v", err)
		retired := storetest.Pack(t, db, nil)
		retired.Status = store.PackRetired
		_, err = db.UpdatePack(ctx, store.Actor{}, retired)
		require.NoError(t, err)
		_, err = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{retired.ID}})
		assert.Equal(t, "pack_retired", loanErrCode(t, err), "%v", err)

		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		assert.Equal(t, store.LoanReserved, l.State)
		_, err = db.SaveAssessment(ctx, store.Actor{}, store.AssessmentInput{LoanID: l.ID, Human: "h", Pedagogical: "p", ApplyAgain: new(bool)})
		assert.Equal(t, "invalid_state", loanErrCode(t, err), "no assessment before the return")
		_, err = db.CloseLoan(ctx, store.Actor{}, l.ID)
		assert.Equal(t, "invalid_state", loanErrCode(t, err), "no closure before the return")
		_, err = db.Return(ctx, store.User{}, l.ID, store.SheetInput{})
		assert.Equal(t, "invalid_state", loanErrCode(t, err), "no return before the pickup")
		assert.Equal(t, "2026-09-01", l.PickupDay.String(), "first school day of week 0")
		assert.Equal(t, "2026-10-09", l.ReturnDay.String(), "last school day of week 5")
		assert.Equal(t, "2026-10-17", l.BusyUntil.String(), "return day + 1 + 7 days of turnaround")
		assert.Equal(t, []string{pack.Code}, l.PackCodes())

		_, err = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack2.ID}, StartWeek: 25})
		assert.Equal(t, "request_has_loan", loanErrCode(t, err), "second loan for the request: %v", err)

		other := storetest.ValidatedRequest(t, db, nil)
		_, err = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: other.ID, PackIDs: []int64{pack.ID}, StartWeek: 1})
		assert.ErrorIs(t, err, store.ErrPackUnavailable, "overlapping loan on the same pack")
		if re, ok := store.AsRule(err); assert.True(t, ok, "%v", err) {
			assert.Contains(t, re.Message, pack.Code, "the conflict names the pack")
			assert.Contains(t, re.Message, store.LoanLabel(l.ID), "and the loan in the way")
			assert.Equal(t, l.ID, re.Conflict.ID)
		}
		assert.Zero(t, storetest.LoanOverlaps(t, db))

		// Cancelled loans free the pack and the request.
		_, err = db.CancelLoan(ctx, store.Actor{}, l.ID, "")
		assert.Equal(t, "reason_required", loanErrCode(t, err))
		c, err := db.CancelLoan(ctx, store.Actor{}, l.ID, "École fermée pour travaux")
		require.NoError(t, err)
		assert.Equal(t, store.LoanCancelled, c.State)
		assert.Equal(t, l.Version+1, c.Version, "every change bumps the version")
		_, err = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: other.ID, PackIDs: []int64{pack.ID}, StartWeek: 1})
		assert.NoError(t, err, "the pack is free once the loan is cancelled")
	})
}

func TestLoansExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		reqA := storetest.ValidatedRequest(t, db, nil)
		reqB := storetest.ValidatedRequest(t, db, nil)
		a, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqA.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		b, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: reqB.ID, PackIDs: []int64{pack.ID}, StartWeek: 7})
		require.NoError(t, err)
		today := calendar.MustParseDate("2026-09-20")

		// Only one pack: +2 weeks would run into B's pickup on 2 November.
		ext, err := db.RequestExtension(ctx, store.Actor{}, a.ID, 2, "Projet de film à terminer", today)
		require.Equal(t, "extension_refused", loanErrCode(t, err), "%v", err)
		var le *store.RuleError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, b.ID, le.Conflict.ID, "the blocking loan is named")
		assert.Equal(t, "loan", le.Conflict.Kind, "the conflict is a loan")
		assert.Regexp(t, fmt.Sprintf(`^prêt n° %d, \S`, b.ID), le.Conflict.Name, "the conflict names the loan with its school")
		assert.Contains(t, le.Message, "prêt n° ", "message names the loan")
		assert.Equal(t, store.ExtensionRefused, ext.State)
		assert.Equal(t, b.ID, ext.BlockingLoanID)

		// A second pack, free: B moves there and A keeps its pack longer.
		pack2 := storetest.Pack(t, db, nil)
		ext, err = db.RequestExtension(ctx, store.Actor{}, a.ID, 2, "Projet de film à terminer", today)
		require.NoError(t, err)
		assert.Equal(t, store.ExtensionRequested, ext.State, "awaits the coordinator")
		assert.Equal(t, "2026-11-06", ext.NewReturnDay.String(), "two school weeks later (the holiday does not count)")
		still, err := db.Loan(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a.ReturnDay, still.ReturnDay, "the return day moves only when granted")
		assert.Contains(t, ext.PlanNote, pack2.Code)

		_, err = db.RequestExtension(ctx, store.Actor{}, a.ID, 6, "encore", today)
		assert.Equal(t, "extension_pending", loanErrCode(t, err))

		ext, la, err := db.DecideExtension(ctx, store.Actor{}, a.ID, true, "D'accord")
		require.NoError(t, err)
		assert.Equal(t, store.ExtensionGranted, ext.State)
		assert.Equal(t, "2026-11-06", la.ReturnDay.String())
		assert.Equal(t, 2, la.ExtensionWeeks)
		assert.Equal(t, "2026-11-14", la.BusyUntil.String())
		lb, err := db.Loan(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{pack2.Code}, lb.PackCodes(), "B moved to the free pack")
		assert.Greater(t, lb.Version, b.Version, "the moved loan's change marker moved")
		assert.Zero(t, storetest.LoanOverlaps(t, db))

		_, _, err = db.DecideExtension(ctx, store.Actor{}, a.ID, true, "")
		assert.Equal(t, "no_pending_extension", loanErrCode(t, err))
		_, err = db.RequestExtension(ctx, store.Actor{}, a.ID, 2, "trop tard", calendar.MustParseDate("2026-11-06"))
		assert.Equal(t, "extension_too_late", loanErrCode(t, err))
	})
}
