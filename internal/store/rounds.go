package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// Round states. A round is stored as a draft; publishing it creates its
// loans and supersedes the round published before it for the same school
// year; a draft replaced by a re-run is discarded.
const (
	RoundDraft      = "draft"
	RoundPublished  = "published"
	RoundSuperseded = "superseded"
	RoundDiscarded  = "discarded"
)

// Pin kinds.
const (
	PinServe   = "serve"
	PinExclude = "exclude"
)

// RoundWeights are the weights of a round's objective: the engine's
// scheduler.Weights (same fields, same JSON), which package round
// converts to and from; the store does not depend on the engine.
type RoundWeights struct {
	Base               int `json:"base"`
	FirstYear          int `json:"first_year"`
	TrainingDone       int `json:"training_done"`
	PreferredPeriod    int `json:"preferred_period"`
	ExtensionGranted   int `json:"extension_granted"`
	SchoolPeriodExcess int `json:"school_period_excess"`
	SchoolYearExcess   int `json:"school_year_excess"`
	SectorPeriodExcess int `json:"sector_period_excess"`
	ChurnMove          int `json:"churn_move"`
	ChurnExtension     int `json:"churn_extension"`
	ChurnDrop          int `json:"churn_drop"`
}

// RoundTerms are the terms of a round's objective Z: the engine's
// scheduler.Terms (same fields, same JSON).
type RoundTerms struct {
	ServedValue         int `json:"served_value"`
	PreferenceBonus     int `json:"preference_bonus"`
	ExtensionBonus      int `json:"extension_bonus"`
	SchoolPeriodPenalty int `json:"school_period_penalty"`
	SchoolYearPenalty   int `json:"school_year_penalty"`
	SectorPeriodPenalty int `json:"sector_period_penalty"`
	ChurnPenalty        int `json:"churn_penalty"`
}

// Total returns the objective Z.
func (t RoundTerms) Total() int {
	return t.ServedValue + t.PreferenceBonus + t.ExtensionBonus -
		t.SchoolPeriodPenalty - t.SchoolYearPenalty - t.SectorPeriodPenalty - t.ChurnPenalty
}

// RoundChurn counts a round's changes against the previous plan: the
// engine's scheduler.Churn (same fields, same JSON).
type RoundChurn struct {
	Dropped          int `json:"dropped"`
	Moved            int `json:"moved"`
	ExtensionChanged int `json:"extension_changed"`
}

// RoundParams are the parameters a round was run with, stored with it.
type RoundParams struct {
	// LoanWeeks is the base length of a loan in school weeks.
	LoanWeeks int `json:"loan_weeks"`
	// LoanPolicy is the loan policy the round used (calendar.LoanPolicy):
	// its own, or the school year's setting. ShortStarts lists the legal
	// starts whose base length is not LoanWeeks (a short period under
	// period_length).
	LoanPolicy  string               `json:"loan_policy"`
	ShortStarts []calendar.LoanStart `json:"short_starts,omitempty"`
	// TurnaroundDays is the number of calendar days a pack stays busy after
	// the return Friday.
	TurnaroundDays int `json:"turnaround_days"`
	// Today is the day the round was run as of; TodayWeek the first school
	// week not yet started that day (new loans start there or later).
	Today     calendar.Date `json:"today"`
	TodayWeek int           `json:"today_week"`
	// Packs is the number of packs available; PackIDs and PackCodes give
	// pack number i+1 of the engine. Packs in maintenance or retired are
	// left out of the round.
	Packs     int      `json:"packs"`
	PackIDs   []int64  `json:"pack_ids"`
	PackCodes []string `json:"pack_codes"`
	// MaxParticipationYear, SchoolPeriodFree and SchoolYearFree are the
	// eligibility limit and the free allowances of the objective.
	MaxParticipationYear int `json:"max_participation_year"`
	SchoolPeriodFree     int `json:"school_period_free"`
	SchoolYearFree       int `json:"school_year_free"`
	// TimeLimit is the solver's time limit (a Go duration).
	TimeLimit string `json:"time_limit"`
	// Requests counts the validated requests of the year given to the
	// engine; Locked lists the requests whose loan was kept as is
	// (started, signed or reserved by hand).
	Requests int     `json:"requests"`
	Locked   []int64 `json:"locked"`
	// Maintenance lists the dated maintenance windows of the round's packs
	// that meet the school year, given to the engine as unavailable pack
	// intervals (FromDay..ToDay half-open, days since the first Monday;
	// FromDay is the day before FirstDay, see package round).
	Maintenance []RoundMaintenance `json:"maintenance"`
}

// RoundMaintenance is a maintenance window used by a round.
type RoundMaintenance struct {
	ID       int64         `json:"id"`
	PackID   int64         `json:"pack_id"`
	PackCode string        `json:"pack_code"`
	Pack     int           `json:"pack"`
	FirstDay calendar.Date `json:"first_day"`
	LastDay  calendar.Date `json:"last_day"`
	Reason   string        `json:"reason"`
	FromDay  int           `json:"from_day"`
	ToDay    int           `json:"to_day"`
}

// RoundPin is a coordinator's decision on one request of a round: serve it
// (at StartWeek when set, with ExtensionWeeks) or exclude it.
type RoundPin struct {
	RequestID      int64  `json:"request_id"`
	Kind           string `json:"kind"`
	StartWeek      *int   `json:"start_week,omitempty"`
	ExtensionWeeks int    `json:"extension_weeks,omitempty"`
	// Reason says why, in the coordinator's words (optional through the
	// API, required from the pages: SetRoundPin).
	Reason string `json:"reason,omitempty"`
}

// RoundLoan is a loan proposed by a round.
type RoundLoan struct {
	RequestID    int64  `json:"request_id"`
	RequestTitle string `json:"request_title"`
	SchoolUAI    string `json:"school_uai"`
	SchoolName   string `json:"school_name"`
	Packs        int    `json:"packs_needed"`
	// StartWeek is the first school week, Weeks the base length,
	// ExtensionWeeks the extension granted; Period the period of the start
	// week.
	StartWeek      int    `json:"start_week"`
	Weeks          int    `json:"weeks"`
	ExtensionWeeks int    `json:"extension_weeks"`
	Period         string `json:"period"`
	// PickupDay is the first school day of the start week, ReturnDay the
	// last school day of the last week (public holidays skipped).
	PickupDay calendar.Date `json:"pickup_day"`
	ReturnDay calendar.Date `json:"return_day"`
	PackIDs   []int64       `json:"pack_ids"`
	PackCodes []string      `json:"pack_codes"`
	// Locked is true for a loan kept as is (started, signed or reserved by
	// hand); LoanID names the live loan kept, or once the round is
	// published the loan created for it.
	Locked bool   `json:"locked"`
	LoanID *int64 `json:"loan_id,omitempty"`
	// Code and Message say why this period (the engine's explanation).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// RoundUnserved is a request a round leaves unserved, with the reason.
type RoundUnserved struct {
	RequestID    int64  `json:"request_id"`
	RequestTitle string `json:"request_title"`
	SchoolUAI    string `json:"school_uai"`
	SchoolName   string `json:"school_name"`
	Code         string `json:"code"`
	Message      string `json:"message"`
}

// RoundStats are informative counts of a round.
type RoundStats struct {
	Served              int `json:"served"`
	Unserved            int `json:"unserved"`
	Eligible            int `json:"eligible"`
	ServedPacks         int `json:"served_packs"`
	PreferencesHonoured int `json:"preferences_honoured"`
	ExtensionsGranted   int `json:"extensions_granted"`
	// Cancelled and Moved count the live loans of earlier rounds a draft
	// cancels or moves when published.
	Cancelled int        `json:"cancelled"`
	Moved     int        `json:"moved"`
	Churn     RoundChurn `json:"churn"`
	// Solver statistics: time spent, why it stopped ("optimal", "effort",
	// "time-limit", "cancelled"), and the final gap (UpperBound −
	// Objective) / UpperBound, 0 when proved optimal.
	ElapsedMS int64   `json:"elapsed_ms"`
	StoppedBy string  `json:"stopped_by"`
	Gap       float64 `json:"gap"`
}

// Round is one run of the allocation engine for a school year.
type Round struct {
	ID         int64        `json:"id"`
	SchoolYear string       `json:"school_year"`
	State      string       `json:"state"`
	Params     RoundParams  `json:"params"`
	Weights    RoundWeights `json:"weights"`
	// Objective is Z of the plan (spec section 5), Terms its terms;
	// UpperBound a proven bound on the best Z under the same pins;
	// ProvedOptimal is true when no better plan exists.
	Objective       int             `json:"objective"`
	UpperBound      int             `json:"upper_bound"`
	ProvedOptimal   bool            `json:"proved_optimal"`
	Terms           RoundTerms      `json:"terms"`
	Stats           RoundStats      `json:"stats"`
	PreviousRoundID *int64          `json:"previous_round_id,omitempty"`
	CreatedBy       int64           `json:"created_by,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	PublishedAt     *time.Time      `json:"published_at,omitempty"`
	Version         int             `json:"version"`
	Pins            []RoundPin      `json:"pins"`
	Loans           []RoundLoan     `json:"loans"`
	Unserved        []RoundUnserved `json:"unserved"`
	// Cancellations and Moves are, for a draft, the live loans of earlier
	// rounds its publication cancels (to be confirmed one by one) or
	// replaces by a loan on other dates or packs.
	Cancellations []RoundChange `json:"cancellations"`
	Moves         []RoundChange `json:"moves"`
}

// roundStateError refuses to publish or discard a round that is no
// longer a draft.
func roundStateError(state string) *RuleError {
	return &RuleError{Kind: RuleConflict, Code: "round_not_draft", State: RoundState(state),
		Message: fmt.Sprintf("Ce tour n'est plus un brouillon (état : %s) : il ne peut pas être publié.", RoundStateLabel(state))}
}

// roundSuperseded refuses to publish a draft computed before another
// round was published or a loan changed.
func roundSuperseded() *RuleError {
	return &RuleError{Kind: RuleConflict, Code: "round_superseded",
		Message: "Un autre tour a été publié pour cette année, ou un prêt a changé, depuis le calcul de ce brouillon : relancez le calcul."}
}

type roundRow struct {
	bun.BaseModel `bun:"table:rounds,alias:rd"`

	ID              int64      `bun:"id,pk,autoincrement"`
	SchoolYear      string     `bun:"school_year,notnull"`
	State           string     `bun:"state,notnull"`
	Params          string     `bun:"params,notnull"`
	Weights         string     `bun:"weights,notnull"`
	Terms           string     `bun:"terms,notnull"`
	Stats           string     `bun:"stats,notnull"`
	Objective       int        `bun:"objective,notnull"`
	UpperBound      int        `bun:"upper_bound,notnull"`
	ProvedOptimal   bool       `bun:"proved_optimal,notnull"`
	PreviousRoundID *int64     `bun:"previous_round_id"`
	CreatedBy       *int64     `bun:"created_by"`
	CreatedAt       time.Time  `bun:"created_at,notnull"`
	PublishedAt     *time.Time `bun:"published_at"`
	Version         int        `bun:"version,notnull"`
}

type roundLoanRow struct {
	bun.BaseModel `bun:"table:round_loans,alias:rl"`

	RoundID        int64   `bun:"round_id,pk"`
	RequestID      int64   `bun:"request_id,pk"`
	StartWeek      int     `bun:"start_week,notnull"`
	Weeks          int     `bun:"weeks,notnull"`
	ExtensionWeeks int     `bun:"extension_weeks,notnull"`
	Period         string  `bun:"period,notnull"`
	PickupDay      sqlDate `bun:"pickup_day,notnull"`
	ReturnDay      sqlDate `bun:"return_day,notnull"`
	Locked         bool    `bun:"locked,notnull"`
	LoanID         *int64  `bun:"loan_id"`
	Code           string  `bun:"code,notnull"`
	Message        string  `bun:"message,notnull"`
}

type roundLoanPackRow struct {
	bun.BaseModel `bun:"table:round_loan_packs,alias:rp"`

	RoundID   int64 `bun:"round_id,pk"`
	RequestID int64 `bun:"request_id,pk"`
	Position  int   `bun:"position,pk"`
	PackID    int64 `bun:"pack_id,notnull"`
}

type roundUnservedRow struct {
	bun.BaseModel `bun:"table:round_unserved,alias:ru"`

	RoundID   int64  `bun:"round_id,pk"`
	RequestID int64  `bun:"request_id,pk"`
	Code      string `bun:"code,notnull"`
	Message   string `bun:"message,notnull"`
}

type roundPinRow struct {
	bun.BaseModel `bun:"table:round_pins,alias:rpin"`

	RoundID        int64  `bun:"round_id,pk"`
	RequestID      int64  `bun:"request_id,pk"`
	Kind           string `bun:"kind,notnull"`
	StartWeek      *int   `bun:"start_week"`
	ExtensionWeeks int    `bun:"extension_weeks,notnull"`
	Reason         string `bun:"reason,notnull"`
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // only plain structs are marshalled
	}
	return string(b)
}

func (r roundRow) round() (Round, error) {
	out := Round{ID: r.ID, SchoolYear: r.SchoolYear, State: r.State, Objective: r.Objective,
		UpperBound: r.UpperBound, ProvedOptimal: r.ProvedOptimal, PreviousRoundID: r.PreviousRoundID,
		CreatedAt: r.CreatedAt.UTC(), PublishedAt: loanTime(r.PublishedAt), Version: r.Version,
		Pins: []RoundPin{}, Loans: []RoundLoan{}, Unserved: []RoundUnserved{}}
	if r.CreatedBy != nil {
		out.CreatedBy = *r.CreatedBy
	}
	for _, f := range []struct {
		name string
		src  string
		dst  any
	}{{"params", r.Params, &out.Params}, {"weights", r.Weights, &out.Weights},
		{"terms", r.Terms, &out.Terms}, {"stats", r.Stats, &out.Stats}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return Round{}, fmt.Errorf("round %d %s: %w", r.ID, f.name, err)
		}
	}
	return out, nil
}

// Round returns a round with its pins, proposed loans and unserved
// requests. Returns ErrNotFound.
func (db *DB) Round(ctx context.Context, id int64) (_ Round, err error) {
	defer wrapf(&err, "Round(%d)", id)
	return getRound(ctx, db.bun, id)
}

func getRound(ctx context.Context, idb bun.IDB, id int64) (Round, error) {
	var row roundRow
	if err := idb.NewSelect().Model(&row).Where("rd.id = ?", id).Scan(ctx); err != nil {
		return Round{}, err
	}
	r, err := row.round()
	if err != nil {
		return Round{}, err
	}
	if err := attachRoundDetails(ctx, idb, &r); err != nil {
		return Round{}, err
	}
	if err := attachRoundChanges(ctx, idb, &r); err != nil {
		return Round{}, err
	}
	return r, nil
}

// requestLabel is what a round shows of a request.
type requestLabel struct {
	ID         int64  `bun:"id"`
	Title      string `bun:"title"`
	SchoolUAI  string `bun:"school_uai"`
	SchoolName string `bun:"school_name"`
	Packs      int    `bun:"packs"`
}

func requestLabels(ctx context.Context, idb bun.IDB, roundID int64) (map[int64]requestLabel, error) {
	var rows []requestLabel
	err := idb.NewRaw(`SELECT r.id, r.title, r.school_uai, s.name AS school_name, r.packs
		FROM requests AS r JOIN schools AS s ON s.uai = r.school_uai
		WHERE r.id IN (SELECT request_id FROM round_loans WHERE round_id = ?
		               UNION SELECT request_id FROM round_unserved WHERE round_id = ?)`, roundID, roundID).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]requestLabel, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

func attachRoundDetails(ctx context.Context, idb bun.IDB, r *Round) error {
	labels, err := requestLabels(ctx, idb, r.ID)
	if err != nil {
		return err
	}
	var pins []roundPinRow
	if err := idb.NewSelect().Model(&pins).Where("round_id = ?", r.ID).OrderExpr("request_id").Scan(ctx); err != nil {
		return err
	}
	for _, p := range pins {
		r.Pins = append(r.Pins, RoundPin{RequestID: p.RequestID, Kind: p.Kind, StartWeek: p.StartWeek, ExtensionWeeks: p.ExtensionWeeks, Reason: p.Reason})
	}
	var loans []roundLoanRow
	if err := idb.NewSelect().Model(&loans).Where("round_id = ?", r.ID).OrderExpr("start_week, request_id").Scan(ctx); err != nil {
		return err
	}
	var packs []struct {
		RequestID int64  `bun:"request_id"`
		PackID    int64  `bun:"pack_id"`
		Code      string `bun:"code"`
	}
	if err := idb.NewRaw(`SELECT rp.request_id, rp.pack_id, p.code FROM round_loan_packs AS rp
		JOIN packs AS p ON p.id = rp.pack_id WHERE rp.round_id = ? ORDER BY rp.request_id, rp.position`, r.ID).
		Scan(ctx, &packs); err != nil {
		return err
	}
	for _, l := range loans {
		lab := labels[l.RequestID]
		rl := RoundLoan{RequestID: l.RequestID, RequestTitle: lab.Title, SchoolUAI: lab.SchoolUAI,
			SchoolName: lab.SchoolName, Packs: lab.Packs, StartWeek: l.StartWeek, Weeks: l.Weeks,
			ExtensionWeeks: l.ExtensionWeeks, Period: l.Period, PickupDay: l.PickupDay.Date, ReturnDay: l.ReturnDay.Date,
			Locked: l.Locked, LoanID: l.LoanID, Code: l.Code, Message: l.Message,
			PackIDs: []int64{}, PackCodes: []string{}}
		for _, p := range packs {
			if p.RequestID == l.RequestID {
				rl.PackIDs = append(rl.PackIDs, p.PackID)
				rl.PackCodes = append(rl.PackCodes, p.Code)
			}
		}
		r.Loans = append(r.Loans, rl)
	}
	var unserved []roundUnservedRow
	if err := idb.NewSelect().Model(&unserved).Where("round_id = ?", r.ID).OrderExpr("request_id").Scan(ctx); err != nil {
		return err
	}
	for _, u := range unserved {
		lab := labels[u.RequestID]
		r.Unserved = append(r.Unserved, RoundUnserved{RequestID: u.RequestID, RequestTitle: lab.Title,
			SchoolUAI: lab.SchoolUAI, SchoolName: lab.SchoolName, Code: u.Code, Message: u.Message})
	}
	return nil
}

// RoundFor returns a round if the person may see rounds (the staff; the
// others get ErrNotFound, rounds being the staff's work).
func (db *DB) RoundFor(ctx context.Context, u User, id int64) (Round, error) {
	if !u.Can(ActRoundRead) {
		return Round{}, errHidden()
	}
	return db.Round(ctx, id)
}

// ListRoundsFor returns the rounds of a year (all years when empty) if the
// person may see rounds; nobody else sees any.
func (db *DB) ListRoundsFor(ctx context.Context, u User, year string) ([]Round, error) {
	if !u.Can(ActRoundRead) {
		return []Round{}, nil
	}
	return db.ListRounds(ctx, year)
}

// ListRounds returns the rounds of a school year (all years when year is
// empty), newest first, without their loans and unserved requests.
func (db *DB) ListRounds(ctx context.Context, year string) (_ []Round, err error) {
	defer wrapf(&err, "ListRounds(%s)", year)
	var rows []roundRow
	q := db.bun.NewSelect().Model(&rows).OrderExpr("rd.id DESC")
	if year != "" {
		q = q.Where("rd.school_year = ?", year)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Round, 0, len(rows))
	for _, r := range rows {
		rd, err := r.round()
		if err != nil {
			return nil, err
		}
		rd.Pins, rd.Loans, rd.Unserved = nil, nil, nil
		out = append(out, rd)
	}
	return out, nil
}

// PublishedRoundID returns the id of the published round of year, or 0.
func (db *DB) PublishedRoundID(ctx context.Context, year string) (_ int64, err error) {
	defer wrapf(&err, "PublishedRoundID(%s)", year)
	return publishedRoundID(ctx, db.bun, year)
}

// publishedRoundID returns the id of the published round of year, or 0.
func publishedRoundID(ctx context.Context, idb bun.IDB, year string) (int64, error) {
	var ids []int64
	if err := idb.NewSelect().Model((*roundRow)(nil)).Column("id").
		Where("school_year = ?", year).Where("state = ?", RoundPublished).Scan(ctx, &ids); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// SaveRound stores a draft computed by package round and, when discard is
// set, discards that draft (a re-run replaces it) in the same
// transaction; r becomes the round as stored (id, labels, changes).
func (db *DB) SaveRound(ctx context.Context, actor Actor, r *Round, discard int64) (err error) {
	defer wrapf(&err, "SaveRound(%s)", r.SchoolYear)
	return db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return insertRoundTx(ctx, tx, db.Now(), actor, r, discard)
	})
}

// insertRoundTx is SaveRound inside the caller's transaction.
func insertRoundTx(ctx context.Context, tx bun.Tx, now time.Time, actor Actor, r *Round, discard int64) error {
	row := roundRow{SchoolYear: r.SchoolYear, State: RoundDraft, Params: mustJSON(r.Params),
		Weights: mustJSON(r.Weights), Terms: mustJSON(r.Terms), Stats: mustJSON(r.Stats),
		Objective: r.Objective, UpperBound: r.UpperBound, ProvedOptimal: r.ProvedOptimal,
		PreviousRoundID: r.PreviousRoundID, CreatedAt: now, Version: 1}
	if actor.UserID != 0 {
		row.CreatedBy = &actor.UserID
	}
	if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return err
	}
	if err := CheckPinReasons(r.Pins); err != nil {
		return err
	}
	for _, p := range r.Pins {
		pr := roundPinRow{RoundID: row.ID, RequestID: p.RequestID, Kind: p.Kind, StartWeek: p.StartWeek, ExtensionWeeks: p.ExtensionWeeks, Reason: p.Reason}
		if _, err := tx.NewInsert().Model(&pr).Exec(ctx); err != nil {
			return err
		}
	}
	for _, l := range r.Loans {
		lr := roundLoanRow{RoundID: row.ID, RequestID: l.RequestID, StartWeek: l.StartWeek, Weeks: l.Weeks,
			ExtensionWeeks: l.ExtensionWeeks, Period: l.Period, PickupDay: sqlDate{l.PickupDay}, ReturnDay: sqlDate{l.ReturnDay},
			Locked: l.Locked, LoanID: l.LoanID, Code: l.Code, Message: l.Message}
		if _, err := tx.NewInsert().Model(&lr).Exec(ctx); err != nil {
			return err
		}
		for i, id := range l.PackIDs {
			pr := roundLoanPackRow{RoundID: row.ID, RequestID: l.RequestID, Position: i + 1, PackID: id}
			if _, err := tx.NewInsert().Model(&pr).Exec(ctx); err != nil {
				return err
			}
		}
	}
	for _, u := range r.Unserved {
		ur := roundUnservedRow{RoundID: row.ID, RequestID: u.RequestID, Code: u.Code, Message: u.Message}
		if _, err := tx.NewInsert().Model(&ur).Exec(ctx); err != nil {
			return err
		}
	}
	if discard != 0 {
		if _, err := tx.NewUpdate().Model((*roundRow)(nil)).Set("state = ?", RoundDiscarded).
			Set("version = version + 1").Where("id = ?", discard).Where("state = ?", RoundDraft).
			Where("school_year = ?", r.SchoolYear).Exec(ctx); err != nil {
			return err
		}
	}
	out, err := getRound(ctx, tx, row.ID)
	if err != nil {
		return err
	}
	*r = out
	return Audit(ctx, tx, now, actor, "round.create", "round", row.ID, nil,
		map[string]any{"school_year": out.SchoolYear, "params": out.Params, "weights": out.Weights,
			"objective": out.Objective, "upper_bound": out.UpperBound, "served": len(out.Loans),
			"unserved": len(out.Unserved), "pins": out.Pins, "discarded": discard})
}

// DiscardRound discards a draft. Returns ErrNotFound, or a
// *RoundStateError when the round is not a draft.
func (db *DB) DiscardRound(ctx context.Context, actor Actor, id int64) (_ Round, err error) {
	defer wrapf(&err, "DiscardRound(%d)", id)
	var out Round
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		res, err := tx.NewUpdate().Model((*roundRow)(nil)).Set("state = ?", RoundDiscarded).
			Set("version = version + 1").Where("id = ?", id).Where("state = ?", RoundDraft).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			r, err := getRound(ctx, tx, id)
			if err != nil {
				return err
			}
			return roundStateError(r.State)
		}
		if out, err = getRound(ctx, tx, id); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "round.discard", "round", id, nil, map[string]any{"state": RoundDiscarded})
	})
	return out, err
}
