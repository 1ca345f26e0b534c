package store

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// ReminderLoan is what the nightly reminder computation needs to know about
// a loan: its dates, how far it went, and who is concerned.
type ReminderLoan struct {
	ID         int64
	SchoolYear string
	SchoolUAI  string
	SchoolName string
	// Title is the request's project title.
	Title     string
	State     LoanState
	TeacherID int64
	PickupDay calendar.Date
	// ReturnDay is the current return day (after confirmed extensions).
	ReturnDay calendar.Date
	// ReturnedOn is the Paris date of the actual return; zero while out.
	ReturnedOn     calendar.Date
	DirectorSigned bool
	ITSigned       bool
	// TrainingDone is the request's training status being "done".
	TrainingDone      bool
	AssessmentWritten bool
	// ExtensionRequestedOn is the Paris date an extension request awaiting
	// the coordinator's decision was made; zero when none awaits.
	ExtensionRequestedOn calendar.Date
	// ExtensionReturnDay is the return day that extension would give.
	ExtensionReturnDay calendar.Date
	// Packs lists the pack codes (filled by ReminderLoansByID only).
	Packs []string
}

// Cancelled reports whether the loan was cancelled.
func (l ReminderLoan) Cancelled() bool { return l.State == "cancelled" }

type reminderLoanRow struct {
	ID                 int64      `bun:"id"`
	SchoolYear         string     `bun:"school_year"`
	SchoolUAI          string     `bun:"school_uai"`
	SchoolName         string     `bun:"school_name"`
	Title              string     `bun:"title"`
	State              LoanState  `bun:"state"`
	TeacherID          int64      `bun:"teacher_id"`
	PickupDay          sqlDate    `bun:"pickup_day"`
	ReturnDay          sqlDate    `bun:"return_day"`
	ReturnedAt         *time.Time `bun:"returned_at"`
	DirectorSigned     bool       `bun:"director_signed"`
	ITSigned           bool       `bun:"it_signed"`
	TrainingDone       bool       `bun:"training_done"`
	AssessmentWritten  bool       `bun:"assessment_written"`
	ExtRequestedAt     *time.Time `bun:"ext_requested_at"`
	ExtensionReturnDay sqlDate    `bun:"ext_return_day"`
}

func (r reminderLoanRow) loan() ReminderLoan {
	l := ReminderLoan{ID: r.ID, SchoolYear: r.SchoolYear, SchoolUAI: r.SchoolUAI, SchoolName: r.SchoolName,
		Title: r.Title, State: r.State, TeacherID: r.TeacherID, PickupDay: r.PickupDay.Date, ReturnDay: r.ReturnDay.Date,
		DirectorSigned: r.DirectorSigned, ITSigned: r.ITSigned, TrainingDone: r.TrainingDone,
		AssessmentWritten: r.AssessmentWritten, ExtensionReturnDay: r.ExtensionReturnDay.Date}
	if r.ReturnedAt != nil {
		l.ReturnedOn = calendar.ParisDate(*r.ReturnedAt)
	}
	if r.ExtRequestedAt != nil {
		l.ExtensionRequestedOn = calendar.ParisDate(*r.ExtRequestedAt)
	}
	return l
}

// reminderLoanColumns are the facts every reminder computation reads: the
// loan, its request (teacher, training), the extension request awaiting a
// decision (at most one, by a unique index) and the assessment. Dates are
// read as text and flags as booleans computed by the database: the nightly
// computation reads every live loan, and parsing timestamps (SQLite keeps
// them as text) dominated its time.
const reminderLoanColumns = `l.id, l.school_year, l.school_uai, l.state, q.teacher_id,
       CAST(l.pickup_day AS TEXT) AS pickup_day, CAST(l.return_day AS TEXT) AS return_day, l.returned_at,
       (l.director_signed_at IS NOT NULL) AS director_signed, (l.it_signed_at IS NOT NULL) AS it_signed,
       (q.training_status = 'done') AS training_done, (a.loan_id IS NOT NULL) AS assessment_written,
       e.requested_at AS ext_requested_at, CAST(e.new_return_day AS TEXT) AS ext_return_day`

const reminderLoanFrom = `
FROM loans AS l
JOIN requests AS q ON q.id = l.request_id
LEFT JOIN loan_extensions AS e ON e.loan_id = l.id AND e.state = 'requested'
LEFT JOIN loan_assessments AS a ON a.loan_id = l.id
`

// ReminderWindow bounds the loans ReminderLoans reads, state by state: a
// loan can only have a reminder due in the nightly window when its date of
// reference for its state lies in the matching range.
type ReminderWindow struct {
	// PickupFrom, PickupTo bound the pickup day of loans not picked up yet.
	PickupFrom, PickupTo calendar.Date
	// ReturnFrom, ReturnTo bound the return day of loans out.
	ReturnFrom, ReturnTo calendar.Date
	// ReturnedFrom bounds the (Paris) day returned loans without an
	// assessment came back.
	ReturnedFrom calendar.Date
}

// ReminderLoans returns the live loans that may have a reminder due in the
// window: not picked up yet with their pickup day in [PickupFrom,
// PickupTo]; out with their return day in [ReturnFrom, ReturnTo] or an
// extension request awaiting a decision; returned since ReturnedFrom with
// no assessment.
func (db *DB) ReminderLoans(ctx context.Context, w ReminderWindow) (_ []ReminderLoan, err error) {
	defer wrapf(&err, "ReminderLoans(%s)", w.PickupFrom)
	var rows []reminderLoanRow
	// The earliest instant whose Paris date can be ReturnedFrom.
	returnedSince := w.ReturnedFrom.Time().Add(-2 * time.Hour)
	if err := db.bun.NewRaw(`SELECT `+reminderLoanColumns+reminderLoanFrom+`
WHERE (l.state IN ('reserved', 'signed') AND l.pickup_day >= ? AND l.pickup_day <= ?)
   OR (l.state = 'picked_up' AND ((l.return_day >= ? AND l.return_day <= ?) OR e.loan_id IS NOT NULL))
   OR (l.state IN ('returned', 'closed') AND a.loan_id IS NULL
       AND (l.returned_at >= ? OR (l.returned_at IS NULL AND l.return_day >= ?)))
ORDER BY l.id`, sqlDate{w.PickupFrom}, sqlDate{w.PickupTo}, sqlDate{w.ReturnFrom}, sqlDate{w.ReturnTo},
		returnedSince, sqlDate{w.ReturnedFrom}).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]ReminderLoan, len(rows))
	for i, r := range rows {
		out[i] = r.loan()
	}
	return out, nil
}

// ReminderLoansByID returns the loans ids (cancelled ones included) with
// their pack codes, keyed by id; unknown ids are absent.
func (db *DB) ReminderLoansByID(ctx context.Context, ids []int64) (_ map[int64]ReminderLoan, err error) {
	defer wrapf(&err, "ReminderLoansByID(%d)", len(ids))
	out := make(map[int64]ReminderLoan, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []reminderLoanRow
	if err := db.bun.NewRaw(`SELECT `+reminderLoanColumns+`, s.name AS school_name, q.title`+reminderLoanFrom+
		`JOIN schools AS s ON s.uai = l.school_uai WHERE l.id IN (?)`, bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.loan()
	}
	var packs []struct {
		LoanID int64  `bun:"loan_id"`
		Code   string `bun:"code"`
	}
	if err := db.bun.NewRaw(`SELECT lp.loan_id, p.code FROM loan_packs AS lp JOIN packs AS p ON p.id = lp.pack_id
WHERE lp.loan_id IN (?) ORDER BY lp.loan_id, lp.position`, bun.List(ids)).Scan(ctx, &packs); err != nil {
		return nil, err
	}
	for _, p := range packs {
		l := out[p.LoanID]
		l.Packs = append(l.Packs, p.Code)
		out[p.LoanID] = l
	}
	return out, nil
}

// ReminderStaff is who receives reminders besides teachers: the active
// directors of each school, the IT department and the coordinators.
type ReminderStaff struct {
	Directors    map[string][]int64
	IT           []int64
	Coordinators []int64
}

// ReminderStaff returns the active directors, IT users and coordinators.
func (db *DB) ReminderStaff(ctx context.Context) (_ ReminderStaff, err error) {
	defer wrapf(&err, "ReminderStaff")
	var rows []userRow
	if err := db.bun.NewSelect().Model(&rows).Column("id", "role", "school_uai").
		Where("disabled_at IS NULL").Where("role IN (?)", bun.List([]string{string(RoleDirector), string(RoleIT), string(RoleCoordinator)})).
		OrderExpr("id").Scan(ctx); err != nil {
		return ReminderStaff{}, err
	}
	st := ReminderStaff{Directors: map[string][]int64{}}
	for _, r := range rows {
		switch Role(r.Role) {
		case RoleDirector:
			if r.SchoolUAI != nil {
				st.Directors[*r.SchoolUAI] = append(st.Directors[*r.SchoolUAI], r.ID)
			}
		case RoleIT:
			st.IT = append(st.IT, r.ID)
		case RoleCoordinator:
			st.Coordinators = append(st.Coordinators, r.ID)
		}
	}
	return st, nil
}

// ActiveUsers returns the active users among ids, keyed by id.
func (db *DB) ActiveUsers(ctx context.Context, ids []int64) (_ map[int64]User, err error) {
	defer wrapf(&err, "ActiveUsers(%d)", len(ids))
	out := make(map[int64]User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var rows []userRow
	if err := db.bun.NewSelect().Model(&rows).Where("id IN (?)", bun.List(ids)).Where("disabled_at IS NULL").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.user()
	}
	return out, nil
}
