package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// LoanFixture sets the facts of a test loan for the reminder tests. Zero
// fields get defaults: a new school, a new teacher, state reserved, pickup
// on 2026-01-05 and return six weeks later.
type LoanFixture struct {
	SchoolUAI      string
	TeacherID      int64
	State          store.LoanState // reserved, signed, picked_up, returned, closed, cancelled
	SchoolYear     string          // defaults to the school year of Pickup
	Pickup         calendar.Date
	Return         calendar.Date
	TrainingDone   bool
	DirectorSigned bool
	ITSigned       bool
	// ReturnedAt is the actual return; defaults to Return at 10:00 UTC for
	// returned and closed loans.
	ReturnedAt *time.Time
	Title      string
	// PackID, when set, attaches that pack to the loan.
	PackID int64
}

type fixtureRequestRow struct {
	bun.BaseModel `bun:"table:requests"`

	ID              int64           `bun:"id,pk,autoincrement"`
	SchoolYear      string          `bun:"school_year"`
	SchoolUAI       string          `bun:"school_uai"`
	TeacherID       int64           `bun:"teacher_id"`
	State           store.LoanState `bun:"state"`
	ClassLevels     string          `bun:"class_levels"`
	Pupils          int             `bun:"pupils"`
	Title           string          `bun:"title"`
	CommitSecureUse bool            `bun:"commit_secure_use"`
	CommitVisits    bool            `bun:"commit_visits"`
	CommitParents   bool            `bun:"commit_parents"`
	CommitFeedback  bool            `bun:"commit_feedback"`
	SecureStorage   bool            `bun:"secure_storage"`
	TrainingStatus  string          `bun:"training_status"`
	TrainingDate    *string         `bun:"training_date"`
	Packs           int             `bun:"packs"`
	DecidedBy       int64           `bun:"decided_by"`
	DecidedAt       time.Time       `bun:"decided_at"`
	HasLoan         bool            `bun:"has_loan"`
	CreatedAt       time.Time       `bun:"created_at"`
	UpdatedAt       time.Time       `bun:"updated_at"`
	SubmittedAt     *time.Time      `bun:"submitted_at"`
}

type fixtureLoanRow struct {
	bun.BaseModel `bun:"table:loans"`

	ID               int64           `bun:"id,pk,autoincrement"`
	RequestID        int64           `bun:"request_id"`
	SchoolYear       string          `bun:"school_year"`
	SchoolUAI        string          `bun:"school_uai"`
	State            store.LoanState `bun:"state"`
	StartWeek        int             `bun:"start_week"`
	Weeks            int             `bun:"weeks"`
	PickupDay        string          `bun:"pickup_day"`
	BaseReturnDay    string          `bun:"base_return_day"`
	ReturnDay        string          `bun:"return_day"`
	DirectorSignedAt *time.Time      `bun:"director_signed_at"`
	ITSignedAt       *time.Time      `bun:"it_signed_at"`
	PickedUpAt       *time.Time      `bun:"picked_up_at"`
	ReturnedAt       *time.Time      `bun:"returned_at"`
	CancelledAt      *time.Time      `bun:"cancelled_at"`
	CancelReason     string          `bun:"cancel_reason"`
	CreatedAt        time.Time       `bun:"created_at"`
	UpdatedAt        time.Time       `bun:"updated_at"`
}

// LoanEnv is what ReminderLoans needs besides the fixtures: a decider for
// the requests (any coordinator).
type LoanEnv struct {
	CoordinatorID int64
}

// ReminderLoan inserts a validated request and its loan with the facts of
// f, straight into the tables (no business rules), and returns the loan id.
func ReminderLoan(t testing.TB, db *store.DB, env LoanEnv, f LoanFixture) int64 {
	t.Helper()
	ids := ReminderLoans(t, db, env, []LoanFixture{f})
	return ids[0]
}

// ReminderLoans bulk-inserts loans (see ReminderLoan) in batches and
// returns their ids in order. Every fixture needs SchoolUAI and TeacherID.
func ReminderLoans(t testing.TB, db *store.DB, env LoanEnv, fs []LoanFixture) []int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	var ids []int64
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		const batch = 1000
		for start := 0; start < len(fs); start += batch {
			part := fs[start:min(start+batch, len(fs))]
			reqs := make([]fixtureRequestRow, len(part))
			for i, f := range part {
				f = withDefaults(f)
				req := fixtureRequestRow{SchoolYear: f.SchoolYear, SchoolUAI: f.SchoolUAI, TeacherID: f.TeacherID, State: "validated",
					ClassLevels: "CM1", Pupils: 24, Title: f.Title, CommitSecureUse: true, CommitVisits: true, CommitParents: true,
					CommitFeedback: true, SecureStorage: true, TrainingStatus: "not_planned", Packs: 1, DecidedBy: env.CoordinatorID,
					DecidedAt: now, HasLoan: f.State != "cancelled", CreatedAt: now, UpdatedAt: now, SubmittedAt: &now}
				if f.TrainingDone {
					d := f.Pickup.AddDays(-20).String()
					req.TrainingStatus, req.TrainingDate = "done", &d
				}
				reqs[i] = req
			}
			if _, err := tx.NewInsert().Model(&reqs).Returning("id").Exec(ctx); err != nil {
				return err
			}
			loans := make([]fixtureLoanRow, len(part))
			for i, f := range part {
				f = withDefaults(f)
				l := fixtureLoanRow{RequestID: reqs[i].ID, SchoolYear: f.SchoolYear, SchoolUAI: f.SchoolUAI, State: f.State,
					Weeks: 6, PickupDay: f.Pickup.String(), BaseReturnDay: f.Return.String(), ReturnDay: f.Return.String(),
					CreatedAt: now, UpdatedAt: now}
				if f.DirectorSigned {
					l.DirectorSignedAt = &now
				}
				if f.ITSigned {
					l.ITSignedAt = &now
				}
				switch f.State {
				case "picked_up", "returned", "closed":
					at := f.Pickup.Time().Add(9 * time.Hour)
					l.PickedUpAt = &at
				case "cancelled":
					l.CancelledAt, l.CancelReason = &now, "annulé pour le test"
				}
				if f.State == "returned" || f.State == "closed" {
					at := f.Return.Time().Add(10 * time.Hour)
					if f.ReturnedAt != nil {
						at = f.ReturnedAt.UTC()
					}
					l.ReturnedAt = &at
				}
				loans[i] = l
			}
			if _, err := tx.NewInsert().Model(&loans).Returning("id").Exec(ctx); err != nil {
				return err
			}
			for i, f := range part {
				ids = append(ids, loans[i].ID)
				if f.PackID != 0 {
					if _, err := tx.NewRaw(`INSERT INTO loan_packs (loan_id, pack_id, position, pickup_day, busy_until, cancelled) VALUES (?, ?, 1, ?, ?, ?)`,
						loans[i].ID, f.PackID, loans[i].PickupDay, withDefaults(f).Return.AddDays(7).String(), f.State == "cancelled").Exec(ctx); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert reminder loans: %v", err)
	}
	return ids
}

func withDefaults(f LoanFixture) LoanFixture {
	if f.State == "" {
		f.State = "reserved"
	}
	if f.Pickup.IsZero() {
		f.Pickup = calendar.NewDate(2026, 1, 5)
	}
	if f.Return.IsZero() {
		f.Return = f.Pickup.AddDays(6*7 - 3)
	}
	if f.SchoolYear == "" {
		y := f.Pickup.Year()
		if f.Pickup.Month() < 8 {
			y--
		}
		f.SchoolYear = calendar.YearName(y)
	}
	if f.Title == "" {
		f.Title = "Tablettes et récits numériques"
	}
	return f
}

// ExecLoan runs a raw statement on the test database (for tests that
// change a loan's facts behind the store's back: cancel, extend, sign).
func ExecLoan(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Bun().NewRaw(query, args...).Exec(context.Background()); err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}

// OpenURL opens (without migrating) another handle on a test database,
// closed at the end of the test.
func OpenURL(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{Logger: Logger(t), MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
