package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Incident stages: where the incident was found.
const (
	// IncidentAtPickup: an item missing when the pack was handed over, the
	// town's own gap, written on the pickup sheet.
	IncidentAtPickup = "pickup"
	// IncidentAtReturn: an item not given back or given back damaged.
	IncidentAtReturn = "return"
)

// Incident is an item found missing at a pickup, or missing or damaged at
// a return. While it is open, its pack is flagged before its next pickup.
type Incident struct {
	ID         int64      `json:"id"`
	LoanID     int64      `json:"loan_id"`
	LoanLabel  string     `json:"loan_label"`
	PackID     int64      `json:"pack_id"`
	PackCode   string     `json:"pack_code"`
	ItemID     int64      `json:"item_id"`
	ItemLabel  string     `json:"item_label"`
	Serial     string     `json:"serial"`
	Kind       string     `json:"kind"`
	Stage      string     `json:"stage"`
	Note       string     `json:"note"`
	OpenedAt   time.Time  `json:"opened_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy int64      `json:"resolved_by,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
}

// Open reports whether the incident awaits the IT department.
func (i Incident) Open() bool { return i.ResolvedAt == nil }

// What says in French what happened to the item: « manquant au retrait »,
// « non restitué », « endommagé au retour ».
func (i Incident) What() string {
	switch {
	case i.Stage == IncidentAtPickup:
		return "manquant au retrait"
	case i.Kind == ItemDamaged:
		return "endommagé au retour"
	}
	return "non restitué"
}

type incidentRow struct {
	bun.BaseModel `bun:"table:loan_incidents,alias:inc"`

	ID         int64      `bun:"id,pk,autoincrement"`
	LoanID     int64      `bun:"loan_id,notnull"`
	PackID     int64      `bun:"pack_id,notnull"`
	ItemID     int64      `bun:"item_id,notnull"`
	Kind       string     `bun:"kind,notnull"`
	Stage      string     `bun:"stage,notnull"`
	Note       string     `bun:"note,notnull"`
	OpenedAt   time.Time  `bun:"opened_at,notnull"`
	ResolvedAt *time.Time `bun:"resolved_at"`
	ResolvedBy *int64     `bun:"resolved_by"`
	Resolution string     `bun:"resolution,notnull"`

	PackCode  string `bun:"pack_code,scanonly"`
	ItemLabel string `bun:"item_label,scanonly"`
	Serial    string `bun:"serial,scanonly"`
	LoanLabel string `bun:"loan_label,scanonly"`
}

func (r incidentRow) incident() Incident {
	i := Incident{ID: r.ID, LoanID: r.LoanID, LoanLabel: r.LoanLabel, PackID: r.PackID, PackCode: r.PackCode, ItemID: r.ItemID,
		ItemLabel: r.ItemLabel, Serial: r.Serial, Kind: r.Kind, Stage: r.Stage, Note: r.Note, OpenedAt: r.OpenedAt.UTC(),
		ResolvedAt: loanTime(r.ResolvedAt), Resolution: r.Resolution}
	if r.ResolvedBy != nil {
		i.ResolvedBy = *r.ResolvedBy
	}
	return i
}

// IncidentFilter selects incidents; zero fields match everything.
type IncidentFilter struct {
	LoanID   int64
	PackIDs  []int64
	OpenOnly bool
	// Stage keeps the incidents found at that stage (IncidentAtPickup or
	// IncidentAtReturn).
	Stage string
	// SchoolUAI keeps the incidents of that school's loans.
	SchoolUAI string
}

func listIncidents(ctx context.Context, idb bun.IDB, f IncidentFilter) ([]Incident, error) {
	var rows []incidentRow
	q := idb.NewSelect().Model(&rows).ColumnExpr("inc.*").
		ColumnExpr("p.code AS pack_code, i.label AS item_label, i.serial AS serial").
		ColumnExpr(loanLabelSQL+" AS loan_label").
		Join("JOIN packs AS p ON p.id = inc.pack_id").Join("JOIN pack_items AS i ON i.id = inc.item_id").
		Join(loanLabelJoin, bun.Ident("inc")).
		OrderExpr("inc.id")
	if f.LoanID != 0 {
		q = q.Where("inc.loan_id = ?", f.LoanID)
	}
	if len(f.PackIDs) > 0 {
		q = q.Where("inc.pack_id IN (?)", bun.List(f.PackIDs))
	}
	if f.OpenOnly {
		q = q.Where("inc.resolved_at IS NULL")
	}
	if f.Stage != "" {
		q = q.Where("inc.stage = ?", f.Stage)
	}
	if f.SchoolUAI != "" {
		q = q.Where("inc.loan_id IN (SELECT id FROM loans WHERE school_uai = ?)", f.SchoolUAI)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Incident, len(rows))
	for i, r := range rows {
		out[i] = r.incident()
	}
	return out, nil
}

// ListIncidents returns the incidents matching f, oldest first.
func (db *DB) ListIncidents(ctx context.Context, f IncidentFilter) (_ []Incident, err error) {
	defer wrapf(&err, "ListIncidents")
	return listIncidents(ctx, db.bun, f)
}

// ListIncidentsFor returns the incidents matching f that the person may
// see: every incident for those who see all schools, their school's
// loans' otherwise.
func (db *DB) ListIncidentsFor(ctx context.Context, u User, f IncidentFilter) ([]Incident, error) {
	if !u.Can(ActIncidentRead) {
		return nil, errRoleForbidden()
	}
	if !u.SeesAllSchools() {
		f.SchoolUAI = u.SchoolUAI
		if f.SchoolUAI == "" {
			return []Incident{}, nil
		}
	}
	return db.ListIncidents(ctx, f)
}

// ResolveIncident closes an open incident with the IT department's
// resolution (found, repaired, replaced…). Returns ErrNotFound, or
// *LoanError when it is already resolved or the resolution is empty.
func (db *DB) ResolveIncident(ctx context.Context, actor Actor, id int64, resolution string) (_ Incident, err error) {
	defer wrapf(&err, "ResolveIncident(%d)", id)
	if err := checkLoanNote("resolution", resolution); err != nil {
		return Incident{}, err
	}
	resolution = strings.TrimSpace(resolution)
	var out Incident
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var row incidentRow
		if err := tx.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		if row.ResolvedAt != nil {
			return loanConflict("incident_resolved", "Cet incident est déjà résolu.")
		}
		if resolution == "" {
			return invalidLoan("resolution", "resolution_required", "La résolution de l'incident est obligatoire.")
		}
		before := row.incident()
		now := db.Now()
		by := actor.UserID
		res, err := tx.NewUpdate().Model((*incidentRow)(nil)).Set("resolved_at = ?", now).Set("resolved_by = ?", &by).
			Set("resolution = ?", resolution).Where("id = ?", id).Where("resolved_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		all, err := listIncidents(ctx, tx, IncidentFilter{LoanID: row.LoanID})
		if err != nil {
			return err
		}
		for _, i := range all {
			if i.ID == id {
				out = i
			}
		}
		return Audit(ctx, tx, now, actor, "incident.resolve", "incident", id, before, out)
	})
	return out, err
}

// LoanDetail is a loan with everything recorded about it.
type LoanDetail struct {
	Loan
	PickupSheet *Sheet      `json:"pickup_sheet"`
	ReturnSheet *Sheet      `json:"return_sheet"`
	Extensions  []Extension `json:"extensions"`
	Assessment  *Assessment `json:"assessment"`
	// Incidents are those opened by this loan's pickup and return.
	Incidents []Incident `json:"incidents"`
	// PackFlags are the open incidents on this loan's packs (from any
	// loan): shown before the pickup.
	PackFlags []Incident `json:"pack_flags"`
	// Training is the teacher's technical training (on the request): the
	// pickup needs it done.
	Training Training `json:"training"`
}

// LoanDetail returns a loan with its sheets, extension history, assessment
// and incidents. Returns ErrNotFound.
func (db *DB) LoanDetail(ctx context.Context, id int64) (_ LoanDetail, err error) {
	defer wrapf(&err, "LoanDetail(%d)", id)
	l, err := getLoan(ctx, db.bun, id, false)
	if err != nil {
		return LoanDetail{}, err
	}
	d := LoanDetail{Loan: l, Extensions: []Extension{}}
	req, err := getRequest(ctx, db.bun, l.RequestID)
	if err != nil {
		return LoanDetail{}, err
	}
	d.Training = req.Training
	sheets, err := getSheets(ctx, db.bun, id)
	if err != nil {
		return LoanDetail{}, err
	}
	d.PickupSheet, d.ReturnSheet = sheets[SheetPickup], sheets[SheetReturn]
	var exts []extensionRow
	if err := db.bun.NewSelect().Model(&exts).Where("loan_id = ?", id).OrderExpr("id").Scan(ctx); err != nil {
		return LoanDetail{}, err
	}
	for _, e := range exts {
		d.Extensions = append(d.Extensions, e.extension())
	}
	if err := nameExtensions(ctx, db.bun, d.Extensions); err != nil {
		return LoanDetail{}, err
	}
	var a assessmentRow
	switch err := db.bun.NewSelect().Model(&a).Where("loan_id = ?", id).Scan(ctx); {
	case err == nil:
		as := a.assessment()
		if err := nameAssessment(ctx, db.bun, &as); err != nil {
			return LoanDetail{}, err
		}
		d.Assessment = &as
	case errors.Is(err, sql.ErrNoRows):
	default:
		return LoanDetail{}, err
	}
	if d.Incidents, err = listIncidents(ctx, db.bun, IncidentFilter{LoanID: id}); err != nil {
		return LoanDetail{}, err
	}
	packs := make([]int64, len(l.Packs))
	for i, p := range l.Packs {
		packs[i] = p.PackID
	}
	d.PackFlags = []Incident{}
	if len(packs) > 0 {
		if d.PackFlags, err = listIncidents(ctx, db.bun, IncidentFilter{PackIDs: packs, OpenOnly: true}); err != nil {
			return LoanDetail{}, err
		}
	}
	return d, nil
}
