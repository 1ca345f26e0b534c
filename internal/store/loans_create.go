package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

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

	// The exclusion constraint on loan_packs decides; this read only names
	// the loan in the way, so the refusal says which pack and which loan.
	if err := packBookingConflict(ctx, tx, nl.PackIDs, pickup, busyUntil(ret, turnaround)); err != nil {
		return Loan{}, err
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

// packBookingConflict returns a *RuleError naming the first live loan that
// holds one of the packs during [from, until), or nil.
func packBookingConflict(ctx context.Context, idb bun.IDB, packIDs []int64, from, until calendar.Date) error {
	if len(packIDs) == 0 {
		return nil
	}
	var rows []struct {
		LoanID     int64   `bun:"loan_id"`
		PackCode   string  `bun:"pack_code"`
		SchoolName string  `bun:"school_name"`
		PickupDay  sqlDate `bun:"pickup_day"`
		BusyUntil  sqlDate `bun:"busy_until"`
	}
	if err := idb.NewSelect().TableExpr("loan_packs AS lp").
		ColumnExpr("lp.loan_id, p.code AS pack_code, s.name AS school_name, lp.pickup_day, lp.busy_until").
		Join("JOIN packs AS p ON p.id = lp.pack_id").Join("JOIN loans AS l ON l.id = lp.loan_id").
		Join("JOIN schools AS s ON s.uai = l.school_uai").
		Where("lp.pack_id IN (?)", bun.List(packIDs)).Where("NOT lp.cancelled").
		Where("lp.pickup_day < ?", sqlDate{until}).Where("? < lp.busy_until", sqlDate{from}).
		OrderExpr("lp.pickup_day, p.code").Limit(1).Scan(ctx, &rows); err != nil || len(rows) == 0 {
		return err
	}
	r := rows[0]
	e := loanConflict("pack_unavailable", "Le pack %s est déjà réservé par le %s, %s, du %s au %s (remise en état comprise).",
		r.PackCode, LoanLabel(r.LoanID), r.SchoolName, frenchDate(r.PickupDay.Date), frenchDate(r.BusyUntil.Date.AddDays(-1)))
	e.Conflict = &Conflict{Kind: "loan", ID: r.LoanID, Name: loanConflictName(r.LoanID, r.SchoolName)}
	e.Err = ErrPackUnavailable
	return e
}
