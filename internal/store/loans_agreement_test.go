package store_test

import (
	"cmp"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// agreementCase is a reserved loan with its two signers.
type agreementCase struct {
	loan                store.Loan
	director, it, coord store.User
	teacher             store.User
}

func newAgreementCase(t *testing.T, db *store.DB) agreementCase {
	t.Helper()
	ctx := context.Background()
	school := storetest.School(t, db, nil)
	var c agreementCase
	c.director, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI, Name: "Nadia Haddad"})
	c.it, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT, Name: "Karim Benali"})
	c.coord, _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator, Name: "Claire Morel"})
	lr := storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: school.UAI})
	c.teacher = lr.Teacher
	p := storetest.Pack(t, db, nil)
	var err error
	c.loan, err = db.CreateLoan(ctx, store.Actor{UserID: c.coord.ID}, store.NewLoan{RequestID: lr.ID, PackIDs: []int64{p.ID}})
	require.NoError(t, err)
	return c
}

// TestAgreementSignatureKeepsText: each signature records the text signed,
// its SHA-256, the signer's name and role; the second completes the
// agreement, whose text is the stored one.
func TestAgreementSignatureKeepsText(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		_, err := db.SignAgreementText(ctx, c.director, c.loan.ID, "  ")
		assert.Equal(t, "agreement_text_required", ruleCode(err), "an empty text is refused")
		_, err = db.SignAgreementText(ctx, c.director, c.loan.ID, "a\x00b")
		assert.Equal(t, "agreement_text_invalid", ruleCode(err))

		l, err := db.SignAgreementText(ctx, c.director, c.loan.ID, "<p>Convention, version 1</p>")
		require.NoError(t, err)
		assert.Equal(t, store.LoanReserved, l.State, "one signature is not enough")
		_, _, ok, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.False(t, ok)

		l, err = db.SignAgreementText(ctx, c.it, c.loan.ID, "<p>Convention, version 1</p>")
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, l.State)
		text, sigs, ok, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "<p>Convention, version 1</p>", text)
		require.Len(t, sigs, 2)
		assert.Equal(t, store.RoleDirector, sigs[0].Party)
		assert.Equal(t, "Nadia Haddad", sigs[0].Name)
		assert.Equal(t, "direction de l'école", sigs[0].Role)
		assert.Equal(t, store.RoleIT, sigs[1].Party)
		assert.Equal(t, "Karim Benali", sigs[1].Name)
		// sha256("<p>Convention, version 1</p>"), computed independently.
		assert.Equal(t, store.TextSHA256(text), sigs[1].TextSHA256)
		assert.Len(t, sigs[1].TextSHA256, 64)
		assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", store.TextSHA256(""), "SHA-256, hex")

		_, err = db.SignAgreementText(ctx, c.it, c.loan.ID, "<p>autre</p>")
		assert.Error(t, err, "a signed agreement is not signed again")
		text2, _, _, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.Equal(t, text, text2, "the signed text never changes")

		// The database keeps one active signature per party.
		_, err = db.Bun().NewRaw(`INSERT INTO loan_agreement_signatures (loan_id, party, signer_name, signer_role, signed_at, text, text_sha256)
			VALUES (?, 'it', 'X', 'DSI', ?, 't', ?)`, c.loan.ID, l.UpdatedAt, store.TextSHA256("t")).Exec(ctx)
		assert.Error(t, err, "a second active IT signature")
	})
}

// TestAgreementResetByExtension: a granted extension moves the return day
// of a signed loan not picked up yet, so the agreement goes back to « à
// signer » in the same transaction: signatures superseded (kept), both
// parties to sign again. A refused extension changes nothing.
func TestAgreementResetByExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		_, err := db.SignAgreementText(ctx, c.director, c.loan.ID, "<p>v1</p>")
		require.NoError(t, err)
		_, err = db.SignAgreementText(ctx, c.it, c.loan.ID, "<p>v1</p>")
		require.NoError(t, err)
		teacher := store.Actor{UserID: c.teacher.ID}
		coord := store.Actor{UserID: c.coord.ID}

		// Refused: nothing changes.
		_, err = db.RequestExtension(ctx, teacher, c.loan.ID, 2, "Finir l'album", c.loan.PickupDay)
		require.NoError(t, err)
		_, l, err := db.DecideExtension(ctx, coord, c.loan.ID, false, "Non")
		require.NoError(t, err)
		l, err = db.Loan(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, l.State, "a refusal keeps the agreement")
		_, _, ok, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.True(t, ok)

		// Granted: the dates change, the agreement is to sign again.
		_, err = db.RequestExtension(ctx, teacher, c.loan.ID, 2, "Finir l'album", c.loan.PickupDay)
		require.NoError(t, err)
		_, l, err = db.DecideExtension(ctx, coord, c.loan.ID, true, "")
		require.NoError(t, err)
		assert.Equal(t, store.LoanReserved, l.State, "back to « à signer »")
		assert.Nil(t, l.DirectorSignature)
		assert.Nil(t, l.ITSignature)
		assert.True(t, l.ReturnDay.After(c.loan.ReturnDay), "the return day moved")
		_, active, ok, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Empty(t, active)
		all, err := db.AgreementSignatures(ctx, c.loan.ID)
		require.NoError(t, err)
		require.Len(t, all, 2, "the old signatures are kept")
		for _, s := range all {
			require.NotNil(t, s.SupersededAt)
			assert.Contains(t, s.SupersededReason, "prolongation accordée")
		}
		// Both parties sign the new terms.
		_, err = db.SignAgreementText(ctx, c.director, c.loan.ID, "<p>v2</p>")
		require.NoError(t, err)
		l, err = db.SignAgreementText(ctx, c.it, c.loan.ID, "<p>v2</p>")
		require.NoError(t, err)
		assert.Equal(t, store.LoanSigned, l.State)
		text, _, ok, err := db.SignedAgreement(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "<p>v2</p>", text)
	})
}

// TestAgreementSignRules: a director of another school does not see the
// loan; a teacher cannot sign.
func TestAgreementSignRules(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		other := storetest.School(t, db, nil)
		dirB, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: other.UAI})
		_, err := db.SignAgreementText(ctx, dirB, c.loan.ID, "<p>x</p>")
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = db.SignAgreementText(ctx, c.teacher, c.loan.ID, "<p>x</p>")
		assert.Equal(t, "cannot_sign", ruleCode(err))
		all, err := db.AgreementSignatures(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.Empty(t, all, "nothing recorded")
	})
}

func ruleCode(err error) string {
	if re, ok := store.AsRule(err); ok {
		return cmp.Or(re.Detail, re.Code)
	}
	return ""
}

// TestAgreementResetByRerun: a published re-run that moves a loan whose
// agreement one party signed replaces it in the publish transaction: the
// loan served now has no signature (« à signer » for both parties), and
// the earlier signature stays with the cancelled loan.
func TestAgreementResetByRerun(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}
		first, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		first, err = db.PublishRound(ctx, coord, first.ID)
		require.NoError(t, err)
		before := liveLoans(t, db, d.Year)
		require.NotEmpty(t, first.Loans)
		moved := first.Loans[len(first.Loans)-1]
		old := before[moved.RequestID]
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: moved.SchoolUAI})
		_, err = db.SignAgreementText(ctx, director, old.ID, "<p>v1</p>")
		require.NoError(t, err)

		in := roundInput(d.Year)
		week := 25
		if moved.StartWeek == week {
			week = 26
		}
		in.Pins = []store.RoundPin{{RequestID: moved.RequestID, Kind: store.PinServe, StartWeek: &week}}
		second, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		_, err = db.PublishRound(ctx, coord, second.ID)
		require.NoError(t, err)

		after := liveLoans(t, db, d.Year)
		fresh, ok := after[moved.RequestID]
		require.True(t, ok, "the request is still served")
		require.NotEqual(t, old.ID, fresh.ID, "the moved loan is a new loan")
		assert.Equal(t, week, fresh.StartWeek)
		assert.Equal(t, store.LoanReserved, fresh.State, "« à signer »")
		assert.Nil(t, fresh.DirectorSignature, "the director signs the new terms")
		assert.Nil(t, fresh.ITSignature)
		sigs, err := db.AgreementSignatures(ctx, fresh.ID)
		require.NoError(t, err)
		assert.Empty(t, sigs)
		gone, err := db.Loan(ctx, old.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanCancelled, gone.State)
		kept, err := db.AgreementSignatures(ctx, old.ID)
		require.NoError(t, err)
		assert.Len(t, kept, 1, "the signature given stays in the history")
	})
}

// TestActionsOnLoan: what the loan page offers each person, from their
// roles and the loan's state.
func TestActionsOnLoan(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		d, err := db.LoanDetail(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanActions{SignAs: "école", Sign: true}, c.director.ActionsOnLoan(d))
		assert.Equal(t, store.LoanActions{SignAs: "DSI", Sign: true, Training: d.Training.Status != store.TrainingDone, PickupTime: true},
			c.it.ActionsOnLoan(d), "IT records the training until it is done")
		assert.Equal(t, store.LoanActions{AskExtension: true}, c.teacher.ActionsOnLoan(d))
		other, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: storetest.School(t, db, nil).UAI})
		assert.Equal(t, "", other.ActionsOnLoan(d).SignAs, "another school's director signs nothing")

		_, err = db.SignAgreementText(ctx, c.director, c.loan.ID, "<p>v1</p>")
		require.NoError(t, err)
		d, err = db.LoanDetail(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.False(t, c.director.ActionsOnLoan(d).Sign, "signed once")
		_, err = db.RequestExtension(ctx, store.Actor{UserID: c.teacher.ID}, c.loan.ID, 2, "Finir l'album", c.loan.PickupDay)
		require.NoError(t, err)
		d, err = db.LoanDetail(ctx, c.loan.ID)
		require.NoError(t, err)
		assert.False(t, c.teacher.ActionsOnLoan(d).AskExtension, "one extension at a time")
		assert.True(t, c.coord.ActionsOnLoan(d).DecideExtension)
	})
}

// TestAgreementParties: who signs a loan's agreement, and is told of each
// signature: its school's active directors and the IT department; not
// another school's director, the teacher, the coordinator or a disabled
// account.
func TestAgreementParties(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newAgreementCase(t, db)
		other := storetest.School(t, db, nil)
		storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: other.UAI, Name: "Autre directrice"})
		gone, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT, Name: "Ancien de la DSI"})
		_, err := db.DisableUser(ctx, store.Actor{UserID: c.coord.ID}, gone.ID)
		require.NoError(t, err)
		parties, err := db.AgreementParties(ctx, c.loan)
		require.NoError(t, err)
		var names []string
		for _, u := range parties {
			names = append(names, u.Name)
		}
		assert.Equal(t, []string{"Nadia Haddad", "Karim Benali"}, names, "the school's director, then the IT department")
	})
}
