package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func TestRequestLifecycle(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		school := storetest.School(t, db, &storetest.SchoolOpts{SectorID: "orgemont"})
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		director, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: school.UAI})
		it, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		ta, da, ia, pa := store.Actor{UserID: teacher.ID}, store.Actor{UserID: director.ID}, store.Actor{UserID: it.ID}, store.Actor{UserID: insp.ID}

		q := storetest.RequestContent(school.UAI, teacher.ID, storetest.RequestYear, 26)
		q.Commitments.Feedback = false
		q.Training = store.Training{Status: store.TrainingPlanned, Date: new(calendar.MustParseDate("2026-12-09"))}
		q, err := db.CreateRequest(ctx, ta, q)
		require.NoError(t, err, "create")
		assert.Equal(t, store.RequestDraft, q.State)
		assert.Equal(t, 2, q.Packs, "26 pupils need 2 packs")
		assert.Equal(t, 1, q.Version)
		assert.Equal(t, "orgemont", q.SectorID)
		require.NotNil(t, q.Training.Date)
		assert.Equal(t, "2026-12-09", q.Training.Date.String(), "training date round-trips")
		assert.Equal(t, 1, q.Eligibility.ParticipationYear)

		_, err = db.SubmitRequest(ctx, ta, q.ID, q.Version)
		var inc *store.RuleError
		require.ErrorAs(t, err, &inc, "submission without the feedback commitment")
		assert.Equal(t, []string{"commitments.feedback"}, inc.Fields)

		q.Commitments.Feedback = true
		q.Pupils = 20
		q, err = db.UpdateRequest(ctx, ta, q)
		require.NoError(t, err, "update draft")
		assert.Equal(t, 2, q.Version)
		assert.Equal(t, 1, q.Packs, "packs follow the pupils")

		stale := q
		stale.Version = 1
		_, err = db.UpdateRequest(ctx, ta, stale)
		assert.ErrorIs(t, err, store.ErrStale, "stale update")

		q, err = db.SubmitRequest(ctx, ta, q.ID, q.Version)
		require.NoError(t, err, "submit")
		q, err = db.RefuseRequest(ctx, da, q.ID, q.Version, "Projet à préciser avec l'équipe.")
		require.NoError(t, err, "refuse")
		assert.Equal(t, store.RequestDraft, q.State)
		assert.Equal(t, "Projet à préciser avec l'équipe.", q.RefusalReason)
		q, err = db.SubmitRequest(ctx, ta, q.ID, q.Version)
		require.NoError(t, err, "submit again")
		q, err = db.AuthorizeRequest(ctx, da, q.ID, q.Version)
		require.NoError(t, err, "authorize")
		assert.Equal(t, store.RequestAuthorised, q.State)

		q, err = db.SetRequestOpinion(ctx, ia, q.ID, 0, store.Opinion{Role: store.RoleIT, Verdict: store.OpinionReserved, Comment: "Wi-Fi faible."})
		require.NoError(t, err, "first opinion")
		assert.Equal(t, store.RequestInReview, q.State, "first opinion starts the review")
		q, err = db.SetRequestOpinion(ctx, ia, q.ID, 0, store.Opinion{Role: store.RoleIT, Verdict: store.OpinionFavourable, Comment: "Borne ajoutée."})
		require.NoError(t, err, "opinion changed")
		q, err = db.SetRequestOpinion(ctx, pa, q.ID, q.Version, store.Opinion{Role: store.RoleInspection, Verdict: store.OpinionFavourable})
		require.NoError(t, err, "inspection opinion")
		require.Len(t, q.Opinions, 2)
		assert.Equal(t, store.RoleInspection, q.Opinions[0].Role, "opinions in referent order")
		assert.Equal(t, store.OpinionFavourable, q.Opinions[1].Verdict, "IT opinion replaced")

		_, err = db.DecideRequest(ctx, pa, q.ID, q.Version, store.RequestValidated, "")
		require.Error(t, err, "the education department's opinion is missing")
		edu, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleEducation})
		q, err = db.SetRequestOpinion(ctx, store.Actor{UserID: edu.ID}, q.ID, q.Version, store.Opinion{Role: store.RoleEducation, Verdict: store.OpinionFavourable})
		require.NoError(t, err, "education opinion")
		q, err = db.DecideRequest(ctx, pa, q.ID, q.Version, store.RequestValidated, "")
		require.NoError(t, err, "validate")
		assert.Equal(t, store.RequestValidated, q.State)
		assert.Equal(t, insp.ID, q.DecidedBy)
		require.NotNil(t, q.DecidedAt)

		_, err = db.SetRequestOpinion(ctx, ia, q.ID, 0, store.Opinion{Role: store.RoleIT, Verdict: store.OpinionUnfavourable})
		var se *store.RuleError
		require.ErrorAs(t, err, &se, "opinion after the decision")
		assert.Equal(t, store.RequestValidated, se.State)
		assert.ErrorIs(t, err, store.ErrConflict)
		_, err = db.UpdateRequest(ctx, ta, q)
		require.ErrorAs(t, err, &se, "update after the decision")

		trail, err := db.AuditTrail(ctx, "request", q.ID)
		require.NoError(t, err)
		var actions []string
		for _, ev := range trail {
			actions = append(actions, ev.Action)
			assert.NotZero(t, ev.ActorID, "actor of %s", ev.Action)
			assert.False(t, ev.At.IsZero(), "time of %s", ev.Action)
			assert.NotEmpty(t, ev.After, "after of %s", ev.Action)
		}
		assert.Equal(t, []string{"request.create", "request.update", "request.submit", "request.refuse", "request.submit",
			"request.authorize", "request.opinion", "request.opinion", "request.opinion", "request.opinion", "request.decide"}, actions)
		assert.Contains(t, string(trail[7].Before), `"verdict":"reserved"`, "opinion change keeps the old verdict in before")
		assert.Contains(t, string(trail[7].After), `"verdict":"favourable"`)
	})
}

func TestRequestEligibilityFromHistory(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		idb := db.Bun()
		now := db.Now()
		a, b := storetest.School(t, db, nil), storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI})
		other, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI})

		tests := []struct {
			name    string
			history []string // school years of the teacher at school a
			give    string   // request year
			want    int
		}{
			{name: "first year", give: "2026-2027", want: 1},
			{name: "one earlier year", history: []string{"2025-2026"}, give: "2026-2027", want: 2},
			{name: "two earlier years", history: []string{"2024-2025", "2025-2026"}, give: "2026-2027", want: 3},
			{name: "same year does not count", history: []string{"2026-2027"}, give: "2026-2027", want: 1},
			{name: "later years do not count", history: []string{"2027-2028"}, give: "2026-2027", want: 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI})
				for _, y := range tt.history {
					require.NoError(t, store.RecordParticipation(ctx, idb, now, u.ID, a.UAI, y, "test"))
					require.NoError(t, store.RecordParticipation(ctx, idb, now, u.ID, a.UAI, y, "test"), "twice is a no-op")
				}
				q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, TeacherID: u.ID, Year: tt.give})
				assert.Equal(t, tt.want, q.Eligibility.ParticipationYear, "participation year")
				assert.Equal(t, tt.want <= 2, q.Eligibility.Eligible, "eligible")
				got, err := db.ParticipationYear(ctx, u.ID, a.UAI, tt.give)
				require.NoError(t, err)
				assert.Equal(t, tt.want, got, "ParticipationYear")
			})
		}

		// History at another school or of another teacher does not count.
		require.NoError(t, store.RecordParticipation(ctx, idb, now, teacher.ID, b.UAI, "2025-2026", "test"))
		require.NoError(t, store.RecordParticipation(ctx, idb, now, other.ID, a.UAI, "2025-2026", "test"))
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, TeacherID: teacher.ID, State: store.RequestInReview})
		assert.Equal(t, 1, q.Eligibility.ParticipationYear, "other school, other teacher")

		// Third year: flagged, cannot be validated, can be rejected.
		third, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: a.UAI})
		for _, y := range []string{"2024-2025", "2025-2026"} {
			require.NoError(t, store.RecordParticipation(ctx, idb, now, third.ID, a.UAI, y, "test"))
		}
		q = storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, TeacherID: third.ID, State: store.RequestInReview})
		assert.Contains(t, q.Eligibility.Flags, store.EligibilityFlag{Code: store.FlagTooManyYears, Blocking: true})
		assert.Contains(t, q.Eligibility.Flags, store.EligibilityFlag{Code: store.FlagTrainingNotDone}, "training not done is a warning")
		coord, _ := storetest.User(t, db, nil)
		_, err := db.DecideRequest(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, store.RequestValidated, "")
		assert.ErrorIs(t, err, store.ErrIneligible, "third year validated")
		q, err = db.DecideRequest(ctx, store.Actor{UserID: coord.ID}, q.ID, q.Version, store.RequestRejected, "Troisième année : non éligible.")
		require.NoError(t, err, "third year rejected")
		assert.Equal(t, store.RequestRejected, q.State)
	})
}

func TestRequestConcurrentDecisions(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		coord, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		insp, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		for round := range 5 {
			q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestInReview})
			type result struct {
				decision store.RequestState
				err      error
			}
			start := make(chan struct{})
			results := make(chan result, 2)
			var wg sync.WaitGroup
			for _, d := range []struct {
				actor    store.User
				decision store.RequestState
				reason   string
			}{{coord, store.RequestValidated, ""}, {insp, store.RequestRejected, "Hors cadre du projet d'école."}} {
				wg.Go(func() {
					<-start
					_, err := db.DecideRequest(ctx, store.Actor{UserID: d.actor.ID}, q.ID, 0, d.decision, d.reason)
					results <- result{d.decision, err}
				})
			}
			close(start)
			wg.Wait()
			close(results)
			var winners []store.RequestState
			var losers []error
			for r := range results {
				if r.err == nil {
					winners = append(winners, r.decision)
				} else {
					losers = append(losers, r.err)
				}
			}
			require.Len(t, winners, 1, "round %d: exactly one decision wins", round)
			require.Len(t, losers, 1, "round %d", round)
			var se *store.RuleError
			require.ErrorAs(t, losers[0], &se, "round %d: the loser sees a state conflict", round)
			assert.Equal(t, winners[0], se.State, "round %d: the loser is told the winner's state", round)
			got, err := db.Request(ctx, q.ID)
			require.NoError(t, err)
			assert.Equal(t, winners[0], got.State, "round %d: stored state", round)
		}
	})
}

func TestRequestLoanHooks(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		idb := db.Bun()
		review := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestInReview})
		var se *store.RuleError
		require.ErrorAs(t, store.SetRequestLoaned(ctx, idb, review.ID, true), &se, "loan on a request in review")
		assert.Equal(t, store.RequestInReview, se.State)
		assert.ErrorIs(t, store.SetRequestLoaned(ctx, idb, 999999, true), store.ErrNotFound)

		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestValidated})
		require.NoError(t, store.SetRequestLoaned(ctx, idb, q.ID, true))
		state, hasLoan, err := store.CurrentRequestState(ctx, idb, q.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestValidated, state)
		assert.True(t, hasLoan)

		_, err = db.WithdrawRequest(ctx, store.Actor{UserID: q.TeacherID}, q.ID, 0, "")
		require.ErrorAs(t, err, &se, "withdraw with a loan")
		assert.True(t, se.Code == "request_has_loan")

		require.NoError(t, store.SetRequestLoaned(ctx, idb, q.ID, false), "last loan cancelled")
		q, err = db.WithdrawRequest(ctx, store.Actor{UserID: q.TeacherID}, q.ID, 0, "Départ de l'enseignant.")
		require.NoError(t, err, "withdraw without a loan")
		assert.Equal(t, store.RequestWithdrawn, q.State)
		require.ErrorAs(t, store.SetRequestLoaned(ctx, idb, q.ID, true), &se, "loan on a withdrawn request")
		assert.Equal(t, store.RequestWithdrawn, se.State)
	})
}

func TestSynthesis(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		storetest.Pack(t, db, nil)
		storetest.Pack(t, db, nil)
		a := storetest.School(t, db, &storetest.SchoolOpts{SectorID: "nord", Name: "École A"})
		b := storetest.School(t, db, &storetest.SchoolOpts{SectorID: "sud", Name: "École B"})
		qa := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.UAI, Pupils: 28, State: store.RequestValidated,
			PreferredPeriods: []string{"P1", "P2"}, ExcludedPeriods: []string{"P5"}, ExtensionWeeks: 2})
		qb := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: b.UAI, Pupils: 20, State: store.RequestValidated,
			PreferredPeriods: []string{"P2"}})
		storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: b.UAI, State: store.RequestInReview})
		storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: b.UAI, State: store.RequestValidated, Year: "2025-2026"})

		// 2026-2027: P1 and P2 of 7 school weeks, P3 of 5, P4 of 6, P5 of 11.
		s, err := db.Synthesis(ctx, storetest.RequestYear)
		require.NoError(t, err)
		assert.Equal(t, []any{6, calendar.WithinPeriod}, []any{s.LoanWeeks, s.LoanPolicy}, "the year's settings")
		require.Len(t, s.Rows, 2, "validated requests of the year only")
		assert.Equal(t, qa.ID, s.Rows[0].RequestID, "rows by school name")
		assert.Equal(t, qb.ID, s.Rows[1].RequestID)
		ra := s.Rows[0]
		assert.Equal(t, []any{a.UAI, "École A", "nord", []string{"CM1"}, 28, 2, 1, []string{"P1", "P2"}, []string{"P5"}, 2},
			[]any{ra.SchoolUAI, ra.SchoolName, ra.SectorID, ra.ClassLevels, ra.Pupils, ra.Packs, ra.ParticipationYear,
				ra.PreferredPeriods, ra.ExcludedPeriods, ra.ExtensionWeeks}, "what a row says of its request")
		assert.Equal(t, store.OpinionFavourable, s.Rows[0].Opinions[store.RoleInspection].Verdict)
		assert.Equal(t, 2, s.PacksAvailable)
		assert.Equal(t, 3, s.PacksRequested)
		type period struct {
			id                                                   string
			weeks, requests, packs, excluding, perPack, capacity int
		}
		periods := func(s store.Synthesis) []period {
			var out []period
			for _, p := range s.Periods {
				assert.Equal(t, 2, p.PacksAvailable)
				out = append(out, period{p.PeriodID, p.Weeks, p.Requests, p.PacksRequested, p.Excluding, p.LoansPerPack, p.Capacity})
			}
			return out
		}
		assert.Equal(t, []period{
			{"P1", 7, 1, 2, 0, 1, 2}, {"P2", 7, 2, 3, 0, 1, 2}, {"P3", 5, 0, 0, 0, 0, 0}, {"P4", 6, 0, 0, 0, 1, 2}, {"P5", 11, 0, 0, 1, 1, 2},
		}, periods(s), "loans of 6 weeks inside a period: none in P3")
		assert.Equal(t, 8, s.Capacity)
		assert.Equal(t, []store.SectorTotal{
			{SectorID: "nord", Name: "Quartier nord", Requests: 1, PacksRequested: 2, PeriodCap: 2, Capacity: 8},
			{SectorID: "sud", Name: "Quartier sud", Requests: 1, PacksRequested: 1, PeriodCap: 2, Capacity: 8},
		}, s.Sectors, "4 periods where a loan may start")

		// Across the breaks, P3 gets a loan too (spanning the winter break).
		_, err = db.SetLoanPolicy(ctx, store.Actor{}, storetest.RequestYear, calendar.AcrossBreaks)
		require.NoError(t, err)
		s, err = db.Synthesis(ctx, storetest.RequestYear)
		require.NoError(t, err)
		assert.Equal(t, calendar.AcrossBreaks, s.LoanPolicy)
		assert.Equal(t, []period{
			{"P1", 7, 1, 2, 0, 1, 2}, {"P2", 7, 2, 3, 0, 1, 2}, {"P3", 5, 0, 0, 0, 1, 2}, {"P4", 6, 0, 0, 0, 1, 2}, {"P5", 11, 0, 0, 1, 1, 2},
		}, periods(s))
		assert.Equal(t, 10, s.Capacity)
		assert.Equal(t, 10, s.Sectors[0].Capacity, "5 periods where a loan may start")
	})
}

// TestRequestDecisionNeedsReview checks a decision cannot skip the review.
func TestRequestDecisionNeedsReview(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		q := storetest.Request(t, db, &storetest.RequestOpts{State: store.RequestAuthorised})
		_, err := db.DecideRequest(ctx, store.Actor{}, q.ID, 0, store.RequestValidated, "")
		var se *store.RuleError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, store.RequestAuthorised, se.State)
		assert.False(t, errors.Is(err, store.ErrStale))
	})
}

// TestRecordEarlierParticipation: the history of the years before the
// current one counts in the next requests; the current year and later
// ones, and malformed names, are refused (they come from pickups).
func TestRecordEarlierParticipation(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		db = db.WithClock(func() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) })
		school := storetest.School(t, db, nil)
		teacher, _ := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: school.UAI})
		for _, y := range []string{"2024-2025", "2025-2026"} {
			require.NoError(t, db.RecordEarlierParticipation(ctx, teacher.ID, school.UAI, y, "test"))
		}
		require.NoError(t, db.RecordEarlierParticipation(ctx, teacher.ID, school.UAI, "2025-2026", "test"), "twice is a no-op")
		got, err := db.ParticipationYear(ctx, teacher.ID, school.UAI, "2026-2027")
		require.NoError(t, err)
		assert.Equal(t, 3, got, "two earlier years")

		for _, year := range []string{"2026-2027", "2027-2028", "2025", ""} {
			err := db.RecordEarlierParticipation(ctx, teacher.ID, school.UAI, year, "test")
			var re *store.RuleError
			require.True(t, errors.As(err, &re), "year %q: %v", year, err)
			assert.Equal(t, "validation_failed", re.Code, "year %q", year)
		}
		got, err = db.ParticipationYear(ctx, teacher.ID, school.UAI, "2028-2029")
		require.NoError(t, err)
		assert.Equal(t, 3, got, "nothing recorded for the refused years")

		err = db.RecordEarlierParticipation(ctx, teacher.ID+1000, school.UAI, "2025-2026", "test")
		assert.ErrorIs(t, err, store.ErrInvalidReference, "an unknown teacher")
	})
}
