package store_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// deskCount counts the rows of a query.
func deskCount(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.Bun().NewRaw(query, args...).Scan(context.Background(), &n))
	return n
}

// deskLoan creates a loan of a validated request on the pack from the
// school week, signed by both parties when sign is set.
func deskLoan(t *testing.T, db *store.DB, packID int64, week int, sign bool) store.Loan {
	t.Helper()
	req := storetest.ValidatedRequest(t, db, nil)
	l, err := db.CreateLoan(context.Background(), store.Actor{}, store.NewLoan{RequestID: req.ID, PackIDs: []int64{packID}, StartWeek: week})
	require.NoError(t, err)
	if sign {
		signLoan(t, db, l)
	}
	return l
}

// TestDeskIdempotentSheets: the desk checklist posted twice with the same
// key records once (sequentially and racing), answers the second post
// without an error, and a key cannot be reused for another loan. An item
// missing at the pickup opens the town's incident; found at the return,
// it is present on the return sheet and no second incident opens.
func TestDeskIdempotentSheets(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		pack := storetest.Pack(t, db, nil)
		other := storetest.Pack(t, db, nil)
		l, l2 := deskLoan(t, db, pack.ID, 0, true), deskLoan(t, db, other.ID, 0, true)
		day := at(db, "2026-09-01")

		lines := allPresent(t, db, l.ID)
		missing := lines[4].ItemID
		lines[4].Status, lines[4].Note = store.ItemMissing, "absente de la valise"
		in := store.SheetInput{SchoolPerson: "Nadia Haddad", Lines: lines, AcceptDifference: true,
			Comment: "la tablette 05 est en réparation", IdempotencyKey: "0123456789abcdef0123456789abcdef"}

		bad := in
		bad.IdempotencyKey = "court"
		_, err := day.PickUp(ctx, it, l.ID, bad)
		require.Error(t, err, "a malformed key is refused")

		// Two posts racing with one key, then a third after both.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = day.PickUp(ctx, it, l.ID, in)
			}()
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		got, err := day.PickUp(ctx, it, l.ID, in)
		require.NoError(t, err, "the same form posted again is answered, not refused")
		assert.Equal(t, store.LoanPickedUp, got.State)
		assert.Equal(t, 1, deskCount(t, db, "SELECT count(*) FROM loan_sheets WHERE loan_id = ?", l.ID))
		assert.Equal(t, 1, deskCount(t, db, "SELECT count(*) FROM audit_events WHERE action = 'loan.pickup' AND entity_id = ?", strconv.FormatInt(l.ID, 10)))

		// The key of loan l cannot record loan l2's pickup.
		in2 := store.SheetInput{SchoolPerson: "Paul", Lines: allPresent(t, db, l2.ID), IdempotencyKey: in.IdempotencyKey}
		_, err = day.PickUp(ctx, it, l2.ID, in2)
		assert.Equal(t, "idempotency_key_reused", loanErrCode(t, err), "%v", err)

		// The missing tablet is the town's incident.
		d, err := db.LoanDetail(ctx, l.ID)
		require.NoError(t, err)
		require.Len(t, d.Incidents, 1)
		inc := d.Incidents[0]
		assert.Equal(t, missing, inc.ItemID)
		assert.Equal(t, store.IncidentAtPickup, inc.Stage)
		assert.Equal(t, "manquant au retrait", inc.What())
		assert.Equal(t, "absente de la valise", inc.Note)

		// Return with the tablet found, twice with one key.
		ret := store.SheetInput{SchoolPerson: "Nadia Haddad", Lines: allPresent(t, db, l.ID), TechnicalReport: "RAS",
			IdempotencyKey: "fedcba9876543210fedcba9876543210"}
		_, err = at(db, "2026-10-09").Return(ctx, it, l.ID, ret)
		require.NoError(t, err)
		got, err = at(db, "2026-10-09").Return(ctx, it, l.ID, ret)
		require.NoError(t, err)
		assert.Equal(t, store.LoanReturned, got.State)
		assert.Equal(t, 2, deskCount(t, db, "SELECT count(*) FROM loan_sheets WHERE loan_id = ?", l.ID))
		d, err = db.LoanDetail(ctx, l.ID)
		require.NoError(t, err)
		require.Len(t, d.Incidents, 1, "the tablet found opens nothing")
		for _, ln := range d.ReturnSheet.Lines {
			assert.Equal(t, store.ItemPresent, ln.Status)
		}
		// The town's incident does not hold the closure back.
		_, err = db.CloseLoan(ctx, store.Actor{UserID: it.ID}, l.ID)
		require.NoError(t, err)
		_, err = db.ResolveIncident(ctx, store.Actor{UserID: it.ID}, inc.ID, "retrouvée au retour")
		require.NoError(t, err)
	})
}

// TestDeskAgenda: overdue returns first with their days late, then this
// week's and next week's pickups with their state; people who do not run
// the desk are refused.
func TestDeskAgenda(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		p1, p2 := storetest.Pack(t, db, nil), storetest.Pack(t, db, nil)
		// a: p1 weeks 0–5, out and late; b: p1 from 2 November (pack not
		// back); c: p2 from 2 November, training not done, not signed.
		a, b, c := deskLoan(t, db, p1.ID, 0, true), deskLoan(t, db, p1.ID, 7, true), deskLoan(t, db, p2.ID, 7, false)
		storetest.SetTrainingStatus(t, db, c.RequestID, "planned")
		_, err := at(db, "2026-09-01").PickUp(ctx, it, a.ID, store.SheetInput{SchoolPerson: "X", Lines: allPresent(t, db, a.ID)})
		require.NoError(t, err)

		today := calendar.MustParseDate("2026-10-28") // Wednesday, during the All Saints' holiday
		ag, err := db.DeskAgendaFor(ctx, it, today)
		require.NoError(t, err)
		require.Len(t, ag.Overdue, 1)
		assert.Equal(t, a.ID, ag.Overdue[0].Loan.ID)
		assert.Equal(t, store.SheetReturn, ag.Overdue[0].Kind)
		assert.Equal(t, 19, ag.Overdue[0].DaysLate, "9 October to 28 October")
		assert.Empty(t, ag.ThisWeek)
		require.Len(t, ag.NextWeek, 2)
		byID := map[int64]store.DeskEntry{}
		for _, e := range ag.NextWeek {
			byID[e.Loan.ID] = e
		}
		eb, ec := byID[b.ID], byID[c.ID]
		assert.True(t, eb.TrainingDone)
		assert.True(t, eb.AgreementSigned)
		assert.False(t, eb.PacksBack, "p1 is still at a's school")
		require.Len(t, eb.PacksOut, 1)
		assert.Contains(t, eb.PacksOut[0], p1.Code)
		assert.False(t, eb.Ready())
		assert.False(t, ec.TrainingDone)
		assert.False(t, ec.AgreementSigned)
		assert.True(t, ec.PacksBack)

		// On the Sunday before, the loans of Monday 2 November are this
		// week's: the desk prepares the coming week.
		sunday, err := db.DeskAgendaFor(ctx, it, calendar.MustParseDate("2026-11-01"))
		require.NoError(t, err)
		assert.Equal(t, calendar.MustParseDate("2026-11-02"), sunday.Monday)
		assert.Len(t, sunday.ThisWeek, 2, "Monday's pickups are this week's on the Sunday")

		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.SchoolUAI})
		_, err = db.DeskAgendaFor(ctx, teacher, today)
		assert.Equal(t, "forbidden", loanErrCode(t, err))
	})
}

// TestPackItems: add, edit and retire items with validation and the
// audit log; a serial number is unique across packs; a retired item is no
// longer checked but stays on the sheets; an item is not retired while its
// pack is out.
func TestPackItems(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, nil)
		actor := store.Actor{UserID: coord.ID}
		p := storetest.Pack(t, db, nil)
		q := storetest.Pack(t, db, nil)
		require.Len(t, p.Items, 14)

		_, err := db.AddPackItem(ctx, actor, p.ID, store.PackItemInput{Kind: "chaise", Label: ""})
		require.Error(t, err)
		var re *store.RuleError
		require.ErrorAs(t, err, &re)
		assert.Contains(t, re.Fields, "kind")
		assert.Contains(t, re.Fields, "label")

		_, err = db.AddPackItem(ctx, actor, p.ID, store.PackItemInput{Kind: store.ItemAccessory, Label: "Stylet", Serial: q.Items[0].Serial})
		assert.Equal(t, "serial_taken", loanErrCode(t, err), "%v", err)

		got, err := db.AddPackItem(ctx, actor, p.ID, store.PackItemInput{Kind: store.ItemAccessory, Label: " Stylet ", Serial: "STY-1"})
		require.NoError(t, err)
		require.Len(t, got.Items, 15)
		assert.Equal(t, "Stylet", got.Items[14].Label)
		assert.Equal(t, 15, got.Items[14].Position)
		assert.Equal(t, p.Version+1, got.Version)

		tab := got.Items[0]
		got, err = db.UpdatePackItem(ctx, actor, p.ID, tab.ID, store.PackItemInput{Kind: store.ItemTablet, Label: "Tablette 01", Serial: "NEW-SERIAL"})
		require.NoError(t, err)
		assert.Equal(t, "NEW-SERIAL", got.Items[0].Serial)
		_, err = db.UpdatePackItem(ctx, actor, q.ID, tab.ID, store.PackItemInput{Kind: store.ItemTablet, Label: "x"})
		assert.Equal(t, "item_not_found", loanErrCode(t, err), "an item of another pack")

		_, err = db.RetirePackItem(ctx, actor, p.ID, tab.ID, "  ")
		assert.Equal(t, "reason_required", loanErrCode(t, err))
		got, err = db.RetirePackItem(ctx, actor, p.ID, tab.ID, "écran cassé")
		require.NoError(t, err)
		require.Len(t, got.Items, 14)
		require.Len(t, got.RetiredItems, 1)
		assert.Equal(t, "écran cassé", got.RetiredItems[0].RetiredReason)
		_, err = db.RetirePackItem(ctx, actor, p.ID, tab.ID, "encore")
		assert.Equal(t, "item_not_found", loanErrCode(t, err))
		// A new item after a retired one still gets the next position.
		got, err = db.AddPackItem(ctx, actor, p.ID, store.PackItemInput{Kind: store.ItemTablet, Label: "Tablette 13", Serial: "T13"})
		require.NoError(t, err)
		require.Len(t, got.Items, 15)

		trail, err := db.AuditTrail(ctx, "pack", p.ID)
		require.NoError(t, err)
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action)
		}
		assert.Equal(t, []string{"pack.create", "pack.item.add", "pack.item.update", "pack.item.retire", "pack.item.add"}, actions)

		// A loan checks the items in service only; the pack out refuses a
		// retirement.
		l := deskLoan(t, db, p.ID, 0, false)
		items, err := db.LoanItems(ctx, l.ID)
		require.NoError(t, err)
		assert.Len(t, items, 15)
		for _, it := range items {
			assert.NotEqual(t, tab.ID, it.ID)
		}
		signLoan(t, db, l)
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = at(db, "2026-09-01").PickUp(ctx, it, l.ID, store.SheetInput{SchoolPerson: "X", Lines: allPresent(t, db, l.ID)})
		require.NoError(t, err)
		_, err = db.RetirePackItem(ctx, actor, p.ID, items[1].ID, "perdu")
		assert.Equal(t, "pack_out", loanErrCode(t, err))

		// The JSON API's whole-pack update leaves retired items alone.
		cur, err := db.Pack(ctx, p.ID)
		require.NoError(t, err)
		_, err = db.UpdatePack(ctx, actor, cur)
		require.NoError(t, err)
		cur, err = db.Pack(ctx, p.ID)
		require.NoError(t, err)
		assert.Len(t, cur.RetiredItems, 1)
		assert.Len(t, cur.Items, 15)
	})
}
