package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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

// NewLoan is a loan to create: by an allocation round (RoundID set) or by
// hand (the coordinator's reservation).
type NewLoan struct {
	// RequestID is the validated request served.
	RequestID int64 `json:"request_id"`
	// PackIDs are the packs lent: as many as the request needs.
	PackIDs []int64 `json:"pack_ids"`
	// SchoolYear must be the request's; empty means the request's.
	SchoolYear string `json:"school_year,omitempty"`
	// StartWeek is the index of the first school week in the year.
	StartWeek int `json:"start_week"`
	// Weeks is the loan length in school weeks. 0 means DefaultLoanWeeks.
	Weeks int `json:"weeks,omitempty"`
	// TurnaroundDays after the return day the packs stay busy. 0 means
	// DefaultTurnaroundDays; use a negative value for no turnaround.
	TurnaroundDays int `json:"turnaround_days,omitempty"`
	// RoundID is the allocation round creating the loan, if any.
	RoundID *int64 `json:"round_id,omitempty"`
	// StartMonday, when set, gives the start week by its Monday instead
	// of StartWeek (CreateLoan only).
	StartMonday calendar.Date `json:"start_monday,omitzero"`
	// LoanPolicy says where the loan may lie (calendar.LoanPolicy); empty
	// means the school year's setting.
	LoanPolicy calendar.LoanPolicy `json:"loan_policy,omitempty"`
}

// Limits of a loan made by hand.
const (
	MaxLoanWeeks      = 20
	MaxTurnaroundDays = 60
)

// Validate checks what a loan made by hand needs before any data is read:
// a request, one to MaxPacks packs, a length of at most MaxLoanWeeks
// weeks and a turnaround of at most MaxTurnaroundDays days. It returns a
// *RuleError (validation_failed) naming every field at fault.
func (nl NewLoan) Validate() error {
	f := FieldErrors{}
	if nl.RequestID <= 0 {
		f.Add("request_id", "la demande est obligatoire")
	}
	if len(nl.PackIDs) == 0 {
		f.Add("pack_ids", "au moins un pack est obligatoire")
	}
	if len(nl.PackIDs) > MaxPacks {
		f.Add("pack_ids", "%d packs au plus", MaxPacks)
	}
	if nl.Weeks < 0 || nl.Weeks > MaxLoanWeeks {
		f.Add("weeks", "durée entre 1 et %d semaines scolaires", MaxLoanWeeks)
	}
	if nl.TurnaroundDays < -1 || nl.TurnaroundDays > MaxTurnaroundDays {
		f.Add("turnaround_days", "délai de remise en état entre 0 et %d jours", MaxTurnaroundDays)
	}
	if !nl.StartMonday.IsZero() && nl.StartWeek != 0 {
		f.Add("start_week", "donner soit start_week (indice de semaine scolaire), soit start_monday (lundi de la semaine)")
	}
	return f.Err()
}

// startWeekOfMonday turns the Monday of a week into its school week index
// in the request's school year.
func startWeekOfMonday(ctx context.Context, idb bun.IDB, requestID int64, monday calendar.Date) (int, error) {
	var year string
	err := idb.NewSelect().Table("requests").Column("school_year").Where("id = ?", requestID).Scan(ctx, &year)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, FieldErrors{"request_id": "demande introuvable"}.Err()
	}
	if err != nil {
		return 0, err
	}
	y, err := calendarYearTx(ctx, idb, year)
	if err != nil {
		return 0, err
	}
	if monday.Weekday() != 1 {
		return 0, FieldErrors{"start_monday": "la date doit être un lundi"}.Err()
	}
	w, ok := y.WeekOf(monday)
	if !ok {
		return 0, FieldErrors{"start_monday": "cette semaine n'est pas une semaine de classe de l'année " + year}.Err()
	}
	return w.Index, nil
}

// CreateLoan reserves packs for a validated request by hand, with the same
// checks as a round (see CreateLoansTx), after NewLoan.Validate. A start
// given by its Monday (StartMonday) must be a school week of the request's
// year.
func (db *DB) CreateLoan(ctx context.Context, actor Actor, nl NewLoan) (_ Loan, err error) {
	defer wrapf(&err, "CreateLoan(request %d)", nl.RequestID)
	if err := nl.Validate(); err != nil {
		return Loan{}, err
	}
	var out []Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if !nl.StartMonday.IsZero() {
			if nl.StartWeek, err = startWeekOfMonday(ctx, tx, nl.RequestID, nl.StartMonday); err != nil {
				return err
			}
			nl.StartMonday = calendar.Date{}
		}
		out, err = db.CreateLoansTx(ctx, tx, actor, []NewLoan{nl})
		return err
	})
	if err != nil {
		return Loan{}, err
	}
	return out[0], nil
}

// CreateLoansTx creates loans in state reserved inside the caller's
// transaction (an allocation round publishes its plan with it). For each
// loan: the request must be validated and have no live loan; the start week
// must be a legal start of the school year for the loan length (the loan
// lies inside one period) and not in one of the request's excluded periods;
// there must be as many distinct packs as the request needs, none retired.
// The pickup day is the first school day of the start week, the return day
// the last school day of the last week; the packs are busy from the pickup
// day until the return day plus the turnaround.
//
// Returns *LoanError for a broken rule, ErrPackUnavailable when a pack is
// already busy on those dates (database constraint), ErrConflict when the
// request got a loan concurrently, ErrInvalidReference for an unknown pack.
// On error the caller must roll back.
func (db *DB) CreateLoansTx(ctx context.Context, tx bun.Tx, actor Actor, loans []NewLoan) ([]Loan, error) {
	now := db.Now()
	years := map[string]*calendar.Year{}
	out := make([]Loan, 0, len(loans))
	for _, nl := range loans {
		l, err := createLoan(ctx, tx, now, actor, nl, years)
		if err != nil {
			return nil, fmt.Errorf("create loan for request %d: %w", nl.RequestID, translate(err))
		}
		out = append(out, l)
	}
	return out, nil
}

func createLoan(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, nl NewLoan, years map[string]*calendar.Year) (Loan, error) {
	req, err := getLoanRequest(ctx, tx, nl.RequestID, true)
	if errors.Is(err, sql.ErrNoRows) {
		return Loan{}, invalidLoan("request_id", "unknown_request", "La demande n° %d n'existe pas.", nl.RequestID)
	}
	if err != nil {
		return Loan{}, err
	}
	if req.State != "validated" {
		return Loan{}, loanConflict("request_not_validated", "La demande n° %d n'est pas validée (état : %s) : elle ne peut pas recevoir de prêt.", req.ID, req.State)
	}
	if req.HasLoan {
		return Loan{}, loanConflict("request_has_loan", "La demande n° %d a déjà un prêt en cours.", req.ID)
	}
	if nl.SchoolYear != "" && nl.SchoolYear != req.SchoolYear {
		return Loan{}, invalidLoan("school_year", "wrong_year", "La demande n° %d porte sur l'année %s, pas %s.", req.ID, req.SchoolYear, nl.SchoolYear)
	}
	weeks := nl.Weeks
	if weeks == 0 {
		weeks = DefaultLoanWeeks
	}
	if weeks < 1 || weeks > 20 {
		return Loan{}, invalidLoan("weeks", "invalid_weeks", "Durée de prêt invalide : %d semaines (1 à 20).", weeks)
	}
	turnaround := nl.TurnaroundDays
	switch {
	case turnaround == 0:
		turnaround = DefaultTurnaroundDays
	case turnaround < 0:
		turnaround = 0
	case turnaround > 60:
		return Loan{}, invalidLoan("turnaround_days", "invalid_turnaround", "Délai de remise en état invalide : %d jours (60 au plus).", turnaround)
	}
	y := years[req.SchoolYear]
	if y == nil {
		if y, err = calendarYearTx(ctx, tx, req.SchoolYear); err != nil {
			return Loan{}, err
		}
		years[req.SchoolYear] = y
	}
	policy := nl.LoanPolicy
	if policy == "" {
		set, err := yearSettingsTx(ctx, tx, req.SchoolYear)
		if err != nil {
			return Loan{}, err
		}
		policy = set.LoanPolicy
	}
	if _, ok := y.BaseWeeks(policy, weeks, nl.StartWeek); !ok {
		if _, err := calendar.ParseLoanPolicy(string(policy)); err != nil {
			return Loan{}, invalidLoan("loan_policy", "invalid_loan_policy", "Politique de prêt inconnue : %q.", policy)
		}
		msg := fmt.Sprintf("La semaine scolaire n° %d est hors de l'année %s.", nl.StartWeek, req.SchoolYear)
		if w, err := y.Week(nl.StartWeek); err == nil {
			msg = fmt.Sprintf("Un prêt de %d semaines commençant le %s n'est pas possible dans l'année %s (politique de prêt : %s).", weeks, frenchDay(w.First), req.SchoolYear, policy.Label())
		}
		return Loan{}, invalidLoan("start_week", "illegal_start", "%s", msg)
	}
	pickup, ret, err := y.LoanDays(nl.StartWeek, weeks)
	if err != nil {
		return Loan{}, invalidLoan("start_week", "illegal_start", "La semaine scolaire n° %d est hors de l'année %s.", nl.StartWeek, req.SchoolYear)
	}
	week, _ := y.Week(nl.StartWeek)
	if slices.Contains(loanList(req.ExcludedPeriods), week.Period) {
		return Loan{}, invalidLoan("start_week", "excluded_period", "La période %s est exclue par la demande n° %d.", week.Period, req.ID)
	}
	if len(nl.PackIDs) != req.Packs {
		return Loan{}, invalidLoan("pack_ids", "wrong_pack_count", "La demande n° %d a besoin de %d pack(s), %d donné(s).", req.ID, req.Packs, len(nl.PackIDs))
	}
	seen := map[int64]bool{}
	for _, id := range nl.PackIDs {
		if seen[id] {
			return Loan{}, invalidLoan("pack_ids", "duplicate_pack", "Le pack %d est donné deux fois.", id)
		}
		seen[id] = true
	}
	packs, err := lockPacks(ctx, tx, nl.PackIDs)
	if err != nil {
		return Loan{}, err
	}
	for _, id := range nl.PackIDs {
		p, ok := packs[id]
		if !ok {
			return Loan{}, invalidLoan("pack_ids", "unknown_pack", "Le pack %d n'existe pas.", id)
		}
		if p.Status == PackRetired {
			return Loan{}, loanConflict("pack_retired", "Le pack %s est réformé : il ne peut plus être prêté.", p.Code)
		}
	}
	// Named here for a clear refusal; the loan_packs triggers of migration
	// 0018 keep the guarantee.
	if m, err := packMaintenanceBlock(ctx, tx, nl.PackIDs, pickup, busyUntil(ret, turnaround)); err != nil {
		return Loan{}, err
	} else if m != nil {
		return Loan{}, loanConflict("pack_in_maintenance", "Réservation impossible : %s, remise en état du prêt comprise.", maintenanceMessage(m))
	}

	row := loanRow{RequestID: req.ID, SchoolYear: req.SchoolYear, SchoolUAI: req.SchoolUAI, RoundID: nl.RoundID,
		State: LoanReserved, StartWeek: nl.StartWeek, Weeks: weeks, PickupDay: sqlDate{pickup},
		BaseReturnDay: sqlDate{ret}, ReturnDay: sqlDate{ret}, TurnaroundDays: turnaround,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return Loan{}, err
	}
	for i, id := range nl.PackIDs {
		lp := loanPackRow{LoanID: row.ID, PackID: id, Position: i + 1, PickupDay: sqlDate{pickup}, BusyUntil: sqlDate{busyUntil(ret, turnaround)}}
		if _, err := tx.NewInsert().Model(&lp).Exec(ctx); err != nil {
			return Loan{}, err
		}
	}
	// The requests' hook: has_loan forbids the withdrawal, and its CHECK
	// (NOT has_loan OR state = 'validated') holds the request validated.
	if err := SetRequestLoaned(ctx, tx, req.ID, true); err != nil {
		return Loan{}, err
	}
	l, err := getLoan(ctx, tx, row.ID, false)
	if err != nil {
		return Loan{}, err
	}
	if err := Audit(ctx, tx, now, actor, "loan.create", "loan", l.ID, nil, l); err != nil {
		return Loan{}, err
	}
	return l, nil
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
