package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// requestCast is one school with its people, and the referents.
type requestCast struct {
	school   store.School
	teacher  store.User
	users    map[store.Role]store.User
	tokens   map[store.Role]string
	teacher2 string // token of another teacher of the same school
}

func newRequestCast(t *testing.T, db *store.DB) requestCast {
	t.Helper()
	c := requestCast{school: storetest.School(t, db, &storetest.SchoolOpts{SectorID: "centre-ville"}),
		users: map[store.Role]store.User{}, tokens: map[store.Role]string{}}
	for _, role := range store.Roles {
		opts := &storetest.UserOpts{Role: role}
		if role.ScopedToSchool() {
			opts.SchoolUAI = c.school.UAI
		}
		c.users[role], c.tokens[role] = storetest.User(t, db, opts)
	}
	c.teacher = c.users[store.RoleTeacher]
	_, c.teacher2 = storetest.User(t, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: c.school.UAI})
	return c
}

// validBody is a complete request as a teacher posts it.
func validBody() map[string]any {
	return map[string]any{
		"school_year":          "2026-2027",
		"class_levels":         []string{"CE2", "CM1"},
		"pupils":               26,
		"title":                "Reportages sonores sur le quartier",
		"motivation":           "Faire parler les élèves de leur quartier.",
		"curriculum_links":     "Français : oral ; Questionner le monde.",
		"school_project_links": "Axe « maîtrise de la langue » du projet d'école.",
		"coherence":            "Suite du projet radio de l'an dernier.",
		"digital_skills":       "Enregistrer, monter, publier.",
		"commitments":          map[string]bool{"secure_use": true, "visits": true, "parents_informed": true, "feedback": true},
		"logistics":            map[string]bool{"secure_storage": true, "classroom_wifi": true},
		"training":             map[string]string{"status": "planned", "date": "2026-12-09"},
		"preferred_periods":    []string{"P2", "P4"},
		"excluded_periods":     []string{"P5"},
		"extension_weeks":      2,
	}
}

func TestRequestStateMachine(t *testing.T) {
	t.Parallel()
	type action struct {
		name  string
		path  string
		body  func(q store.Request) any
		roles []store.Role
		from  []store.RequestState
		to    store.RequestState // "" keeps the state
	}
	early := []store.RequestState{store.RequestDraft, store.RequestSubmitted, store.RequestAuthorised, store.RequestInReview}
	actions := []action{
		{name: "update", path: "", body: func(q store.Request) any { return map[string]any{"version": q.Version, "title": "Nouveau titre"} },
			roles: []store.Role{store.RoleTeacher}, from: []store.RequestState{store.RequestDraft}},
		{name: "submit", path: "/submit", roles: []store.Role{store.RoleTeacher},
			from: []store.RequestState{store.RequestDraft}, to: store.RequestSubmitted},
		{name: "authorize", path: "/authorize", roles: []store.Role{store.RoleDirector},
			from: []store.RequestState{store.RequestSubmitted}, to: store.RequestAuthorised},
		{name: "refuse", path: "/refuse", body: func(store.Request) any { return map[string]any{"reason": "Projet à préciser."} },
			roles: []store.Role{store.RoleDirector}, from: []store.RequestState{store.RequestSubmitted}, to: store.RequestDraft},
		{name: "opinion", path: "/opinions", body: func(store.Request) any { return map[string]any{"verdict": "reserved", "comment": "À revoir."} },
			roles: []store.Role{store.RoleInspection, store.RoleIT, store.RoleEducation},
			from:  []store.RequestState{store.RequestAuthorised, store.RequestInReview}, to: store.RequestInReview},
		{name: "decision", path: "/decision", body: func(store.Request) any { return map[string]any{"decision": "validated"} },
			roles: []store.Role{store.RoleCoordinator, store.RoleInspection},
			from:  []store.RequestState{store.RequestInReview}, to: store.RequestValidated},
		{name: "withdraw", path: "/withdraw", body: func(store.Request) any { return map[string]any{"reason": "Changement d'école."} },
			roles: []store.Role{store.RoleTeacher, store.RoleCoordinator},
			from:  append(slices.Clone(early), store.RequestValidated), to: store.RequestWithdrawn},
		{name: "packs", path: "/packs", body: func(store.Request) any { return map[string]any{"packs": 3, "reason": "Classe dédoublée."} },
			roles: []store.Role{store.RoleCoordinator}, from: early},
	}
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		for _, a := range actions {
			for _, state := range store.RequestStates {
				for _, role := range store.Roles {
					t.Run(fmt.Sprintf("%s/%s/%s", a.name, state, role), func(t *testing.T) {
						q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: state})
						var body any = map[string]any{}
						if a.body != nil {
							body = a.body(q)
						}
						method := "POST"
						if a.path == "" {
							method = "PATCH"
						}
						res := call(t, ts, method, fmt.Sprintf("/api/v1/requests/%d%s", q.ID, a.path), c.tokens[role], body)
						got, err := db.Request(context.Background(), q.ID)
						require.NoError(t, err)
						switch {
						case !slices.Contains(a.roles, role):
							assert.Equal(t, http.StatusForbidden, res.Status, "role not allowed: %s", res.Body)
							assert.Equal(t, q.Version, got.Version, "unchanged")
						case !slices.Contains(a.from, state):
							assert.Equal(t, http.StatusConflict, res.Status, "wrong state: %s", res.Body)
							assert.Equal(t, "invalid_state", res.ErrorCode())
							assert.Equal(t, string(state), res.ErrorFields()["state"], "the 409 names the state")
							assert.Equal(t, q.Version, got.Version, "unchanged")
						default:
							require.Equal(t, http.StatusOK, res.Status, "allowed: %s", res.Body)
							want := a.to
							if want == "" {
								want = state
							}
							assert.Equal(t, want, got.State, "state after %s", a.name)
							assert.Equal(t, string(want), res.JSON["state"])
							assert.Equal(t, q.Version+1, got.Version, "version bumped")
						}
					})
				}
			}
		}
	})
}

func TestRequestSchoolScoping(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		a, b := newRequestCast(t, db), newRequestCast(t, db)
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: a.school.UAI, TeacherID: a.teacher.ID, State: store.RequestSubmitted})
		path := fmt.Sprintf("/api/v1/requests/%d", q.ID)

		for _, tt := range []struct {
			name       string
			giveToken  string
			wantStatus int
			wantListed int
		}{
			{name: "owner teacher", giveToken: a.tokens[store.RoleTeacher], wantStatus: 200, wantListed: 1},
			{name: "other teacher same school", giveToken: a.teacher2, wantStatus: 404, wantListed: 0},
			{name: "director same school", giveToken: a.tokens[store.RoleDirector], wantStatus: 200, wantListed: 1},
			{name: "teacher other school", giveToken: b.tokens[store.RoleTeacher], wantStatus: 404, wantListed: 0},
			{name: "director other school", giveToken: b.tokens[store.RoleDirector], wantStatus: 404, wantListed: 0},
			{name: "coordinator", giveToken: a.tokens[store.RoleCoordinator], wantStatus: 200, wantListed: 1},
			{name: "it", giveToken: b.tokens[store.RoleIT], wantStatus: 200, wantListed: 1},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "GET", path, tt.giveToken, nil)
				assert.Equal(t, tt.wantStatus, res.Status, "GET %s: %s", path, res.Body)
				res = call(t, ts, "GET", "/api/v1/requests?school="+a.school.UAI, tt.giveToken, nil)
				require.Equal(t, 200, res.Status)
				list, _ := res.JSON["requests"].([]any)
				assert.Len(t, list, tt.wantListed, "listed")
			})
		}
		res := call(t, ts, "POST", path+"/authorize", b.tokens[store.RoleDirector], nil)
		assert.Equal(t, 404, res.Status, "director of another school authorises")
		res = call(t, ts, "POST", path+"/withdraw", a.teacher2, nil)
		assert.Equal(t, 404, res.Status, "another teacher withdraws")
		res = call(t, ts, "GET", "/api/v1/requests/999999", a.tokens[store.RoleCoordinator], nil)
		assert.Equal(t, 404, res.Status, "unknown id")
		got, err := db.Request(context.Background(), q.ID)
		require.NoError(t, err)
		assert.Equal(t, store.RequestSubmitted, got.State, "nothing changed")
	})
}

func TestRequestBadInputs(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		with := func(k string, v any) any {
			b := validBody()
			b[k] = v
			return b
		}
		for _, tt := range []struct {
			name      string
			giveBody  any
			wantField string
		}{
			{name: "unknown period id", giveBody: with("preferred_periods", []string{"P2", "P9"}), wantField: "preferred_periods"},
			{name: "unknown excluded period", giveBody: with("excluded_periods", []string{"T1"}), wantField: "excluded_periods"},
			{name: "period preferred and excluded", giveBody: with("excluded_periods", []string{"P2"}), wantField: "excluded_periods"},
			{name: "zero pupils", giveBody: with("pupils", 0), wantField: "pupils"},
			{name: "500 pupils", giveBody: with("pupils", 500), wantField: "pupils"},
			{name: "no pupils", giveBody: func() any { b := validBody(); delete(b, "pupils"); return b }(), wantField: "pupils"},
			{name: "text with NUL", giveBody: with("title", "Radio\u0000scolaire"), wantField: "title"},
			{name: "motivation with NUL", giveBody: with("motivation", "a\u0000"), wantField: "motivation"},
			{name: "date in French format", giveBody: with("training", map[string]string{"status": "done", "date": "09/12/2026"}), wantField: "training.date"},
			{name: "impossible date", giveBody: with("training", map[string]string{"status": "planned", "date": "2026-02-30"}), wantField: "training.date"},
			{name: "planned without date", giveBody: with("training", map[string]string{"status": "planned"}), wantField: "training.date"},
			{name: "unknown training status", giveBody: with("training", map[string]string{"status": "maybe"}), wantField: "training.status"},
			{name: "unknown class level", giveBody: with("class_levels", []string{"6e"}), wantField: "class_levels"},
			{name: "no class level", giveBody: with("class_levels", []string{}), wantField: "class_levels"},
			{name: "extension of 3 weeks", giveBody: with("extension_weeks", 3), wantField: "extension_weeks"},
			{name: "no title", giveBody: with("title", "  "), wantField: "title"},
			{name: "malformed year", giveBody: with("school_year", "2026"), wantField: "school_year"},
			{name: "pupils as text", giveBody: with("pupils", "vingt"), wantField: "pupils"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "POST", "/api/v1/requests", c.tokens[store.RoleTeacher], tt.giveBody)
				require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
				fields := res.ErrorFields()
				require.Contains(t, fields, tt.wantField, "the error names the field: %s", res.Body)
				msg, _ := fields[tt.wantField].(string)
				assert.NotEmpty(t, msg, "French message for the field")
				e, _ := res.JSON["error"].(map[string]any)
				assert.Contains(t, e["message"], tt.wantField, "the French message names the field")
			})
		}

		t.Run("missing commitments at submission", func(t *testing.T) {
			b := validBody()
			b["commitments"] = map[string]bool{"secure_use": true}
			b["logistics"] = map[string]bool{"classroom_wifi": true}
			res := call(t, ts, "POST", "/api/v1/requests", c.tokens[store.RoleTeacher], b)
			require.Equal(t, http.StatusCreated, res.Status, "a draft may lack commitments: %s", res.Body)
			id := int64(res.JSON["id"].(float64))
			res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/submit", id), c.tokens[store.RoleTeacher], nil)
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
			fields := res.ErrorFields()
			for _, f := range []string{"commitments.visits", "commitments.parents_informed", "commitments.feedback", "logistics.secure_storage"} {
				assert.Contains(t, fields, f, "missing %s named", f)
			}
			assert.NotContains(t, fields, "commitments.secure_use")
			assert.Contains(t, fields["logistics.secure_storage"], "stockage sécurisé")
		})

		t.Run("reasons are mandatory", func(t *testing.T) {
			q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: store.RequestInReview})
			res := call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/decision", q.ID), c.tokens[store.RoleCoordinator],
				map[string]any{"decision": "rejected"})
			assert.Equal(t, 422, res.Status)
			assert.Contains(t, res.ErrorFields(), "reason", "rejection without reason")
			res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/packs", q.ID), c.tokens[store.RoleCoordinator],
				map[string]any{"packs": 2})
			assert.Equal(t, 422, res.Status)
			assert.Contains(t, res.ErrorFields(), "reason", "packs override without reason")
			res = call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/decision", q.ID), c.tokens[store.RoleCoordinator],
				map[string]any{"decision": "maybe"})
			assert.Contains(t, res.ErrorFields(), "decision")
		})
	})
}

// TestRequestThroughAPI takes a request from draft to validated with the
// API alone, as the "done" asks.
func TestRequestThroughAPI(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		tok := c.tokens
		must := func(res apiResponse, status int, what string) apiResponse {
			t.Helper()
			require.Equal(t, status, res.Status, "%s: %s", what, res.Body)
			return res
		}
		res := must(call(t, ts, "POST", "/api/v1/requests", tok[store.RoleTeacher], validBody()), 201, "create")
		id := int64(res.JSON["id"].(float64))
		base := fmt.Sprintf("/api/v1/requests/%d", id)
		assert.Equal(t, "draft", res.JSON["state"])
		assert.Equal(t, float64(2), res.JSON["packs"], "26 pupils: 2 packs")
		elig := res.JSON["eligibility"].(map[string]any)
		assert.Equal(t, float64(1), elig["participation_year"])

		res = must(call(t, ts, "PATCH", base, tok[store.RoleTeacher], map[string]any{"version": 1, "pupils": 22}), 200, "patch")
		assert.Equal(t, float64(1), res.JSON["packs"], "22 pupils: 1 pack")
		assert.Equal(t, "Reportages sonores sur le quartier", res.JSON["title"], "absent fields kept")
		res = call(t, ts, "PATCH", base, tok[store.RoleTeacher], map[string]any{"version": 1, "pupils": 23})
		assert.Equal(t, 409, res.Status, "stale write")
		assert.Equal(t, "stale_version", res.ErrorCode())

		must(call(t, ts, "POST", base+"/submit", tok[store.RoleTeacher], nil), 200, "submit")
		res = must(call(t, ts, "POST", base+"/refuse", tok[store.RoleDirector], map[string]any{"reason": "Préciser le calendrier."}), 200, "refuse")
		assert.Equal(t, "draft", res.JSON["state"])
		assert.Equal(t, "Préciser le calendrier.", res.JSON["refusal_reason"])
		must(call(t, ts, "POST", base+"/submit", tok[store.RoleTeacher], map[string]any{}), 200, "submit again")
		must(call(t, ts, "POST", base+"/authorize", tok[store.RoleDirector], nil), 200, "authorize")
		for _, role := range store.ReferentRoles {
			res = must(call(t, ts, "POST", base+"/opinions", tok[role], map[string]any{"verdict": "favourable", "comment": "Avis de " + string(role)}), 200, "opinion")
		}
		assert.Equal(t, "in_review", res.JSON["state"])
		assert.Len(t, res.JSON["opinions"], 3)
		res = must(call(t, ts, "POST", base+"/packs", tok[store.RoleCoordinator], map[string]any{"packs": 2, "reason": "Deux groupes en parallèle."}), 200, "packs")
		assert.Equal(t, float64(2), res.JSON["packs"])
		version := res.JSON["version"].(float64)
		res = must(call(t, ts, "POST", base+"/decision", tok[store.RoleInspection], map[string]any{"decision": "validated", "version": version}), 200, "decide")
		assert.Equal(t, "validated", res.JSON["state"])
		assert.Equal(t, "validée", res.JSON["state_label"])

		res = call(t, ts, "POST", base+"/opinions", tok[store.RoleIT], map[string]any{"verdict": "unfavourable"})
		assert.Equal(t, 409, res.Status, "opinion after the decision")
		e := res.JSON["error"].(map[string]any)
		assert.Contains(t, e["message"], "validée", "the 409 names the state")

		res = must(call(t, ts, "GET", base, tok[store.RoleTeacher], nil), 200, "get")
		var actions []string
		for _, h := range res.JSON["history"].([]any) {
			ev := h.(map[string]any)
			actions = append(actions, ev["action"].(string))
			assert.NotZero(t, ev["actor_id"], "actor of %s", ev["action"])
		}
		assert.Equal(t, []string{"request.create", "request.update", "request.submit", "request.refuse", "request.submit",
			"request.authorize", "request.opinion", "request.opinion", "request.opinion", "request.packs", "request.decide"}, actions)

		res = must(call(t, ts, "GET", "/api/v1/requests?year=2026-2027&state=validated", tok[store.RoleEducation], nil), 200, "list")
		assert.Len(t, res.JSON["requests"], 1)
		res = call(t, ts, "GET", "/api/v1/requests?state=done", tok[store.RoleEducation], nil)
		assert.Equal(t, 422, res.Status, "unknown state filter")
	})
}

func TestRequestConcurrentDecisionsHTTP(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: store.RequestInReview})
		path := fmt.Sprintf("/api/v1/requests/%d/decision", q.ID)
		start := make(chan struct{})
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, d := range []struct {
			token string
			body  map[string]any
		}{
			{c.tokens[store.RoleCoordinator], map[string]any{"decision": "validated"}},
			{c.tokens[store.RoleInspection], map[string]any{"decision": "rejected", "reason": "Hors cadre."}},
		} {
			wg.Go(func() {
				<-start
				statuses[i] = call(t, ts, "POST", path, d.token, d.body).Status
			})
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		assert.Equal(t, []int{200, 409}, statuses, "exactly one decision wins")
	})
}

func TestSynthesisCSV(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		storetest.Pack(t, db, nil)
		storetest.Pack(t, db, nil)
		q := storetest.RequestContent(c.school.UAI, c.teacher.ID, "2026-2027", 27)
		q.Title = "Radio; l'école \"en direct\""
		q.ClassLevels = []string{"CM1", "CM2"}
		q.PreferredPeriods, q.ExcludedPeriods, q.ExtensionWeeks = []string{"P2", "P4"}, []string{"P5"}, 6
		q.Training.Status = store.TrainingDone
		d := mustDate(t, "2026-10-05")
		q.Training.Date = &d
		q, err := db.CreateRequest(ctx, store.Actor{UserID: c.teacher.ID}, q)
		require.NoError(t, err)
		require.NoError(t, storetest.DriveRequest(ctx, db, &q, store.RequestValidated))
		storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, State: store.RequestInReview}) // not in the table

		res := call(t, ts, "GET", "/api/v1/synthesis?year=2026-2027&format=csv", c.tokens[store.RoleCoordinator], nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		require.True(t, strings.HasPrefix(string(res.Body), "\uFEFF"), "UTF-8 BOM for Excel")
		r := csvReader(string(res.Body))
		got, err := r.ReadAll()
		require.NoError(t, err, "CSV reads back with ';'")
		pad := func(rec ...string) []string {
			out := make([]string, 24)
			copy(out, rec)
			return out
		}
		want := [][]string{
			{"N° demande", "École", "UAI", "Quartier", "Enseignant", "Projet", "Niveau(x)", "Élèves", "Packs",
				"Motif packs", "Périodes souhaitées", "Périodes exclues", "Année de participation",
				"Autre dispositif partenarial", "Formation", "Date de formation",
				"Avis inspection", "Commentaire inspection", "Avis DSI", "Commentaire DSI",
				"Avis éducation", "Commentaire éducation", "Prolongation souhaitée (semaines)",
				"Validation sans les trois avis (motif)"},
			{fmt.Sprint(q.ID), c.school.Name, c.school.UAI, "Quartier centre-ville", c.teacher.Name, "Radio; l'école \"en direct\"",
				"CM1, CM2", "27", "2", "", "P2, P4", "P5", "1", "non", "faite", "05/10/2026",
				"favorable", "Projet solide.", "favorable", "D'accord.", "favorable", "D'accord.", "6", ""},
			pad(),
			pad("Totaux par période", "Libellé", "Semaines de classe", "Demandes (période souhaitée)", "Packs demandés",
				"Demandes excluant la période", "Packs disponibles", "Prêts possibles par pack", "Capacité (prêts de packs)"),
			pad("P1", "Rentrée → Toussaint", "7", "0", "0", "0", "2", "1", "2"),
			pad("P2", "Toussaint → Noël", "7", "1", "2", "0", "2", "1", "2"),
			pad("P3", "Noël → Hiver", "5", "0", "0", "0", "2", "0", "0"),
			pad("P4", "Hiver → Printemps", "6", "1", "2", "0", "2", "1", "2"),
			pad("P5", "Printemps → Été", "11", "0", "0", "1", "2", "1", "2"),
			pad(),
			pad("Totaux par quartier", "Nom", "Demandes", "Packs demandés", "Plafond par période", "Capacité sans pénalité"),
			pad("centre-ville", "Quartier centre-ville", "1", "2", "2", "8"),
			pad(),
			pad("Total", "Année scolaire", "Demandes validées", "Packs demandés", "Packs sans période souhaitée",
				"Packs disponibles", "Durée de prêt (semaines)", "Règle des prêts", "Capacité (prêts de packs)"),
			pad("", "2026-2027", "1", "2", "0", "2", "6", "dans une seule période", "8"),
		}
		assert.Equal(t, want, got, "CSV records")

		res = call(t, ts, "GET", "/api/v1/synthesis?year=2026-2027", c.tokens[store.RoleInspection], nil)
		require.Equal(t, 200, res.Status)
		rows := res.JSON["rows"].([]any)
		require.Len(t, rows, 1)
		assert.Equal(t, []any{"within_period", 6.0, 8.0}, []any{res.JSON["loan_policy"], res.JSON["loan_weeks"], res.JSON["capacity"]},
			"the year's loan settings, as on the page")
		assert.Equal(t, float64(2), res.JSON["packs_requested"])

		for _, tt := range []struct {
			name       string
			giveToken  string
			giveQuery  string
			wantStatus int
		}{
			{name: "teacher", giveToken: c.tokens[store.RoleTeacher], giveQuery: "year=2026-2027", wantStatus: 403},
			{name: "director", giveToken: c.tokens[store.RoleDirector], giveQuery: "year=2026-2027", wantStatus: 403},
			{name: "bad format", giveToken: c.tokens[store.RoleCoordinator], giveQuery: "year=2026-2027&format=xls", wantStatus: 422},
			{name: "bad year", giveToken: c.tokens[store.RoleCoordinator], giveQuery: "year=26-27", wantStatus: 422},
			{name: "unknown year", giveToken: c.tokens[store.RoleCoordinator], giveQuery: "year=1990-1991", wantStatus: 422},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "GET", "/api/v1/synthesis?"+tt.giveQuery, tt.giveToken, nil)
				assert.Equal(t, tt.wantStatus, res.Status, "%s", res.Body)
			})
		}
	})
}

func TestRequestWithdrawWithLoan(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		c := newRequestCast(t, db)
		q := storetest.Request(t, db, &storetest.RequestOpts{SchoolUAI: c.school.UAI, TeacherID: c.teacher.ID, State: store.RequestValidated})
		require.NoError(t, store.SetRequestLoaned(context.Background(), db.Bun(), q.ID, true), "a loan exists")
		for _, role := range []store.Role{store.RoleTeacher, store.RoleCoordinator} {
			res := call(t, ts, "POST", fmt.Sprintf("/api/v1/requests/%d/withdraw", q.ID), c.tokens[role], nil)
			assert.Equal(t, http.StatusConflict, res.Status, "%s withdraws a request with a loan", role)
			assert.Equal(t, "request_has_loan", res.ErrorCode())
		}
	})
}
