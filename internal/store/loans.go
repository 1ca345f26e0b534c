package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/classemobile/classemobile/calendar"
)

// Loan states. A loan goes reserved → signed (agreement signed by both the
// director and the IT department) → picked_up → returned → closed; it may
// be cancelled (with a reason) before the pickup.
const (
	LoanReserved  LoanState = "reserved"
	LoanSigned    LoanState = "signed"
	LoanPickedUp  LoanState = "picked_up"
	LoanReturned  LoanState = "returned"
	LoanClosed    LoanState = "closed"
	LoanCancelled LoanState = "cancelled"
)

// LoanStates lists the loan states in lifecycle order.
var LoanStates = []LoanState{LoanReserved, LoanSigned, LoanPickedUp, LoanReturned, LoanClosed, LoanCancelled}

// LoanStateLabel returns the French label of a loan state.
func LoanStateLabel[S ~string](state S) string { return LoanState(state).Label() }

// Loan defaults.
const (
	// DefaultLoanWeeks is the length of a loan in school weeks when NewLoan
	// does not say.
	DefaultLoanWeeks = 6
	// DefaultTurnaroundDays is the number of calendar days after the return
	// day during which the pack stays busy (checks, recharging, transport)
	// when NewLoan does not say.
	DefaultTurnaroundDays = 7
)

func invalidLoan(field, code, format string, args ...any) *RuleError {
	return Invalid(field, code, format, args...)
}

func loanConflict(code, format string, args ...any) *RuleError {
	return Conflicting(code, format, args...)
}

// stateError refuses an action in the loan's current state, naming it.
func stateError(action string, state LoanState, allowed ...LoanState) *RuleError {
	labels := make([]string, len(allowed))
	for i, s := range allowed {
		labels[i] = "« " + LoanStateLabel(s) + " »"
	}
	return &RuleError{Kind: RuleConflict, Code: "invalid_state", State: state, Message: fmt.Sprintf(
		"%s impossible : le prêt est à l'état « %s » (état attendu : %s).",
		action, LoanStateLabel(state), strings.Join(labels, " ou "))}
}

// Signature records who signed the loan agreement for one party, and when.
type Signature struct {
	UserID int64     `json:"user_id"`
	At     time.Time `json:"at"`
	// Name is the signer's name; Role the party signed for (director or
	// it) and RoleLabel its French label.
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	RoleLabel string `json:"role_label"`
}

// LoanLabel is the French label of a loan shown to people: « prêt n° 9 ».
func LoanLabel(id int64) string { return fmt.Sprintf("prêt n° %d", id) }

// LoanPack is one pack lent by a loan.
type LoanPack struct {
	PackID   int64  `json:"pack_id"`
	Code     string `json:"code"`
	Label    string `json:"label"`
	Position int    `json:"position"`
}

// Loan is the lending of one or more packs to the class of a validated
// request, for a range of school days. Every change bumps Version and
// UpdatedAt: feeds and reminders use them as the change marker.
type Loan struct {
	ID           int64  `json:"id"`
	RequestID    int64  `json:"request_id"`
	RequestTitle string `json:"request_title"`
	TeacherID    int64  `json:"teacher_id"`
	SchoolYear   string `json:"school_year"`
	SchoolUAI    string `json:"school_uai"`
	// Label (« prêt n° 9 »), SchoolName and TeacherName name the loan,
	// its school and its teacher beside their ids.
	Label       string    `json:"label"`
	SchoolName  string    `json:"school_name"`
	TeacherName string    `json:"teacher_name"`
	RoundID     *int64    `json:"round_id,omitempty"`
	State       LoanState `json:"state"`
	// StartWeek is the school week index of the first week; Weeks the base
	// length in school weeks; ExtensionWeeks the confirmed extensions.
	StartWeek      int `json:"start_week"`
	Weeks          int `json:"weeks"`
	ExtensionWeeks int `json:"extension_weeks"`
	// PickupDay is the first school day of the loan, ReturnDay its last
	// (after extensions), BaseReturnDay the last before any extension.
	PickupDay     calendar.Date `json:"pickup_day"`
	ReturnDay     calendar.Date `json:"return_day"`
	BaseReturnDay calendar.Date `json:"base_return_day"`
	// PickupTime is the agreed time of the pickup ("14:30", Europe/Paris),
	// empty when none is set.
	PickupTime string `json:"pickup_time,omitempty"`
	// TurnaroundDays after the return day the packs stay busy; BusyUntil
	// (exclusive) is ReturnDay plus TurnaroundDays.
	TurnaroundDays    int           `json:"turnaround_days"`
	BusyUntil         calendar.Date `json:"busy_until"`
	Packs             []LoanPack    `json:"packs"`
	DirectorSignature *Signature    `json:"director_signature,omitempty"`
	ITSignature       *Signature    `json:"it_signature,omitempty"`
	PickedUpAt        *time.Time    `json:"picked_up_at,omitempty"`
	ReturnedAt        *time.Time    `json:"returned_at,omitempty"`
	ClosedAt          *time.Time    `json:"closed_at,omitempty"`
	ClosedBy          int64         `json:"closed_by,omitempty"`
	ClosedByName      string        `json:"closed_by_name,omitempty"`
	// CloseReason says why the loan was closed with incidents still open.
	CloseReason  string     `json:"close_reason,omitempty"`
	CancelledAt  *time.Time `json:"cancelled_at,omitempty"`
	CancelReason string     `json:"cancel_reason,omitempty"`
	Version      int        `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Live reports whether the loan still holds its packs (not cancelled).
func (l Loan) Live() bool { return l.State != LoanCancelled }

// PackCodes returns the codes of the loan's packs, in order.
func (l Loan) PackCodes() []string {
	out := make([]string, len(l.Packs))
	for i, p := range l.Packs {
		out[i] = p.Code
	}
	return out
}

type loanRow struct {
	bun.BaseModel `bun:"table:loans,alias:l"`

	ID               int64      `bun:"id,pk,autoincrement"`
	RequestID        int64      `bun:"request_id,notnull"`
	SchoolYear       string     `bun:"school_year,notnull"`
	SchoolUAI        string     `bun:"school_uai,notnull"`
	RoundID          *int64     `bun:"round_id"`
	State            LoanState  `bun:"state,notnull"`
	StartWeek        int        `bun:"start_week,notnull"`
	Weeks            int        `bun:"weeks,notnull"`
	ExtensionWeeks   int        `bun:"extension_weeks,notnull"`
	PickupDay        sqlDate    `bun:"pickup_day,notnull"`
	PickupTime       *string    `bun:"pickup_time"`
	BaseReturnDay    sqlDate    `bun:"base_return_day,notnull"`
	ReturnDay        sqlDate    `bun:"return_day,notnull"`
	TurnaroundDays   int        `bun:"turnaround_days,notnull"`
	DirectorSignedBy *int64     `bun:"director_signed_by"`
	DirectorSignedAt *time.Time `bun:"director_signed_at"`
	ITSignedBy       *int64     `bun:"it_signed_by"`
	ITSignedAt       *time.Time `bun:"it_signed_at"`
	PickedUpAt       *time.Time `bun:"picked_up_at"`
	ReturnedAt       *time.Time `bun:"returned_at"`
	ClosedAt         *time.Time `bun:"closed_at"`
	ClosedBy         *int64     `bun:"closed_by"`
	CloseReason      string     `bun:"close_reason,notnull"`
	CancelledAt      *time.Time `bun:"cancelled_at"`
	CancelReason     string     `bun:"cancel_reason,notnull"`
	Version          int        `bun:"version,notnull"`
	CreatedAt        time.Time  `bun:"created_at,notnull"`
	UpdatedAt        time.Time  `bun:"updated_at,notnull"`

	// From the request, read only.
	TeacherID    int64  `bun:"teacher_id,scanonly"`
	RequestTitle string `bun:"request_title,scanonly"`
	// Names, read only.
	SchoolName         string  `bun:"school_name,scanonly"`
	TeacherName        string  `bun:"teacher_name,scanonly"`
	DirectorSignerName *string `bun:"director_signer_name,scanonly"`
	ITSignerName       *string `bun:"it_signer_name,scanonly"`
	ClosedByName       *string `bun:"closed_by_name,scanonly"`
}

func strOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func loanTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r loanRow) loan() Loan {
	l := Loan{ID: r.ID, RequestID: r.RequestID, RequestTitle: r.RequestTitle, TeacherID: r.TeacherID,
		SchoolYear: r.SchoolYear, SchoolUAI: r.SchoolUAI, RoundID: r.RoundID, State: r.State,
		StartWeek: r.StartWeek, Weeks: r.Weeks, ExtensionWeeks: r.ExtensionWeeks,
		PickupDay: r.PickupDay.Date, ReturnDay: r.ReturnDay.Date, BaseReturnDay: r.BaseReturnDay.Date,
		TurnaroundDays: r.TurnaroundDays, BusyUntil: r.ReturnDay.Date.AddDays(1 + r.TurnaroundDays),
		Packs:      []LoanPack{},
		PickedUpAt: loanTime(r.PickedUpAt), ReturnedAt: loanTime(r.ReturnedAt), ClosedAt: loanTime(r.ClosedAt),
		CancelledAt: loanTime(r.CancelledAt), CancelReason: r.CancelReason, CloseReason: r.CloseReason,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Label: LoanLabel(r.ID), SchoolName: r.SchoolName, TeacherName: r.TeacherName}
	if r.DirectorSignedBy != nil && r.DirectorSignedAt != nil {
		l.DirectorSignature = &Signature{UserID: *r.DirectorSignedBy, At: r.DirectorSignedAt.UTC(),
			Name: strOr(r.DirectorSignerName), Role: RoleDirector, RoleLabel: RoleDirector.Label()}
	}
	if r.ITSignedBy != nil && r.ITSignedAt != nil {
		l.ITSignature = &Signature{UserID: *r.ITSignedBy, At: r.ITSignedAt.UTC(),
			Name: strOr(r.ITSignerName), Role: RoleIT, RoleLabel: RoleIT.Label()}
	}
	if r.ClosedBy != nil {
		l.ClosedBy = *r.ClosedBy
		l.ClosedByName = strOr(r.ClosedByName)
	}
	if r.PickupTime != nil {
		l.PickupTime = *r.PickupTime
	}
	return l
}

// busyUntil is the exclusive end of a loan's busy range: the day after the
// return day plus the turnaround days.
func busyUntil(ret calendar.Date, turnaround int) calendar.Date {
	return ret.AddDays(1 + turnaround)
}

type loanPackRow struct {
	bun.BaseModel `bun:"table:loan_packs,alias:lp"`

	LoanID    int64   `bun:"loan_id,pk"`
	PackID    int64   `bun:"pack_id,pk"`
	Position  int     `bun:"position,notnull"`
	PickupDay sqlDate `bun:"pickup_day,notnull"`
	BusyUntil sqlDate `bun:"busy_until,notnull"`
	Cancelled bool    `bun:"cancelled,notnull"`

	Code  string `bun:"code,scanonly"`
	Label string `bun:"label,scanonly"`
}

// loanRequest is what loans need of a request (a row of the requests table).
type loanRequest struct {
	ID              int64
	SchoolYear      string
	SchoolUAI       string
	TeacherID       int64
	State           string
	Packs           int
	TrainingStatus  TrainingStatus
	TrainingDate    sqlDate
	ExcludedPeriods string
	HasLoan         bool
	Title           string
}

func isPostgres(idb bun.IDB) bool { return idb.Dialect().Name() == dialect.PG }

func getLoanRequest(ctx context.Context, idb bun.IDB, id int64, forUpdate bool) (loanRequest, error) {
	var r loanRequest
	q := "SELECT id, school_year, school_uai, teacher_id, state, packs, training_status, training_date, excluded_periods, has_loan, title FROM requests WHERE id = ?"
	if forUpdate && isPostgres(idb) {
		q += " FOR UPDATE"
	}
	err := idb.NewRaw(q, id).Scan(ctx, &r.ID, &r.SchoolYear, &r.SchoolUAI,
		&r.TeacherID, &r.State, &r.Packs, &r.TrainingStatus, &r.TrainingDate, &r.ExcludedPeriods, &r.HasLoan, &r.Title)
	return r, err
}

func loanList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loanSelect selects loans with the request's teacher and title.
func loanSelect(idb bun.IDB, rows any) *bun.SelectQuery {
	return idb.NewSelect().Model(rows).ColumnExpr("l.*").
		ColumnExpr("r.teacher_id AS teacher_id, r.title AS request_title").
		ColumnExpr("ls.name AS school_name, lt.name AS teacher_name").
		ColumnExpr("lds.name AS director_signer_name, lis.name AS it_signer_name, lcb.name AS closed_by_name").
		Join("JOIN requests AS r ON r.id = l.request_id").
		Join("JOIN schools AS ls ON ls.uai = l.school_uai").
		Join("JOIN users AS lt ON lt.id = r.teacher_id").
		Join("LEFT JOIN users AS lds ON lds.id = l.director_signed_by").
		Join("LEFT JOIN users AS lis ON lis.id = l.it_signed_by").
		Join("LEFT JOIN users AS lcb ON lcb.id = l.closed_by")
}

// getLoan reads one loan with its packs; forUpdate locks the row in
// PostgreSQL (SQLite transactions already hold the write lock).
func getLoan(ctx context.Context, idb bun.IDB, id int64, forUpdate bool) (Loan, error) {
	var row loanRow
	q := loanSelect(idb, &row).Where("l.id = ?", id)
	if forUpdate && isPostgres(idb) {
		q = q.For("UPDATE OF l")
	}
	if err := q.Scan(ctx); err != nil {
		return Loan{}, err
	}
	ls := []Loan{row.loan()}
	if err := attachPacks(ctx, idb, ls); err != nil {
		return Loan{}, err
	}
	return ls[0], nil
}

func attachPacks(ctx context.Context, idb bun.IDB, ls []Loan) error {
	if len(ls) == 0 {
		return nil
	}
	ids := make([]int64, len(ls))
	index := make(map[int64]int, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
		index[l.ID] = i
	}
	var rows []loanPackRow
	if err := idb.NewSelect().Model(&rows).ColumnExpr("lp.*").ColumnExpr("p.code AS code, p.label AS label").
		Join("JOIN packs AS p ON p.id = lp.pack_id").
		Where("lp.loan_id IN (?)", bun.List(ids)).OrderExpr("lp.loan_id, lp.position").Scan(ctx); err != nil {
		return err
	}
	for _, r := range rows {
		l := &ls[index[r.LoanID]]
		l.Packs = append(l.Packs, LoanPack{PackID: r.PackID, Code: r.Code, Label: r.Label, Position: r.Position})
	}
	return nil
}

// LoanFilter selects loans; zero fields match everything.
type LoanFilter struct {
	SchoolYear string
	SchoolUAI  string
	State      LoanState
	PackID     int64
	RequestID  int64
	// UpdatedSince keeps loans changed at or after this instant.
	UpdatedSince time.Time
}

// ListLoans returns the loans matching f, by pickup day then id, with their
// packs. Cancelled loans are included (filter by State to drop them).
func (db *DB) ListLoans(ctx context.Context, f LoanFilter) (_ []Loan, err error) {
	defer wrapf(&err, "ListLoans")
	var rows []loanRow
	q := loanSelect(db.bun, &rows).OrderExpr("l.pickup_day, l.id")
	if f.SchoolYear != "" {
		q = q.Where("l.school_year = ?", f.SchoolYear)
	}
	if f.SchoolUAI != "" {
		q = q.Where("l.school_uai = ?", f.SchoolUAI)
	}
	if f.State != "" {
		q = q.Where("l.state = ?", f.State)
	}
	if f.RequestID != 0 {
		q = q.Where("l.request_id = ?", f.RequestID)
	}
	if f.PackID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM loan_packs AS x WHERE x.loan_id = l.id AND x.pack_id = ?)", f.PackID)
	}
	if !f.UpdatedSince.IsZero() {
		q = q.Where("l.updated_at >= ?", f.UpdatedSince.UTC())
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Loan, len(rows))
	for i, r := range rows {
		out[i] = r.loan()
	}
	if err := attachPacks(ctx, db.bun, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Loan returns one loan with its packs. Returns ErrNotFound.
func (db *DB) Loan(ctx context.Context, id int64) (_ Loan, err error) {
	defer wrapf(&err, "Loan(%d)", id)
	return getLoan(ctx, db.bun, id, false)
}

// updateLoan writes the loan row after (from a row read in the same
// transaction at version before.Version), bumping version and updated_at,
// and audits the change.
func updateLoan(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, action string, before Loan, row *loanRow) (Loan, error) {
	row.Version = before.Version + 1
	row.UpdatedAt = now
	res, err := tx.NewUpdate().Model(row).ExcludeColumn("id", "created_at", "request_id").
		Where("id = ?", before.ID).Where("version = ?", before.Version).Exec(ctx)
	if err != nil {
		return Loan{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return Loan{}, ErrStale
	}
	after, err := getLoan(ctx, tx, before.ID, false)
	if err != nil {
		return Loan{}, err
	}
	if err := Audit(ctx, tx, now, actor, action, "loan", before.ID, before, after); err != nil {
		return Loan{}, err
	}
	return after, nil
}

// loanRowOf reads the loan's row for an update.
func loanRowOf(ctx context.Context, tx bun.Tx, id int64) (loanRow, error) {
	var row loanRow
	err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx)
	return row, err
}

type lockedPack struct {
	ID     int64      `bun:"id"`
	Code   string     `bun:"code"`
	Status PackStatus `bun:"status"`
}

// lockPacks reads the packs and, in PostgreSQL, locks them in id order
// until the end of the transaction. Two transactions inserting overlapping
// rows at the same time each wait for the other in the exclusion
// constraint's check, which PostgreSQL resolves by aborting one with a
// deadlock error; taking the pack rows' lock first makes the writers of a
// pack queue instead, so the loser gets the exclusion violation
// (ErrPackUnavailable). The constraint still guarantees the integrity; the
// lock only orders the writers. SQLite transactions are already serialised
// (BEGIN IMMEDIATE).
func lockPacks(ctx context.Context, tx bun.Tx, ids []int64) (map[int64]lockedPack, error) {
	out := map[int64]lockedPack{}
	if len(ids) == 0 {
		return out, nil
	}
	q := "SELECT id, code, status FROM packs WHERE id IN (?) ORDER BY id"
	if isPostgres(tx) {
		q += " FOR NO KEY UPDATE"
	}
	var rows []lockedPack
	if err := tx.NewRaw(q, bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}
