package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// FeedLoanOpts describes a loan written directly into the database, with
// fixed dates and timestamps, for feed tests and goldens that need
// byte-identical output: every state, signatures, training and assessment
// are set as given, without going through the loan workflow.
type FeedLoanOpts struct {
	SchoolUAI string  // required
	PackIDs   []int64 // required, in order
	// ClassLevels default to CM1.
	ClassLevels []string
	// State defaults to reserved.
	State store.LoanState
	// Pickup and Return are the first and last days; BaseReturn defaults
	// to Return, and ExtensionWeeks to 0.
	Pickup, Return, BaseReturn calendar.Date
	ExtensionWeeks             int
	DirectorSigned, ITSigned   bool
	// Training is not_planned (default), planned or done, on TrainingDate.
	Training     store.TrainingStatus
	TrainingDate calendar.Date
	Assessed     bool
	// At is the time of creation and of every state change; CancelledAt
	// defaults to At for a cancelled loan.
	At          time.Time
	CancelledAt time.Time
	// Year defaults to the school year of Pickup.
	Year string
}

// FeedLoan inserts a validated request and its loan as opts says, and
// returns the loan's ID.
func FeedLoan(t testing.TB, db *store.DB, opts FeedLoanOpts) int64 {
	t.Helper()
	ctx := context.Background()
	b := db.Bun()
	o := opts
	if o.State == "" {
		o.State = store.LoanReserved
	}
	if len(o.ClassLevels) == 0 {
		o.ClassLevels = []string{"CM1"}
	}
	if o.BaseReturn.IsZero() {
		o.BaseReturn = o.Return
	}
	if o.Training == "" {
		o.Training = store.TrainingNotPlanned
	}
	if o.Training != store.TrainingNotPlanned && o.TrainingDate.IsZero() {
		o.TrainingDate = o.Pickup.AddDays(-14)
	}
	if o.Year == "" {
		o.Year = calendar.CurrentSchoolYear(o.Pickup)
	}
	at := o.At.UTC().Truncate(time.Microsecond)
	teacher, _ := User(t, db, &UserOpts{Role: store.RoleTeacher, SchoolUAI: o.SchoolUAI})
	var trainingDate any
	if !o.TrainingDate.IsZero() {
		trainingDate = o.TrainingDate.String()
	}
	var reqID int64
	if err := b.NewRaw(`INSERT INTO requests (school_year, school_uai, teacher_id, state, class_levels, pupils, title,
		commit_secure_use, commit_visits, commit_parents, commit_feedback, secure_storage,
		training_status, training_date, packs, decided_by, decided_at, has_loan, created_at, updated_at)
		VALUES (?, ?, ?, 'validated', ?, 24, 'Projet', TRUE, TRUE, TRUE, TRUE, TRUE, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.Year, o.SchoolUAI, teacher.ID, strings.Join(o.ClassLevels, ","), o.Training, trainingDate,
		len(o.PackIDs), teacher.ID, at, o.State != store.LoanCancelled, at, at).Scan(ctx, &reqID); err != nil {
		t.Fatalf("insert request: %v", err)
	}
	stamp := func(on bool) any {
		if on {
			return at
		}
		return nil
	}
	stateAtLeast := func(s store.LoanState) bool {
		order := map[store.LoanState]int{store.LoanReserved: 0, store.LoanSigned: 1, store.LoanPickedUp: 2, store.LoanReturned: 3, store.LoanClosed: 4}
		cur, ok := order[o.State]
		return ok && cur >= order[s]
	}
	dirSigned := o.DirectorSigned || stateAtLeast(store.LoanSigned)
	itSigned := o.ITSigned || stateAtLeast(store.LoanSigned)
	var signer any
	if dirSigned || itSigned {
		signer = teacher.ID
	}
	var cancelledAt any
	reason := ""
	if o.State == store.LoanCancelled {
		c := o.CancelledAt
		if c.IsZero() {
			c = at
		}
		cancelledAt, reason = c.UTC().Truncate(time.Microsecond), "Projet reporté"
	}
	var loanID int64
	if err := b.NewRaw(`INSERT INTO loans (request_id, school_year, school_uai, state, start_week, weeks, extension_weeks,
		pickup_day, base_return_day, return_day, turnaround_days,
		director_signed_by, director_signed_at, it_signed_by, it_signed_at, picked_up_at, returned_at, closed_at,
		cancelled_at, cancel_reason, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, 0, 6, ?, ?, ?, ?, 7, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`,
		reqID, o.Year, o.SchoolUAI, o.State, o.ExtensionWeeks,
		o.Pickup.String(), o.BaseReturn.String(), o.Return.String(),
		nilIf(!dirSigned, signer), stamp(dirSigned), nilIf(!itSigned, signer), stamp(itSigned),
		stamp(stateAtLeast(store.LoanPickedUp)), stamp(stateAtLeast(store.LoanReturned)), stamp(stateAtLeast(store.LoanClosed)),
		cancelledAt, reason, at, at).Scan(ctx, &loanID); err != nil {
		t.Fatalf("insert loan: %v", err)
	}
	for i, p := range o.PackIDs {
		if _, err := b.NewRaw(`INSERT INTO loan_packs (loan_id, pack_id, position, pickup_day, busy_until, cancelled)
			VALUES (?, ?, ?, ?, ?, ?)`, loanID, p, i+1, o.Pickup.String(), o.Return.AddDays(8).String(),
			o.State == store.LoanCancelled).Exec(ctx); err != nil {
			t.Fatalf("insert loan pack: %v", err)
		}
	}
	if o.Assessed {
		if _, err := b.NewRaw(`INSERT INTO loan_assessments (loan_id, author_id, human, pedagogical, productions, apply_again, created_at, updated_at)
			VALUES (?, ?, 'Élèves très investis.', 'Production de podcasts.', '[]', TRUE, ?, ?)`,
			loanID, teacher.ID, at, at).Exec(ctx); err != nil {
			t.Fatalf("insert assessment: %v", err)
		}
	}
	return loanID
}

func nilIf(cond bool, v any) any {
	if cond {
		return nil
	}
	return v
}

// ChangeLoan updates columns of a loan at time at, bumping its version and
// updated_at like every loan change does. set maps a column to its new
// value (calendar.Date values are written as dates).
func ChangeLoan(t testing.TB, db *store.DB, loanID int64, at time.Time, set map[string]any) {
	t.Helper()
	q := db.Bun().NewUpdate().Table("loans").Where("id = ?", loanID).
		Set("version = version + 1").Set("updated_at = ?", at.UTC().Truncate(time.Microsecond))
	for col, v := range set {
		if d, ok := v.(calendar.Date); ok {
			v = d.String()
		}
		q = q.Set(fmt.Sprintf("%s = ?", col), v)
	}
	if _, err := q.Exec(context.Background()); err != nil {
		t.Fatalf("change loan %d: %v", loanID, err)
	}
}

// CancelFeedLoan cancels a loan at time at, freeing its packs.
func CancelFeedLoan(t testing.TB, db *store.DB, loanID int64, at time.Time) {
	t.Helper()
	ChangeLoan(t, db, loanID, at, map[string]any{"state": store.LoanCancelled,
		"cancelled_at": at.UTC().Truncate(time.Microsecond), "cancel_reason": "Projet reporté"})
	if _, err := db.Bun().NewRaw("UPDATE loan_packs SET cancelled = TRUE WHERE loan_id = ?", loanID).Exec(context.Background()); err != nil {
		t.Fatalf("cancel loan packs %d: %v", loanID, err)
	}
	if _, err := db.Bun().NewRaw("UPDATE requests SET has_loan = FALSE WHERE id = (SELECT request_id FROM loans WHERE id = ?)", loanID).Exec(context.Background()); err != nil {
		t.Fatalf("cancel loan request %d: %v", loanID, err)
	}
}
