package web_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

func roundPath(res apiResponse, suffix string) string {
	return fmt.Sprintf("/api/v1/rounds/%v%s", jsonNum(res.JSON["id"].(float64)), suffix)
}

func TestRoundsAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 5})
		_, teacher := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: d.Requests[0].SchoolUAI})
		_, inspector := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		body := map[string]any{"year": d.Year, "date": "2026-08-20", "time_limit": "2s", "weights": map[string]int{"base": 120}}

		res := call(t, ts, "POST", "/api/v1/rounds", teacher, body)
		assert.Equal(t, http.StatusForbidden, res.Status, "a teacher cannot run a round")

		res = call(t, ts, "POST", "/api/v1/rounds", d.Token, body)
		require.Equal(t, http.StatusCreated, res.Status, "create: %s", res.Body)
		assert.Equal(t, store.RoundDraft, res.JSON["state"])
		weights := res.JSON["weights"].(map[string]any)
		assert.Equal(t, 120.0, weights["base"], "weight given")
		assert.Equal(t, 60.0, weights["first_year"], "other weights are the defaults")
		params := res.JSON["params"].(map[string]any)
		assert.Equal(t, 6.0, params["loan_weeks"], "loan weeks from the web config")
		assert.Equal(t, "2s", params["time_limit"])
		assert.Equal(t, "2026-08-20", params["today"])
		loans := res.JSON["loans"].([]any)
		assert.Len(t, loans, 5, "2 packs serve 5 requests")
		for _, k := range []string{"objective", "upper_bound", "proved_optimal", "terms", "unserved"} {
			assert.Contains(t, res.JSON, k, "round shows %s", k)
		}
		path := roundPath(res, "")

		got := call(t, ts, "GET", path, inspector, nil)
		require.Equal(t, http.StatusOK, got.Status, "get: %s", got.Body)
		assert.Equal(t, res.JSON, got.JSON, "the round reads back")
		list := call(t, ts, "GET", "/api/v1/rounds?year="+d.Year, inspector, nil)
		require.Equal(t, http.StatusOK, list.Status)
		assert.Len(t, list.JSON["rounds"], 1)
		assert.Equal(t, http.StatusForbidden, call(t, ts, "GET", path, teacher, nil).Status, "teachers do not see drafts")

		pub := call(t, ts, "POST", roundPath(res, "/publish"), d.Token, nil)
		require.Equal(t, http.StatusOK, pub.Status, "publish: %s", pub.Body)
		assert.Equal(t, store.RoundPublished, pub.JSON["state"])
		loansList := call(t, ts, "GET", "/api/v1/loans?year="+d.Year, d.Token, nil)
		require.Equal(t, http.StatusOK, loansList.Status, "loans: %s", loansList.Body)

		again := call(t, ts, "POST", roundPath(res, "/publish"), d.Token, nil)
		assert.Equal(t, http.StatusConflict, again.Status)
		assert.Equal(t, "round_not_draft", again.ErrorCode())
		assert.Equal(t, http.StatusNotFound, call(t, ts, "POST", "/api/v1/rounds/999999/publish", d.Token, nil).Status)

		// A re-run after publication: a new draft; excluding a request.
		re := call(t, ts, "POST", roundPath(res, "/rerun"), d.Token,
			map[string]any{"excludes": []int64{d.Requests[1].ID}, "date": "2026-08-20"})
		require.Equal(t, http.StatusCreated, re.Status, "rerun: %s", re.Body)
		assert.Equal(t, store.RoundDraft, re.JSON["state"])
		assert.Equal(t, 120.0, re.JSON["weights"].(map[string]any)["base"], "the re-run keeps the weights")
		unserved := re.JSON["unserved"].([]any)
		require.Len(t, unserved, 1)
		assert.Equal(t, "excluded", unserved[0].(map[string]any)["code"])
		assert.Equal(t, float64(res.JSON["id"].(float64)), re.JSON["previous_round_id"], "built on the published round")
	})
}

func TestRoundsAPIValidation(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 2})
		week := 2
		for _, tc := range []struct {
			name       string
			giveBody   any
			wantStatus int
			wantField  string
		}{
			{name: "bad year", giveBody: map[string]any{"year": "2026"}, wantStatus: 422, wantField: "year"},
			{name: "unknown year", giveBody: map[string]any{"year": "1990-1991"}, wantStatus: 422, wantField: "year"},
			{name: "unknown weight", giveBody: map[string]any{"year": d.Year, "weights": map[string]int{"luck": 3}}, wantStatus: 422, wantField: "weights.luck"},
			{name: "negative weight", giveBody: map[string]any{"year": d.Year, "weights": map[string]int{"base": -1}}, wantStatus: 422, wantField: "weights.base"},
			{name: "bad time limit", giveBody: map[string]any{"year": d.Year, "time_limit": "soon"}, wantStatus: 422, wantField: "time_limit"},
			{name: "too long", giveBody: map[string]any{"year": d.Year, "time_limit": "1h"}, wantStatus: 422, wantField: "time_limit"},
			{name: "bad date", giveBody: map[string]any{"year": d.Year, "date": "demain"}, wantStatus: 422, wantField: "date"},
			{name: "loan weeks", giveBody: map[string]any{"year": d.Year, "loan_weeks": 40}, wantStatus: 422, wantField: "loan_weeks"},
			{name: "unknown pinned request", giveBody: map[string]any{"year": d.Year, "pins": []any{map[string]any{"request_id": 987654}}}, wantStatus: 422, wantField: "pins[0].request_id"},
			{name: "illegal start week", giveBody: map[string]any{"year": d.Year, "date": "2026-08-20",
				"pins": []any{map[string]any{"request_id": d.Requests[0].ID, "start_week": week}}}, wantStatus: 422, wantField: "pins[0].start_week"},
			{name: "unknown field", giveBody: map[string]any{"year": d.Year, "packs": 9}, wantStatus: 400},
			{name: "not JSON", giveBody: "{", wantStatus: 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := call(t, ts, "POST", "/api/v1/rounds", d.Token, tc.giveBody)
				assert.Equal(t, tc.wantStatus, res.Status, "status: %s", res.Body)
				if tc.wantField != "" {
					assert.Contains(t, res.ErrorFields(), tc.wantField, "error fields: %s", res.Body)
				}
			})
		}
		res := call(t, ts, "GET", "/api/v1/rounds?year=abc", d.Token, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
	})
}

func TestRoundsAPIConcurrentPublish(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 2, Requests: 3})
		body := map[string]any{"year": d.Year, "date": "2026-08-20", "time_limit": "2s"}
		a := call(t, ts, "POST", "/api/v1/rounds", d.Token, body)
		require.Equal(t, http.StatusCreated, a.Status, "%s", a.Body)
		b := call(t, ts, "POST", "/api/v1/rounds", d.Token, body)
		require.Equal(t, http.StatusCreated, b.Status, "%s", b.Body)

		statuses := make([]int, 2)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, r := range []apiResponse{a, b} {
			path := roundPath(r, "/publish")
			wg.Go(func() {
				<-start
				// No require in a goroutine: a failure is status 0.
				req, err := http.NewRequest("POST", ts.URL+path, nil)
				if err != nil {
					return
				}
				req.Header.Set("Authorization", "Bearer "+d.Token)
				res, err := ts.Client().Do(req)
				if err != nil {
					return
				}
				res.Body.Close()
				statuses[i] = res.StatusCode
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
		assert.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, statuses, "exactly one publish wins")
	})
}

func TestRoundsAPIRerunAndDiscard(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		d := storetest.Rounds(t, db, &storetest.RoundOpts{Packs: 1, Requests: 3})
		_, director := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: d.Requests[0].SchoolUAI})
		week := 7
		a := call(t, ts, "POST", "/api/v1/rounds", d.Token, map[string]any{"year": d.Year, "date": "2026-08-20", "time_limit": "2s",
			"pins": []any{map[string]any{"request_id": d.Requests[2].ID, "start_week": week}}})
		require.Equal(t, http.StatusCreated, a.Status, "%s", a.Body)
		loans := a.JSON["loans"].([]any)
		found := false
		for _, l := range loans {
			m := l.(map[string]any)
			if m["request_id"] == float64(d.Requests[2].ID) {
				found = true
				assert.Equal(t, float64(week), m["start_week"], "pinned start week")
				assert.Equal(t, "P2", m["period"])
				assert.Equal(t, "2026-11-02", m["pickup_day"], "first school day of week 7")
				assert.Equal(t, "2026-12-11", m["return_day"], "last school day of week 12")
			}
		}
		assert.True(t, found, "the pinned request is served")

		// A re-run of a draft, with a longer time limit: the pins are kept,
		// the old draft is discarded.
		b := call(t, ts, "POST", roundPath(a, "/rerun"), d.Token, map[string]any{"time_limit": "3s", "date": "2026-08-20"})
		require.Equal(t, http.StatusCreated, b.Status, "%s", b.Body)
		assert.Equal(t, a.JSON["pins"], b.JSON["pins"], "pins kept")
		assert.Equal(t, "3s", b.JSON["params"].(map[string]any)["time_limit"])
		old := call(t, ts, "GET", roundPath(a, ""), d.Token, nil)
		assert.Equal(t, store.RoundDiscarded, old.JSON["state"], "the re-run draft is discarded")
		pub := call(t, ts, "POST", roundPath(a, "/publish"), d.Token, nil)
		assert.Equal(t, http.StatusConflict, pub.Status, "a discarded draft cannot be published")
		assert.Equal(t, "round_not_draft", pub.ErrorCode())

		dis := call(t, ts, "POST", roundPath(b, "/discard"), d.Token, nil)
		require.Equal(t, http.StatusOK, dis.Status, "%s", dis.Body)
		assert.Equal(t, store.RoundDiscarded, dis.JSON["state"])
		assert.Equal(t, http.StatusConflict, call(t, ts, "POST", roundPath(b, "/discard"), d.Token, nil).Status, "discarded twice")

		assert.Equal(t, http.StatusForbidden, call(t, ts, "GET", "/api/v1/rounds", director, nil).Status, "directors do not see rounds")
		assert.Equal(t, http.StatusForbidden, call(t, ts, "POST", roundPath(b, "/rerun"), director, nil).Status)
		assert.Equal(t, http.StatusUnauthorized, call(t, ts, "GET", "/api/v1/rounds", "", nil).Status)
	})
}
