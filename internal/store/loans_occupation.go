package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// DefaultPickupWindowDays is the number of school days before a loan's
// planned pickup day from which the pickup may be recorded, when
// Options.PickupWindowDays does not say.
const DefaultPickupWindowDays = 5

// PackHolder is the loan that has a pack physically now: picked up and not
// returned yet (table pack_occupations, written by triggers on the loan's
// state).
type PackHolder struct {
	LoanID     int64     `json:"loan_id"`
	SchoolUAI  string    `json:"school_uai"`
	SchoolName string    `json:"school_name"`
	PickedUpAt time.Time `json:"picked_up_at"`
	// ReturnDay is the loan's planned return day.
	ReturnDay calendar.Date `json:"return_day"`
}

type packHolderRow struct {
	PackID     int64     `bun:"pack_id"`
	PackCode   string    `bun:"pack_code"`
	LoanID     int64     `bun:"loan_id"`
	SchoolUAI  string    `bun:"school_uai"`
	SchoolName string    `bun:"school_name"`
	PickedUpAt time.Time `bun:"picked_up_at"`
	ReturnDay  sqlDate   `bun:"return_day"`
}

// packHolders returns the open occupations of the packs (all packs when ids
// is empty), by pack id.
func packHolders(ctx context.Context, idb bun.IDB, ids []int64) (map[int64]packHolderRow, error) {
	var rows []packHolderRow
	q := `SELECT o.pack_id, p.code AS pack_code, o.loan_id, l.school_uai, s.name AS school_name, o.picked_up_at, l.return_day
		FROM pack_occupations AS o JOIN packs AS p ON p.id = o.pack_id
		JOIN loans AS l ON l.id = o.loan_id JOIN schools AS s ON s.uai = l.school_uai
		WHERE o.returned_at IS NULL`
	args := []any{}
	if len(ids) > 0 {
		q += " AND o.pack_id IN (?)"
		args = append(args, bun.List(ids))
	}
	if err := idb.NewRaw(q+" ORDER BY p.code", args...).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[int64]packHolderRow, len(rows))
	for _, r := range rows {
		out[r.PackID] = r
	}
	return out, nil
}

func (r packHolderRow) holder() *PackHolder {
	return &PackHolder{LoanID: r.LoanID, SchoolUAI: r.SchoolUAI, SchoolName: r.SchoolName,
		PickedUpAt: r.PickedUpAt.UTC(), ReturnDay: r.ReturnDay.Date}
}

// setWhereabouts fills the pack's holder and its French whereabouts.
func (p *Pack) setWhereabouts(h *packHolderRow) {
	p.Holder = nil
	switch {
	case h != nil:
		p.Holder = h.holder()
		p.Whereabouts = fmt.Sprintf("à l'école %s (prêt n° %d) depuis le %s, retour prévu le %s",
			h.SchoolName, h.LoanID, frenchDate(calendar.ParisDate(h.PickedUpAt)), frenchDate(h.ReturnDay.Date))
	case p.Status == PackRetired:
		p.Whereabouts = "réformé"
	case p.Status == PackMaintenance:
		p.Whereabouts = "en maintenance"
	default:
		p.Whereabouts = "disponible au service informatique"
	}
}

// PickupWindowStart returns the first day a loan planned to be picked up
// on pickup may be picked up: days school days before it in the year y
// (working days outside the school year, for a loan starting on the first
// day of the year).
func PickupWindowStart(y *calendar.Year, pickup calendar.Date, days int) calendar.Date {
	d := pickup
	for range days {
		if prev, ok := y.PreviousSchoolDay(d); ok {
			d = prev
		} else {
			d = calendar.PreviousWorkingDay(d)
		}
	}
	return d
}

// checkPickupPossible refuses a pickup recorded before the loan's pickup
// window opens, or while one of its packs is still out with another loan.
// The database keeps the second rule (pack_occupations_out); this names
// the pack and the loan for a clear refusal.
func (db *DB) checkPickupPossible(ctx context.Context, tx bun.Tx, l Loan, today calendar.Date) error {
	y, err := calendarYearTx(ctx, tx, l.SchoolYear)
	if err != nil {
		return err
	}
	if start := PickupWindowStart(y, l.PickupDay, db.pickupWindowDays); today.Before(start) {
		return loanConflict("pickup_too_early",
			"Retrait impossible avant le %s : le prêt commence le %s, et le retrait est possible au plus tôt %d jour%s de classe avant.",
			frenchDate(start), frenchDate(l.PickupDay), db.pickupWindowDays, plural(db.pickupWindowDays))
	}
	ids := make([]int64, len(l.Packs))
	for i, p := range l.Packs {
		ids[i] = p.PackID
	}
	holders, err := packHolders(ctx, tx, ids)
	if err != nil {
		return err
	}
	var out []string
	for _, p := range l.Packs {
		if h, ok := holders[p.PackID]; ok && h.LoanID != l.ID {
			out = append(out, packOutMessage(h))
		}
	}
	if len(out) > 0 {
		return loanConflict("pack_still_out", "Retrait impossible : %s. Le retour doit être enregistré d'abord.", strings.Join(out, " ; "))
	}
	return nil
}

func packOutMessage(h packHolderRow) string {
	return fmt.Sprintf("le pack %s est encore à l'école %s (prêt n° %d, retiré le %s)",
		h.PackCode, h.SchoolName, h.LoanID, frenchDate(calendar.ParisDate(h.PickedUpAt)))
}

// pickupOccupationError turns the unique violation of pack_occupations_out
// (a concurrent pickup of the same pack won) into the same refusal as
// checkPickupPossible.
func pickupOccupationError(ctx context.Context, db *DB, l Loan, err error) error {
	if err == nil || !strings.Contains(err.Error(), "pack_occupations") {
		return err
	}
	ids := make([]int64, len(l.Packs))
	for i, p := range l.Packs {
		ids[i] = p.PackID
	}
	holders, herr := packHolders(ctx, db.bun, ids)
	if herr != nil || len(holders) == 0 {
		return loanConflict("pack_still_out", "Retrait impossible : un des packs du prêt est encore à une autre école.")
	}
	var out []string
	for _, h := range holders {
		if h.LoanID != l.ID {
			out = append(out, packOutMessage(h))
		}
	}
	return loanConflict("pack_still_out", "Retrait impossible : %s. Le retour doit être enregistré d'abord.", strings.Join(out, " ; "))
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}
