package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// RoundWhatIf is the state of the scratch plan of a what-if: never stored
// as a round, never published.
const RoundWhatIf = "what_if"

// MaxWhatIfExtraPacks bounds the packs a what-if adds.
const MaxWhatIfExtraPacks = 50

// WhatIfUnavailable makes a pack of the round unavailable from FirstDay to
// LastDay, both included, as a maintenance window would.
type WhatIfUnavailable struct {
	PackID   int64         `json:"pack_id"`
	FirstDay calendar.Date `json:"first_day"`
	LastDay  calendar.Date `json:"last_day"`
	// PackCode is filled in by round.WhatIf.
	PackCode string `json:"pack_code,omitempty"`
}

// WhatIfInput is the hypothesis of a what-if; zero fields keep the round's
// setting. At least one field must change something.
type WhatIfInput struct {
	// PacksDelta adds packs (+1: "un pack de plus") or removes some (−1:
	// the last packs by code that hold no locked loan).
	PacksDelta int `json:"packs_delta,omitempty"`
	// Unavailable makes packs unavailable for some days.
	Unavailable []WhatIfUnavailable `json:"unavailable,omitempty"`
	// LoanWeeks, when set, replaces the round's loan length.
	LoanWeeks int `json:"loan_weeks,omitempty"`
	// NoExtensions grants no extension (locked loans keep theirs).
	NoExtensions bool `json:"no_extensions,omitempty"`
	// LoanPolicy, when set, replaces the round's loan policy
	// (calendar.LoanPolicy: across_breaks lets loans span a short break).
	LoanPolicy string `json:"loan_policy,omitempty"`
	// TimeLimit bounds the solver; 0 means DefaultWhatIfTimeLimit.
	TimeLimit time.Duration `json:"time_limit,omitempty"`
}

// Label says the hypothesis in French: « un pack de plus ; prêts de 5
// semaines ».
func (in WhatIfInput) Label() string {
	var parts []string
	switch {
	case in.PacksDelta == 1:
		parts = append(parts, "un pack de plus")
	case in.PacksDelta > 1:
		parts = append(parts, fmt.Sprintf("%d packs de plus", in.PacksDelta))
	case in.PacksDelta == -1:
		parts = append(parts, "un pack de moins")
	case in.PacksDelta < -1:
		parts = append(parts, fmt.Sprintf("%d packs de moins", -in.PacksDelta))
	}
	for _, u := range in.Unavailable {
		code := u.PackCode
		if code == "" {
			code = fmt.Sprintf("n° %d", u.PackID)
		}
		parts = append(parts, fmt.Sprintf("pack %s indisponible %s", code, planning.DateRange(u.FirstDay, u.LastDay)))
	}
	if in.LoanWeeks > 0 {
		parts = append(parts, fmt.Sprintf("prêts de %d semaines", in.LoanWeeks))
	}
	if in.NoExtensions {
		parts = append(parts, "sans les prolongations")
	}
	switch calendar.LoanPolicy(in.LoanPolicy) {
	case calendar.AcrossBreaks:
		parts = append(parts, "prêts à cheval sur les vacances")
	case calendar.WithinPeriod:
		parts = append(parts, "prêts dans une seule période")
	case calendar.PeriodLength:
		parts = append(parts, "prêts raccourcis dans les périodes courtes")
	}
	return strings.Join(parts, " ; ")
}

// WhatIf is a round re-solved under a hypothesis: a scratch plan that
// creates no loan, sends nothing and changes no round, compared with the
// round it started from.
type WhatIf struct {
	ID int64 `json:"id"`
	// RoundID is the round it started from (the draft, usually).
	RoundID    int64       `json:"round_id"`
	SchoolYear string      `json:"school_year"`
	Input      WhatIfInput `json:"input"`
	Label      string      `json:"label"`
	// Round is the scratch plan (ID 0, state RoundWhatIf); packs added by
	// the hypothesis have negative ids and codes « supplémentaire 1 »….
	Round Round `json:"round"`
	// Changes compares the round it started from with the scratch plan.
	Changes planning.Changes `json:"-"`
	// Adoptable is false when the plan needs packs that do not exist;
	// NotAdoptable says why, in French.
	Adoptable    bool   `json:"adoptable"`
	NotAdoptable string `json:"not_adoptable,omitempty"`
	// AdoptedRoundID names the draft made from it.
	AdoptedRoundID *int64    `json:"adopted_round_id,omitempty"`
	CreatedBy      int64     `json:"created_by,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

type whatIfRow struct {
	bun.BaseModel `bun:"table:round_whatifs,alias:wi"`

	ID             int64     `bun:"id,pk,autoincrement"`
	RoundID        int64     `bun:"round_id,notnull"`
	Spec           string    `bun:"spec,notnull"`
	Result         string    `bun:"result,notnull"`
	Adoptable      bool      `bun:"adoptable,notnull"`
	AdoptedRoundID *int64    `bun:"adopted_round_id"`
	CreatedBy      *int64    `bun:"created_by"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

func (r whatIfRow) whatIf() (WhatIf, error) {
	w := WhatIf{ID: r.ID, RoundID: r.RoundID, Adoptable: r.Adoptable, AdoptedRoundID: r.AdoptedRoundID,
		CreatedAt: r.CreatedAt.UTC()}
	if r.CreatedBy != nil {
		w.CreatedBy = *r.CreatedBy
	}
	if err := json.Unmarshal([]byte(r.Spec), &w.Input); err != nil {
		return WhatIf{}, fmt.Errorf("what-if %d spec: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Result), &w.Round); err != nil {
		return WhatIf{}, fmt.Errorf("what-if %d result: %w", r.ID, err)
	}
	w.SchoolYear, w.Label = w.Round.SchoolYear, w.Input.Label()
	w.NotAdoptable = notAdoptable(w.Round)
	return w, nil
}

// notAdoptable says why a scratch plan cannot become a draft, or "".
func notAdoptable(r Round) string {
	var extra []string
	for _, l := range r.Loans {
		for i, id := range l.PackIDs {
			if id <= 0 && !slices.Contains(extra, l.PackCodes[i]) {
				extra = append(extra, l.PackCodes[i])
			}
		}
	}
	if len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("Ce plan prête des packs qui n'existent pas (%s) : ajoutez d'abord les packs, puis relancez le tour.",
		strings.Join(extra, ", "))
}

// SaveWhatIf stores the scratch plan r computed by package round for
// round id under hypothesis in (never a round, never published, nothing
// sent) and returns it with its difference from the round.
func (db *DB) SaveWhatIf(ctx context.Context, actor Actor, id int64, in WhatIfInput, r Round) (_ WhatIf, err error) {
	defer wrapf(&err, "SaveWhatIf(%d)", id)
	r.State = RoundWhatIf
	now := db.Now()
	row := whatIfRow{RoundID: id, Spec: mustJSON(in), Result: mustJSON(r), Adoptable: notAdoptable(r) == "", CreatedAt: now}
	if actor.UserID != 0 {
		row.CreatedBy = &actor.UserID
	}
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "round.what_if", "round", id, nil,
			map[string]any{"what_if_id": row.ID, "input": in, "objective": r.Objective, "served": len(r.Loans)})
	})
	if err != nil {
		return WhatIf{}, err
	}
	return db.WhatIf(ctx, row.ID)
}

// WhatIf returns a what-if with its difference from its round. Returns
// ErrNotFound.
func (db *DB) WhatIf(ctx context.Context, id int64) (_ WhatIf, err error) {
	defer wrapf(&err, "WhatIf(%d)", id)
	var row whatIfRow
	if err := db.bun.NewSelect().Model(&row).Where("wi.id = ?", id).Scan(ctx); err != nil {
		return WhatIf{}, err
	}
	w, err := row.whatIf()
	if err != nil {
		return WhatIf{}, err
	}
	base, err := db.Round(ctx, w.RoundID)
	if err != nil {
		return WhatIf{}, err
	}
	if w.Changes, err = db.compareRoundPlans(ctx, base, w.Round, planning.WhatIfLabels); err != nil {
		return WhatIf{}, err
	}
	return w, nil
}

// ListWhatIfs returns the what-ifs of a round, newest first, without
// their differences.
func (db *DB) ListWhatIfs(ctx context.Context, roundID int64) (_ []WhatIf, err error) {
	defer wrapf(&err, "ListWhatIfs(%d)", roundID)
	var rows []whatIfRow
	if err := db.bun.NewSelect().Model(&rows).Where("wi.round_id = ?", roundID).OrderExpr("wi.id DESC").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]WhatIf, 0, len(rows))
	for _, r := range rows {
		w, err := r.whatIf()
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// AdoptWhatIf makes a what-if's plan the new draft of its year, in one
// transaction: the draft it started from is discarded (a what-if of the
// published round adds a draft), the plan is stored as a draft built on
// the round published when the what-if ran (so publishing it is refused
// if another round was published since), and the what-if records the
// draft. A later re-run of that draft starts again from the database (the
// hypothesis is not kept).
//
// Returns ErrNotFound; a *RuleError conflict (matching ErrConflict) when
// the plan needs packs that do not exist (extra_packs), the what-if was
// adopted already (what_if_adopted) or its round changed or is no longer a
// draft nor published (what_if_stale).
func (db *DB) AdoptWhatIf(ctx context.Context, actor Actor, id int64) (_ Round, err error) {
	defer wrapf(&err, "AdoptWhatIf(%d)", id)
	var out Round
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		var row whatIfRow
		q := tx.NewSelect().Model(&row).Where("wi.id = ?", id)
		if isPostgres(tx) {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		w, err := row.whatIf()
		if err != nil {
			return err
		}
		if !w.Adoptable {
			return Conflicting("extra_packs", "%s", w.NotAdoptable)
		}
		if w.AdoptedRoundID != nil {
			return Conflicting("what_if_adopted", "Cette hypothèse a déjà été retenue : c'est le tour n° %d.", *w.AdoptedRoundID)
		}
		base, err := getRound(ctx, tx, w.RoundID)
		if err != nil {
			return err
		}
		switch base.State {
		case RoundDraft:
			res, err := tx.NewUpdate().Model((*roundRow)(nil)).Set("state = ?", RoundDiscarded).Set("version = version + 1").
				Where("id = ?", base.ID).Where("state = ?", RoundDraft).Where("version = ?", base.Version).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return Conflicting("what_if_stale", "Le tour n° %d a changé entre-temps : relancez l'hypothèse.", base.ID)
			}
		case RoundPublished:
		default:
			return Conflicting("what_if_stale", "Le tour n° %d est %s : l'hypothèse ne peut plus être retenue.",
				base.ID, RoundStateLabel(base.State))
		}
		r := w.Round
		r.State = RoundDraft
		if err := insertRoundTx(ctx, tx, now, actor, &r, 0); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*whatIfRow)(nil)).Set("adopted_round_id = ?", r.ID).
			Where("id = ?", id).Where("adopted_round_id IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return Conflicting("what_if_adopted", "Cette hypothèse a déjà été retenue.")
		}
		out = r
		return Audit(ctx, tx, now, actor, "round.adopt_what_if", "round", r.ID, map[string]any{"round_id": base.ID, "state": base.State},
			map[string]any{"what_if_id": id, "label": w.Label, "state": RoundDraft})
	})
	return out, err
}

// morePacks finds the engine's fix in an unserved request's reason: « un
// pack de plus en P3 », « 2 packs de plus en P4 », « 1 pack(s) de plus ».
var morePacks = regexp.MustCompile(`\b(un|\d+) pack(?:s|\(s\))? de plus`)

// UnservedWhatIf returns the what-if that would serve an unserved request
// according to the engine's reason (« … serait servi avec un pack de plus
// en P3 »), for a button beside the reason; false when the engine
// suggests no number of packs (ineligible, excluded periods, excluded by
// the coordinator).
func UnservedWhatIf(u RoundUnserved) (WhatIfInput, bool) {
	switch u.Code {
	case "capacity", "concentration", "too_many_packs":
	default:
		return WhatIfInput{}, false
	}
	m := morePacks.FindStringSubmatch(u.Message)
	if m == nil {
		return WhatIfInput{}, false
	}
	n := 1
	if m[1] != "un" {
		var err error
		if n, err = strconv.Atoi(m[1]); err != nil || n < 1 || n > MaxWhatIfExtraPacks {
			return WhatIfInput{}, false
		}
	}
	return WhatIfInput{PacksDelta: n}, true
}
