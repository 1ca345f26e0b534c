package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// validDeskKey reports whether k may be a desk form's key: 16 to 64
// letters, digits, "-" or "_" (the pages send 32 hexadecimal digits).
func validDeskKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}

// claimDeskKey records a desk form's key in the transaction that records
// the sheet. It reports fresh when the key was new (or empty: no key, no
// replay protection), and false when the same form was recorded before,
// which the caller answers without recording anything. The table's primary
// key decides, so two posts racing with one key record once: the second
// waits for the first transaction and then finds the key taken. A key
// recorded for another loan or stage is refused.
func claimDeskKey(ctx context.Context, tx bun.Tx, now time.Time, key string, loanID int64, kind string) (fresh bool, err error) {
	if key == "" {
		return true, nil
	}
	res, err := tx.NewRaw(`INSERT INTO desk_submissions (idempotency_key, loan_id, kind, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING`, key, loanID, kind, now.UTC()).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var prev struct {
		LoanID int64  `bun:"loan_id"`
		Kind   string `bun:"kind"`
	}
	if err := tx.NewRaw(`SELECT loan_id, kind FROM desk_submissions WHERE idempotency_key = ?`, key).Scan(ctx, &prev); err != nil {
		return false, err
	}
	if prev.LoanID != loanID || prev.Kind != kind {
		return false, invalidLoan("idempotency_key", "idempotency_key_reused",
			"Ce formulaire a déjà servi à un autre enregistrement : rechargez la page et pointez de nouveau.")
	}
	return false, nil
}

// openIncident inserts an incident and logs it.
func openIncident(ctx context.Context, tx bun.Tx, now time.Time, by int64, inc incidentRow) error {
	if _, err := tx.NewInsert().Model(&inc).Returning("id").Exec(ctx); err != nil {
		return err
	}
	return Audit(ctx, tx, now, Actor{UserID: by}, "incident.open", "incident", inc.ID, nil, inc.incident())
}

// DeskEntry is one pickup or return expected at the IT department's desk.
type DeskEntry struct {
	Loan Loan `json:"loan"`
	// Kind is SheetPickup or SheetReturn.
	Kind string `json:"kind"`
	// Day is the planned pickup or return day.
	Day calendar.Date `json:"day"`
	// DaysLate counts the days since the planned day for a return (or a
	// pickup) not recorded yet; 0 when it is not late.
	DaysLate int `json:"days_late"`
	// TrainingDone, AgreementSigned and PacksBack say whether the pickup
	// may go ahead: the teacher's training done, the agreement signed by
	// both parties, every pack back from its previous school.
	TrainingDone    bool `json:"training_done"`
	AgreementSigned bool `json:"agreement_signed"`
	PacksBack       bool `json:"packs_back"`
	// PacksOut says in French where the packs not back yet are.
	PacksOut []string `json:"packs_out"`
	// OpenIncidents counts the open incidents on the loan's packs.
	OpenIncidents int `json:"open_incidents"`
}

// Ready reports whether a pickup may be recorded (a return always may).
func (e DeskEntry) Ready() bool {
	return e.Kind == SheetReturn || (e.TrainingDone && e.AgreementSigned && e.PacksBack)
}

// DeskAgenda is the desk's list: overdue returns first, then this week's
// and next week's pickups and returns.
type DeskAgenda struct {
	// Today is the day the agenda was made for; Monday and NextMonday
	// start this week and next week (on a weekend, this week is the
	// coming one).
	Today      calendar.Date `json:"today"`
	Monday     calendar.Date `json:"monday"`
	NextMonday calendar.Date `json:"next_monday"`
	// Overdue are the returns (and pickups) past their planned day, the
	// latest first.
	Overdue  []DeskEntry `json:"overdue"`
	ThisWeek []DeskEntry `json:"this_week"`
	NextWeek []DeskEntry `json:"next_week"`
}

// DeskAgendaFor returns the desk's agenda on today for a person who runs
// pickups or returns (IT, coordinator).
func (db *DB) DeskAgendaFor(ctx context.Context, u User, today calendar.Date) (_ DeskAgenda, err error) {
	defer wrapf(&err, "DeskAgenda(%s)", today)
	if !u.Can(ActLoanPickup) && !u.Can(ActLoanReturn) {
		return DeskAgenda{}, errRoleForbidden()
	}
	// On a weekend the desk prepares the coming week: it is "this week".
	monday := today.Monday()
	if wd := today.Weekday(); wd == time.Saturday || wd == time.Sunday {
		monday = monday.AddDays(7)
	}
	a := DeskAgenda{Today: today, Monday: monday, NextMonday: monday.AddDays(7),
		Overdue: []DeskEntry{}, ThisWeek: []DeskEntry{}, NextWeek: []DeskEntry{}}
	end := a.NextMonday.AddDays(7) // exclusive
	var rows []loanRow
	if err := loanSelect(db.bun, &rows).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("l.state IN (?) AND l.pickup_day < ?", bun.List([]LoanState{LoanReserved, LoanSigned}), sqlDate{end}).
				WhereOr("l.state = ? AND l.return_day < ?", LoanPickedUp, sqlDate{end})
		}).OrderExpr("l.pickup_day, l.id").Scan(ctx); err != nil {
		return DeskAgenda{}, err
	}
	loans := make([]Loan, len(rows))
	reqIDs := []int64{0}
	packIDs := []int64{0}
	for i, r := range rows {
		loans[i] = r.loan()
		reqIDs = append(reqIDs, r.RequestID)
	}
	if err := attachPacks(ctx, db.bun, loans); err != nil {
		return DeskAgenda{}, err
	}
	for _, l := range loans {
		for _, p := range l.Packs {
			packIDs = append(packIDs, p.PackID)
		}
	}
	var trainings []struct {
		ID     int64  `bun:"id"`
		Status string `bun:"training_status"`
	}
	if err := db.bun.NewRaw("SELECT id, training_status FROM requests WHERE id IN (?)", bun.List(reqIDs)).Scan(ctx, &trainings); err != nil {
		return DeskAgenda{}, err
	}
	done := map[int64]bool{}
	for _, t := range trainings {
		done[t.ID] = t.Status == string(TrainingDone)
	}
	holders, err := packHolders(ctx, db.bun, packIDs)
	if err != nil {
		return DeskAgenda{}, err
	}
	open, err := listIncidents(ctx, db.bun, IncidentFilter{PackIDs: packIDs, OpenOnly: true})
	if err != nil {
		return DeskAgenda{}, err
	}
	openByPack := map[int64]int{}
	for _, inc := range open {
		openByPack[inc.PackID]++
	}
	for _, l := range loans {
		e := DeskEntry{Loan: l, Kind: SheetPickup, Day: l.PickupDay, TrainingDone: done[l.RequestID],
			AgreementSigned: l.DirectorSignature != nil && l.ITSignature != nil, PacksBack: true, PacksOut: []string{}}
		if l.State == LoanPickedUp {
			e.Kind, e.Day = SheetReturn, l.ReturnDay
		}
		for _, p := range l.Packs {
			e.OpenIncidents += openByPack[p.PackID]
			if h, ok := holders[p.PackID]; ok && h.LoanID != l.ID {
				e.PacksBack = false
				e.PacksOut = append(e.PacksOut, packOutMessage(h))
			}
		}
		switch {
		case e.Day.Before(today):
			e.DaysLate = today.DaysSince(e.Day)
			a.Overdue = append(a.Overdue, e)
		case e.Day.Before(a.NextMonday):
			a.ThisWeek = append(a.ThisWeek, e)
		default:
			a.NextWeek = append(a.NextWeek, e)
		}
	}
	// Overdue returns first, the latest first; then overdue pickups.
	slices.SortStableFunc(a.Overdue, func(x, y DeskEntry) int {
		if x.Kind != y.Kind {
			return strings.Compare(y.Kind, x.Kind) // "return" before "pickup"
		}
		return y.DaysLate - x.DaysLate
	})
	byDay := func(x, y DeskEntry) int { return x.Day.Compare(y.Day) }
	slices.SortStableFunc(a.ThisWeek, byDay)
	slices.SortStableFunc(a.NextWeek, byDay)
	return a, nil
}

// DeskLoanFor returns the loan to check at the desk with the items of its
// packs, for a person who may record its pickup or return. Returns
// ErrNotFound (a loan the person may not see is not found either).
func (db *DB) DeskLoanFor(ctx context.Context, u User, id int64) (LoanDetail, []LoanItem, error) {
	d, err := db.LoanFor(ctx, u, id)
	if err != nil {
		return LoanDetail{}, nil, err
	}
	if !u.Can(ActLoanPickup) && !u.Can(ActLoanReturn) {
		return LoanDetail{}, nil, errRoleForbidden()
	}
	items, err := db.LoanItems(ctx, id)
	if err != nil {
		return LoanDetail{}, nil, fmt.Errorf("DeskLoan(%d): %w", id, err)
	}
	return d, items, nil
}
