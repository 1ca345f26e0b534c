package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/classemobile/classemobile/internal/store"
)

// LoanYear is the school year the loan factories use: in 2026-2027 zone C,
// P1 is weeks 0–6 (legal 6-week starts 0 and 1), P2 weeks 7–13 (starts 7
// and 8), P3 only 5 weeks (no legal start), P5 weeks 25–35.
const LoanYear = "2026-2027"

// ValidatedRequestOpts sets fields of a validated request made for loans;
// zero fields get defaults.
type ValidatedRequestOpts struct {
	SchoolUAI  string // a new school when empty
	TeacherID  int64  // a new teacher of the school when zero
	SchoolYear string // LoanYear when empty
	Packs      int    // 1 when zero
	// TrainingStatus is not_planned, planned or done (the default).
	TrainingStatus  string
	ExcludedPeriods string // e.g. "P2,P4"
}

// LoanRequest is a validated request ready to receive a loan.
type LoanRequest struct {
	ID        int64
	SchoolUAI string
	TeacherID int64
	Teacher   store.User
	// TeacherToken is set when the factory created the teacher.
	TeacherToken string
}

// ValidatedRequest inserts a request already in state validated, directly
// in the requests table (so loan tests do not walk the whole request
// workflow).
func ValidatedRequest(t testing.TB, db *store.DB, opts *ValidatedRequestOpts) LoanRequest {
	t.Helper()
	if opts == nil {
		opts = &ValidatedRequestOpts{}
	}
	o := *opts
	if o.SchoolUAI == "" {
		o.SchoolUAI = School(t, db, nil).UAI
	}
	var lr LoanRequest
	if o.TeacherID == 0 {
		lr.Teacher, lr.TeacherToken = User(t, db, &UserOpts{Role: store.RoleTeacher, SchoolUAI: o.SchoolUAI, Name: "Enseignant " + Unique()})
		o.TeacherID = lr.Teacher.ID
	}
	if o.SchoolYear == "" {
		o.SchoolYear = LoanYear
	}
	if o.Packs == 0 {
		o.Packs = 1
	}
	if o.TrainingStatus == "" {
		o.TrainingStatus = "done"
	}
	var trainingDate any
	if o.TrainingStatus != "not_planned" {
		trainingDate = "2026-09-10"
	}
	decider, _ := User(t, db, &UserOpts{Role: store.RoleCoordinator})
	now := time.Now().UTC().Truncate(time.Microsecond)
	ctx := context.Background()
	err := db.Bun().NewRaw(`INSERT INTO requests (school_year, school_uai, teacher_id, state, class_levels, pupils, title,
		commit_secure_use, commit_visits, commit_parents, commit_feedback, secure_storage, classroom_wifi,
		training_status, training_date, excluded_periods, packs, decision_reason, decided_by, decided_at, created_at, updated_at)
		VALUES (?, ?, ?, 'validated', 'CM1', 24, ?, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, ?, ?, ?, ?, 'Projet retenu', ?, ?, ?, ?)
		RETURNING id`,
		o.SchoolYear, o.SchoolUAI, o.TeacherID, "Projet tablettes "+Unique(), o.TrainingStatus, trainingDate,
		o.ExcludedPeriods, o.Packs, decider.ID, now, now, now).Scan(ctx, &lr.ID)
	if err != nil {
		t.Fatalf("create validated request: %v", err)
	}
	lr.SchoolUAI, lr.TeacherID = o.SchoolUAI, o.TeacherID
	return lr
}

// SetTrainingStatus sets the training status of a request directly.
func SetTrainingStatus(t testing.TB, db *store.DB, requestID int64, status string) {
	t.Helper()
	var date any
	if status != "not_planned" {
		date = "2026-09-10"
	}
	if _, err := db.Bun().NewRaw("UPDATE requests SET training_status = ?, training_date = ? WHERE id = ?", status, date, requestID).
		Exec(context.Background()); err != nil {
		t.Fatalf("set training status: %v", err)
	}
}

// LoanOverlaps counts the pairs of live loans of one pack whose busy
// ranges overlap: the invariant the database constraint keeps at zero.
func LoanOverlaps(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Bun().NewRaw(`SELECT count(*) FROM loan_packs AS a JOIN loan_packs AS b
		ON a.pack_id = b.pack_id AND a.loan_id < b.loan_id
		WHERE NOT a.cancelled AND NOT b.cancelled
		  AND a.pickup_day < b.busy_until AND b.pickup_day < a.busy_until`).Scan(context.Background(), &n); err != nil {
		t.Fatalf("count loan overlaps: %v", err)
	}
	return n
}
