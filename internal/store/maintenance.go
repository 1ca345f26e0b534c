package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// MaxMaintenanceDays bounds the length of one maintenance window; a pack
// away for longer takes the status maintenance (no dates) instead.
const MaxMaintenanceDays = 366

// Maintenance is a dated maintenance window of a pack: the pack cannot be
// lent from FirstDay to LastDay, both included. Windows never overlap each
// other on one pack nor the busy range of a live loan of the pack (database
// triggers, migration 0018).
type Maintenance struct {
	ID        int64         `json:"id"`
	PackID    int64         `json:"pack_id"`
	PackCode  string        `json:"pack_code"`
	FirstDay  calendar.Date `json:"first_day"`
	LastDay   calendar.Date `json:"last_day"`
	Reason    string        `json:"reason"`
	CreatedBy *int64        `json:"created_by,omitempty"`
	// CreatedByName is the name of who scheduled the window.
	CreatedByName string    `json:"created_by_name,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// NewMaintenance is a window to create.
type NewMaintenance struct {
	PackID   int64
	FirstDay calendar.Date
	LastDay  calendar.Date
	Reason   string
}

type maintenanceRow struct {
	bun.BaseModel `bun:"table:pack_maintenance,alias:m"`

	ID        int64     `bun:"id,pk,autoincrement"`
	PackID    int64     `bun:"pack_id,notnull"`
	FirstDay  sqlDate   `bun:"first_day,notnull"`
	LastDay   sqlDate   `bun:"last_day,notnull"`
	Reason    string    `bun:"reason,notnull"`
	CreatedBy *int64    `bun:"created_by"`
	CreatedAt time.Time `bun:"created_at,notnull"`

	PackCode string `bun:"pack_code,scanonly"`
}

func (r maintenanceRow) maintenance() Maintenance {
	return Maintenance{ID: r.ID, PackID: r.PackID, PackCode: r.PackCode, FirstDay: r.FirstDay.Date, LastDay: r.LastDay.Date,
		Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
}

func maintenanceSelect(idb bun.IDB, rows any) *bun.SelectQuery {
	return idb.NewSelect().Model(rows).ColumnExpr("m.*").ColumnExpr("p.code AS pack_code").
		Join("JOIN packs AS p ON p.id = m.pack_id")
}

// MaintenanceFilter selects windows: of one pack (PackID) and/or meeting
// the days From..To (inclusive); zero fields do not filter.
type MaintenanceFilter struct {
	PackID int64
	From   calendar.Date
	To     calendar.Date
}

// ListMaintenance returns the windows matching f, by pack code and first day.
func (db *DB) ListMaintenance(ctx context.Context, f MaintenanceFilter) (_ []Maintenance, err error) {
	defer wrapf(&err, "ListMaintenance")
	return listMaintenance(ctx, db.bun, f)
}

func listMaintenance(ctx context.Context, idb bun.IDB, f MaintenanceFilter) ([]Maintenance, error) {
	var rows []maintenanceRow
	q := maintenanceSelect(idb, &rows).OrderExpr("p.code, m.first_day")
	if f.PackID != 0 {
		q.Where("m.pack_id = ?", f.PackID)
	}
	if !f.From.IsZero() {
		q.Where("m.last_day >= ?", sqlDate{f.From})
	}
	if !f.To.IsZero() {
		q.Where("m.first_day <= ?", sqlDate{f.To})
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Maintenance, len(rows))
	for i, r := range rows {
		out[i] = r.maintenance()
	}
	return out, nameMaintenance(ctx, idb, out)
}

// Validate checks the dates and the reason (required, one line, at most
// MaxMaintenanceReasonLen characters).
func (in NewMaintenance) Validate() error {
	switch {
	case in.PackID <= 0:
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_pack", Field: "pack_id", Fields: []string{"pack_id"}, Message: "Le pack est obligatoire."}
	case in.FirstDay.IsZero():
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_dates", Field: "first_day", Fields: []string{"first_day"}, Message: "Le premier jour de maintenance est obligatoire (AAAA-MM-JJ)."}
	case in.LastDay.IsZero():
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_dates", Field: "last_day", Fields: []string{"last_day"}, Message: "Le dernier jour de maintenance est obligatoire (AAAA-MM-JJ)."}
	case in.LastDay.Before(in.FirstDay):
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_dates", Field: "last_day", Fields: []string{"last_day"}, Message: fmt.Sprintf(
			"Le dernier jour (%s) précède le premier (%s).", frenchDate(in.LastDay), frenchDate(in.FirstDay))}
	case in.LastDay.DaysSince(in.FirstDay) >= MaxMaintenanceDays:
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_dates", Field: "last_day", Fields: []string{"last_day"}, Message: fmt.Sprintf(
			"Une maintenance datée dure au plus %d jours : pour un pack indisponible plus longtemps, passez son statut à « maintenance ».", MaxMaintenanceDays)}
	case in.FirstDay.Year() < 2000 || in.LastDay.Year() > 2100:
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_dates", Field: "first_day", Fields: []string{"first_day"}, Message: "Dates hors des années 2000 à 2100."}
	case strings.TrimSpace(in.Reason) == "":
		return FieldErrors{"reason": "le motif est obligatoire"}.Err()
	}
	f := FieldErrors{}
	CheckText(f, "reason", in.Reason, MaxMaintenanceReasonLen)
	if err := f.Err(); err != nil {
		return err
	}
	if p := SingleLineProblem(in.Reason); p != "" {
		return &RuleError{Kind: RuleInvalid, Code: InvalidCode, Detail: "invalid_reason", Field: "reason", Fields: []string{"reason"}, Message: "Motif invalide : " + p + "."}
	}
	return nil
}

// MaxMaintenanceReasonLen is the longest reason of a maintenance window,
// in characters.
const MaxMaintenanceReasonLen = 500

// CreateMaintenance records a maintenance window. The pack row is locked
// first (as loans do), then the window is checked against the pack's other
// windows and live loans to name the conflict; the database triggers keep
// the guarantee if a writer bypasses the store. Returns *MaintenanceError
// (invalid dates; pack_loaned naming the loan; maintenance_overlap),
// ErrNotFound for an unknown pack.
func (db *DB) CreateMaintenance(ctx context.Context, actor Actor, in NewMaintenance) (_ Maintenance, err error) {
	defer wrapf(&err, "CreateMaintenance(pack %d)", in.PackID)
	in.Reason = strings.TrimSpace(in.Reason)
	if err := in.Validate(); err != nil {
		return Maintenance{}, err
	}
	var out Maintenance
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		packs, err := lockPacks(ctx, tx, []int64{in.PackID})
		if err != nil {
			return err
		}
		p, ok := packs[in.PackID]
		if !ok {
			return ErrNotFound
		}
		if err := maintenanceConflict(ctx, tx, p, in); err != nil {
			return err
		}
		now := db.Now()
		row := maintenanceRow{PackID: in.PackID, FirstDay: sqlDate{in.FirstDay}, LastDay: sqlDate{in.LastDay},
			Reason: in.Reason, CreatedAt: now}
		if actor.UserID != 0 {
			row.CreatedBy = &actor.UserID
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		row.PackCode = p.Code
		out = row.maintenance()
		return Audit(ctx, tx, now, actor, "pack.maintenance.create", "pack", in.PackID, nil, out)
	})
	if _, isRule := AsRule(err); err != nil && !isRule && (errors.Is(translate(err), ErrPackUnavailable) || errors.Is(translate(err), ErrConflict)) {
		// A constraint fired (a writer that bypassed the pack lock): name
		// the conflict from what is committed now.
		var lp lockedPack
		if db.bun.NewRaw("SELECT id, code, status FROM packs WHERE id = ?", in.PackID).Scan(ctx, &lp) == nil {
			if merr := maintenanceConflict(ctx, db.bun, lp, in); merr != nil {
				return Maintenance{}, merr
			}
		}
	}
	if err != nil {
		return Maintenance{}, err
	}
	named := []Maintenance{out}
	if err := nameMaintenance(ctx, db.bun, named); err != nil {
		return Maintenance{}, err
	}
	return named[0], nil
}

// maintenanceConflict returns the *MaintenanceError naming the first window
// or live loan of the pack that the new window would overlap, or nil.
func maintenanceConflict(ctx context.Context, idb bun.IDB, p lockedPack, in NewMaintenance) error {
	var windows []maintenanceRow
	if err := maintenanceSelect(idb, &windows).Where("m.pack_id = ?", in.PackID).
		Where("m.first_day <= ?", sqlDate{in.LastDay}).Where("? <= m.last_day", sqlDate{in.FirstDay}).
		OrderExpr("m.first_day").Limit(1).Scan(ctx); err != nil {
		return err
	}
	if len(windows) > 0 {
		w := windows[0]
		return &RuleError{Kind: RuleConflict, Code: "maintenance_overlap", Conflict: &Conflict{Kind: "maintenance", ID: w.ID, Name: maintenanceConflictName(p.Code, w.FirstDay.Date, w.LastDay.Date, w.Reason)}, Message: fmt.Sprintf(
			"Le pack %s a déjà une maintenance du %s au %s (n° %d, « %s ») qui chevauche ces dates.",
			p.Code, frenchDate(w.FirstDay.Date), frenchDate(w.LastDay.Date), w.ID, w.Reason)}
	}
	var blockers []busyRow
	if err := idb.NewRaw(`SELECT lp.loan_id, lp.pickup_day, lp.busy_until, l.state, s.name AS school
		FROM loan_packs AS lp JOIN loans AS l ON l.id = lp.loan_id JOIN schools AS s ON s.uai = l.school_uai
		WHERE lp.pack_id = ? AND NOT lp.cancelled AND lp.pickup_day <= ? AND ? < lp.busy_until
		ORDER BY lp.pickup_day, lp.loan_id LIMIT 1`, in.PackID, sqlDate{in.LastDay}, sqlDate{in.FirstDay}).Scan(ctx, &blockers); err != nil {
		return err
	}
	if len(blockers) > 0 {
		b := blockers[0]
		return &RuleError{Kind: RuleConflict, Code: "pack_loaned", Conflict: &Conflict{Kind: "loan", ID: b.LoanID, Name: loanConflictName(b.LoanID, b.School)}, Message: fmt.Sprintf(
			"Le pack %s est occupé par le prêt n° %d (%s, état « %s ») du %s au %s, remise en état comprise : déplacez ou annulez ce prêt avant de programmer la maintenance.",
			p.Code, b.LoanID, b.School, LoanStateLabel(b.State), frenchDate(b.PickupDay.Date), frenchDate(b.BusyUntil.AddDays(-1)))}
	}
	return nil
}

// DeleteMaintenance removes a window of a pack (the pack may be booked on
// those dates again). Returns ErrNotFound if the window does not exist or
// belongs to another pack.
func (db *DB) DeleteMaintenance(ctx context.Context, actor Actor, packID, id int64) (_ Maintenance, err error) {
	defer wrapf(&err, "DeleteMaintenance(%d)", id)
	var out Maintenance
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := lockPacks(ctx, tx, []int64{packID}); err != nil {
			return err
		}
		var row maintenanceRow
		if err := maintenanceSelect(tx, &row).Where("m.id = ?", id).Where("m.pack_id = ?", packID).Scan(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*maintenanceRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		out = row.maintenance()
		return Audit(ctx, tx, db.Now(), actor, "pack.maintenance.delete", "pack", packID, out, nil)
	})
	return out, err
}

// packMaintenanceBlock returns the first window of one of the packs meeting
// the busy range [from, until), for the loans' own checks.
func packMaintenanceBlock(ctx context.Context, idb bun.IDB, packIDs []int64, from, until calendar.Date) (*Maintenance, error) {
	if len(packIDs) == 0 {
		return nil, nil
	}
	var rows []maintenanceRow
	if err := maintenanceSelect(idb, &rows).Where("m.pack_id IN (?)", bun.List(packIDs)).
		Where("m.first_day < ?", sqlDate{until}).Where("? <= m.last_day", sqlDate{from}).
		OrderExpr("m.first_day, p.code").Limit(1).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	m := rows[0].maintenance()
	return &m, nil
}

// maintenanceMessage describes a window blocking a loan, in French.
func maintenanceMessage(m *Maintenance) string {
	return fmt.Sprintf("le pack %s est en maintenance du %s au %s (« %s »)", m.PackCode, frenchDate(m.FirstDay), frenchDate(m.LastDay), m.Reason)
}
