package store

import (
	"context"
	"regexp"

	"github.com/uptrace/bun"
)

var pickupTimePattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// SetPickupTime records the agreed time of a loan's pickup ("14:30",
// Europe/Paris), or clears it with "". The schools' iCal feeds then show the
// pickup as a timed event. Allowed before the pickup (reserved or signed);
// returns a *LoanError for a malformed time or another state.
func (db *DB) SetPickupTime(ctx context.Context, actor Actor, loanID int64, hhmm string) (_ Loan, err error) {
	defer wrapf(&err, "SetPickupTime(%d)", loanID)
	if hhmm != "" && !pickupTimePattern.MatchString(hhmm) {
		return Loan{}, invalidLoan("pickup_time", "invalid_time", "Heure de retrait invalide : %q (format attendu : 14:30).", hhmm)
	}
	var out Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if before.State != LoanReserved && before.State != LoanSigned {
			return stateError("Choix de l'heure de retrait", before.State, LoanReserved, LoanSigned)
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		row.PickupTime = nil
		if hhmm != "" {
			row.PickupTime = &hhmm
		}
		out, err = updateLoan(ctx, tx, db.Now(), actor, "loan.pickup_time", before, &row)
		return err
	})
	return out, err
}
