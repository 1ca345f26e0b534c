package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// Background solves: the pages start a round (or the re-run of a draft)
// and show its progress while the engine works. At most one solve runs per
// school year, which the database enforces (a partial unique index over
// the running solves); a solve whose heartbeat stopped for SolveStaleAfter
// (its process died) no longer blocks the year: the next start marks it
// abandoned.

// Solve states.
const (
	SolveRunning   = "running"
	SolveDone      = "done"
	SolveFailed    = "failed"
	SolveAbandoned = "abandoned"
)

// SolveHeartbeat is how often a running solve records that it is alive;
// SolveStaleAfter how long without a heartbeat makes it abandoned.
const (
	SolveHeartbeat  = time.Second
	SolveStaleAfter = time.Minute
)

// MaxPinReason bounds the reason of a pin or an exclusion.
const MaxPinReason = 500

// SolveSpec is what a solve was asked: the parameters of a new round or of
// a re-run (zero fields keep the draft's).
type SolveSpec struct {
	LoanWeeks      int            `json:"loan_weeks,omitempty"`
	LoanPolicy     string         `json:"loan_policy,omitempty"`
	TurnaroundDays int            `json:"turnaround_days,omitempty"`
	Weights        map[string]int `json:"weights,omitempty"`
	TimeLimitMS    int64          `json:"time_limit_ms"`
	Pins           []RoundPin     `json:"pins,omitempty"`
}

// RoundSolve is one background solve and where it stands.
type RoundSolve struct {
	ID         int64  `json:"id"`
	SchoolYear string `json:"school_year"`
	State      string `json:"state"`
	// SourceRoundID is the draft re-run (0 for a new round); RoundID the
	// draft stored once done.
	SourceRoundID int64     `json:"source_round_id,omitempty"`
	RoundID       int64     `json:"round_id,omitempty"`
	Spec          SolveSpec `json:"spec"`
	TimeLimit     time.Duration
	StartedBy     int64      `json:"started_by,omitempty"`
	StartedAt     time.Time  `json:"started_at"`
	HeartbeatAt   time.Time  `json:"heartbeat_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	// Phase is the engine's phase; Objective and UpperBound the best plan
	// and bound so far (nil before the first), Elapsed the time spent.
	Phase      string        `json:"phase"`
	Objective  *int          `json:"objective,omitempty"`
	UpperBound *int          `json:"upper_bound,omitempty"`
	Elapsed    time.Duration `json:"elapsed"`
	// ErrorCode and Error say why a solve failed (French).
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
	// Stale is true for a running solve whose heartbeat stopped: it may be
	// started again.
	Stale bool `json:"stale"`
}

// Running reports whether the solve is still at work.
func (s RoundSolve) Running() bool { return s.State == SolveRunning && !s.Stale }

type roundSolveRow struct {
	bun.BaseModel `bun:"table:round_solves,alias:rs"`

	ID            int64      `bun:"id,pk,autoincrement"`
	SchoolYear    string     `bun:"school_year,notnull"`
	State         string     `bun:"state,notnull"`
	SourceRoundID *int64     `bun:"source_round_id"`
	RoundID       *int64     `bun:"round_id"`
	Spec          string     `bun:"spec,notnull"`
	TimeLimitMS   int64      `bun:"time_limit_ms,notnull"`
	StartedBy     *int64     `bun:"started_by"`
	StartedAt     time.Time  `bun:"started_at,notnull"`
	HeartbeatAt   time.Time  `bun:"heartbeat_at,notnull"`
	FinishedAt    *time.Time `bun:"finished_at"`
	Phase         string     `bun:"phase,notnull"`
	Objective     *int       `bun:"objective"`
	UpperBound    *int       `bun:"upper_bound"`
	ElapsedMS     int64      `bun:"elapsed_ms,notnull"`
	ErrorCode     string     `bun:"error_code,notnull"`
	Error         string     `bun:"error,notnull"`
}

func (r roundSolveRow) solve(now time.Time) RoundSolve {
	s := RoundSolve{ID: r.ID, SchoolYear: r.SchoolYear, State: r.State, TimeLimit: time.Duration(r.TimeLimitMS) * time.Millisecond,
		StartedAt: r.StartedAt.UTC(), HeartbeatAt: r.HeartbeatAt.UTC(), FinishedAt: utcPtr(r.FinishedAt), Phase: r.Phase,
		Objective: r.Objective, UpperBound: r.UpperBound, Elapsed: time.Duration(r.ElapsedMS) * time.Millisecond,
		ErrorCode: r.ErrorCode, Error: r.Error}
	if r.SourceRoundID != nil {
		s.SourceRoundID = *r.SourceRoundID
	}
	if r.RoundID != nil {
		s.RoundID = *r.RoundID
	}
	if r.StartedBy != nil {
		s.StartedBy = *r.StartedBy
	}
	_ = json.Unmarshal([]byte(r.Spec), &s.Spec) // written by the store: a spec it cannot read shows empty
	if s.State == SolveRunning {
		s.Stale = now.Sub(s.HeartbeatAt) > SolveStaleAfter
		s.Elapsed = max(s.Elapsed, now.Sub(s.StartedAt))
	}
	return s
}

// CheckPinReasons refuses a pin reason that is too long or not a line of
// text (a validation_failed *RuleError on pins[i].reason).
func CheckPinReasons(pins []RoundPin) error {
	e := FieldErrors{}
	for i, p := range pins {
		field := fmt.Sprintf("pins[%d].reason", i)
		if prob := SingleLineProblem(p.Reason); prob != "" {
			e.Add(field, "%s", prob)
		} else if len([]rune(p.Reason)) > MaxPinReason {
			e.Add(field, "%d caractères au plus", MaxPinReason)
		}
	}
	return e.Err()
}

// WaitSolves returns when the solves started by this process are over
// (tests, and serve before it exits).
func (db *DB) WaitSolves() { db.solves.Wait() }

// ClaimRoundSolve records a running solve of year (re-running round
// source when not 0), in one transaction that first marks the year's
// stale solve abandoned; the partial unique index refuses a second
// running one: a *RuleError conflict "solve_running" naming it. RunSolve
// then runs it.
func (db *DB) ClaimRoundSolve(ctx context.Context, actor Actor, year string, source int64, spec SolveSpec) (_ RoundSolve, err error) {
	defer wrapf(&err, "ClaimRoundSolve(%s)", year)
	limit := time.Duration(spec.TimeLimitMS) * time.Millisecond
	var out RoundSolve
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		if _, err := tx.NewUpdate().Model((*roundSolveRow)(nil)).Set("state = ?", SolveAbandoned).Set("finished_at = ?", now).
			Set("error_code = ?", "abandoned").Set("error = ?", "Calcul interrompu (le serveur s'est arrêté pendant le calcul).").
			Where("school_year = ?", year).Where("state = ?", SolveRunning).Where("heartbeat_at < ?", now.Add(-SolveStaleAfter)).
			Exec(ctx); err != nil {
			return err
		}
		row := roundSolveRow{SchoolYear: year, State: SolveRunning, Spec: mustJSON(spec), TimeLimitMS: limit.Milliseconds(),
			StartedAt: now, HeartbeatAt: now, Phase: "préparation"}
		if source != 0 {
			row.SourceRoundID = &source
		}
		if actor.UserID != 0 {
			row.StartedBy = &actor.UserID
		}
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			if errors.Is(translate(err), ErrConflict) {
				return errSolveRunning
			}
			return err
		}
		out = row.solve(now)
		return Audit(ctx, tx, now, actor, "round.solve", "round_solve", row.ID, nil,
			map[string]any{"school_year": year, "source_round_id": source, "spec": spec})
	})
	if errors.Is(err, errSolveRunning) {
		return RoundSolve{}, db.solveRunningError(ctx, year)
	}
	return out, err
}

var errSolveRunning = errors.New("a solve runs for the year")

// solveRunningError names the running solve of a year.
func (db *DB) solveRunningError(ctx context.Context, year string) error {
	e := &RuleError{Kind: RuleConflict, Code: "solve_running",
		Message: fmt.Sprintf("Un calcul est déjà en cours pour l'année %s : attendez sa fin avant d'en lancer un autre.", year)}
	if s, err := db.RunningSolve(ctx, year); err == nil && s != nil {
		e.Conflict = &Conflict{Kind: "round_solve", ID: s.ID, Name: year}
		e.Message = fmt.Sprintf("Un calcul est déjà en cours pour l'année %s (commencé il y a %s) : attendez sa fin avant d'en lancer un autre.",
			year, durationFrench(s.Elapsed))
	}
	return e
}

// durationFrench says a duration in seconds or minutes: « 12 s », « 3 min ».
func durationFrench(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d\u00a0s", int(d.Seconds()))
	}
	return fmt.Sprintf("%d\u00a0min", int(d.Minutes()))
}

// SolveProgress is where a running solve stands, as the engine reports
// it: its phase, and once found the best plan's objective and the bound.
type SolveProgress struct {
	Phase      string
	Objective  *int
	UpperBound *int
}

// RunSolve runs claimed solve id in the background (WaitSolves waits for
// it): run computes the round, reporting its progress as it goes; the
// solve records a heartbeat with the latest progress every SolveHeartbeat,
// then the round stored, or the error (its French message for a
// *RuleError).
func (db *DB) RunSolve(id int64, run func(ctx context.Context, progress func(SolveProgress)) (Round, error)) {
	db.solves.Add(1)
	go db.runSolve(id, run)
}

func (db *DB) runSolve(id int64, run func(ctx context.Context, progress func(SolveProgress)) (Round, error)) {
	defer db.solves.Done()
	ctx := context.Background()
	start := time.Now()
	var latest atomic.Pointer[SolveProgress]
	latest.Store(&SolveProgress{Phase: "calcul"})
	done := make(chan struct{})
	beat := func() {
		p := latest.Load()
		q := db.bun.NewUpdate().Model((*roundSolveRow)(nil)).Set("heartbeat_at = ?", db.Now()).
			Set("elapsed_ms = ?", time.Since(start).Milliseconds()).Set("phase = ?", p.Phase).
			Where("id = ?", id).Where("state = ?", SolveRunning)
		if p.Objective != nil {
			q = q.Set("objective = ?", *p.Objective)
		}
		if p.UpperBound != nil {
			q = q.Set("upper_bound = ?", *p.UpperBound)
		}
		if _, err := q.Exec(ctx); err != nil {
			db.logger.Error("Solve heartbeat failed", "solve", id, "error", err)
		}
	}
	go func() {
		t := time.NewTicker(SolveHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				beat()
			}
		}
	}()
	r, err := run(ctx, func(p SolveProgress) { latest.Store(&p) })
	close(done)
	now := db.Now()
	q := db.bun.NewUpdate().Model((*roundSolveRow)(nil)).Set("finished_at = ?", now).Set("heartbeat_at = ?", now).
		Set("elapsed_ms = ?", time.Since(start).Milliseconds()).Set("phase = ?", "").
		Where("id = ?", id).Where("state IN (?)", bun.List([]string{SolveRunning, SolveAbandoned}))
	if err != nil {
		code, msg := "internal", "Le calcul a échoué à cause d'une erreur interne : réessayez ; si elle persiste, prévenez l'équipe technique."
		if re, ok := AsRule(err); ok {
			code, msg = re.Code, re.Message
			if len(re.FieldMessages) > 0 && len(re.Fields) > 0 {
				msg += " (" + re.FieldMessages[re.Fields[0]] + ")"
			}
		} else {
			db.logger.Error("Round solve failed", "solve", id, "error", err)
		}
		q = q.Set("state = ?", SolveFailed).Set("error_code = ?", code).Set("error = ?", msg)
	} else {
		q = q.Set("state = ?", SolveDone).Set("round_id = ?", r.ID).Set("objective = ?", r.Objective).Set("upper_bound = ?", r.UpperBound)
	}
	if _, err := q.Exec(ctx); err != nil {
		db.logger.Error("Recording the end of a solve failed", "solve", id, "error", err)
	}
}

// RoundSolve returns a solve. Returns ErrNotFound.
func (db *DB) RoundSolve(ctx context.Context, id int64) (_ RoundSolve, err error) {
	defer wrapf(&err, "RoundSolve(%d)", id)
	var row roundSolveRow
	if err := db.bun.NewSelect().Model(&row).Where("rs.id = ?", id).Scan(ctx); err != nil {
		return RoundSolve{}, err
	}
	return row.solve(db.Now()), nil
}

// RoundSolveFor returns a solve to a person who may read rounds.
func (db *DB) RoundSolveFor(ctx context.Context, u User, id int64) (RoundSolve, error) {
	if !u.Can(ActRoundRead) {
		return RoundSolve{}, errHidden()
	}
	return db.RoundSolve(ctx, id)
}

// RunningSolve returns the solve running for a year (stale or not), or
// nil.
func (db *DB) RunningSolve(ctx context.Context, year string) (_ *RoundSolve, err error) {
	defer wrapf(&err, "RunningSolve(%s)", year)
	var rows []roundSolveRow
	if err := db.bun.NewSelect().Model(&rows).Where("rs.school_year = ?", year).Where("rs.state = ?", SolveRunning).
		Limit(1).Scan(ctx); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	s := rows[0].solve(db.Now())
	return &s, nil
}
