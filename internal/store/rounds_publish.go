package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// publishHooks maps a *DB to a func(step string) error that tests set to
// run at named steps of PublishRound inside its transaction; an error it
// returns aborts the publish (to check that nothing is left behind).
var publishHooks sync.Map

func (db *DB) runPublishHook(step string) error {
	h, ok := publishHooks.Load(db)
	if !ok {
		return nil
	}
	return h.(func(string) error)(step)
}

// PublishRound publishes a draft in one transaction: the round published
// before it for the same year is superseded, its reserved loans that the
// new plan drops or changes are cancelled (loans already signed, picked up
// or reserved by hand were locked in the round and stay), and a loan in
// state reserved is created for every new proposed loan, with its packs,
// its pickup day (first school day of the start week) and return day (last
// school day of the last week, extension included). Either all of it
// happens or nothing does.
//
// Returns ErrNotFound; a *RoundStateError (matching ErrConflict) when the
// round is not a draft or another round was published for its year since
// it was computed, which is also what the loser of two racing publishes
// gets; ErrPackUnavailable when a pack was reserved meanwhile (by hand);
// a *LoanError or ErrConflict when a request changed meanwhile (withdrawn,
// served by hand).
func (db *DB) PublishRound(ctx context.Context, actor Actor, id int64) (_ Round, err error) {
	return db.PublishRoundConfirmed(ctx, actor, id, nil)
}

// PublishRoundConfirmed is PublishRound for a draft that cancels loans of
// an earlier round: confirmed must list exactly the loans it cancels
// (Round.Cancellations), else *LoanError "cancellations_unconfirmed" names
// them and nothing changes. Publishing computes the round's notices, one
// per person (ListNotices, RoundNotices), sent once by the e-mail job.
func (db *DB) PublishRoundConfirmed(ctx context.Context, actor Actor, id int64, confirmed []int64) (_ Round, err error) {
	defer wrapf(&err, "PublishRound(%d)", id)
	if err := checkConfirmedCancellations(confirmed); err != nil {
		return Round{}, err
	}
	var out Round
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		if db.dialect == Postgres {
			// Lock the draft first, so that concurrent publishes of one
			// draft queue here and the later ones find it published
			// (round_not_draft), as on SQLite where BEGIN IMMEDIATE
			// serialises them; without it they raced to the previous
			// round's row and lost as "superseded".
			if _, err := tx.NewRaw("SELECT id FROM rounds WHERE id = ? FOR UPDATE", id).Exec(ctx); err != nil {
				return err
			}
		}
		r, err := getRound(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.State != RoundDraft {
			return roundStateError(r.State)
		}
		// The draft was computed against the round published then; if
		// another one was published since, its plan is stale.
		prev := int64(0)
		if r.PreviousRoundID != nil {
			prev = *r.PreviousRoundID
		}
		current, err := publishedRoundID(ctx, tx, r.SchoolYear)
		if err != nil {
			return err
		}
		if current != prev {
			return roundSuperseded()
		}
		if err := checkCancellationsConfirmed(r, confirmed); err != nil {
			return err
		}
		changes := append(slices.Clone(r.Cancellations), r.Moves...)
		if prev != 0 {
			// Row lock in PostgreSQL: of two publishes built on the same
			// round, the second waits here, then finds it superseded.
			res, err := tx.NewUpdate().Model((*roundRow)(nil)).Set("state = ?", RoundSuperseded).
				Set("version = version + 1").Where("id = ?", prev).Where("state = ?", RoundPublished).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return roundSuperseded()
			}
		}
		// The partial unique index admits one published round per year:
		// two drafts published at once without a previous round collide
		// here (23505 / SQLITE_CONSTRAINT_UNIQUE).
		res, err := tx.NewUpdate().Model((*roundRow)(nil)).Set("state = ?", RoundPublished).
			Set("published_at = ?", now).Set("version = version + 1").
			Where("id = ?", id).Where("state = ?", RoundDraft).Where("version = ?", r.Version).Exec(ctx)
		if err != nil {
			if errors.Is(translate(err), ErrConflict) {
				return roundSuperseded()
			}
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return roundStateError(RoundPublished)
		}
		if err := db.runPublishHook("published"); err != nil {
			return err
		}
		cancelled, err := db.cancelReplacedLoans(ctx, tx, now, actor, r)
		if err != nil {
			return err
		}
		if err := db.runPublishHook("cancelled"); err != nil {
			return err
		}
		created, err := db.createRoundLoans(ctx, tx, now, actor, r)
		if err != nil {
			return err
		}
		if out, err = getRound(ctx, tx, id); err != nil {
			return err
		}
		notices, err := roundNotices(ctx, tx, r.ID, freshLoans(r, &out), changes)
		if err != nil {
			return err
		}
		if err := saveRoundNotices(ctx, tx, now, notices); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "round.publish", "round", id,
			map[string]any{"state": RoundDraft, "previous_round_id": prev},
			map[string]any{"state": RoundPublished, "loans_created": created, "loans_cancelled": cancelled})
	})
	return out, err
}

// cancelReplacedLoans cancels, inside the publish transaction, the live
// loans of the year that the new plan does not keep: reserved loans whose
// request is dropped, moved, given another extension or other packs. A
// loan kept by the plan has its id in the round's loan (RoundLoan.LoanID).
// It returns the ids cancelled.
func (db *DB) cancelReplacedLoans(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, r Round) ([]int64, error) {
	keep := map[int64]bool{}
	for _, l := range r.Loans {
		if l.LoanID != nil {
			keep[*l.LoanID] = true
		}
	}
	var live []struct {
		ID        int64     `bun:"id"`
		RequestID int64     `bun:"request_id"`
		State     LoanState `bun:"state"`
		RoundID   *int64    `bun:"round_id"`
	}
	if err := tx.NewRaw(`SELECT id, request_id, state, round_id FROM loans
		WHERE school_year = ? AND state <> 'cancelled' ORDER BY id`, r.SchoolYear).Scan(ctx, &live); err != nil {
		return nil, err
	}
	var out []int64
	for _, l := range live {
		if keep[l.ID] {
			continue
		}
		if l.RoundID == nil {
			continue // a hand reservation the round did not see (made after it): kept
		}
		if l.State != LoanReserved {
			// Signed or picked up since the draft was computed: the draft
			// would drop a loan that is now locked.
			return nil, roundSuperseded()
		}
		if err := cancelLoanTx(ctx, tx, now, actor, l.ID, l.RequestID,
			fmt.Sprintf("remplacé par le tour d'attribution n° %d", r.ID)); err != nil {
			return nil, err
		}
		out = append(out, l.ID)
	}
	return out, nil
}

// cancelLoanTx cancels a reserved loan inside the caller's transaction, as
// CancelLoan does in its own: the packs are freed, a pending extension is
// lapses, the request may be served again.
func cancelLoanTx(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, loanID, requestID int64, reason string) error {
	res, err := tx.NewRaw(`UPDATE loans SET state = 'cancelled', cancelled_at = ?, cancel_reason = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND state = 'reserved'`, now, reason, now, loanID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("cancel loan %d: %w", loanID, ErrStale)
	}
	if _, err := tx.NewRaw(`UPDATE loan_packs SET cancelled = ? WHERE loan_id = ?`, true, loanID).Exec(ctx); err != nil {
		return err
	}
	if err := lapseExtensions(ctx, tx, now, loanID, "prêt annulé"); err != nil {
		return err
	}
	if _, err := tx.NewRaw(`UPDATE requests SET has_loan = ?, updated_at = ? WHERE id = ?`, false, now, requestID).Exec(ctx); err != nil {
		return err
	}
	return Audit(ctx, tx, now, actor, "loan.cancel", "loan", loanID,
		map[string]any{"state": LoanReserved}, map[string]any{"state": LoanCancelled, "cancel_reason": reason})
}

// createRoundLoans creates the loans of the round's new proposed loans and
// records their ids in round_loans. It returns the ids created.
func (db *DB) createRoundLoans(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, r Round) ([]int64, error) {
	var out []int64
	for _, l := range r.Loans {
		if l.LoanID != nil {
			continue // kept as is
		}
		roundID := r.ID
		created, err := db.CreateLoansTx(ctx, tx, actor, []NewLoan{{RequestID: l.RequestID, PackIDs: l.PackIDs,
			SchoolYear: r.SchoolYear, StartWeek: l.StartWeek, Weeks: l.Weeks, LoanPolicy: roundPolicy(r.Params),
			TurnaroundDays: turnaroundArg(r.Params.TurnaroundDays), RoundID: &roundID}})
		if err != nil {
			return nil, err
		}
		loan := created[0]
		if l.ExtensionWeeks > 0 {
			// CreateLoansTx makes base loans; the extension granted by the
			// round moves the return day (and the packs' busy range) on.
			busy := busyUntil(l.ReturnDay, loan.TurnaroundDays)
			if _, err := tx.NewRaw(`UPDATE loans SET extension_weeks = ?, return_day = ? WHERE id = ?`,
				l.ExtensionWeeks, sqlDate{l.ReturnDay}, loan.ID).Exec(ctx); err != nil {
				return nil, fmt.Errorf("extend loan %d: %w", loan.ID, translate(err))
			}
			if _, err := tx.NewRaw(`UPDATE loan_packs SET busy_until = ? WHERE loan_id = ?`,
				sqlDate{busy}, loan.ID).Exec(ctx); err != nil {
				return nil, fmt.Errorf("extend loan %d: %w", loan.ID, translate(err))
			}
		}
		if _, err := tx.NewUpdate().Model((*roundLoanRow)(nil)).Set("loan_id = ?", loan.ID).
			Where("round_id = ?", r.ID).Where("request_id = ?", l.RequestID).Exec(ctx); err != nil {
			return nil, err
		}
		out = append(out, loan.ID)
		if err := db.runPublishHook("loan"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// turnaroundArg converts a turnaround in days to NewLoan's convention
// (0 means the default, negative means none).
func turnaroundArg(days int) int {
	if days == 0 {
		return -1
	}
	return days
}

// RoundStateLabel returns the French label of a round state ("brouillon",
// "publié" …), or the state itself when unknown.
func RoundStateLabel[S ~string](state S) string { return RoundState(state).Label() }

// roundPolicy is the loan policy of a round; rounds stored before loan
// policies existed used the rule of one period.
func roundPolicy(p RoundParams) calendar.LoanPolicy {
	if p.LoanPolicy == "" {
		return calendar.WithinPeriod
	}
	return calendar.LoanPolicy(p.LoanPolicy)
}
