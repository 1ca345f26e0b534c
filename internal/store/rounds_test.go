package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/scheduler"
)

// roundInput is a round of the test year as of storetest.RoundToday.
func roundInput(year string) round.Input {
	return round.Input{SchoolYear: year, Today: storetest.RoundToday, TimeLimit: 3 * time.Second}
}

// liveLoans returns the live loans of the year by request.
func liveLoans(t *testing.T, db *store.DB, year string) map[int64]store.Loan {
	t.Helper()
	loans, err := db.ListLoans(context.Background(), store.LoanFilter{SchoolYear: year})
	require.NoError(t, err)
	out := map[int64]store.Loan{}
	for _, l := range loans {
		if l.Live() {
			out[l.RequestID] = l
		}
	}
	return out
}

func TestRoundDraftAndPublish(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		r, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)

		assert.Equal(t, store.RoundDraft, r.State, "a new round is a draft")
		assert.Equal(t, 6, r.Params.LoanWeeks, "default loan weeks")
		assert.Equal(t, 7, r.Params.TurnaroundDays, "default turnaround")
		assert.Equal(t, 0, r.Params.TodayWeek, "before the rentrée every week is open")
		assert.Equal(t, 2, r.Params.Packs, "packs available")
		assert.Equal(t, scheduler.DefaultWeights(), scheduler.Weights(r.Weights), "spec weights by default")
		assert.Len(t, r.Loans, 6, "2 packs serve 6 one-pack requests in P1, P2 and P4/P5")
		assert.Len(t, r.Loans, r.Stats.Served, "stats count the served")
		assert.Equal(t, 6, len(r.Loans)+len(r.Unserved), "every request is served or unserved")
		assert.LessOrEqual(t, r.Objective, r.UpperBound, "objective within the bound")
		assert.Equal(t, r.Objective, r.Terms.Total(), "terms add up to the objective")
		y, err := calendar.NewYear(d.Year, calendar.ZoneC())
		require.NoError(t, err)
		for _, l := range r.Loans {
			pickup, ret, err := y.LoanDays(l.StartWeek, l.Weeks+l.ExtensionWeeks)
			require.NoError(t, err)
			assert.Equal(t, pickup, l.PickupDay, "pickup day of request %d", l.RequestID)
			assert.Equal(t, ret, l.ReturnDay, "return day of request %d", l.RequestID)
			assert.Len(t, l.PackIDs, 1, "packs of request %d", l.RequestID)
			assert.NotEmpty(t, l.Period, "period of request %d", l.RequestID)
			assert.Nil(t, l.LoanID, "no loan before publishing")
		}
		assert.Empty(t, liveLoans(t, db, d.Year), "a draft creates no loan")

		got, err := db.Round(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r, got, "the round reads back as stored")
		list, err := db.ListRounds(ctx, d.Year)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, r.ID, list[0].ID)

		pub, err := db.PublishRound(ctx, coord, r.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundPublished, pub.State)
		require.NotNil(t, pub.PublishedAt)
		loans := liveLoans(t, db, d.Year)
		require.Len(t, loans, len(r.Loans), "one loan per proposed loan")
		for _, pl := range pub.Loans {
			l, ok := loans[pl.RequestID]
			require.True(t, ok, "loan of request %d", pl.RequestID)
			require.NotNil(t, pl.LoanID, "round loan names its loan")
			assert.Equal(t, l.ID, *pl.LoanID)
			assert.Equal(t, store.LoanReserved, l.State)
			require.NotNil(t, l.RoundID)
			assert.Equal(t, r.ID, *l.RoundID, "loan made by the round")
			assert.Equal(t, pl.StartWeek, l.StartWeek)
			assert.Equal(t, pl.PickupDay, l.PickupDay, "pickup day of loan %d", l.ID)
			assert.Equal(t, pl.ReturnDay, l.ReturnDay, "return day of loan %d", l.ID)
			assert.Equal(t, pl.PackIDs[0], l.Packs[0].PackID)
		}
		assert.Zero(t, storetest.LoanOverlaps(t, db), "no overlapping loans")

		_, err = db.PublishRound(ctx, coord, r.ID)
		var se *store.RuleError
		require.ErrorAs(t, err, &se, "publishing twice")
		assert.ErrorIs(t, err, store.ErrConflict)
		_, err = db.PublishRound(ctx, coord, 999999)
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestRoundPublishIsAtomic(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}

		t.Run("failure injected after some loans", func(t *testing.T) {
			r, err := round.Run(ctx, db, coord, roundInput(d.Year))
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(r.Loans), 2)
			boom := errors.New("boom")
			n := 0
			remove := store.SetPublishHook(db, func(step string) error {
				if step == "loan" {
					if n++; n == 2 {
						return boom
					}
				}
				return nil
			})
			_, err = db.PublishRound(ctx, coord, r.ID)
			remove()
			require.ErrorIs(t, err, boom, "the injected failure aborts the publish")
			assert.Empty(t, liveLoans(t, db, d.Year), "no loan left by the failed publish")
			got, err := db.Round(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, store.RoundDraft, got.State, "the round is still a draft")
			for _, l := range got.Loans {
				assert.Nil(t, l.LoanID, "round loan of request %d names no loan", l.RequestID)
			}
			_, err = db.DiscardRound(ctx, coord, r.ID)
			require.NoError(t, err)
		})

		t.Run("hand reservation made meanwhile", func(t *testing.T) {
			r, err := round.Run(ctx, db, coord, roundInput(d.Year))
			require.NoError(t, err)
			require.NotEmpty(t, r.Loans)
			first := r.Loans[0]
			// A request validated after the draft gets the same pack at the
			// same dates by hand: the overlap constraint must refuse the
			// round's loan.
			late := storetest.ValidatedRequest(t, db, nil)
			hand, err := db.CreateLoan(ctx, coord, store.NewLoan{RequestID: late.ID, PackIDs: first.PackIDs,
				StartWeek: first.StartWeek, Weeks: first.Weeks})
			require.NoError(t, err)

			_, err = db.PublishRound(ctx, coord, r.ID)
			require.ErrorIs(t, err, store.ErrPackUnavailable, "the database refuses the overlap")
			loans := liveLoans(t, db, d.Year)
			assert.Len(t, loans, 1, "only the hand reservation exists")
			assert.Equal(t, hand.ID, loans[late.ID].ID)
			got, err := db.Round(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, store.RoundDraft, got.State, "the round is still a draft")
			rounds, err := db.ListRounds(ctx, d.Year)
			require.NoError(t, err)
			for _, x := range rounds {
				assert.NotEqual(t, store.RoundPublished, x.State, "round %d not published", x.ID)
			}
		})
	})
}

func TestRoundConcurrentPublish(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 4})
		coord := store.Actor{UserID: d.Coordinator.ID}

		race := func(ids ...int64) []error {
			errs := make([]error, len(ids))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Go(func() {
					<-start
					_, errs[i] = db.PublishRound(ctx, coord, id)
				})
			}
			close(start)
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("publishes did not finish")
			}
			return errs
		}
		winners := func(errs []error) int {
			n := 0
			for _, err := range errs {
				if err == nil {
					n++
				} else {
					assert.ErrorIs(t, err, store.ErrConflict, "the loser gets a conflict")
				}
			}
			return n
		}

		// Two drafts of the same year, no published round yet.
		a, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		b, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		assert.Equal(t, 1, winners(race(a.ID, b.ID)), "exactly one of two drafts is published")
		assert.Len(t, liveLoans(t, db, d.Year), len(a.Loans), "the loans of one round only")
		assert.Zero(t, storetest.LoanOverlaps(t, db))

		// Two drafts built on the published round.
		c, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		e, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		assert.Equal(t, 1, winners(race(c.ID, e.ID)), "exactly one of two re-runs is published")

		// The same draft twice.
		f, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		assert.Equal(t, 1, winners(race(f.ID, f.ID)), "a draft is published once")

		rounds, err := db.ListRounds(ctx, d.Year)
		require.NoError(t, err)
		published := 0
		for _, r := range rounds {
			if r.State == store.RoundPublished {
				published++
			}
		}
		assert.Equal(t, 1, published, "one published round per year")
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}

func TestRoundRerunKeepsStartedLoans(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 6})
		coord := store.Actor{UserID: d.Coordinator.ID}
		first, err := round.Run(ctx, db, coord, roundInput(d.Year))
		require.NoError(t, err)
		first, err = db.PublishRound(ctx, coord, first.ID)
		require.NoError(t, err)
		before := liveLoans(t, db, d.Year)

		// Mid-September: loans that started in week 0 or 1 are under way.
		in := roundInput(d.Year)
		in.Today = calendar.MustParseDate("2026-09-15")
		var started, later []store.RoundLoan
		for _, l := range first.Loans {
			if l.StartWeek < 3 {
				started = append(started, l)
			} else {
				later = append(later, l)
			}
		}
		require.NotEmpty(t, started, "some loans start in P1")
		require.NotEmpty(t, later, "some loans start later")
		require.GreaterOrEqual(t, len(later), 2, "two loans start later")
		// A later loan whose agreement is signed is locked too.
		signedReq := later[1]
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: signedReq.SchoolUAI})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		_, err = db.SignAgreement(ctx, director, before[signedReq.RequestID].ID)
		require.NoError(t, err)
		signed, err := db.SignAgreement(ctx, it, before[signedReq.RequestID].ID)
		require.NoError(t, err)
		require.Equal(t, store.LoanSigned, signed.State)
		started = append(started, signedReq)
		// Move one later loan: the churn must count it.
		moved := later[0]
		week := 25
		if moved.StartWeek == 25 {
			week = 26
		}
		in.Pins = []store.RoundPin{{RequestID: moved.RequestID, Kind: store.PinServe, StartWeek: &week}}
		second, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		require.NotNil(t, second.PreviousRoundID)
		assert.Equal(t, first.ID, *second.PreviousRoundID, "built on the published round")
		assert.Equal(t, 3, second.Params.TodayWeek, "weeks 0 to 2 have started on 15 September")
		for _, s := range started {
			assert.Contains(t, second.Params.Locked, s.RequestID, "started or signed loan of request %d is locked", s.RequestID)
			i := slices.IndexFunc(second.Loans, func(l store.RoundLoan) bool { return l.RequestID == s.RequestID })
			require.GreaterOrEqual(t, i, 0, "started loan of request %d kept", s.RequestID)
			got := second.Loans[i]
			assert.True(t, got.Locked)
			assert.Equal(t, s.StartWeek, got.StartWeek, "same start week")
			require.NotNil(t, got.LoanID)
			assert.Equal(t, before[s.RequestID].ID, *got.LoanID, "same loan")
		}
		w, ch := scheduler.DefaultWeights(), second.Stats.Churn
		assert.GreaterOrEqual(t, ch.Moved, 1, "the pinned loan moved")
		assert.Equal(t, w.ChurnMove*ch.Moved+w.ChurnExtension*ch.ExtensionChanged+w.ChurnDrop*ch.Dropped,
			second.Terms.ChurnPenalty, "churn penalty of %+v", ch)

		second, err = db.PublishRound(ctx, coord, second.ID)
		require.NoError(t, err)
		old, err := db.Round(ctx, first.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundSuperseded, old.State, "the previous round is superseded")
		after := liveLoans(t, db, d.Year)
		for _, s := range started {
			assert.Equal(t, before[s.RequestID].ID, after[s.RequestID].ID, "started loan of request %d untouched", s.RequestID)
		}
		assert.Equal(t, week, after[moved.RequestID].StartWeek, "the moved loan starts at the pinned week")
		assert.NotEqual(t, before[moved.RequestID].ID, after[moved.RequestID].ID, "the moved loan is a new one")
		cancelled, err := db.Loan(ctx, before[moved.RequestID].ID)
		require.NoError(t, err)
		assert.Equal(t, store.LoanCancelled, cancelled.State, "the replaced loan is cancelled")
		assert.Zero(t, storetest.LoanOverlaps(t, db))
	})
}

func TestRoundWeightsAndPins(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// One pack serves one loan in P1, P2, P4 and P5: of six requests,
		// two stay unserved; request 0 is not trained, so worth less.
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 6, Sectors: 6, NotTrained: []int{0}})
		coord := store.Actor{UserID: d.Coordinator.ID}

		t.Run("weights are stored and used", func(t *testing.T) {
			in := roundInput(d.Year)
			in.Weights = &scheduler.Weights{Base: 7}
			r, err := round.Run(ctx, db, coord, in)
			require.NoError(t, err)
			assert.Equal(t, scheduler.Weights{Base: 7}, scheduler.Weights(r.Weights), "weights stored")
			assert.Equal(t, 7*len(r.Loans), r.Objective, "only the base weight counts")
			got, err := db.Round(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, r.Weights, got.Weights, "weights read back")
		})

		t.Run("default round leaves the untrained request out", func(t *testing.T) {
			r, err := round.Run(ctx, db, coord, roundInput(d.Year))
			require.NoError(t, err)
			assert.Len(t, r.Loans, 4, "four loans for one pack")
			assert.True(t, slices.ContainsFunc(r.Unserved, func(u store.RoundUnserved) bool {
				return u.RequestID == d.Requests[0].ID
			}), "the untrained request is unserved")
			for _, u := range r.Unserved {
				assert.NotEmpty(t, u.Code, "reason code of request %d", u.RequestID)
				assert.NotEmpty(t, u.Message, "reason of request %d", u.RequestID)
			}
		})

		t.Run("pin serve and exclude", func(t *testing.T) {
			in := roundInput(d.Year)
			in.Pins = []store.RoundPin{
				{RequestID: d.Requests[0].ID, Kind: store.PinServe},
				{RequestID: d.Requests[1].ID, Kind: store.PinExclude},
			}
			r, err := round.Run(ctx, db, coord, in)
			require.NoError(t, err)
			k := slices.IndexFunc(r.Loans, func(l store.RoundLoan) bool { return l.RequestID == d.Requests[0].ID })
			require.GreaterOrEqual(t, k, 0, "the pinned request is served")
			assert.Equal(t, "pinned", r.Loans[k].Code, "the loan says it was pinned")
			i := slices.IndexFunc(r.Unserved, func(u store.RoundUnserved) bool { return u.RequestID == d.Requests[1].ID })
			require.GreaterOrEqual(t, i, 0, "the excluded request is unserved")
			assert.Equal(t, "excluded", r.Unserved[i].Code)
			assert.Len(t, r.Pins, 2, "pins stored")

			re, err := round.Rerun(ctx, db, coord, r.ID, round.Input{Today: storetest.RoundToday, TimeLimit: 2 * time.Second})
			require.NoError(t, err)
			assert.Equal(t, r.Pins, re.Pins, "a re-run keeps the pins")
			assert.Equal(t, r.Objective, re.Objective, "same input, same objective")
			old, err := db.Round(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, store.RoundDiscarded, old.State, "the re-run draft is discarded")
		})

		week2, week7 := 2, 7
		for _, tc := range []struct {
			name      string
			givePins  []store.RoundPin
			wantField string
		}{
			{name: "unknown request", givePins: []store.RoundPin{{RequestID: 987654, Kind: store.PinServe}}, wantField: "pins[0].request_id"},
			{name: "illegal start week", givePins: []store.RoundPin{{RequestID: d.Requests[2].ID, Kind: store.PinServe, StartWeek: &week2}}, wantField: "pins[0].start_week"},
			{name: "twice", givePins: []store.RoundPin{{RequestID: d.Requests[2].ID, Kind: store.PinServe, StartWeek: &week7},
				{RequestID: d.Requests[2].ID, Kind: store.PinExclude}}, wantField: "pins[1].request_id"},
			{name: "bad kind", givePins: []store.RoundPin{{RequestID: d.Requests[2].ID, Kind: "maybe"}}, wantField: "pins[0].kind"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := roundInput(d.Year)
				in.Pins = tc.givePins
				_, err := round.Run(ctx, db, coord, in)
				var ie *store.RuleError
				require.ErrorAs(t, err, &ie)
				assert.Contains(t, ie.Fields, tc.wantField, "field in error: %v", ie.Fields)
			})
		}

		_, err := round.Run(ctx, db, coord, round.Input{SchoolYear: "1990-1991", Today: storetest.RoundToday})
		assert.ErrorIs(t, err, calendar.ErrUnknownYear, "a year without calendar")
	})
}

func TestRoundEdgeCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		giveOpts     storetest.RoundOpts
		giveMaintain bool
	}{
		{name: "no request", giveOpts: storetest.RoundOpts{Packs: 1, Requests: -1}},
		{name: "every pack in maintenance", giveOpts: storetest.RoundOpts{Packs: 1, Requests: 2}, giveMaintain: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				d := storetest.Rounds(t, db, &tc.giveOpts)
				if tc.giveMaintain {
					for _, p := range d.Packs {
						p.Status = store.PackMaintenance
						_, err := db.UpdatePack(ctx, store.Actor{}, p)
						require.NoError(t, err)
					}
				}
				coord := store.Actor{UserID: d.Coordinator.ID}
				r, err := round.Run(ctx, db, coord, roundInput(d.Year))
				require.NoError(t, err)
				assert.Empty(t, r.Loans, "nothing to lend")
				assert.Len(t, r.Unserved, len(d.Requests), "every request unserved")
				for _, u := range r.Unserved {
					assert.NotEmpty(t, u.Code, "reason code of request %d", u.RequestID)
					assert.Contains(t, u.Message, "pack", "reason of request %d names the packs", u.RequestID)
				}
				r, err = db.PublishRound(ctx, coord, r.ID)
				require.NoError(t, err, "an empty round publishes")
				assert.Equal(t, store.RoundPublished, r.State)
			})
		})
	}
}

func TestRoundKeepsPacksOfLockedLoans(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 4, Requests: 8, Sectors: 4, TwoPacks: []int{1}})
		coord := store.Actor{UserID: d.Coordinator.ID}
		pack := func(i ...int) []int64 {
			var out []int64
			for _, n := range i {
				out = append(out, d.Packs[n].ID)
			}
			return out
		}
		// Hand reservations: locked in every round. Their packs are
		// facts the round's numbering must respect.
		for _, h := range []struct {
			req   int
			packs []int64
			week  int
		}{
			{req: 0, packs: pack(0), week: 8}, {req: 1, packs: pack(1, 2), week: 8},
			{req: 2, packs: pack(0), week: 19}, {req: 3, packs: pack(1), week: 19}, {req: 4, packs: pack(3), week: 25},
		} {
			_, err := db.CreateLoan(ctx, coord, store.NewLoan{RequestID: d.Requests[h.req].ID, PackIDs: h.packs, StartWeek: h.week})
			require.NoError(t, err, "hand reservation of request %d", h.req)
		}
		in := roundInput(d.Year)
		in.Today = calendar.MustParseDate("2026-11-28")
		r, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		assert.Len(t, r.Params.Locked, 5, "the hand reservations are locked")
		byReq := map[int64]store.RoundLoan{}
		for _, l := range r.Loans {
			byReq[l.RequestID] = l
		}
		for i := range 5 {
			l, ok := byReq[d.Requests[i].ID]
			require.True(t, ok, "hand reservation %d kept", i)
			assert.True(t, l.Locked)
			require.NotNil(t, l.LoanID)
		}
		assert.Greater(t, len(r.Loans), 5, "new loans around the locked ones")
		_, err = db.PublishRound(ctx, coord, r.ID)
		require.NoError(t, err, "the new loans fit beside the locked ones")
		assert.Zero(t, storetest.LoanOverlaps(t, db))
		assert.Len(t, liveLoans(t, db, d.Year), len(r.Loans), "one live loan per round loan")
	})
}

func TestRoundPinWithExtension(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 1})
		coord := store.Actor{UserID: d.Coordinator.ID}
		q := storetest.Request(t, db, &storetest.RequestOpts{Year: d.Year, State: store.RequestValidated, ExtensionWeeks: 2})
		week := 25
		in := roundInput(d.Year)
		in.Pins = []store.RoundPin{{RequestID: q.ID, Kind: store.PinServe, StartWeek: &week, ExtensionWeeks: 2}}
		r, err := round.Run(ctx, db, coord, in)
		require.NoError(t, err)
		require.Len(t, r.Pins, 1)
		assert.Equal(t, 2, r.Pins[0].ExtensionWeeks, "the pin keeps its extension")
		i := slices.IndexFunc(r.Loans, func(l store.RoundLoan) bool { return l.RequestID == q.ID })
		require.GreaterOrEqual(t, i, 0, "the pinned request is served")
		assert.Equal(t, week, r.Loans[i].StartWeek)
		assert.Equal(t, 2, r.Loans[i].ExtensionWeeks, "with its extension")

		re, err := round.Rerun(ctx, db, coord, r.ID, round.Input{Today: storetest.RoundToday, TimeLimit: 2 * time.Second})
		require.NoError(t, err)
		assert.Equal(t, r.Pins, re.Pins, "the re-run keeps the pin and its extension")
		re, err = db.PublishRound(ctx, coord, re.ID)
		require.NoError(t, err)
		loan := liveLoans(t, db, d.Year)[q.ID]
		assert.Equal(t, 2, loan.ExtensionWeeks, "the loan has the extension")
		y, err := calendar.NewYear(d.Year, calendar.ZoneC())
		require.NoError(t, err)
		_, ret, err := y.LoanDays(week, 8)
		require.NoError(t, err)
		assert.Equal(t, ret, loan.ReturnDay, "return day after the extension")
		assert.Zero(t, storetest.LoanOverlaps(t, db))

		in.Pins = []store.RoundPin{{RequestID: q.ID, Kind: store.PinServe, ExtensionWeeks: 2}}
		_, err = round.Run(ctx, db, coord, in)
		var ie *store.RuleError
		require.ErrorAs(t, err, &ie, "an extension needs a start week")
		assert.Contains(t, ie.Fields, "pins[0].extension_weeks")
	})
}
