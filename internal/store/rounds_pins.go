package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// PinUnpin is the kind of a pin edit that drops a request's pin.
const PinUnpin = "unpin"

// PinEdit is a pin or an exclusion asked on a draft, with the
// coordinator's reason, applied by the draft's next re-run
// (StartRoundRerun): serve the request (from StartWeek when set, with
// ExtensionWeeks), exclude it from the round, or drop its pin (PinUnpin).
type PinEdit struct {
	RequestID      int64     `json:"request_id"`
	Kind           string    `json:"kind"`
	StartWeek      *int      `json:"start_week,omitempty"`
	ExtensionWeeks int       `json:"extension_weeks,omitempty"`
	Reason         string    `json:"reason"`
	CreatedBy      int64     `json:"created_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

type pinEditRow struct {
	bun.BaseModel `bun:"table:round_pin_edits,alias:pe"`

	RoundID        int64     `bun:"round_id,pk"`
	RequestID      int64     `bun:"request_id,pk"`
	Kind           string    `bun:"kind,notnull"`
	StartWeek      *int      `bun:"start_week"`
	ExtensionWeeks int       `bun:"extension_weeks,notnull"`
	Reason         string    `bun:"reason,notnull"`
	CreatedBy      *int64    `bun:"created_by"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

// StartChoice is a legal start week of a loan in a round, as a person
// picks it: the week's first school day and its period.
type StartChoice struct {
	Week   int           `json:"week"`
	Period string        `json:"period"`
	Day    calendar.Date `json:"day"`
	// Label says it in French: « lundi 2 novembre 2026 (P2) ».
	Label string `json:"label"`
}

// RoundStartChoices lists the weeks where a loan of request requestID may
// start in round id: the legal starts of the round's loan length and
// policy, not yet begun when the round was computed, outside the periods
// the request excludes. Returns ErrNotFound.
func (db *DB) RoundStartChoices(ctx context.Context, id, requestID int64) (_ []StartChoice, err error) {
	defer wrapf(&err, "RoundStartChoices(%d, %d)", id, requestID)
	r, err := getRound(ctx, db.bun, id)
	if err != nil {
		return nil, err
	}
	q, err := db.Request(ctx, requestID)
	if err != nil {
		return nil, err
	}
	return db.startChoices(ctx, r, q)
}

func (db *DB) startChoices(ctx context.Context, r Round, q Request) ([]StartChoice, error) {
	y, err := db.CalendarYear(ctx, r.SchoolYear)
	if err != nil {
		return nil, err
	}
	weeks := y.Weeks()
	out := []StartChoice{}
	for _, st := range y.LoanStarts(roundPolicy(r.Params), r.Params.LoanWeeks) {
		if st.Week < r.Params.TodayWeek || st.Week >= len(weeks) {
			continue
		}
		w := weeks[st.Week]
		if slices.Contains(q.ExcludedPeriods, w.Period) {
			continue
		}
		out = append(out, StartChoice{Week: st.Week, Period: w.Period, Day: w.First,
			Label: fmt.Sprintf("%s (%s)", frenchDay(w.First), w.Period)})
	}
	return out, nil
}

// SetRoundPin records a pin or an exclusion on draft round id, applied by
// its next re-run; it replaces what was asked before for the request.
// The request must be one of the round's (served or not), its loan not
// locked; a pin's start week one of RoundStartChoices; the reason is
// required (MaxPinReason characters, one line) except to drop a pin.
//
// Returns ErrNotFound, a *RuleError: conflict round_not_draft when the
// round is no longer a draft, invalid (validation_failed, per field).
func (db *DB) SetRoundPin(ctx context.Context, actor Actor, id int64, e PinEdit) (_ PinEdit, err error) {
	defer wrapf(&err, "SetRoundPin(%d, %d)", id, e.RequestID)
	r, err := getRound(ctx, db.bun, id)
	if err != nil {
		return PinEdit{}, err
	}
	if r.State != RoundDraft {
		return PinEdit{}, &RuleError{Kind: RuleConflict, Code: "round_not_draft", State: RoundState(r.State),
			Message: fmt.Sprintf("Ce tour est %s : on n'épingle que sur un brouillon.", RoundStateLabel(r.State))}
	}
	e.Reason = strings.TrimSpace(e.Reason)
	fe := FieldErrors{}
	inRound, locked := false, false
	for _, l := range r.Loans {
		if l.RequestID == e.RequestID {
			inRound, locked = true, l.Locked
		}
	}
	for _, u := range r.Unserved {
		if u.RequestID == e.RequestID {
			inRound = true
		}
	}
	pinned := slices.ContainsFunc(r.Pins, func(p RoundPin) bool { return p.RequestID == e.RequestID })
	switch {
	case !inRound:
		fe.Add("request_id", "la demande n° %d ne fait pas partie de ce tour", e.RequestID)
	case locked:
		fe.Add("request_id", "le prêt de cette demande est verrouillé (commencé, signé ou réservé à la main) : il reste tel quel")
	}
	switch e.Kind {
	case PinServe:
	case PinExclude, PinUnpin:
		if e.StartWeek != nil || e.ExtensionWeeks != 0 {
			fe.Add("start_week", "seul un épinglage a une semaine de début")
		}
	default:
		fe.Add("kind", "choisissez : fixer, fixer à partir d'une semaine ou exclure")
	}
	if e.Kind == PinUnpin && !pinned {
		fe.Add("kind", "cette demande n'est ni épinglée ni exclue dans ce tour")
	}
	switch {
	case e.Kind != PinUnpin && e.Reason == "":
		fe.Add("reason", "indiquez la raison")
	case SingleLineProblem(e.Reason) != "":
		fe.Add("reason", "%s", SingleLineProblem(e.Reason))
	case len([]rune(e.Reason)) > MaxPinReason:
		fe.Add("reason", "%d caractères au plus", MaxPinReason)
	}
	if e.ExtensionWeeks < 0 || e.ExtensionWeeks > 20 {
		fe.Add("extension_weeks", "prolongation hors de 0 à 20 semaines")
	}
	if e.StartWeek != nil && inRound && len(fe) == 0 {
		q, err := db.Request(ctx, e.RequestID)
		if err != nil {
			return PinEdit{}, err
		}
		choices, err := db.startChoices(ctx, r, q)
		if err != nil {
			return PinEdit{}, err
		}
		if !slices.ContainsFunc(choices, func(c StartChoice) bool { return c.Week == *e.StartWeek }) {
			fe.Add("start_week", "un prêt ne peut pas commencer cette semaine-là : choisissez une date de la liste")
		}
	}
	if err := fe.Err(); err != nil {
		return PinEdit{}, err
	}
	now := db.Now()
	row := pinEditRow{RoundID: id, RequestID: e.RequestID, Kind: e.Kind, StartWeek: e.StartWeek,
		ExtensionWeeks: e.ExtensionWeeks, Reason: e.Reason, CreatedAt: now}
	if actor.UserID != 0 {
		row.CreatedBy = &actor.UserID
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*pinEditRow)(nil)).Where("round_id = ?", id).Where("request_id = ?", e.RequestID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "round.pin", "round", id, nil,
			map[string]any{"request_id": e.RequestID, "kind": e.Kind, "start_week": e.StartWeek, "reason": e.Reason})
	})
	if err != nil {
		return PinEdit{}, err
	}
	return row.edit(), nil
}

func (r pinEditRow) edit() PinEdit {
	e := PinEdit{RequestID: r.RequestID, Kind: r.Kind, StartWeek: r.StartWeek, ExtensionWeeks: r.ExtensionWeeks,
		Reason: r.Reason, CreatedAt: r.CreatedAt.UTC()}
	if r.CreatedBy != nil {
		e.CreatedBy = *r.CreatedBy
	}
	return e
}

// CancelRoundPin forgets what was asked for a request on round id since
// its computation. Returns ErrNotFound when nothing was asked.
func (db *DB) CancelRoundPin(ctx context.Context, actor Actor, id, requestID int64) (err error) {
	defer wrapf(&err, "CancelRoundPin(%d, %d)", id, requestID)
	return db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*pinEditRow)(nil)).Where("round_id = ?", id).Where("request_id = ?", requestID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return Audit(ctx, tx, db.Now(), actor, "round.pin_cancel", "round", id, map[string]any{"request_id": requestID}, nil)
	})
}

// RoundPinEdits returns the pins and exclusions asked on round id since it
// was computed, by request.
func (db *DB) RoundPinEdits(ctx context.Context, id int64) (_ []PinEdit, err error) {
	defer wrapf(&err, "RoundPinEdits(%d)", id)
	var rows []pinEditRow
	if err := db.bun.NewSelect().Model(&rows).Where("pe.round_id = ?", id).OrderExpr("pe.request_id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]PinEdit, len(rows))
	for i, r := range rows {
		out[i] = r.edit()
	}
	return out, nil
}

// RerunPins returns the pins of round id's next re-run: the round's,
// changed by the pins and exclusions asked on it since (SetRoundPin).
// Returns ErrNotFound.
func (db *DB) RerunPins(ctx context.Context, id int64) (_ []RoundPin, err error) {
	defer wrapf(&err, "RerunPins(%d)", id)
	r, err := db.Round(ctx, id)
	if err != nil {
		return nil, err
	}
	edits, err := db.RoundPinEdits(ctx, id)
	if err != nil {
		return nil, err
	}
	return applyPinEdits(r.Pins, edits), nil
}

// applyPinEdits returns the pins of a re-run: the round's, changed by the
// edits asked since.
func applyPinEdits(pins []RoundPin, edits []PinEdit) []RoundPin {
	out := []RoundPin{}
	for _, p := range pins {
		if !slices.ContainsFunc(edits, func(e PinEdit) bool { return e.RequestID == p.RequestID }) {
			out = append(out, p)
		}
	}
	for _, e := range edits {
		if e.Kind == PinUnpin {
			continue
		}
		out = append(out, RoundPin{RequestID: e.RequestID, Kind: e.Kind, StartWeek: e.StartWeek,
			ExtensionWeeks: e.ExtensionWeeks, Reason: e.Reason})
	}
	slices.SortFunc(out, func(a, b RoundPin) int { return cmp.Compare(a.RequestID, b.RequestID) })
	return out
}

// RoundOutcome is what a published round decided for one request, as its
// teacher and director read it on the project's page.
type RoundOutcome struct {
	RoundID     int64      `json:"round_id"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Served      bool       `json:"served"`
	// Code and Message are the engine's explanation (or the
	// coordinator's reason for an exclusion).
	Code    string `json:"code"`
	Message string `json:"message"`
	// Text says it to the school in French.
	Text string `json:"text"`
}

// RequestRoundOutcomeFor returns what the round published for the
// request's year decided for it, to a person who sees the request; nil
// when no published round took it into account. Returns ErrNotFound (the
// request is not visible).
func (db *DB) RequestRoundOutcomeFor(ctx context.Context, u User, requestID int64) (_ *RoundOutcome, err error) {
	defer wrapf(&err, "RequestRoundOutcomeFor(%d)", requestID)
	q, err := db.RequestFor(ctx, u, requestID)
	if err != nil {
		return nil, err
	}
	pub, err := publishedRoundID(ctx, db.bun, q.SchoolYear)
	if err != nil || pub == 0 {
		return nil, err
	}
	var rows []struct {
		Served  bool       `bun:"served"`
		Code    string     `bun:"code"`
		Message string     `bun:"message"`
		At      *time.Time `bun:"published_at"`
	}
	if err := db.bun.NewRaw(`SELECT TRUE AS served, rl.code, rl.message, rd.published_at FROM round_loans AS rl
		JOIN rounds AS rd ON rd.id = rl.round_id WHERE rl.round_id = ? AND rl.request_id = ?
		UNION ALL SELECT FALSE AS served, ru.code, ru.message, rd.published_at FROM round_unserved AS ru
		JOIN rounds AS rd ON rd.id = ru.round_id WHERE ru.round_id = ? AND ru.request_id = ?`,
		pub, requestID, pub, requestID).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	o := &RoundOutcome{RoundID: pub, PublishedAt: utcPtr(rows[0].At), Served: rows[0].Served, Code: rows[0].Code, Message: rows[0].Message}
	if o.Code == "excluded" {
		var reasons []string
		if err := db.bun.NewRaw(`SELECT reason FROM round_pins WHERE round_id = ? AND request_id = ?`, pub, requestID).
			Scan(ctx, &reasons); err != nil {
			return nil, err
		}
		if len(reasons) > 0 && reasons[0] != "" {
			o.Message = "Exclue de ce tour par la coordination : " + strings.TrimSuffix(reasons[0], ".") + "."
		}
	}
	if o.Served {
		o.Text = "Le projet est programmé par le tour d'affectation publié. " + o.Message
	} else {
		o.Text = "Le projet n'a pas pu être programmé par le tour d'affectation publié. " + o.Message
	}
	return o, nil
}

// RoundServedFirstYear counts the requests a round serves whose class
// takes part for the first year (« 38 projets servis dont 27 en première
// année »).
func (db *DB) RoundServedFirstYear(ctx context.Context, id int64) (_ int, err error) {
	defer wrapf(&err, "RoundServedFirstYear(%d)", id)
	var n int
	err = db.bun.NewRaw(`SELECT count(*) FROM round_loans AS rl JOIN requests AS r ON r.id = rl.request_id
		WHERE rl.round_id = ? AND `+participationYearSQL+` = 1`, id).Scan(ctx, &n)
	return n, err
}
