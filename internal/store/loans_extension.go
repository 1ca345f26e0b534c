package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// Extension states. An extension asked by the teacher is checked against
// the plan at once: refused at once when the plan cannot give it (naming
// the blocking loan), else requested, awaiting the coordinator. The
// coordinator grants it (the return day moves, only then) or refuses it; a
// request still pending when the loan is returned or cancelled lapses.
const (
	ExtensionRequested ExtensionState = "requested"
	ExtensionGranted   ExtensionState = "granted"
	ExtensionRefused   ExtensionState = "refused"
	ExtensionLapsed    ExtensionState = "lapsed"
)

// ExtensionStates lists the extension states in lifecycle order.
var ExtensionStates = []ExtensionState{ExtensionRequested, ExtensionGranted, ExtensionRefused, ExtensionLapsed}

// ParseExtensionDecision reads the coordinator's decision on an extension
// request: "grant" or "refuse", the words of earlier versions ("confirm",
// "reject") and the French spellings people type ("accorder", "accordée",
// "refuser", "refusée"…), case and accents ignored. ok is false for
// anything else.
func ParseExtensionDecision(s string) (grant, ok bool) {
	switch foldWord(s) {
	case "grant", "granted", "confirm", "confirmed", "accept", "accorder", "accorde", "accordee", "accepter", "accepte", "acceptee", "oui":
		return true, true
	case "refuse", "refused", "reject", "rejected", "refuser", "refusee", "rejeter", "rejete", "rejetee", "non":
		return false, true
	}
	return false, false
}

// foldWord lowercases s, trims it and drops French accents, so that the
// words people type match one spelling.
func foldWord(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "î", "i", "ï", "i",
		"ô", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c", "œ", "oe", "-", "_", " ", "_").Replace(s)
}

// lapseExtensions closes the loan's pending extension request as lapsed,
// inside the caller's transaction (return or cancellation of the loan).
func lapseExtensions(ctx context.Context, tx bun.IDB, now time.Time, loanID int64, why string) error {
	_, err := tx.NewUpdate().Model((*extensionRow)(nil)).Set("state = ?", ExtensionLapsed).
		Set("decision_comment = ?", why).Set("decided_at = ?", now).
		Where("loan_id = ?", loanID).Where("state = ?", ExtensionRequested).Exec(ctx)
	return err
}

// Extension is a request to keep the packs 2 or 6 more school weeks.
type Extension struct {
	ID     int64 `json:"id"`
	LoanID int64 `json:"loan_id"`
	// LoanLabel names the loan: « prêt n° 9, ECOLE … ».
	LoanLabel   string `json:"loan_label"`
	Weeks       int    `json:"weeks"`
	Reason      string `json:"reason"`
	RequestedBy int64  `json:"requested_by,omitempty"`
	// RequestedByName and DecidedByName are the people's names.
	RequestedByName string         `json:"requested_by_name,omitempty"`
	RequestedAt     time.Time      `json:"requested_at"`
	State           ExtensionState `json:"state"`
	StateLabel      string         `json:"state_label"`
	NewReturnDay    calendar.Date  `json:"new_return_day"`
	// BlockingLoanID is the loan that made the plan refuse the extension.
	BlockingLoanID    int64  `json:"blocking_loan_id,omitempty"`
	BlockingLoanLabel string `json:"blocking_loan_label,omitempty"`
	// PlanNote explains the plan's answer in French (the blocking loan, or
	// the later loans moved to another pack).
	PlanNote        string     `json:"plan_note"`
	DecidedBy       int64      `json:"decided_by,omitempty"`
	DecidedByName   string     `json:"decided_by_name,omitempty"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
	DecisionComment string     `json:"decision_comment,omitempty"`
}

type extensionRow struct {
	bun.BaseModel `bun:"table:loan_extensions"`

	ID              int64          `bun:"id,pk,autoincrement"`
	LoanID          int64          `bun:"loan_id,notnull"`
	Weeks           int            `bun:"weeks,notnull"`
	Reason          string         `bun:"reason,notnull"`
	RequestedBy     *int64         `bun:"requested_by"`
	RequestedAt     time.Time      `bun:"requested_at,notnull"`
	State           ExtensionState `bun:"state,notnull"`
	NewReturnDay    sqlDate        `bun:"new_return_day,notnull"`
	BlockingLoanID  *int64         `bun:"blocking_loan_id"`
	PlanNote        string         `bun:"plan_note,notnull"`
	DecidedBy       *int64         `bun:"decided_by"`
	DecidedAt       *time.Time     `bun:"decided_at"`
	DecisionComment string         `bun:"decision_comment,notnull"`
}

func (r extensionRow) extension() Extension {
	e := Extension{ID: r.ID, LoanID: r.LoanID, Weeks: r.Weeks, Reason: r.Reason, RequestedAt: r.RequestedAt.UTC(),
		State: r.State, StateLabel: r.State.Label(), NewReturnDay: r.NewReturnDay.Date, PlanNote: r.PlanNote, DecidedAt: loanTime(r.DecidedAt),
		DecisionComment: r.DecisionComment}
	if r.RequestedBy != nil {
		e.RequestedBy = *r.RequestedBy
	}
	if r.BlockingLoanID != nil {
		e.BlockingLoanID = *r.BlockingLoanID
	}
	if r.DecidedBy != nil {
		e.DecidedBy = *r.DecidedBy
	}
	return e
}

// ExtensionWeeksAllowed are the extension lengths a teacher may ask for.
var ExtensionWeeksAllowed = []int{2, 6}

// RequestExtension records the teacher's request to extend a loan by weeks
// (2 or 6) school weeks, asked before the return day (today is the civil
// date of the request). It is checked against the plan at once: when the
// loan's packs are busy after it, the later loan is moved to another free
// pack if it has not been picked up; otherwise the extension is recorded as
// refused and *LoanError "extension_refused" names the blocking loan.
// Otherwise it is requested and waits for the coordinator
// (DecideExtension); the return day does not move yet.
func (db *DB) RequestExtension(ctx context.Context, actor Actor, loanID int64, weeks int, reason string, today calendar.Date) (_ Extension, err error) {
	defer wrapf(&err, "RequestExtension(%d)", loanID)
	if err := checkLoanNote("reason", reason); err != nil {
		return Extension{}, err
	}
	reason = strings.TrimSpace(reason)
	var (
		out     Extension
		refusal *RuleError
	)
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if err := checkLoanTeacher(ctx, tx, actor, l, true, "Seul l'enseignant du projet peut demander une prolongation."); err != nil {
			return err
		}
		if l.State != LoanReserved && l.State != LoanSigned && l.State != LoanPickedUp {
			return stateError("Prolongation", l.State, LoanReserved, LoanSigned, LoanPickedUp)
		}
		if weeks != 2 && weeks != 6 {
			return invalidLoan("weeks", "invalid_weeks", "Une prolongation est de 2 ou 6 semaines scolaires, pas %d.", weeks)
		}
		if reason == "" {
			return invalidLoan("reason", "reason_required", "Le motif de la prolongation est obligatoire.")
		}
		if !today.Before(l.ReturnDay) {
			return loanConflict("extension_too_late", "La prolongation doit être demandée avant le jour du retour (%s).", frenchDate(l.ReturnDay))
		}
		var pending int
		if err := tx.NewSelect().Model((*extensionRow)(nil)).ColumnExpr("count(*)").Where("loan_id = ?", loanID).
			Where("state = ?", ExtensionRequested).Scan(ctx, &pending); err != nil {
			return err
		}
		if pending > 0 {
			return loanConflict("extension_pending", "Une demande de prolongation attend déjà la décision de la coordination.")
		}
		y, err := calendarYearTx(ctx, tx, l.SchoolYear)
		if err != nil {
			return err
		}
		last, err := y.Week(l.StartWeek + l.Weeks + l.ExtensionWeeks - 1 + weeks)
		if err != nil {
			return loanConflict("extension_out_of_year", "Une prolongation de %d semaines dépasserait la fin de l'année scolaire %s.", weeks, l.SchoolYear)
		}
		now := db.Now()
		row := extensionRow{LoanID: loanID, Weeks: weeks, Reason: reason, RequestedAt: now, NewReturnDay: sqlDate{last.Last}}
		if actor.UserID != 0 {
			row.RequestedBy = &actor.UserID
		}
		moves, block, err := planExtension(ctx, tx, l, busyUntil(last.Last, l.TurnaroundDays))
		if err != nil {
			return err
		}
		if block != nil {
			row.State, row.BlockingLoanID, row.PlanNote = ExtensionRefused, block.ref(), block.message
			refusal = &RuleError{Kind: RuleConflict, Code: "extension_refused", Message: block.message, Conflict: &block.conflict}
		} else {
			row.State, row.PlanNote = ExtensionRequested, movesNote(moves)
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		out = row.extension()
		return Audit(ctx, tx, now, actor, "loan.extension_request", "loan", loanID, nil, out)
	})
	if err != nil {
		return Extension{}, err
	}
	named := []Extension{out}
	if err := nameExtensions(ctx, db.bun, named); err != nil {
		return Extension{}, err
	}
	out = named[0]
	if refusal != nil {
		return out, refusal
	}
	return out, nil
}

// DecideExtension records the coordinator's decision on the loan's
// requested extension: grant or refuse. A grant checks the plan again,
// moves the later loans that must change pack, then moves the return day
// and the busy range (the database constraint checks both); it returns the
// updated loan. Returns *LoanError "no_pending_extension" when nothing
// awaits a decision, and "extension_refused" when the plan no longer
// allows it (the extension is then recorded as refused).
func (db *DB) DecideExtension(ctx context.Context, actor Actor, loanID int64, grant bool, comment string) (_ Extension, _ Loan, err error) {
	defer wrapf(&err, "DecideExtension(%d)", loanID)
	if err := checkLoanNote("comment", comment); err != nil {
		return Extension{}, Loan{}, err
	}
	comment = strings.TrimSpace(comment)
	var (
		ext     Extension
		loan    Loan
		refusal *RuleError
	)
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		var row extensionRow
		if err := tx.NewSelect().Model(&row).Where("loan_id = ?", loanID).Where("state = ?", ExtensionRequested).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return loanConflict("no_pending_extension", "Aucune demande de prolongation n'attend de décision pour ce prêt.")
			}
			return err
		}
		if l.State != LoanReserved && l.State != LoanSigned && l.State != LoanPickedUp {
			return stateError("Décision de prolongation", l.State, LoanReserved, LoanSigned, LoanPickedUp)
		}
		now := db.Now()
		before := row.extension()
		row.DecidedAt, row.DecisionComment = &now, comment
		if actor.UserID != 0 {
			row.DecidedBy = &actor.UserID
		}
		loan = l
		if !grant {
			row.State = ExtensionRefused
		} else {
			newBusy := busyUntil(row.NewReturnDay.Date, l.TurnaroundDays)
			moves, block, err := planExtension(ctx, tx, l, newBusy)
			if err != nil {
				return err
			}
			if block != nil {
				row.State, row.BlockingLoanID, row.PlanNote = ExtensionRefused, block.ref(), block.message
				refusal = &RuleError{Kind: RuleConflict, Code: "extension_refused", Message: block.message, Conflict: &block.conflict}
			} else {
				row.State, row.PlanNote = ExtensionGranted, movesNote(moves)
				lock := make([]int64, 0, len(l.Packs)+len(moves))
				for _, p := range l.Packs {
					lock = append(lock, p.PackID)
				}
				for _, m := range moves {
					lock = append(lock, m.To)
				}
				if _, err := lockPacks(ctx, tx, lock); err != nil {
					return err
				}
				if err := applyMoves(ctx, tx, now, actor, moves); err != nil {
					return err
				}
				if _, err := tx.NewUpdate().Model((*loanPackRow)(nil)).Set("busy_until = ?", sqlDate{newBusy}).
					Where("loan_id = ?", loanID).Exec(ctx); err != nil {
					return err
				}
				lrow, err := loanRowOf(ctx, tx, loanID)
				if err != nil {
					return err
				}
				lrow.ReturnDay = row.NewReturnDay
				lrow.ExtensionWeeks += row.Weeks
				if _, err := resetAgreement(ctx, tx, now, &lrow, "prolongation accordée : nouvelle date de retour"); err != nil {
					return err
				}
				if loan, err = updateLoan(ctx, tx, now, actor, "loan.extend", l, &lrow); err != nil {
					return err
				}
			}
		}
		if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return err
		}
		ext = row.extension()
		return Audit(ctx, tx, now, actor, "loan.extension_decision", "loan", loanID, before, ext)
	})
	if err != nil {
		return Extension{}, Loan{}, err
	}
	named := []Extension{ext}
	if err := nameExtensions(ctx, db.bun, named); err != nil {
		return Extension{}, Loan{}, err
	}
	ext = named[0]
	if refusal != nil {
		return ext, loan, refusal
	}
	return ext, loan, nil
}

// packMove moves a later loan from one pack to another to make room for an
// extension.
type packMove struct {
	LoanID           int64
	From, To         int64
	FromCode, ToCode string
}

type extensionBlock struct {
	loanID  int64 // 0 when a maintenance window blocks
	message string
	// conflict names the blocking loan or maintenance window.
	conflict Conflict
}

// loanConflictName names a loan in a conflict: « prêt n° 9, ECOLE … ».
func loanConflictName(id int64, school string) string {
	return fmt.Sprintf("prêt n° %d, %s", id, school)
}

// maintenanceConflictName names a maintenance window in a conflict: its
// pack, days and reason.
func maintenanceConflictName(packCode string, first, last calendar.Date, reason string) string {
	return fmt.Sprintf("maintenance du pack %s du %s au %s (« %s »)", packCode, frenchDate(first), frenchDate(last), reason)
}

// ref is the blocking loan's id for the row, nil when none.
func (b *extensionBlock) ref() *int64 {
	if b.loanID == 0 {
		return nil
	}
	return &b.loanID
}

type busyRow struct {
	LoanID    int64     `bun:"loan_id"`
	PickupDay sqlDate   `bun:"pickup_day"`
	BusyUntil sqlDate   `bun:"busy_until"`
	State     LoanState `bun:"state"`
	School    string    `bun:"school"`
}

type busyRange struct {
	pack        int64
	from, until calendar.Date
}

// planExtension checks that every pack of l is free from l's pickup day to
// newBusy (exclusive). A later loan in the way that is not picked up yet
// may move to another available pack free for its whole busy range; the
// moves are returned. Otherwise the first blocking loan is returned.
func planExtension(ctx context.Context, tx bun.Tx, l Loan, newBusy calendar.Date) ([]packMove, *extensionBlock, error) {
	var (
		moves   []packMove
		planned []busyRange
	)
	own := map[int64]bool{}
	for _, p := range l.Packs {
		own[p.PackID] = true
	}
	ids := make([]int64, len(l.Packs))
	for i, p := range l.Packs {
		ids[i] = p.PackID
	}
	if m, err := packMaintenanceBlock(ctx, tx, ids, l.PickupDay, newBusy); err != nil {
		return nil, nil, err
	} else if m != nil {
		return nil, &extensionBlock{message: "Prolongation refusée : " + maintenanceMessage(m) + ".",
			conflict: Conflict{Kind: "maintenance", ID: m.ID, Name: maintenanceConflictName(m.PackCode, m.FirstDay, m.LastDay, m.Reason)}}, nil
	}
	for _, p := range l.Packs {
		var blockers []busyRow
		if err := tx.NewRaw(`SELECT lp.loan_id, lp.pickup_day, lp.busy_until, l.state, s.name AS school
			FROM loan_packs AS lp JOIN loans AS l ON l.id = lp.loan_id JOIN schools AS s ON s.uai = l.school_uai
			WHERE lp.pack_id = ? AND NOT lp.cancelled AND lp.loan_id <> ? AND lp.pickup_day < ? AND ? < lp.busy_until
			ORDER BY lp.pickup_day`, p.PackID, l.ID, sqlDate{newBusy}, sqlDate{l.PickupDay}).Scan(ctx, &blockers); err != nil {
			return nil, nil, err
		}
		for _, b := range blockers {
			from, until := b.PickupDay.Date, b.BusyUntil.Date
			if b.State != LoanReserved && b.State != LoanSigned {
				return nil, &extensionBlock{loanID: b.LoanID, conflict: Conflict{Kind: "loan", ID: b.LoanID, Name: loanConflictName(b.LoanID, b.School)}, message: fmt.Sprintf(
					"Prolongation refusée : le pack %s est pris par le prêt n° %d (%s) à partir du %s, déjà retiré : il ne peut pas changer de pack.",
					p.Code, b.LoanID, b.School, frenchDate(from))}, nil
			}
			to, toCode, err := freePack(ctx, tx, b.LoanID, from, until, own, planned)
			if err != nil {
				return nil, nil, err
			}
			if to == 0 {
				return nil, &extensionBlock{loanID: b.LoanID, conflict: Conflict{Kind: "loan", ID: b.LoanID, Name: loanConflictName(b.LoanID, b.School)}, message: fmt.Sprintf(
					"Prolongation refusée : le pack %s est réservé à partir du %s pour le prêt n° %d (%s), et aucun autre pack n'est libre du %s au %s pour le remplacer.",
					p.Code, frenchDate(from), b.LoanID, b.School, frenchDate(from), frenchDate(until.AddDays(-1)))}, nil
			}
			moves = append(moves, packMove{LoanID: b.LoanID, From: p.PackID, To: to, FromCode: p.Code, ToCode: toCode})
			planned = append(planned, busyRange{pack: to, from: from, until: until})
		}
	}
	return moves, nil, nil
}

// freePack finds an available pack, not one of exclude nor one of the
// moved loan's, with no live loan in [from, until) and no planned move
// there.
func freePack(ctx context.Context, tx bun.Tx, loanID int64, from, until calendar.Date, exclude map[int64]bool, planned []busyRange) (int64, string, error) {
	var cands []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
	}
	if err := tx.NewRaw(`SELECT p.id, p.code FROM packs AS p
		WHERE p.status = ?
		  AND NOT EXISTS (SELECT 1 FROM loan_packs AS x WHERE x.loan_id = ? AND x.pack_id = p.id)
		  AND NOT EXISTS (SELECT 1 FROM loan_packs AS o WHERE o.pack_id = p.id AND NOT o.cancelled
		                  AND o.pickup_day < ? AND ? < o.busy_until)
		  AND NOT EXISTS (SELECT 1 FROM pack_maintenance AS m WHERE m.pack_id = p.id
		                  AND m.first_day < ? AND ? <= m.last_day)
		ORDER BY p.code`, PackAvailable, loanID, sqlDate{until}, sqlDate{from}, sqlDate{until}, sqlDate{from}).Scan(ctx, &cands); err != nil {
		return 0, "", err
	}
next:
	for _, c := range cands {
		if exclude[c.ID] {
			continue
		}
		for _, b := range planned {
			if b.pack == c.ID && b.from.Before(until) && from.Before(b.until) {
				continue next
			}
		}
		return c.ID, c.Code, nil
	}
	return 0, "", nil
}

func applyMoves(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, moves []packMove) error {
	for _, m := range moves {
		before, err := getLoan(ctx, tx, m.LoanID, true)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*loanPackRow)(nil)).Set("pack_id = ?", m.To).
			Where("loan_id = ?", m.LoanID).Where("pack_id = ?", m.From).Exec(ctx); err != nil {
			return err
		}
		row, err := loanRowOf(ctx, tx, m.LoanID)
		if err != nil {
			return err
		}
		if _, err := resetAgreement(ctx, tx, now, &row, fmt.Sprintf("pack changé : %s au lieu de %s", m.ToCode, m.FromCode)); err != nil {
			return err
		}
		if _, err := updateLoan(ctx, tx, now, actor, "loan.pack_moved", before, &row); err != nil {
			return err
		}
	}
	return nil
}

func movesNote(moves []packMove) string {
	if len(moves) == 0 {
		return "Les packs sont libres pendant la prolongation et la remise en état."
	}
	parts := make([]string, len(moves))
	for i, m := range moves {
		parts[i] = fmt.Sprintf("le prêt n° %d passe du pack %s au pack %s", m.LoanID, m.FromCode, m.ToCode)
	}
	return "Prolongation possible : " + strings.Join(parts, " ; ") + "."
}

// frenchDate formats a date the French way ("2 mars 2026").
func frenchDate(d calendar.Date) string { return d.French(calendar.FrenchDay) }

// frenchDay formats a date with its weekday ("lundi 19 avril 2027"), for
// the start of a week shown instead of its index.
func frenchDay(d calendar.Date) string { return d.French(calendar.FrenchLong) }

// FrenchDate formats a date the French way ("1er mars 2026"); it is
// calendar.Date.French(calendar.FrenchDay), kept for callers of the store.
func FrenchDate(d calendar.Date) string { return frenchDate(d) }
