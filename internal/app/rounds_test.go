package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/round"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// plannerCast is a year to allocate, one person of each role, a draft
// round, a what-if of it and a finished solve.
type plannerCast struct {
	d        storetest.RoundData
	people   map[string]store.User
	round    store.Round
	whatIf   store.WhatIf
	solve    store.RoundSolve
	unserved int64
}

func newPlannerCast(t *testing.T, db *store.DB) plannerCast {
	t.Helper()
	ctx := context.Background()
	c := plannerCast{d: storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 5}), people: map[string]store.User{}}
	c.people["coordinator"] = c.d.Coordinator
	c.people["teacher"] = c.d.Requests[0].Teacher
	c.people["director"], _ = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: c.d.Requests[0].SchoolUAI})
	for _, r := range []store.Role{store.RoleInspection, store.RoleIT, store.RoleEducation} {
		c.people[string(r)], _ = storetest.User(t, db, &storetest.UserOpts{Role: r})
	}
	coord := store.Actor{UserID: c.d.Coordinator.ID}
	var err error
	c.round, err = round.Run(ctx, db, coord, round.Input{SchoolYear: c.d.Year, Today: storetest.RoundToday, TimeLimit: 2 * time.Second})
	require.NoError(t, err)
	require.NotEmpty(t, c.round.Unserved)
	c.unserved = c.round.Unserved[0].RequestID
	c.whatIf, err = round.WhatIf(ctx, db, coord, c.round.ID, store.WhatIfInput{NoExtensions: true})
	require.NoError(t, err)
	// A solve that fails: a pin on a request the year does not have.
	in := round.Input{SchoolYear: "2025-2026", TimeLimit: time.Second,
		Pins: []store.RoundPin{{RequestID: 999999, Kind: store.PinExclude, Reason: "essai"}}}
	c.solve, err = round.Start(ctx, db, coord, in)
	require.NoError(t, err)
	db.WaitSolves()
	return c
}

// TestRoundPagesByRole opens every planner page as every role: the
// coordinator and the referents read rounds; only the coordinator opens
// the pages that act; schools' people are refused.
func TestRoundPagesByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		b := newBundle(t, db, nil)
		c := newPlannerCast(t, db)
		rd := fmt.Sprintf("/tours/%d", c.round.ID)
		read := []string{"/tours", "/tours?annee=" + c.d.Year, rd, rd + "?page=1&periode=P1", rd + "/capacite",
			fmt.Sprintf("/hypotheses/%d", c.whatIf.ID)}
		write := []string{fmt.Sprintf("%s/epinglage?demande=%d", rd, c.unserved), rd + "/publication"}
		ok, forbid := http.StatusOK, http.StatusForbidden
		for role, u := range c.people {
			t.Run(role, func(t *testing.T) {
				cl := b.client(t)
				cl.signIn(u)
				staff := role != "teacher" && role != "director"
				for _, path := range read {
					want := forbid
					if staff {
						want = ok
					}
					r := cl.get(path)
					assert.Equal(t, want, r.Status, "%s: GET %s", role, path)
					assert.Contains(t, r.Body, `lang="fr"`)
				}
				for _, path := range write {
					want := forbid
					if role == "coordinator" {
						want = ok
					}
					assert.Equal(t, want, cl.get(path).Status, "%s: GET %s", role, path)
				}
				// A finished solve sends to its round; a failed one says why.
				r := cl.get(fmt.Sprintf("/calculs/%d", c.solve.ID))
				if staff {
					assert.Equal(t, ok, r.Status, "%s: the failed solve's page", role)
					assert.Contains(t, r.Body, "échoué")
				} else {
					assert.Equal(t, forbid, r.Status)
				}
				home := cl.get("/")
				assert.Equal(t, staff, strings.Contains(home.Body, `href="/tours"`), "%s: the navigation links the rounds to those who read them", role)
				// The round page shows the actions to the coordinator only.
				if staff {
					page := cl.get(rd)
					assert.Equal(t, role == "coordinator", strings.Contains(page.Body, "/relance"), "%s: run button", role)
					assert.Contains(t, page.Body, "<caption>Planning des packs", "the grid is a table with a caption")
					assert.Contains(t, page.Body, `scope="colgroup"`)
				}
			})
		}
	})
}

// TestRoundActionsByRole posts every planner action as every role but
// the coordinator (403, nothing changes), then as the coordinator.
func TestRoundActionsByRole(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		defer db.WaitSolves()
		ctx := context.Background()
		b := newBundle(t, db, nil)
		c := newPlannerCast(t, db)
		rd := fmt.Sprintf("/tours/%d", c.round.ID)
		pin := url.Values{"demande": {fmt.Sprint(c.unserved)}, "choix": {"exclure"}, "raison": {"Accord passé avec l'école"}}
		actions := []struct {
			path string
			form url.Values
		}{
			{"/tours", url.Values{"annee": {c.d.Year}}},
			{rd + "/epinglage", pin},
			{fmt.Sprintf("%s/epinglage/%d/annulation", rd, c.unserved), nil},
			{rd + "/hypotheses", url.Values{"hypothese": {"plus"}}},
			{fmt.Sprintf("/hypotheses/%d/adoption", c.whatIf.ID), nil},
			{rd + "/relance", nil},
			{rd + "/publication", nil},
			{rd + "/abandon", nil},
		}
		for role, u := range c.people {
			if role == "coordinator" {
				continue
			}
			cl := b.client(t)
			cl.signIn(u)
			for _, a := range actions {
				assert.Equal(t, http.StatusForbidden, cl.post(a.path, a.form).Status, "%s: POST %s", role, a.path)
			}
		}
		rounds, err := db.ListRounds(ctx, c.d.Year)
		require.NoError(t, err)
		require.Len(t, rounds, 1, "nothing was run")
		edits, err := db.RoundPinEdits(ctx, c.round.ID)
		require.NoError(t, err)
		require.Empty(t, edits, "nothing was pinned")

		cl := b.client(t)
		cl.signIn(c.d.Coordinator)
		// Pin with a reason, cancel, pin again.
		r := cl.post(rd+"/epinglage", pin)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Equal(t, rd+"#epingles", r.Location)
		r = cl.post(fmt.Sprintf("%s/epinglage/%d/annulation", rd, c.unserved), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.Equal(t, http.StatusSeeOther, cl.post(rd+"/epinglage", pin).Status)
		page := cl.get(rd)
		assert.Contains(t, page.Body, "Accord passé avec l&#39;école", "the reason is shown")
		// A pin without a reason is refused, with the form again.
		bad := cl.post(rd+"/epinglage", url.Values{"demande": {fmt.Sprint(c.unserved)}, "choix": {"exclure"}, "raison": {"autre"}})
		assert.Equal(t, http.StatusUnprocessableEntity, bad.Status)
		assert.Contains(t, bad.Body, "Indiquez la raison")
		// A what-if: its page, never a round.
		r = cl.post(rd+"/hypotheses", url.Values{"hypothese": {"plus"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.True(t, strings.HasPrefix(r.Location, "/hypotheses/"), r.Location)
		wi := cl.get(r.Location)
		assert.Equal(t, http.StatusOK, wi.Status)
		assert.Contains(t, wi.Body, "Nouvellement servis")
		assert.Equal(t, http.StatusUnprocessableEntity, cl.post(rd+"/hypotheses", url.Values{"hypothese": {"indisponible"}, "pack": {"x"}}).Status)
		assert.Equal(t, http.StatusUnprocessableEntity, cl.post(rd+"/hypotheses", url.Values{"hypothese": {"duree"}, "semaines": {"99"}}).Status)
		// The run form: bad numbers come back with their errors.
		bad = cl.post("/tours", url.Values{"annee": {c.d.Year}, "loan_weeks": {"six"}, "time_limit": {"1"}})
		assert.Equal(t, http.StatusUnprocessableEntity, bad.Status)
		assert.Contains(t, bad.Body, "Saisissez un nombre entier")
		bad = cl.post("/tours", url.Values{"annee": {c.d.Year}, "loan_weeks": {"40"}, "time_limit": {"1"}})
		assert.Equal(t, http.StatusUnprocessableEntity, bad.Status)
		assert.Contains(t, bad.Body, "loan_weeks")
		// Re-run applies the pin: a solve, then its round.
		r = cl.post(rd+"/relance", nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.True(t, strings.HasPrefix(r.Location, "/calculs/"), r.Location)
		db.WaitSolves()
		done := cl.get(r.Location)
		require.Equal(t, http.StatusSeeOther, done.Status, "a finished solve sends to its round: %s", done.Body)
		newRound := done.Location
		nr := cl.get(newRound)
		assert.Contains(t, nr.Body, "Accord passé avec l&#39;école", "the pin's reason is kept in the new round")
		// A second run while one runs says so.
		now := time.Now().UTC()
		storetest.ExecLoan(t, db, `INSERT INTO round_solves (school_year, state, spec, time_limit_ms, started_at, heartbeat_at)
			VALUES (?, 'running', '{}', 1000, ?, ?)`, c.d.Year, now, now)
		r = cl.post("/tours", url.Values{"annee": {c.d.Year}, "time_limit": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		running := cl.get(r.Location)
		assert.Contains(t, running.Body, "déjà en cours")
		assert.Contains(t, running.Body, `http-equiv="refresh"`, "the running solve's page refreshes itself")
		storetest.ExecLoan(t, db, `UPDATE round_solves SET state = 'failed' WHERE state = 'running'`)
		// Publish: the preview names the people told; after, read-only.
		prev := cl.get(newRound + "/publication")
		assert.Equal(t, http.StatusOK, prev.Status)
		assert.Contains(t, prev.Body, "Nouveau prêt pour le projet")
		r = cl.post(newRound+"/publication", nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		pub := cl.get(newRound)
		assert.Contains(t, pub.Body, "publié")
		assert.NotContains(t, pub.Body, "/relance\"", "a published round is read-only")
		assert.Equal(t, http.StatusConflict, cl.post(newRound+"/abandon", nil).Status)
		assert.Equal(t, http.StatusConflict, cl.post(newRound+"/epinglage", pin).Status)
		// The old draft, discarded, stays readable.
		assert.Equal(t, http.StatusOK, cl.get(rd).Status)
		// Discard a fresh draft.
		fresh, err := round.Run(ctx, db, store.Actor{UserID: c.d.Coordinator.ID}, round.Input{SchoolYear: c.d.Year, Today: storetest.RoundToday, TimeLimit: time.Second})
		require.NoError(t, err)
		r = cl.post(fmt.Sprintf("/tours/%d/abandon", fresh.ID), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		got, err := db.Round(ctx, fresh.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RoundDiscarded, got.State)
		// Adopt a what-if of the published round: a new draft.
		wi2, err := round.WhatIf(ctx, db, store.Actor{UserID: c.d.Coordinator.ID}, pubID(t, newRound), store.WhatIfInput{NoExtensions: true})
		require.NoError(t, err)
		r = cl.post(fmt.Sprintf("/hypotheses/%d/adoption", wi2.ID), nil)
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		assert.Regexp(t, `^/tours/\d+$`, r.Location)
		// Bad paths are 404, never 500.
		assert.Equal(t, http.StatusNotFound, cl.get("/tours/abc").Status)
		assert.Equal(t, http.StatusNotFound, cl.get("/tours/999999").Status)
		assert.Equal(t, http.StatusBadRequest, cl.get(rd+"?page=x").Status)
		assert.Equal(t, http.StatusBadRequest, cl.get(rd+"?periode=P9").Status)
		assert.Equal(t, http.StatusBadRequest, cl.get(rd+"?page=99").Status)
	})
}

func pubID(t *testing.T, path string) int64 {
	t.Helper()
	var id int64
	_, err := fmt.Sscanf(path, "/tours/%d", &id)
	require.NoError(t, err)
	return id
}
