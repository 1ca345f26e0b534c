package store_test

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// maintenanceError is what the tests read of a refused window.
type maintenanceError struct {
	Code     string
	Message  string
	Field    string
	Invalid  bool
	LoanID   int64
	WindowID int64
}

func maintenanceErr(t *testing.T, err error) maintenanceError {
	t.Helper()
	var re *store.RuleError
	if !errors.As(err, &re) {
		return maintenanceError{}
	}
	code := re.Code
	if re.Kind == store.RuleInvalid {
		assert.Equal(t, store.InvalidCode, re.Code, "one code for invalid input")
		code = cmp.Or(re.Detail, re.Code)
	}
	me := maintenanceError{Code: code, Message: re.Message, Field: re.Field, Invalid: re.Kind == store.RuleInvalid}
	if c := re.Conflict; c != nil && c.Kind == "loan" {
		me.LoanID = c.ID
	}
	if c := re.Conflict; c != nil && c.Kind == "maintenance" {
		me.WindowID = c.ID
	}
	return me
}

func window(pack int64, first, last, reason string) store.NewMaintenance {
	return store.NewMaintenance{PackID: pack, FirstDay: calendar.MustParseDate(first), LastDay: calendar.MustParseDate(last), Reason: reason}
}

func TestMaintenanceValidation(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		tests := []struct {
			name      string
			give      store.NewMaintenance
			wantCode  string
			wantField string
		}{
			{"end before start", window(pack.ID, "2026-09-10", "2026-09-09", "écran"), "invalid_dates", "last_day"},
			{"no start", store.NewMaintenance{PackID: pack.ID, LastDay: calendar.MustParseDate("2026-09-09"), Reason: "x"}, "invalid_dates", "first_day"},
			{"too long", window(pack.ID, "2026-09-01", "2027-09-05", "réparation"), "invalid_dates", "last_day"},
			{"no reason", window(pack.ID, "2026-09-01", "2026-09-02", " "), "validation_failed", "reason"},
			{"reason too long", window(pack.ID, "2026-09-01", "2026-09-02", strings.Repeat("a", store.MaxMaintenanceReasonLen+1)), "validation_failed", "reason"},
			{"reason on two lines", window(pack.ID, "2026-09-01", "2026-09-02", "a\nb"), "invalid_reason", "reason"},
		}
		for _, tt := range tests {
			_, err := db.CreateMaintenance(ctx, store.Actor{}, tt.give)
			me := maintenanceErr(t, err)
			assert.Equal(t, tt.wantCode, me.Code, "%s: %v", tt.name, err)
			assert.Equal(t, tt.wantField, me.Field, tt.name)
			assert.True(t, me.Invalid, tt.name)
		}
		_, err := db.CreateMaintenance(ctx, store.Actor{}, window(999999, "2026-09-01", "2026-09-02", "x"))
		assert.ErrorIs(t, err, store.ErrNotFound, "unknown pack")
		// A one-day window, outside any school year, is fine.
		w, err := db.CreateMaintenance(ctx, store.Actor{}, window(pack.ID, "2027-07-20", "2027-07-20", "Mise à jour iPadOS"))
		require.NoError(t, err)
		assert.Equal(t, pack.Code, w.PackCode)
		assert.Equal(t, "2027-07-20", w.LastDay.String())
	})
}

func TestMaintenanceAndLoans(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		actor := store.Actor{UserID: coord.ID}
		pack := storetest.Pack(t, db, nil)
		pack2 := storetest.Pack(t, db, nil)

		// Window first, then a loan over it: refused, naming the window.
		w, err := db.CreateMaintenance(ctx, actor, window(pack.ID, "2026-09-14", "2026-09-25", "Réparation de deux écrans"))
		require.NoError(t, err)
		assert.Equal(t, &coord.ID, w.CreatedBy)
		req := storetest.ValidatedRequest(t, db, nil)
		_, err = db.CreateLoan(ctx, actor, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		assert.Equal(t, "pack_in_maintenance", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), "en maintenance du 14 septembre 2026 au 25 septembre 2026")
		l2, err := db.CreateLoan(ctx, actor, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack2.ID}, StartWeek: 0})
		require.NoError(t, err, "another pack is free")

		// Loan first, then a window over it (turnaround included): refused,
		// naming the loan.
		_, err = db.CreateMaintenance(ctx, actor, window(pack2.ID, "2026-10-16", "2026-10-20", "Inventaire"))
		me := maintenanceErr(t, err)
		assert.Equal(t, "pack_loaned", me.Code, "%v", err)
		assert.Equal(t, l2.ID, me.LoanID, "the loan is named")
		assert.Contains(t, me.Message, "prêt n° ")
		assert.ErrorIs(t, err, store.ErrConflict)
		// The day the pack is free again (busy_until) is fine.
		_, err = db.CreateMaintenance(ctx, actor, window(pack2.ID, l2.BusyUntil.String(), "2026-10-20", "Inventaire"))
		require.NoError(t, err)

		// Overlapping windows of one pack are refused.
		_, err = db.CreateMaintenance(ctx, actor, window(pack.ID, "2026-09-25", "2026-09-30", "Autre"))
		me = maintenanceErr(t, err)
		assert.Equal(t, "maintenance_overlap", me.Code, "%v", err)
		assert.Equal(t, w.ID, me.WindowID)

		list, err := db.ListMaintenance(ctx, store.MaintenanceFilter{PackID: pack.ID})
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, w.ID, list[0].ID)
		all, err := db.ListMaintenance(ctx, store.MaintenanceFilter{})
		require.NoError(t, err)
		assert.Len(t, all, 2)

		// Delete, then the loan books.
		_, err = db.DeleteMaintenance(ctx, actor, pack2.ID, w.ID)
		assert.ErrorIs(t, err, store.ErrNotFound, "window of another pack")
		del, err := db.DeleteMaintenance(ctx, actor, pack.ID, w.ID)
		require.NoError(t, err)
		assert.Equal(t, w.ID, del.ID)
		other := storetest.ValidatedRequest(t, db, nil)
		_, err = db.CreateLoan(ctx, actor, store.NewLoan{RequestID: other.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		assert.NoError(t, err, "the pack is free once the window is deleted")

		// A cancelled loan frees the pack for a window.
		_, err = db.CancelLoan(ctx, actor, l2.ID, "Classe fermée")
		require.NoError(t, err)
		_, err = db.CreateMaintenance(ctx, actor, window(pack2.ID, "2026-09-14", "2026-09-18", "Réparation"))
		assert.NoError(t, err, "cancelled loans do not hold the pack")
	})
}

// TestMaintenanceTriggers writes around the store: the database itself
// refuses a loan pack during a window and a window over a loan.
func TestMaintenanceTriggers(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		pack2 := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack2.ID}, StartWeek: 0})
		require.NoError(t, err)
		_, err = db.CreateMaintenance(ctx, store.Actor{}, window(pack.ID, "2026-09-14", "2026-09-25", "Réparation"))
		require.NoError(t, err)

		_, err = db.Bun().NewRaw("UPDATE loan_packs SET pack_id = ? WHERE loan_id = ?", pack.ID, l.ID).Exec(ctx)
		require.Error(t, err, "moving the loan onto the pack in maintenance")
		assert.ErrorIs(t, store.Translate(err), store.ErrPackUnavailable, "%v", err)

		_, err = db.Bun().NewRaw(`INSERT INTO pack_maintenance (pack_id, first_day, last_day, reason, created_at)
			VALUES (?, '2026-10-01', '2026-10-02', 'direct', ?)`, pack2.ID, db.Now()).Exec(ctx)
		require.Error(t, err, "a window over the loan")
		assert.ErrorIs(t, store.Translate(err), store.ErrPackUnavailable, "%v", err)
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}

// TestMaintenanceConcurrentWithLoan races a window and a loan on the same
// pack and days: exactly one wins.
func TestMaintenanceConcurrentWithLoan(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := range 6 {
			pack := storetest.Pack(t, db, nil)
			req := storetest.ValidatedRequest(t, db, nil)
			start := make(chan struct{})
			var wg sync.WaitGroup
			var errLoan, errWindow error
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, errLoan = db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
			}()
			go func() {
				defer wg.Done()
				<-start
				_, errWindow = db.CreateMaintenance(ctx, store.Actor{}, window(pack.ID, "2026-09-21", "2026-09-22", "Réparation"))
			}()
			close(start)
			wg.Wait()
			assert.True(t, (errLoan == nil) != (errWindow == nil), "round %d: exactly one wins: loan %v, window %v", i, errLoan, errWindow)
			if errLoan != nil {
				assert.Equal(t, "pack_in_maintenance", loanErrCode(t, errLoan), "round %d: %v", i, errLoan)
			}
			if errWindow != nil {
				assert.Equal(t, "pack_loaned", maintenanceErr(t, errWindow).Code, "round %d: %v", i, errWindow)
			}
		}
	})
}

func TestMaintenanceBlocksExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		_, err = db.CreateMaintenance(ctx, store.Actor{}, window(pack.ID, "2026-11-02", "2026-11-06", "Révision"))
		require.NoError(t, err)
		ext, err := db.RequestExtension(ctx, store.Actor{}, l.ID, 2, "Projet à terminer", calendar.MustParseDate("2026-09-20"))
		assert.Equal(t, "extension_refused", loanErrCode(t, err), "%v", err)
		assert.Contains(t, err.Error(), "en maintenance")
		assert.Equal(t, store.ExtensionRefused, ext.State)
		assert.Zero(t, ext.BlockingLoanID, "no loan blocks")
	})
}

// TestRoundWithMaintenance: a round plans around the dated windows of its
// packs, stores the windows used, and publishes.
func TestRoundWithMaintenance(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		// Pack 1 away in P2 (weeks 9-10), pack 2 away in P1 (week 2): each
		// period has one pack, and no P1/P2 loan fits on the other one.
		_, err := db.CreateMaintenance(ctx, coord, window(d.Packs[0].ID, "2026-11-09", "2026-11-20", "Remplacement des batteries"))
		require.NoError(t, err)
		_, err = db.CreateMaintenance(ctx, coord, window(d.Packs[1].ID, "2026-09-14", "2026-09-18", "Écran cassé"))
		require.NoError(t, err)
		// Outside the year: ignored.
		_, err = db.CreateMaintenance(ctx, coord, window(d.Packs[1].ID, "2027-08-02", "2027-08-13", "Été"))
		require.NoError(t, err)

		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.Len(t, r.Params.Maintenance, 2, "the windows meeting the year")
		assert.Equal(t, d.Packs[0].Code, r.Params.Maintenance[0].PackCode)
		assert.Equal(t, 1, r.Params.Maintenance[0].Pack)
		assert.Equal(t, "2026-11-09", r.Params.Maintenance[0].FirstDay.String())
		assert.Equal(t, "Remplacement des batteries", r.Params.Maintenance[0].Reason)
		windows, err := db.ListMaintenance(ctx, store.MaintenanceFilter{})
		require.NoError(t, err)
		perPeriod := map[string]int{}
		for _, l := range r.Loans {
			perPeriod[l.Period]++
			busyUntil := l.ReturnDay.AddDays(1 + r.Params.TurnaroundDays)
			for _, id := range l.PackIDs {
				for _, w := range windows {
					assert.False(t, w.PackID == id && w.FirstDay.Before(busyUntil) && !w.LastDay.Before(l.PickupDay),
						"loan of request %d (%s..%s) on pack %d during window %s..%s", l.RequestID, l.PickupDay, busyUntil, id, w.FirstDay, w.LastDay)
				}
			}
		}
		assert.Equal(t, 1, perPeriod["P1"], "one pack in P1")
		assert.Equal(t, 1, perPeriod["P2"], "one pack in P2")

		pub, err := db.PublishRound(ctx, coord, r.ID)
		require.NoError(t, err, "the round's loans avoid the windows")
		assert.Equal(t, store.RoundPublished, pub.State)
		assert.Len(t, liveLoans(t, db, d.Year), len(r.Loans))
		got, err := db.Round(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r.Params.Maintenance, got.Params.Maintenance, "the windows used are stored with the round")
	})
}

// TestRoundDraftThenMaintenance: a window declared after a draft was
// computed makes its publication fail cleanly (nothing published); a new
// run plans around it and publishes.
func TestRoundDraftThenMaintenance(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}
		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.NotEmpty(t, r.Loans)
		l := r.Loans[0]
		_, err = db.CreateMaintenance(ctx, coord, store.NewMaintenance{PackID: l.PackIDs[0], FirstDay: l.PickupDay,
			LastDay: l.PickupDay.AddDays(4), Reason: "Panne de la valise de recharge"})
		require.NoError(t, err, "the draft created no loan: the pack is free in the database")

		_, err = db.PublishRound(ctx, coord, r.ID)
		assert.Equal(t, "pack_in_maintenance", loanErrCode(t, err), "%v", err)
		got, err := db.Round(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundDraft, got.State, "nothing published")
		assert.Empty(t, liveLoans(t, db, d.Year))

		r2, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		_, err = db.PublishRound(ctx, coord, r2.ID)
		require.NoError(t, err, "a new run plans around the window")
		assert.Len(t, liveLoans(t, db, d.Year), len(r2.Loans))
	})
}

// TestMaintenanceExtensionMove: an extension may move a later loan to
// another pack, never onto a pack in maintenance then.
func TestMaintenanceExtensionMove(t *testing.T) {
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
		// The only other pack is in maintenance during B's loan.
		down := storetest.Pack(t, db, nil)
		_, err = db.CreateMaintenance(ctx, store.Actor{}, window(down.ID, "2026-11-23", "2026-11-27", "Révision"))
		require.NoError(t, err)
		today := calendar.MustParseDate("2026-09-20")
		_, err = db.RequestExtension(ctx, store.Actor{}, a.ID, 2, "Projet à terminer", today)
		assert.Equal(t, "extension_refused", loanErrCode(t, err), "B cannot move onto the pack in maintenance: %v", err)

		free := storetest.Pack(t, db, nil)
		ext, err := db.RequestExtension(ctx, store.Actor{}, a.ID, 2, "Projet à terminer", today)
		require.NoError(t, err)
		assert.Contains(t, ext.PlanNote, free.Code, "B moves to the free pack")
		_, _, err = db.DecideExtension(ctx, store.Actor{}, a.ID, true, "D'accord")
		require.NoError(t, err)
		lb, err := db.Loan(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{free.Code}, lb.PackCodes())
	})
}

// TestMaintenanceTriggerLocks writes around the store in two transactions:
// a window inserted but not committed, and a loan moved onto the same pack
// and days meanwhile. The loan's trigger waits for the window's
// transaction (pack row lock on PostgreSQL, the write lock on SQLite) and
// then sees the window: the move fails.
func TestMaintenanceTriggerLocks(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		other := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{other.ID}, StartWeek: 0})
		require.NoError(t, err)

		tx1, err := db.Bun().BeginTx(ctx, nil)
		require.NoError(t, err)
		defer tx1.Rollback() //nolint:errcheck // after Commit it only reports sql.ErrTxDone
		_, err = tx1.NewRaw(`INSERT INTO pack_maintenance (pack_id, first_day, last_day, reason, created_at)
			VALUES (?, '2026-09-21', '2026-09-22', 'direct', ?)`, pack.ID, db.Now()).Exec(ctx)
		require.NoError(t, err)

		moved := make(chan error, 1)
		go func() {
			_, err := db.Bun().NewRaw("UPDATE loan_packs SET pack_id = ? WHERE loan_id = ?", pack.ID, l.ID).Exec(ctx)
			moved <- err
		}()
		if db.Dialect() == store.Postgres {
			// Wait until the move waits for a lock, so the two really overlap.
			deadline := time.After(10 * time.Second)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
		wait:
			for {
				var n int
				require.NoError(t, db.Bun().NewRaw(`SELECT count(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE loan_packs%'`).Scan(ctx, &n))
				if n > 0 {
					break
				}
				select {
				case <-deadline:
					t.Fatal("the move never waited for the window's transaction")
				case <-tick.C:
				case err := <-moved:
					t.Fatalf("the move did not wait: %v", err)
				}
				continue wait
			}
		}
		require.NoError(t, tx1.Commit())
		select {
		case err := <-moved:
			require.Error(t, err, "the move must see the committed window")
			assert.ErrorIs(t, store.Translate(err), store.ErrPackUnavailable, "%v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("the move never finished")
		}
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}
