package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/notify/notifytest"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

// loanNow is the clock of the loan tests: a Sunday of the 2026-2027 P1.
var loanNow = time.Date(2026, 9, 20, 10, 0, 0, 0, time.UTC)

func newLoanServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(apiWithFeeds(t, web.Deps{DB: db, Logger: storetest.Logger(t), NowFunc: func() time.Time { return loanNow }}))
	t.Cleanup(ts.Close)
	return ts
}

// loanCast is the people of a loan test.
type loanCast struct {
	req                                  storetest.LoanRequest
	pack                                 store.Pack
	coord, it, insp, director, otherDir  string
	teacher, otherTeacher, sameSchoolTch string
}

func newLoanCast(t *testing.T, db *store.DB) loanCast {
	t.Helper()
	c := loanCast{}
	c.req = storetest.ValidatedRequest(t, db, nil)
	c.teacher = c.req.TeacherToken
	c.pack = storetest.Pack(t, db, nil)
	_, c.coord = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	_, c.it = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT, Name: "Karim Benali (DSI)"})
	_, c.insp = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
	_, c.director = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: c.req.SchoolUAI, Name: "Nadia Haddad"})
	_, c.sameSchoolTch = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: c.req.SchoolUAI})
	other := storetest.School(t, db, nil)
	_, c.otherDir = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: other.UAI})
	_, c.otherTeacher = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: other.UAI})
	return c
}

func errMessage(r apiResponse) string {
	e, _ := r.JSON["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func loanState(t *testing.T, r apiResponse) string {
	t.Helper()
	s, _ := r.JSON["state"].(string)
	return s
}

// TestLoanLifecycleAPI walks a loan through every state through the API,
// checking every precondition's failure on the way.
func TestLoanLifecycleAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newLoanServer(t, db)
		c := newLoanCast(t, db)
		storetest.SetTrainingStatus(t, db, c.req.ID, "planned")

		// Reservation by hand.
		res := call(t, ts, "POST", "/api/v1/loans", c.teacher, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 0})
		assert.Equal(t, http.StatusForbidden, res.Status, "teachers do not reserve")
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 14})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Equal(t, "validation_failed", res.ErrorCode(), "P3 of 2026-2027 has only 5 weeks")
		assert.Contains(t, res.ErrorFields(), "start_week")
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status, "no start given")
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_monday": "2026-08-31"})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		assert.Equal(t, "reserved", loanState(t, res))
		assert.Equal(t, "2026-09-01", res.JSON["pickup_day"])
		assert.Equal(t, "2026-10-09", res.JSON["return_day"])
		id := int64(res.JSON["id"].(float64))
		path := fmt.Sprintf("/api/v1/loans/%d", id)

		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 25})
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "request_has_loan", res.ErrorCode())
		rq := call(t, ts, "GET", fmt.Sprintf("/api/v1/requests/%d", c.req.ID), c.teacher, nil)
		require.Equal(t, http.StatusOK, rq.Status, "%s", rq.Body)
		assert.Equal(t, true, rq.JSON["has_loan"], "the request knows it has a loan")
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/withdraw", c.req.ID), c.teacher,
			map[string]any{"version": rq.JSON["version"], "reason": "Plus besoin"})
		assert.Equal(t, http.StatusConflict, res.Status, "no withdrawal once a loan exists: %s", res.Body)

		// Visibility: another school's people get a 404.
		assert.Equal(t, http.StatusNotFound, call(t, ts, "GET", path, c.otherTeacher, nil).Status)
		assert.Equal(t, http.StatusOK, call(t, ts, "GET", path, c.sameSchoolTch, nil).Status)
		list := call(t, ts, "GET", "/api/v1/loans?year=2026-2027", c.otherDir, nil)
		assert.Empty(t, list.JSON["loans"], "another school's director lists nothing")
		list = call(t, ts, "GET", "/api/v1/loans?state=reserved", c.director, nil)
		assert.Len(t, list.JSON["loans"], 1)

		// Pickup before anything is signed: everything missing is named.
		res = call(t, ts, "POST", path+"/pickup", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true})
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "pickup_blocked", res.ErrorCode())
		assert.Equal(t, "Retrait impossible : il manque la signature de la convention par le directeur de l'école ; la signature de la convention par la DSI ; la formation technique de l'enseignant (prévue le 10 septembre 2026).", errMessage(res))

		// Agreement.
		res = call(t, ts, "POST", path+"/agreement", c.otherDir, nil)
		assert.Equal(t, http.StatusNotFound, res.Status, "a director of another school cannot sign")
		res = call(t, ts, "POST", path+"/agreement", c.teacher, nil)
		assert.Equal(t, http.StatusForbidden, res.Status, "teachers do not sign")
		res = call(t, ts, "POST", path+"/agreement", c.director, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "reserved", loanState(t, res), "one signature is not enough")
		res = call(t, ts, "POST", path+"/agreement", c.director, nil)
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "La convention est déjà signée par la direction de l'école.", errMessage(res))
		res = call(t, ts, "POST", path+"/pickup", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true})
		assert.Equal(t, "Retrait impossible : il manque la signature de la convention par la DSI ; la formation technique de l'enseignant (prévue le 10 septembre 2026).", errMessage(res))
		res = call(t, ts, "POST", path+"/agreement", c.it, nil)
		require.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "signed", loanState(t, res))
		res = call(t, ts, "POST", path+"/agreement", c.it, nil)
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "invalid_state", res.ErrorCode())
		assert.Equal(t, "Signature de la convention impossible : le prêt est à l'état « convention signée » (état attendu : « réservé »).", errMessage(res))

		res = call(t, ts, "POST", path+"/pickup", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true})
		assert.Equal(t, "Retrait impossible : il manque la formation technique de l'enseignant (prévue le 10 septembre 2026).", errMessage(res))
		storetest.SetTrainingStatus(t, db, c.req.ID, "done")

		// Pickup: a missing tablet blocks unless the IT user accepts it.
		tablet := c.pack.Items[0]
		missing := map[string]any{"school_person": "Nadia Haddad", "all_present": true,
			"lines": []map[string]any{{"item_id": tablet.ID, "status": "missing"}}}
		res = call(t, ts, "POST", path+"/pickup", c.it, missing)
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "items_missing", res.ErrorCode())
		assert.Contains(t, errMessage(res), tablet.Serial)
		missing["accept_difference"] = true
		res = call(t, ts, "POST", path+"/pickup", c.coord, missing)
		assert.Equal(t, "Seule la DSI peut accepter un retrait avec des éléments manquants (Tablette 01 ("+tablet.Serial+")).", errMessage(res))
		res = call(t, ts, "POST", path+"/pickup", c.it, missing)
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/pickup", c.it, map[string]any{"school_person": "", "all_present": true})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/pickup", c.it, map[string]any{"school_person": "Nadia Haddad",
			"lines": []map[string]any{{"item_id": tablet.ID, "status": "present"}}})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		keyed := map[string]any{"school_person": "Nadia Haddad", "all_present": true, "idempotency_key": "pickup-0123456789abcdef"}
		res = call(t, ts, "POST", path+"/pickup", c.it, keyed)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "picked_up", loanState(t, res))
		// The same call again (a retry) records nothing more.
		again := call(t, ts, "POST", path+"/pickup", c.it, keyed)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Body)
		assert.Equal(t, res.JSON["version"], again.JSON["version"], "nothing changed")
		sheet := res.JSON["pickup_sheet"].(map[string]any)
		assert.Len(t, sheet["lines"], len(c.pack.Items), "every item on the pickup sheet")
		var participations int
		require.NoError(t, db.Bun().NewRaw("SELECT count(*) FROM participation_history WHERE teacher_id = ?", c.req.TeacherID).Scan(context.Background(), &participations))
		assert.Equal(t, 1, participations, "pickup records the participation")

		res = call(t, ts, "POST", path+"/cancel", c.coord, map[string]any{"reason": "trop tard"})
		assert.Equal(t, "Annulation impossible : le prêt est à l'état « retiré » (état attendu : « réservé » ou « convention signée »).", errMessage(res))

		// Extension: +2 weeks, granted by the plan, confirmed by the coordinator.
		res = call(t, ts, "POST", path+"/extension", c.sameSchoolTch, map[string]any{"weeks": 2, "reason": "Finir le film"})
		assert.Equal(t, http.StatusForbidden, res.Status, "only the project's teacher")
		res = call(t, ts, "POST", path+"/extension", c.teacher, map[string]any{"weeks": 3, "reason": "Finir le film"})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/extension", c.teacher, map[string]any{"weeks": 2, "reason": " "})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/extension/decision", c.coord, map[string]any{"decision": "confirm"})
		assert.Equal(t, "no_pending_extension", res.ErrorCode())
		res = call(t, ts, "POST", path+"/extension", c.teacher, map[string]any{"weeks": 2, "reason": "Finir le film d'animation"})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		assert.Equal(t, "requested", res.JSON["state"])
		res = call(t, ts, "POST", path+"/extension/decision", c.coord, map[string]any{"decision": "accordée", "comment": "Accordé"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "2026-11-06", res.JSON["return_day"], "two school weeks later, over the holiday")
		assert.Equal(t, float64(2), res.JSON["extension_weeks"])

		// Return with a missing tablet: an incident flags the pack.
		res = call(t, ts, "POST", path+"/return", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/return", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true,
			"technical_report": "RAS hors tablette 02", "lines": []map[string]any{{"item_id": c.pack.Items[1].ID, "status": "damaged"}}})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", path+"/return", c.it, map[string]any{"school_person": "Nadia Haddad", "all_present": true,
			"technical_report": "Parc à jour, une tablette manquante.",
			"lines":            []map[string]any{{"item_id": tablet.ID, "status": "missing", "note": "Introuvable dans la classe"}}})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "returned", loanState(t, res))
		incidents := res.JSON["incidents"].([]any)
		require.Len(t, incidents, 1)
		inc := incidents[0].(map[string]any)
		assert.Equal(t, "missing", inc["kind"])
		assert.Equal(t, tablet.Serial, inc["serial"])
		assert.Len(t, res.JSON["pack_flags"], 1, "the pack is flagged")

		// The next loan of the pack shows the flag before its pickup.
		next := storetest.ValidatedRequest(t, db, nil)
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": next.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 25})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		assert.Len(t, res.JSON["pack_flags"], 1, "open incident shown on the next loan")
		nextID := int64(res.JSON["id"].(float64))
		page := call(t, ts, "GET", fmt.Sprintf("/loans/%d/inventaire", nextID), c.coord, nil)
		assert.Contains(t, string(page.Body), "incident(s) ouvert(s)")
		open := call(t, ts, "GET", "/api/v1/incidents?open=true", c.it, nil)
		require.Len(t, open.JSON["incidents"], 1)
		incID := int64(inc["id"].(float64))
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", incID), c.it, map[string]any{"resolution": "Retrouvée au fond d'un placard"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", incID), c.it, map[string]any{"resolution": "encore"})
		assert.Equal(t, "incident_resolved", res.ErrorCode())
		assert.Empty(t, call(t, ts, "GET", "/api/v1/incidents?open=true", c.it, nil).JSON["incidents"])

		// Assessment and closure.
		res = call(t, ts, "POST", path+"/assessment", c.teacher, map[string]any{"human": "Classe motivée", "apply_again": true})
		assert.Equal(t, http.StatusUnprocessableEntity, res.Status)
		assert.Contains(t, res.ErrorFields(), "pedagogical")
		res = call(t, ts, "POST", path+"/close", c.coord, nil)
		assert.Equal(t, http.StatusForbidden, res.Status, "the inspectorate closes")
		res = call(t, ts, "POST", path+"/close", c.insp, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "closed", loanState(t, res))
		res = call(t, ts, "POST", path+"/close", c.insp, nil)
		assert.Equal(t, "Clôture impossible : le prêt est à l'état « clôturé » (état attendu : « rendu »).", errMessage(res))
		res = call(t, ts, "POST", path+"/assessment", c.teacher, map[string]any{"human": "Classe motivée ; entraide entre élèves",
			"pedagogical": "Production d'un film d'animation", "productions": []string{"https://ien-epinay.example/film"}, "apply_again": true})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)

		all := call(t, ts, "GET", "/api/v1/assessments?year=2026-2027", c.insp, nil)
		require.Equal(t, http.StatusOK, all.Status)
		assert.Len(t, all.JSON["assessments"], 1)
		assert.Equal(t, http.StatusForbidden, call(t, ts, "GET", "/api/v1/assessments", c.teacher, nil).Status)
		csvRes := call(t, ts, "GET", "/api/v1/assessments?year=2026-2027&format=csv", c.coord, nil)
		require.Equal(t, http.StatusOK, csvRes.Status)
		rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(csvRes.Body), "\uFEFF")))
		rd.Comma = ';'
		rows, err := rd.ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2)
		assert.Equal(t, web.AssessmentsHeader, rows[0])
		assert.Equal(t, "Production d'un film d'animation", rows[1][10])

		// Printable pages need the Bearer token.
		assert.Equal(t, http.StatusUnauthorized, call(t, ts, "GET", fmt.Sprintf("/loans/%d/convention", id), "", nil).Status)
		assert.Equal(t, http.StatusNotFound, call(t, ts, "GET", fmt.Sprintf("/loans/%d/convention", id), c.otherDir, nil).Status)
		conv := call(t, ts, "GET", fmt.Sprintf("/loans/%d/convention", id), c.director, nil)
		require.Equal(t, http.StatusOK, conv.Status)
		assert.Equal(t, "text/html; charset=utf-8", conv.Header.Get("Content-Type"))
		for _, want := range []string{"Convention de mise à disposition", "@page { size: A4", "Gestion VPN Educ", "Rectorat",
			"Signé électroniquement par Nadia Haddad", "Signé électroniquement par Karim Benali (DSI)", "usage sécurisé", "vendredi 6 novembre 2026"} {
			assert.Contains(t, string(conv.Body), want, "convention page")
		}
		inv := call(t, ts, "GET", fmt.Sprintf("/api/v1/loans/%d/inventaire", id), c.it, nil)
		require.Equal(t, http.StatusOK, inv.Status)
		for _, want := range []string{"Feuille d'inventaire", tablet.Serial, "manquant", "Parc à jour, une tablette manquante."} {
			assert.Contains(t, string(inv.Body), want, "inventory page")
		}

		// Every transition is in the audit log, in order.
		trail, err := db.AuditTrail(context.Background(), "loan", id)
		require.NoError(t, err)
		var actions []string
		for _, e := range trail {
			actions = append(actions, e.Action)
		}
		assert.Equal(t, []string{"loan.create", "loan.sign", "loan.signed", "loan.pickup", "loan.extension_request",
			"loan.extend", "loan.extension_decision", "loan.return", "loan.close", "loan.assessment"}, actions)
	})
}

// TestLoanCancelAndExtensionRefusedAPI: a refused extension names the
// blocking loan; a cancelled loan frees its pack.
func TestLoanCancelAndExtensionRefusedAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newLoanServer(t, db)
		c := newLoanCast(t, db)
		res := call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 0})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		a := int64(res.JSON["id"].(float64))
		nextReq := storetest.ValidatedRequest(t, db, nil)
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": nextReq.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 1})
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "pack_unavailable", res.ErrorCode())
		conflict, _ := res.JSON["error"].(map[string]any)["conflict"].(map[string]any)
		assert.Equal(t, "loan", conflict["kind"])
		assert.Equal(t, float64(a), conflict["id"], "the refusal names the loan in the way")
		assert.Contains(t, conflict["name"], fmt.Sprintf("prêt n° %d, ", a))
		assert.Contains(t, errMessage(res), c.pack.Code, "and the pack")
		res = call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": nextReq.ID, "pack_ids": []int64{c.pack.ID}, "start_week": 7})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		b := int64(res.JSON["id"].(float64))

		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/loans/%d/extension", a), c.teacher, map[string]any{"weeks": 6, "reason": "Projet prolongé"})
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "extension_refused", res.ErrorCode())
		assert.Contains(t, errMessage(res), fmt.Sprintf("prêt n° %d", b), "the blocking loan is named")

		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/loans/%d/cancel", b), c.coord, map[string]any{"reason": ""})
		assert.Equal(t, "validation_failed", res.ErrorCode())
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/loans/%d/cancel", b), c.coord, map[string]any{"reason": "Classe partie en classe verte"})
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		assert.Equal(t, "cancelled", loanState(t, res))
		res = call(t, ts, "POST", fmt.Sprintf("/api/v1/loans/%d/extension", a), c.teacher, map[string]any{"weeks": 6, "reason": "Projet prolongé"})
		assert.Equal(t, http.StatusCreated, res.Status, "the pack is free once B is cancelled: %s", res.Body)
		d := call(t, ts, "GET", fmt.Sprintf("/api/v1/loans/%d", a), c.teacher, nil)
		assert.Len(t, d.JSON["extensions"], 2, "extension history: refused then granted")
	})
}

// TestLoanConcurrentReservations is point 2 of the issue: 50 clients
// reserve overlapping ranges of one pack at once, 100 times; exactly one
// wins each round, the others get 409 pack_unavailable.
func TestLoanConcurrentReservations(t *testing.T) {
	t.Parallel()
	const clients = 50
	rounds := 100
	if testing.Short() {
		rounds = 10
	}
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newLoanServer(t, db)
		ctx := context.Background()
		pack := storetest.Pack(t, db, nil)
		_, coord := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleCoordinator})
		school := storetest.School(t, db, nil)
		reqs := make([]storetest.LoanRequest, clients)
		for i := range reqs {
			reqs[i] = storetest.ValidatedRequest(t, db, &storetest.ValidatedRequestOpts{SchoolUAI: school.UAI})
		}
		totals := map[int]int{}
		for round := 0; round < rounds; round++ {
			var (
				wg      sync.WaitGroup
				status  = map[int]int{}
				codes   = map[string]int{}
				winner  int64
				start   = make(chan struct{})
				results = make(chan concurrentResult, clients)
			)
			for i := 0; i < clients; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results <- postNoRequire(ts, "/api/v1/loans", coord, map[string]any{
						"request_id": reqs[i].ID, "pack_ids": []int64{pack.ID}, "start_week": i % 2})
				}()
			}
			close(start)
			wg.Wait()
			close(results)
			for res := range results {
				require.NoError(t, res.err, "round %d", round)
				status[res.Status]++
				totals[res.Status]++
				if res.Status == http.StatusCreated {
					winner = res.id
				} else {
					codes[res.code]++
				}
			}
			require.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: clients - 1}, status, "round %d", round)
			require.Equal(t, map[string]int{"pack_unavailable": clients - 1}, codes, "round %d", round)
			require.Zero(t, storetest.LoanOverlaps(t, db), "no overlap after round %d", round)
			// Free the pack (and the winner's request) for the next round.
			_, err := db.CancelLoan(ctx, store.Actor{}, winner, "tour suivant du test")
			require.NoError(t, err)
		}
		t.Logf("%s: %d rounds of %d clients: %d × 201, %d × 409, other statuses: %d", db.Dialect(), rounds, clients,
			totals[http.StatusCreated], totals[http.StatusConflict], rounds*clients-totals[http.StatusCreated]-totals[http.StatusConflict])
		cancelled, err := db.ListLoans(ctx, store.LoanFilter{PackID: pack.ID, State: store.LoanCancelled})
		require.NoError(t, err)
		assert.Len(t, cancelled, rounds, "one loan per round")
	})
}

// concurrentResult is one answer of the concurrency test, read without
// require (FailNow must not run outside the test's goroutine).
type concurrentResult struct {
	Status int
	id     int64
	code   string
	err    error
}

func postNoRequire(ts *httptest.Server, path, token string, body any) concurrentResult {
	data, err := json.Marshal(body)
	if err != nil {
		return concurrentResult{err: err}
	}
	req, err := http.NewRequest("POST", ts.URL+path, bytes.NewReader(data))
	if err != nil {
		return concurrentResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := ts.Client().Do(req)
	if err != nil {
		return concurrentResult{err: err}
	}
	defer res.Body.Close()
	var out struct {
		ID    int64 `json:"id"`
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return concurrentResult{Status: res.StatusCode, err: fmt.Errorf("decode %d answer: %w", res.StatusCode, err)}
	}
	return concurrentResult{Status: res.StatusCode, id: out.ID, code: out.Error.Code}
}

// took returns "name: subject" for each message b received since the
// last call, sorted.
func took(b *notifytest.Mailbox) []string {
	var out []string
	for _, m := range b.Take() {
		out = append(out, m.To[0].Name+": "+m.Subject)
	}
	slices.Sort(out)
	return out
}

// TestSignAgreementTellsPartiesAPI: a signature through the JSON API tells
// the agreement's parties, as one through the pages does (one notifier for
// both faces): the school's director and the IT department, not another
// school's director; a refused signature tells no one.
func TestSignAgreementTellsPartiesAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		c := newLoanCast(t, db)
		sent := &notifytest.Mailbox{}
		clock := func() time.Time { return loanNow }
		notices := app.NewAgreementNotifier(db, sent, "https://classemobile.example", storetest.Logger(t), clock)
		ts := httptest.NewServer(apiWithFeeds(t, web.Deps{DB: db, Logger: storetest.Logger(t), NowFunc: clock, Notices: notices}))
		t.Cleanup(ts.Close)
		res := call(t, ts, "POST", "/api/v1/loans", c.coord, map[string]any{"request_id": c.req.ID, "pack_ids": []int64{c.pack.ID}, "start_monday": "2026-08-31"})
		require.Equal(t, http.StatusCreated, res.Status, "%s", res.Body)
		id := int64(res.JSON["id"].(float64))
		path := fmt.Sprintf("/api/v1/loans/%d/agreement", id)

		res = call(t, ts, "POST", path, c.teacher, nil)
		require.Equal(t, http.StatusForbidden, res.Status)
		res = call(t, ts, "POST", path, c.director, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		notices.Wait()
		by := fmt.Sprintf("Convention de prêt n° %d signée par Nadia Haddad", id)
		assert.Equal(t, []string{"Karim Benali (DSI): " + by, "Nadia Haddad: " + by}, took(sent))

		res = call(t, ts, "POST", path, c.it, nil)
		require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
		notices.Wait()
		both := fmt.Sprintf("Convention de prêt n° %d signée par les deux parties", id)
		assert.Equal(t, []string{"Karim Benali (DSI): " + both, "Nadia Haddad: " + both}, took(sent))

		res = call(t, ts, "POST", path, c.it, nil)
		require.Equal(t, http.StatusConflict, res.Status)
		notices.Wait()
		assert.Empty(t, took(sent), "a refused signature tells no one")
	})
}
