package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// TestExtensionStatesMigration writes extension rows in the states of the
// schema before migration 0021 and checks that the migration maps them
// without granting anything, and moves the one-pending index to requested.
func TestExtensionStatesMigration(t *testing.T) {
	t.Parallel()
	storetest.EachDialectBare(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		require.NoError(t, db.MigrateTo(ctx, "0020"))
		// Rows of the old schema, written directly (the store's code
		// reads the newer schema).
		school := storetest.School(t, db, nil)
		now := time.Now().UTC().Truncate(time.Microsecond)
		pack := func(code string) int64 {
			var id int64
			require.NoError(t, db.Bun().NewRaw(`INSERT INTO packs (code, label, status, notes, version, created_at, updated_at)
				VALUES (?, ?, 'available', '', 1, ?, ?) RETURNING id`, code, "Classe mobile "+code, now, now).Scan(ctx, &id))
			return id
		}
		aID := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack("EIM-A")},
			Pickup: calendar.MustParseDate("2026-09-01"), Return: calendar.MustParseDate("2026-10-09"), At: now})
		bID := storetest.FeedLoan(t, db, storetest.FeedLoanOpts{SchoolUAI: school.UAI, PackIDs: []int64{pack("EIM-B")}, State: store.LoanReturned,
			Pickup: calendar.MustParseDate("2026-09-01"), Return: calendar.MustParseDate("2026-10-09"), At: now})
		insert := func(loanID int64, state string) int64 {
			var id int64
			require.NoError(t, db.Bun().NewRaw(`INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day)
				VALUES (?, 2, 'Finir le projet', ?, ?, '2026-10-23') RETURNING id`, loanID, time.Now().UTC(), state).Scan(ctx, &id), "insert %s", state)
			return id
		}
		ids := map[int64]store.ExtensionState{
			insert(aID, "granted"):   store.ExtensionRequested, // awaited the coordinator
			insert(aID, "confirmed"): store.ExtensionGranted,
			insert(aID, "rejected"):  store.ExtensionRefused,
			insert(aID, "refused"):   store.ExtensionRefused,
			insert(bID, "granted"):   store.ExtensionLapsed, // still pending, loan already returned
		}

		require.NoError(t, db.Migrate(ctx))

		for id, want := range ids {
			var got store.ExtensionState
			require.NoError(t, db.Bun().NewRaw("SELECT state FROM loan_extensions WHERE id = ?", id).Scan(ctx, &got))
			assert.Equal(t, want, got, "extension %d", id)
		}
		l, err := db.Loan(ctx, aID)
		require.NoError(t, err)
		assert.Equal(t, "2026-10-09", l.ReturnDay.String(), "the migration grants nothing")
		assert.Zero(t, l.ExtensionWeeks)

		_, err = db.Bun().NewRaw(`INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day)
			VALUES (?, 2, 'encore', ?, 'requested', '2026-10-23')`, aID, time.Now().UTC()).Exec(ctx)
		assert.Error(t, err, "one requested extension per loan")
		_, err = db.Bun().NewRaw(`INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day)
			VALUES (?, 2, 'encore', ?, 'granted', '2026-10-23')`, aID, time.Now().UTC()).Exec(ctx)
		assert.NoError(t, err, "several granted extensions are fine")
		_, err = db.Bun().NewRaw(`INSERT INTO loan_extensions (loan_id, weeks, reason, requested_at, state, new_return_day)
			VALUES (?, 2, 'encore', ?, 'confirmed', '2026-10-23')`, aID, time.Now().UTC()).Exec(ctx)
		assert.Error(t, err, "the old states are gone")
	})
}

// TestExtensionLapsesAtReturn: a request still pending when the loan comes
// back is closed as lapsed, and a refusal by the coordinator leaves the
// return day alone.
func TestExtensionLapsesAtReturn(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		req := storetest.ValidatedRequest(t, db, nil)
		l, err := db.CreateLoan(ctx, store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{pack.ID}, StartWeek: 0})
		require.NoError(t, err)
		today := calendar.MustParseDate("2026-09-20")

		ext, err := db.RequestExtension(ctx, store.Actor{}, l.ID, 2, "Finir le film", today)
		require.NoError(t, err)
		assert.Equal(t, store.ExtensionRequested, ext.State)
		ext, got, err := db.DecideExtension(ctx, store.Actor{}, l.ID, false, "Pas cette année")
		require.NoError(t, err)
		assert.Equal(t, store.ExtensionRefused, ext.State)
		assert.Equal(t, "refusée", ext.StateLabel)
		assert.Equal(t, l.ReturnDay, got.ReturnDay, "a refusal does not move the return day")

		ext, err = db.RequestExtension(ctx, store.Actor{}, l.ID, 2, "Finir le film, encore", today)
		require.NoError(t, err)
		_, err = db.Bun().NewRaw("UPDATE loans SET state = 'picked_up', picked_up_at = ? WHERE id = ?", time.Now().UTC(), l.ID).Exec(ctx)
		require.NoError(t, err)
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = db.Return(ctx, it, l.ID, store.SheetInput{SchoolPerson: "Nadia", TechnicalReport: "RAS",
			Lines: allPresent(t, db, l.ID)})
		require.NoError(t, err)
		d, err := db.LoanDetail(ctx, l.ID)
		require.NoError(t, err)
		states := map[int64]store.ExtensionState{}
		for _, e := range d.Extensions {
			states[e.ID] = e.State
		}
		assert.Equal(t, store.ExtensionLapsed, states[ext.ID], "pending at return: lapsed")
		assert.Equal(t, l.ReturnDay, d.ReturnDay)
	})
}

// TestParseExtensionDecision: one vocabulary, the old words and French
// spellings accepted.
func TestParseExtensionDecision(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		give      string
		wantGrant bool
		wantOK    bool
	}{
		{"grant", true, true}, {"confirm", true, true}, {"Accordée", true, true}, {" accorder ", true, true},
		{"refuse", false, true}, {"reject", false, true}, {"refusée", false, true}, {"REFUSER", false, true},
		{"", false, false}, {"peut-être", false, false},
	} {
		grant, ok := store.ParseExtensionDecision(tt.give)
		assert.Equal(t, tt.wantOK, ok, "%q ok", tt.give)
		assert.Equal(t, tt.wantGrant, grant, "%q grant", tt.give)
	}
}
