package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// Inventory sheet kinds and line statuses.
const (
	SheetPickup = "pickup"
	SheetReturn = "return"

	// ItemPresent: checked present (at pickup: handed over; at return:
	// given back).
	ItemPresent = "present"
	// ItemMissing: not there.
	ItemMissing = "missing"
	// ItemDamaged: given back damaged (return only).
	ItemDamaged = "damaged"
	// ItemNotIssued: missing at pickup, so not expected back (return only,
	// set by the store).
	ItemNotIssued = "not_issued"
)

// SheetLine is one item checked on an inventory sheet.
type SheetLine struct {
	ItemID    int64  `json:"item_id"`
	PackID    int64  `json:"pack_id"`
	PackCode  string `json:"pack_code"`
	Kind      string `json:"kind"`
	Label     string `json:"label"`
	Serial    string `json:"serial"`
	Status    string `json:"status"`
	Condition string `json:"condition"`
	Note      string `json:"note"`
}

// Sheet is the inventory sheet filled jointly at pickup or at return.
type Sheet struct {
	ID                 int64       `json:"id"`
	Kind               string      `json:"kind"`
	SchoolPerson       string      `json:"school_person"`
	ITUserID           int64       `json:"it_user_id"`
	AcceptedDifference bool        `json:"accepted_difference"`
	Comment            string      `json:"comment"`
	TechnicalReport    string      `json:"technical_report,omitempty"`
	CreatedAt          time.Time   `json:"created_at"`
	Lines              []SheetLine `json:"lines"`
}

// SheetInput is what the IT user records at pickup or return.
type SheetInput struct {
	// SchoolPerson is the person present for the school.
	SchoolPerson string
	// Lines must name every item of the loan's packs exactly once.
	Lines []SheetLineInput
	// AcceptDifference lets a pickup go ahead with missing items (IT only,
	// with a Comment).
	AcceptDifference bool
	Comment          string
	// TechnicalReport is the IT department's report (return only).
	TechnicalReport string
	// IdempotencyKey, when set, is the key of the desk form: the same key
	// posted again records nothing and answers the loan as it is (see
	// claimDeskKey).
	IdempotencyKey string
}

// SheetLineInput is one item's check.
type SheetLineInput struct {
	ItemID    int64  `json:"item_id"`
	Status    string `json:"status"`
	Condition string `json:"condition"`
	Note      string `json:"note"`
}

type sheetRow struct {
	bun.BaseModel `bun:"table:loan_sheets"`

	ID                 int64     `bun:"id,pk,autoincrement"`
	LoanID             int64     `bun:"loan_id,notnull"`
	Kind               string    `bun:"kind,notnull"`
	SchoolPerson       string    `bun:"school_person,notnull"`
	ITUserID           *int64    `bun:"it_user_id"`
	AcceptedDifference bool      `bun:"accepted_difference,notnull"`
	Comment            string    `bun:"comment,notnull"`
	TechnicalReport    string    `bun:"technical_report,notnull"`
	CreatedAt          time.Time `bun:"created_at,notnull"`
}

type sheetLineRow struct {
	bun.BaseModel `bun:"table:loan_sheet_lines,alias:sl"`

	SheetID   int64  `bun:"sheet_id,pk"`
	ItemID    int64  `bun:"item_id,pk"`
	PackID    int64  `bun:"pack_id,notnull"`
	Status    string `bun:"status,notnull"`
	Condition string `bun:"condition,notnull"`
	Note      string `bun:"note,notnull"`

	PackCode string `bun:"pack_code,scanonly"`
	Kind     string `bun:"kind,scanonly"`
	Label    string `bun:"label,scanonly"`
	Serial   string `bun:"serial,scanonly"`
}

// LoanItem is an item of one of a loan's packs.
type LoanItem struct {
	PackItem
	PackID   int64  `json:"pack_id"`
	PackCode string `json:"pack_code"`
}

// loanItems lists the items in service of the loan's packs, pack by pack.
func loanItems(ctx context.Context, idb bun.IDB, l Loan) ([]LoanItem, error) {
	var out []LoanItem
	for _, p := range l.Packs {
		var rows []packItemRow
		if err := idb.NewSelect().Model(&rows).Where("pack_id = ?", p.PackID).Where("retired_at IS NULL").
			OrderExpr("position").Scan(ctx); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, LoanItem{PackItem: r.item(), PackID: p.PackID, PackCode: p.Code})
		}
	}
	return out, nil
}

// LoanItems returns the items of the loan's packs, pack by pack, for the
// inventory sheet. Returns ErrNotFound.
func (db *DB) LoanItems(ctx context.Context, loanID int64) (_ []LoanItem, err error) {
	defer wrapf(&err, "LoanItems(%d)", loanID)
	l, err := getLoan(ctx, db.bun, loanID, false)
	if err != nil {
		return nil, err
	}
	return loanItems(ctx, db.bun, l)
}

func getSheets(ctx context.Context, idb bun.IDB, loanID int64) (map[string]*Sheet, error) {
	var rows []sheetRow
	if err := idb.NewSelect().Model(&rows).Where("loan_id = ?", loanID).Scan(ctx); err != nil {
		return nil, err
	}
	out := map[string]*Sheet{}
	for _, r := range rows {
		s := &Sheet{ID: r.ID, Kind: r.Kind, SchoolPerson: r.SchoolPerson, AcceptedDifference: r.AcceptedDifference,
			Comment: r.Comment, TechnicalReport: r.TechnicalReport, CreatedAt: r.CreatedAt.UTC(), Lines: []SheetLine{}}
		if r.ITUserID != nil {
			s.ITUserID = *r.ITUserID
		}
		var lines []sheetLineRow
		if err := idb.NewSelect().Model(&lines).ColumnExpr("sl.*").
			ColumnExpr("p.code AS pack_code, i.kind AS kind, i.label AS label, i.serial AS serial").
			Join("JOIN pack_items AS i ON i.id = sl.item_id").Join("JOIN packs AS p ON p.id = sl.pack_id").
			Where("sl.sheet_id = ?", r.ID).OrderExpr("p.code, i.position").Scan(ctx); err != nil {
			return nil, err
		}
		for _, ln := range lines {
			s.Lines = append(s.Lines, SheetLine{ItemID: ln.ItemID, PackID: ln.PackID, PackCode: ln.PackCode, Kind: ln.Kind,
				Label: ln.Label, Serial: ln.Serial, Status: ln.Status, Condition: ln.Condition, Note: ln.Note})
		}
		out[r.Kind] = s
	}
	return out, nil
}

// checkLines matches the input lines with the loan's items: every item
// exactly once, with an allowed status.
func checkLines(items []LoanItem, lines []SheetLineInput, allowed ...string) (map[int64]SheetLineInput, error) {
	byID := make(map[int64]SheetLineInput, len(lines))
	known := make(map[int64]bool, len(items))
	for _, it := range items {
		known[it.ID] = true
	}
	for i, ln := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		if !known[ln.ItemID] {
			return nil, invalidLoan(field+".item_id", "unknown_item", "L'élément %d n'appartient pas aux packs de ce prêt.", ln.ItemID)
		}
		if _, dup := byID[ln.ItemID]; dup {
			return nil, invalidLoan(field+".item_id", "duplicate_item", "L'élément %d figure deux fois sur la feuille.", ln.ItemID)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || ln.Status == a
		}
		if !ok {
			return nil, invalidLoan(field+".status", "invalid_status", "Statut « %s » invalide : attendu %s.", ln.Status, strings.Join(allowed, ", "))
		}
		byID[ln.ItemID] = ln
	}
	var missing []string
	for _, it := range items {
		if _, ok := byID[it.ID]; !ok {
			missing = append(missing, itemName(it))
		}
	}
	if len(missing) > 0 {
		return nil, invalidLoan("lines", "incomplete_sheet", "La feuille d'inventaire doit pointer chaque élément ; non pointé(s) : %s.", strings.Join(missing, ", "))
	}
	return byID, nil
}

func itemName(it LoanItem) string {
	if it.Serial != "" {
		return it.Label + " (" + it.Serial + ")"
	}
	return it.Label + " (" + it.PackCode + ")"
}

func insertSheet(ctx context.Context, tx bun.Tx, s sheetRow, items []LoanItem, lines map[int64]SheetLineInput, status func(LoanItem, SheetLineInput) string) error {
	if _, err := tx.NewInsert().Model(&s).Returning("id").Exec(ctx); err != nil {
		return err
	}
	rows := make([]sheetLineRow, 0, len(items))
	for _, it := range items {
		ln := lines[it.ID]
		rows = append(rows, sheetLineRow{SheetID: s.ID, ItemID: it.ID, PackID: it.PackID, Status: status(it, ln),
			Condition: strings.TrimSpace(ln.Condition), Note: strings.TrimSpace(ln.Note)})
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// PickUp records the pickup (retrait) with its inventory sheet. It needs
// the agreement signed by both parties and the teacher's training done
// (*LoanError "pickup_blocked" naming everything missing otherwise). Every
// item of the packs is checked present or missing; missing items block the
// pickup ("items_missing") unless an IT user accepts the difference with a
// comment. The teacher's participation in the school year is recorded.
//
// The pickup opens only Options.PickupWindowDays school days before the
// planned pickup day ("pickup_too_early"), and never while one of the
// loan's packs is still out with another loan ("pack_still_out"; the
// database's pack_occupations keep it even under concurrent pickups).
func (db *DB) PickUp(ctx context.Context, by User, loanID int64, in SheetInput) (_ Loan, err error) {
	defer wrapf(&err, "PickUp(%d)", loanID)
	if err := in.Validate(); err != nil {
		return Loan{}, err
	}
	var out, picked Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		picked = before
		if fresh, err := claimDeskKey(ctx, tx, db.Now(), in.IdempotencyKey, loanID, SheetPickup); err != nil || !fresh {
			out = before
			return err
		}
		if before.State != LoanReserved && before.State != LoanSigned {
			return stateError("Retrait", before.State, LoanSigned)
		}
		req, err := getLoanRequest(ctx, tx, before.RequestID, false)
		if err != nil {
			return err
		}
		var missing []string
		if before.DirectorSignature == nil {
			missing = append(missing, "la signature de la convention par le directeur de l'école")
		}
		if before.ITSignature == nil {
			missing = append(missing, "la signature de la convention par la DSI")
		}
		if req.TrainingStatus != "done" {
			status := "non planifiée"
			if req.TrainingStatus == "planned" {
				status = "prévue le " + frenchDate(req.TrainingDate.Date)
			}
			missing = append(missing, "la formation technique de l'enseignant ("+status+")")
		}
		if len(missing) > 0 {
			return loanConflict("pickup_blocked", "Retrait impossible : il manque %s.", strings.Join(missing, " ; "))
		}
		if err := db.checkPickupPossible(ctx, tx, before, calendar.ParisDate(db.Now())); err != nil {
			return err
		}
		if strings.TrimSpace(in.SchoolPerson) == "" {
			return invalidLoan("school_person", "school_person_required", "Le nom de la personne présente pour l'école est obligatoire.")
		}
		items, err := loanItems(ctx, tx, before)
		if err != nil {
			return err
		}
		lines, err := checkLines(items, in.Lines, ItemPresent, ItemMissing)
		if err != nil {
			return err
		}
		var absent []string
		for _, it := range items {
			if lines[it.ID].Status == ItemMissing {
				absent = append(absent, itemName(it))
			}
		}
		accepted := false
		if len(absent) > 0 {
			switch {
			case !in.AcceptDifference:
				return loanConflict("items_missing", "Retrait bloqué : %d élément(s) manquant(s) : %s. La DSI peut accepter l'écart avec un commentaire.", len(absent), strings.Join(absent, ", "))
			case !by.HasRole(RoleIT):
				return loanConflict("items_missing", "Seule la DSI peut accepter un retrait avec des éléments manquants (%s).", strings.Join(absent, ", "))
			case strings.TrimSpace(in.Comment) == "":
				return invalidLoan("comment", "comment_required", "Un commentaire est obligatoire pour accepter un écart d'inventaire.")
			}
			accepted = true
		}
		now := db.Now()
		sheet := sheetRow{LoanID: loanID, Kind: SheetPickup, SchoolPerson: strings.TrimSpace(in.SchoolPerson), ITUserID: &by.ID,
			AcceptedDifference: accepted, Comment: strings.TrimSpace(in.Comment), CreatedAt: now}
		if err := insertSheet(ctx, tx, sheet, items, lines, func(_ LoanItem, ln SheetLineInput) string { return ln.Status }); err != nil {
			return err
		}
		// An item missing at the pickup is the town's incident: the pack
		// is flagged until the IT department finds or replaces it.
		for _, it := range items {
			if ln := lines[it.ID]; ln.Status == ItemMissing {
				note := strings.TrimSpace(ln.Note)
				if note == "" {
					note = strings.TrimSpace(in.Comment)
				}
				if err := openIncident(ctx, tx, now, by.ID, incidentRow{LoanID: loanID, PackID: it.PackID, ItemID: it.ID,
					Kind: ItemMissing, Stage: IncidentAtPickup, Note: note, OpenedAt: now}); err != nil {
					return err
				}
			}
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		row.State, row.PickedUpAt = LoanPickedUp, &now
		if out, err = updateLoan(ctx, tx, now, Actor{UserID: by.ID}, "loan.pickup", before, &row); err != nil {
			return err
		}
		// The requests' eligibility counts school years of participation.
		return RecordParticipation(ctx, tx, now, req.TeacherID, req.SchoolUAI, req.SchoolYear, fmt.Sprintf("loan:%d", loanID))
	})
	if err != nil && picked.ID != 0 {
		err = pickupOccupationError(ctx, db, picked, err)
	}
	return out, err
}

// Return records the return (retour): every item checked against the
// pickup sheet (present, missing or damaged with a note) and the IT
// department's technical report. Each item missing or damaged opens an
// incident that flags its pack until the IT department resolves it. Items
// missing at pickup are recorded as not issued.
func (db *DB) Return(ctx context.Context, by User, loanID int64, in SheetInput) (_ Loan, err error) {
	defer wrapf(&err, "Return(%d)", loanID)
	if err := in.Validate(); err != nil {
		return Loan{}, err
	}
	var out Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if fresh, err := claimDeskKey(ctx, tx, db.Now(), in.IdempotencyKey, loanID, SheetReturn); err != nil || !fresh {
			out = before
			return err
		}
		if before.State != LoanPickedUp {
			return stateError("Retour", before.State, LoanPickedUp)
		}
		if strings.TrimSpace(in.SchoolPerson) == "" {
			return invalidLoan("school_person", "school_person_required", "Le nom de la personne présente pour l'école est obligatoire.")
		}
		if strings.TrimSpace(in.TechnicalReport) == "" {
			return invalidLoan("technical_report", "technical_report_required", "Le bilan technique de la DSI est obligatoire au retour.")
		}
		items, err := loanItems(ctx, tx, before)
		if err != nil {
			return err
		}
		lines, err := checkLines(items, in.Lines, ItemPresent, ItemMissing, ItemDamaged)
		if err != nil {
			return err
		}
		for i, ln := range in.Lines {
			if ln.Status == ItemDamaged && strings.TrimSpace(ln.Note) == "" {
				return invalidLoan(fmt.Sprintf("lines[%d].note", i), "note_required", "Une note décrivant le dommage est obligatoire pour l'élément %d.", ln.ItemID)
			}
		}
		sheets, err := getSheets(ctx, tx, loanID)
		if err != nil {
			return err
		}
		notIssued := map[int64]bool{}
		if s := sheets[SheetPickup]; s != nil {
			for _, ln := range s.Lines {
				notIssued[ln.ItemID] = ln.Status == ItemMissing
			}
		}
		now := db.Now()
		sheet := sheetRow{LoanID: loanID, Kind: SheetReturn, SchoolPerson: strings.TrimSpace(in.SchoolPerson), ITUserID: &by.ID,
			Comment: strings.TrimSpace(in.Comment), TechnicalReport: strings.TrimSpace(in.TechnicalReport), CreatedAt: now}
		status := func(it LoanItem, ln SheetLineInput) string {
			if notIssued[it.ID] && ln.Status != ItemPresent {
				return ItemNotIssued
			}
			return ln.Status
		}
		if err := insertSheet(ctx, tx, sheet, items, lines, status); err != nil {
			return err
		}
		for _, it := range items {
			ln := lines[it.ID]
			if st := status(it, ln); st == ItemMissing || st == ItemDamaged {
				if err := openIncident(ctx, tx, now, by.ID, incidentRow{LoanID: loanID, PackID: it.PackID, ItemID: it.ID,
					Kind: st, Stage: IncidentAtReturn, Note: strings.TrimSpace(ln.Note), OpenedAt: now}); err != nil {
					return err
				}
			}
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		if err := lapseExtensions(ctx, tx, now, loanID, "prêt rendu avant la décision"); err != nil {
			return err
		}
		row.State, row.ReturnedAt = LoanReturned, &now
		out, err = updateLoan(ctx, tx, now, Actor{UserID: by.ID}, "loan.return", before, &row)
		return err
	})
	return out, err
}

// CloseLoan closes a returned loan (the inspectorate's closure).
func (db *DB) CloseLoan(ctx context.Context, actor Actor, loanID int64) (_ Loan, err error) {
	return db.CloseLoanWithReason(ctx, actor, loanID, "")
}

// incidentLabel names an incident in French: "Tablette 03 manquante".
func incidentLabel(inc Incident) string {
	what := inc.ItemLabel
	if inc.Serial != "" {
		what += " " + inc.Serial
	}
	if inc.Kind == ItemDamaged {
		return what + " endommagé(e)"
	}
	return what + " manquant(e)"
}

// CloseLoanWithReason closes a returned loan. Every incident its return
// opened must be resolved, or reason must say why the loan is closed
// anyway (recorded with the closure); otherwise the refusal
// "incidents_open" names the open incidents.
func (db *DB) CloseLoanWithReason(ctx context.Context, actor Actor, loanID int64, reason string) (_ Loan, err error) {
	defer wrapf(&err, "CloseLoan(%d)", loanID)
	if err := checkLoanNote("reason", reason); err != nil {
		return Loan{}, err
	}
	reason = strings.TrimSpace(reason)
	var out Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if before.State != LoanReturned {
			return stateError("Clôture", before.State, LoanReturned)
		}
		open, err := listIncidents(ctx, tx, IncidentFilter{LoanID: loanID, OpenOnly: true, Stage: IncidentAtReturn})
		if err != nil {
			return err
		}
		if len(open) > 0 && reason == "" {
			names := make([]string, len(open))
			for i, inc := range open {
				names[i] = fmt.Sprintf("n° %d (%s, pack %s)", inc.ID, incidentLabel(inc), inc.PackCode)
			}
			e := loanConflict("incidents_open", "Clôture impossible : %d incident%s du retour %s encore ouvert%s : %s. Résolvez-les, ou donnez le motif de la clôture malgré tout.",
				len(open), plural(len(open)), map[bool]string{true: "sont", false: "est"}[len(open) > 1], plural(len(open)), strings.Join(names, ", "))
			e.Conflict = &Conflict{Kind: "incident", ID: open[0].ID}
			return e
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		now := db.Now()
		row.State, row.ClosedAt = LoanClosed, &now
		if len(open) > 0 {
			row.CloseReason = reason
		}
		if actor.UserID != 0 {
			row.ClosedBy = &actor.UserID
		}
		out, err = updateLoan(ctx, tx, now, actor, "loan.close", before, &row)
		return err
	})
	return out, err
}

// CancelLoan cancels a loan before its pickup, with a reason: its packs are
// free again and its request may be withdrawn or served again.
func (db *DB) CancelLoan(ctx context.Context, actor Actor, loanID int64, reason string) (_ Loan, err error) {
	defer wrapf(&err, "CancelLoan(%d)", loanID)
	if err := checkLoanNote("reason", reason); err != nil {
		return Loan{}, err
	}
	reason = strings.TrimSpace(reason)
	var out Loan
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getLoan(ctx, tx, loanID, true)
		if err != nil {
			return err
		}
		if before.State != LoanReserved && before.State != LoanSigned {
			return stateError("Annulation", before.State, LoanReserved, LoanSigned)
		}
		if reason == "" {
			return invalidLoan("reason", "reason_required", "Le motif de l'annulation est obligatoire.")
		}
		now := db.Now()
		if _, err := tx.NewUpdate().Model((*loanPackRow)(nil)).Set("cancelled = ?", true).Where("loan_id = ?", loanID).Exec(ctx); err != nil {
			return err
		}
		if err := lapseExtensions(ctx, tx, now, loanID, "prêt annulé"); err != nil {
			return err
		}
		if err := SetRequestLoaned(ctx, tx, before.RequestID, false); err != nil {
			return err
		}
		row, err := loanRowOf(ctx, tx, loanID)
		if err != nil {
			return err
		}
		row.State, row.CancelledAt, row.CancelReason = LoanCancelled, &now, reason
		out, err = updateLoan(ctx, tx, now, actor, "loan.cancel", before, &row)
		return err
	})
	return out, err
}

// Assessment is the teacher's assessment (bilan) of a loan, written after
// the return.
type Assessment struct {
	LoanID int64 `json:"loan_id"`
	// LoanLabel names the loan and AuthorName the teacher who wrote it.
	LoanLabel   string    `json:"loan_label"`
	AuthorID    int64     `json:"author_id"`
	AuthorName  string    `json:"author_name"`
	Human       string    `json:"human"`
	Pedagogical string    `json:"pedagogical"`
	Productions []string  `json:"productions"`
	ApplyAgain  bool      `json:"apply_again"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type assessmentRow struct {
	bun.BaseModel `bun:"table:loan_assessments,alias:a"`

	LoanID      int64     `bun:"loan_id,pk"`
	AuthorID    *int64    `bun:"author_id"`
	Human       string    `bun:"human,notnull"`
	Pedagogical string    `bun:"pedagogical,notnull"`
	Productions string    `bun:"productions,notnull"`
	ApplyAgain  bool      `bun:"apply_again,notnull"`
	Version     int       `bun:"version,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

func (r assessmentRow) assessment() Assessment {
	a := Assessment{LoanID: r.LoanID, Human: r.Human, Pedagogical: r.Pedagogical, ApplyAgain: r.ApplyAgain,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Productions: []string{}}
	if r.AuthorID != nil {
		a.AuthorID = *r.AuthorID
	}
	_ = json.Unmarshal([]byte(r.Productions), &a.Productions)
	return a
}

// SaveAssessment writes (or rewrites) the assessment of a returned or
// closed loan. The input is validated first (AssessmentInput.Validate).
func (db *DB) SaveAssessment(ctx context.Context, actor Actor, in AssessmentInput) (_ Assessment, err error) {
	defer wrapf(&err, "SaveAssessment(%d)", in.LoanID)
	if err := in.Validate(); err != nil {
		return Assessment{}, err
	}
	a := Assessment{LoanID: in.LoanID, Human: strings.TrimSpace(in.Human), Pedagogical: strings.TrimSpace(in.Pedagogical),
		ApplyAgain: *in.ApplyAgain, Productions: make([]string, len(in.Productions))}
	for i, p := range in.Productions {
		a.Productions[i] = strings.TrimSpace(p)
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := getLoan(ctx, tx, a.LoanID, true)
		if err != nil {
			return err
		}
		if err := checkLoanTeacher(ctx, tx, actor, l, false, "Seul l'enseignant du projet rédige le bilan."); err != nil {
			return err
		}
		if l.State != LoanReturned && l.State != LoanClosed {
			return stateError("Bilan", l.State, LoanReturned, LoanClosed)
		}
		prod, _ := json.Marshal(a.Productions)
		now := db.Now()
		var before *Assessment
		var old assessmentRow
		switch err := tx.NewSelect().Model(&old).Where("loan_id = ?", a.LoanID).Scan(ctx); {
		case err == nil:
			b := old.assessment()
			before = &b
		case errors.Is(err, sql.ErrNoRows):
		default:
			return err
		}
		row := assessmentRow{LoanID: a.LoanID, Human: a.Human, Pedagogical: a.Pedagogical, Productions: string(prod),
			ApplyAgain: a.ApplyAgain, Version: 1, CreatedAt: now, UpdatedAt: now}
		if actor.UserID != 0 {
			row.AuthorID = &actor.UserID
		}
		if before == nil {
			if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
				return err
			}
		} else {
			row.Version, row.CreatedAt = before.Version+1, before.CreatedAt
			if _, err := tx.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		a = row.assessment()
		return Audit(ctx, tx, now, actor, "loan.assessment", "loan", a.LoanID, before, a)
	})
	if err != nil {
		return Assessment{}, err
	}
	return a, nameAssessment(ctx, db.bun, &a)
}

// AssessmentEntry is an assessment with its loan, for the inspectorate's
// list and the CSV export.
type AssessmentEntry struct {
	Loan       Loan       `json:"loan"`
	Assessment Assessment `json:"assessment"`
}

// ListAssessments returns the assessments of a school year (all years when
// empty), by school then loan.
func (db *DB) ListAssessments(ctx context.Context, year string) (_ []AssessmentEntry, err error) {
	defer wrapf(&err, "ListAssessments(%s)", year)
	if err := checkSchoolYearName("school_year", year); err != nil {
		return nil, err
	}
	var rows []assessmentRow
	q := db.bun.NewSelect().Model(&rows).ColumnExpr("a.*").Join("JOIN loans AS l ON l.id = a.loan_id").
		OrderExpr("l.school_uai, l.id")
	if year != "" {
		q = q.Where("l.school_year = ?", year)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]AssessmentEntry, 0, len(rows))
	for _, r := range rows {
		l, err := getLoan(ctx, db.bun, r.LoanID, false)
		if err != nil {
			return nil, err
		}
		a := r.assessment()
		a.LoanLabel = l.Label + ", " + l.SchoolName
		out = append(out, AssessmentEntry{Loan: l, Assessment: a})
	}
	authors := make([]int64, len(out))
	for i, e := range out {
		authors[i] = e.Assessment.AuthorID
	}
	names, err := personNames(ctx, db.bun, authors...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Assessment.AuthorName = names[out[i].Assessment.AuthorID]
	}
	return out, nil
}
