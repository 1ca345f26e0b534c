package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// waitSolve waits for the background solves and returns the solve.
func waitSolve(t *testing.T, db *store.DB, id int64) store.RoundSolve {
	t.Helper()
	db.WaitSolves()
	s, err := db.RoundSolve(context.Background(), id)
	require.NoError(t, err)
	return s
}

func TestRoundSolveInBackground(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		in := roundInput(d.Year)
		in.LoanWeeks = 5
		in.WeightsByName = map[string]int{"first_year": 500}
		s, err := round.Start(ctx, db, coord, in)
		require.NoError(t, err)
		assert.Equal(t, store.SolveRunning, s.State)
		assert.True(t, s.Running())
		got := waitSolve(t, db, s.ID)
		require.Equal(t, store.SolveDone, got.State, "error: %s", got.Error)
		require.NotZero(t, got.RoundID)
		require.NotNil(t, got.Objective)
		assert.Equal(t, 5, got.Spec.LoanWeeks, "the parameters asked are kept")
		r, err := db.Round(ctx, got.RoundID)
		require.NoError(t, err)
		assert.Equal(t, 5, r.Params.LoanWeeks, "changes are kept in the round")
		assert.Equal(t, 500, r.Weights.FirstYear)
		assert.Equal(t, *got.Objective, r.Objective)
		first, err := db.RoundServedFirstYear(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, len(r.Loans), first, "the test's classes all take part for the first time")
		running, err := db.RunningSolve(ctx, d.Year)
		require.NoError(t, err)
		assert.Nil(t, running, "nothing runs once done")

		// Bad input starts nothing.
		bad := roundInput(d.Year)
		bad.LoanWeeks = 40
		_, err = round.Start(ctx, db, coord, bad)
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, store.RuleInvalid, re.Kind)
		_, err = round.Start(ctx, db, coord, round.Input{SchoolYear: "1990-1991"})
		re, ok = store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "unknown_year", re.Code)

		// A failed solve says why in French: a pin on an unknown request.
		pinned := roundInput(d.Year)
		pinned.Pins = []store.RoundPin{{RequestID: 999999, Kind: store.PinExclude, Reason: "test"}}
		s, err = round.Start(ctx, db, coord, pinned)
		require.NoError(t, err)
		got = waitSolve(t, db, s.ID)
		assert.Equal(t, store.SolveFailed, got.State)
		assert.Contains(t, got.Error, "999999")
	})
}

func TestRoundSolveOnePerYear(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}
		// A solve running (alive: a fresh heartbeat) blocks the year.
		now := time.Now().UTC()
		storetest.ExecLoan(t, db, `INSERT INTO round_solves (school_year, state, spec, time_limit_ms, started_at, heartbeat_at)
			VALUES (?, 'running', '{}', 1000, ?, ?)`, d.Year, now, now)
		for range 2 {
			_, err := round.Start(ctx, db, coord, roundInput(d.Year))
			re, ok := store.AsRule(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, "solve_running", re.Code)
			assert.Equal(t, store.RuleConflict, re.Kind)
			assert.Contains(t, re.Message, "déjà en cours")
		}
		// The database itself refuses a second running solve of the year.
		_, err := db.Bun().NewRaw(`INSERT INTO round_solves (school_year, state, spec, time_limit_ms, started_at, heartbeat_at)
			VALUES (?, 'running', '{}', 1000, ?, ?)`, d.Year, now, now).Exec(ctx)
		require.Error(t, err, "one running solve per school year")
		// Another year is free; once the solve is over, the next one starts.
		storetest.ExecLoan(t, db, `UPDATE round_solves SET state = 'failed' WHERE school_year = ?`, d.Year)
		// Once it is over, the next one starts.
		s, err := round.Start(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		assert.Equal(t, store.SolveDone, waitSolve(t, db, s.ID).State)
	})
}

func TestRoundSolveStaleIsAbandoned(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 3})
		coord := store.Actor{UserID: d.Coordinator.ID}
		// A solve left running by a process that died an hour ago.
		old := time.Now().Add(-time.Hour).UTC()
		storetest.ExecLoan(t, db, `INSERT INTO round_solves (school_year, state, spec, time_limit_ms, started_at, heartbeat_at)
			VALUES (?, 'running', '{}', 1000, ?, ?)`, d.Year, old, old)
		running, err := db.RunningSolve(ctx, d.Year)
		require.NoError(t, err)
		require.NotNil(t, running)
		assert.True(t, running.Stale, "its heartbeat stopped")
		assert.False(t, running.Running())
		s, err := round.Start(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err, "a stale solve does not block the year")
		assert.Equal(t, store.SolveDone, waitSolve(t, db, s.ID).State)
		prev, err := db.RoundSolve(ctx, running.ID)
		require.NoError(t, err)
		assert.Equal(t, store.SolveAbandoned, prev.State)
	})
}

func TestRoundPinsWithReasons(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 5})
		coord := store.Actor{UserID: d.Coordinator.ID}
		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		require.NotEmpty(t, r.Unserved, "one pack cannot serve five")
		require.NotEmpty(t, r.Loans)
		served, unserved := r.Loans[0], r.Unserved[0]

		choices, err := db.RoundStartChoices(ctx, r.ID, unserved.RequestID)
		require.NoError(t, err)
		require.NotEmpty(t, choices)
		assert.Contains(t, choices[0].Label, "2026", "a start is a date")

		// Refusals: no reason, an illegal week, a request not in the round.
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinExclude})
		assertField(t, err, "reason")
		week := 1000
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: unserved.RequestID, Kind: store.PinServe, StartWeek: &week, Reason: "x"})
		assertField(t, err, "start_week")
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: 999999, Kind: store.PinExclude, Reason: "x"})
		assertField(t, err, "request_id")
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinUnpin})
		assertField(t, err, "kind")
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinExclude, Reason: "a\x00b"})
		assertField(t, err, "reason")

		// Exclude the served one, serve the unserved one from its first
		// legal week: then re-run.
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinExclude, Reason: "École en travaux"})
		require.NoError(t, err)
		w := choices[0].Week
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: unserved.RequestID, Kind: store.PinServe, StartWeek: &w, Reason: "Projet prioritaire de la circonscription"})
		require.NoError(t, err)
		edits, err := db.RoundPinEdits(ctx, r.ID)
		require.NoError(t, err)
		require.Len(t, edits, 2)
		s, err := round.StartRerun(ctx, db, coord, r.ID, round.Input{Today: storetest.RoundToday})
		require.NoError(t, err)
		got := waitSolve(t, db, s.ID)
		require.Equal(t, store.SolveDone, got.State, got.Error)
		assert.Equal(t, r.ID, got.SourceRoundID)
		nr, err := db.Round(ctx, got.RoundID)
		require.NoError(t, err)
		require.Len(t, nr.Pins, 2, "the pins are stored with the new round")
		for _, p := range nr.Pins {
			assert.NotEmpty(t, p.Reason, "with their reason")
		}
		old, err := db.Round(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundDiscarded, old.State, "the re-run replaces the draft")
		var servedAt *store.RoundLoan
		for i, l := range nr.Loans {
			assert.NotEqual(t, served.RequestID, l.RequestID, "the excluded request is not served")
			if l.RequestID == unserved.RequestID {
				servedAt = &nr.Loans[i]
			}
		}
		require.NotNil(t, servedAt, "the pinned request is served")
		assert.Equal(t, w, servedAt.StartWeek)

		// Pins on a discarded round are refused; a pending edit can be
		// cancelled.
		_, err = db.SetRoundPin(ctx, coord, r.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinExclude, Reason: "x"})
		re, ok := store.AsRule(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, "round_not_draft", re.Code)
		_, err = db.SetRoundPin(ctx, coord, nr.ID, store.PinEdit{RequestID: served.RequestID, Kind: store.PinUnpin})
		require.NoError(t, err)
		require.NoError(t, db.CancelRoundPin(ctx, coord, nr.ID, served.RequestID))
		require.ErrorIs(t, db.CancelRoundPin(ctx, coord, nr.ID, served.RequestID), store.ErrNotFound)

		// Published, the round tells the excluded request's school why.
		_, err = db.PublishRound(ctx, coord, nr.ID)
		require.NoError(t, err)
		teacher, err := db.User(ctx, d.Requests[0].TeacherID)
		require.NoError(t, err)
		var excludedReq int64 = served.RequestID
		var owner store.User
		for _, q := range d.Requests {
			if q.ID == excludedReq {
				owner, err = db.User(ctx, q.TeacherID)
				require.NoError(t, err)
			}
		}
		o, err := db.RequestRoundOutcomeFor(ctx, owner, excludedReq)
		require.NoError(t, err)
		require.NotNil(t, o)
		assert.False(t, o.Served)
		assert.Contains(t, o.Text, "École en travaux", "the coordinator's reason reaches the school")
		if teacher.ID != owner.ID {
			_, err = db.RequestRoundOutcomeFor(ctx, teacher, excludedReq)
			assert.ErrorIs(t, err, store.ErrNotFound, "another school's request stays hidden")
		}
	})
}

// assertField checks that err is a validation error on field.
func assertField(t *testing.T, err error, field string) {
	t.Helper()
	re, ok := store.AsRule(err)
	require.True(t, ok, "a rule error: %v", err)
	assert.Equal(t, store.RuleInvalid, re.Kind)
	assert.Contains(t, re.Fields, field, "%v", re.FieldMessages)
}

func TestWhatIfLoanPolicy(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		in := roundInput(d.Year)
		in.LoanPolicy = "within_period"
		r, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		w, err := round.WhatIf(ctx, db, coord, r.ID, store.WhatIfInput{LoanPolicy: "across_breaks"})
		require.NoError(t, err)
		assert.Equal(t, "prêts à cheval sur les vacances", w.Label)
		assert.Equal(t, "across_breaks", w.Round.Params.LoanPolicy, "the what-if solves under the other policy")
		_, err = round.WhatIf(ctx, db, coord, r.ID, store.WhatIfInput{LoanPolicy: "within_period"})
		assertField(t, err, "what_if")
		_, err = round.WhatIf(ctx, db, coord, r.ID, store.WhatIfInput{LoanPolicy: "n'importe"})
		assertField(t, err, "loan_policy")
		// Without a policy of its own, a what-if keeps the round's.
		w, err = round.WhatIf(ctx, db, coord, r.ID, store.WhatIfInput{NoExtensions: true})
		require.NoError(t, err)
		assert.Equal(t, "within_period", w.Round.Params.LoanPolicy)
	})
}

func TestRoundSolveRecordsProgress(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 1})
		coord := store.Actor{UserID: d.Coordinator.ID}
		s, err := db.ClaimRoundSolve(ctx, coord, d.Year, 0, store.SolveSpec{TimeLimitMS: 5000})
		require.NoError(t, err)
		release := make(chan struct{})
		db.RunSolve(s.ID, func(ctx context.Context, progress func(store.SolveProgress)) (store.Round, error) {
			obj, bound := 120, 130
			progress(store.SolveProgress{Phase: "lns", Objective: &obj, UpperBound: &bound})
			<-release
			return store.Round{}, store.Conflicting("test_refusal", "Refusé pour l'essai.")
		})
		var got store.RoundSolve
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if got, err = db.RoundSolve(ctx, s.ID); err == nil && got.Objective != nil {
				break
			}
		}
		require.NotNil(t, got.Objective, "the heartbeat records the best plan so far")
		assert.Equal(t, 120, *got.Objective)
		assert.Equal(t, 130, *got.UpperBound)
		assert.Equal(t, "lns", got.Phase)
		assert.True(t, got.Running())
		close(release)
		got = waitSolve(t, db, s.ID)
		assert.Equal(t, store.SolveFailed, got.State)
		assert.Equal(t, "test_refusal", got.ErrorCode)
		assert.Equal(t, "Refusé pour l'essai.", got.Error)
	})
}
