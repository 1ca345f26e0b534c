package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/internal/app"
	"github.com/classemobile/classemobile/internal/feed"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
	"github.com/classemobile/classemobile/internal/web"
)

// newTestServer serves web.New over db on a loopback test server.
func newTestServer(t *testing.T, db *store.DB) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(apiWithFeeds(t, web.Deps{DB: db, Logger: storetest.Logger(t), BaseURL: "https://classemobile.example"}))
	t.Cleanup(ts.Close)
	return ts
}

// apiWithFeeds returns the API of d (checked against its description)
// with the iCal feeds beside it and the pages' printer, as classemobile
// serve composes them.
func apiWithFeeds(t *testing.T, d web.Deps) http.Handler {
	t.Helper()
	feeds, err := feed.New(feed.Deps{DB: d.DB, Logger: d.Logger, BaseURL: d.BaseURL, NowFunc: d.NowFunc})
	require.NoError(t, err)
	d.Feeds = feeds
	if d.Printer == nil {
		d.Printer, err = app.NewLoanPrinter(d.DB, d.Location, d.NowFunc)
		require.NoError(t, err)
	}
	srv, err := web.New(d)
	require.NoError(t, err)
	return feeds.Handler(checkedAPI(t, srv))
}

// apiResponse is a decoded API answer.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// ErrorCode returns error.code of an error body.
func (r apiResponse) ErrorCode() string {
	e, _ := r.JSON["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// ErrorFields returns error.fields of an error body.
func (r apiResponse) ErrorFields() map[string]any {
	e, _ := r.JSON["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// call sends a request with an optional Bearer token and body (a string is
// sent as is, anything else as JSON).
func call(t *testing.T, ts *httptest.Server, method, path, token string, body any) apiResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := apiResponse{Status: res.StatusCode, Header: res.Header, Body: data}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(data, &out.JSON), "JSON body of %s %s: %s", method, path, data)
	}
	return out
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		res := call(t, ts, "GET", "/healthz", "", nil)
		assert.Equal(t, http.StatusOK, res.Status)
		assert.Equal(t, "ok", res.JSON["status"])
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, token := storetest.User(t, db, nil)
		for _, tt := range []struct {
			name       string
			giveHeader string
			wantStatus int
		}{
			{name: "no header", wantStatus: 401},
			{name: "not bearer", giveHeader: "Basic abc", wantStatus: 401},
			{name: "empty bearer", giveHeader: "Bearer ", wantStatus: 401},
			{name: "unknown token", giveHeader: "Bearer cm_nope", wantStatus: 401},
			{name: "valid token", giveHeader: "Bearer " + token, wantStatus: 200},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest("GET", ts.URL+"/api/v1/schools", nil)
				if tt.giveHeader != "" {
					req.Header.Set("Authorization", tt.giveHeader)
				}
				res, err := ts.Client().Do(req)
				require.NoError(t, err)
				res.Body.Close()
				assert.Equal(t, tt.wantStatus, res.StatusCode)
				if tt.wantStatus == 401 {
					assert.Contains(t, res.Header.Get("WWW-Authenticate"), "Bearer")
				}
			})
		}
		res := call(t, ts, "GET", "/api/v1/nothing-here", token, nil)
		assert.Equal(t, 404, res.Status, "unknown API path")
		assert.Equal(t, "not_found", res.ErrorCode())
	})
}

func TestRolesDenyByDefault(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		school := storetest.School(t, db, nil)
		tokens := map[store.Role]string{}
		for _, role := range store.Roles {
			opts := &storetest.UserOpts{Role: role}
			if role.ScopedToSchool() {
				opts.SchoolUAI = school.UAI
			}
			_, tokens[role] = storetest.User(t, db, opts)
		}
		newSchool := func(i int) map[string]any {
			return map[string]any{"uai": storetest.NewUAI(), "name": "École test"}
		}
		newPack := func(i int) map[string]any {
			return map[string]any{"code": "P-" + storetest.Unique(), "items": []any{}}
		}
		for _, tt := range []struct {
			name      string
			path      string
			body      func(int) map[string]any
			wantAllow []store.Role
		}{
			{name: "create school", path: "/api/v1/schools", body: newSchool, wantAllow: []store.Role{store.RoleCoordinator}},
			{name: "create pack", path: "/api/v1/packs", body: newPack, wantAllow: []store.Role{store.RoleCoordinator, store.RoleIT}},
		} {
			for i, role := range store.Roles {
				res := call(t, ts, "POST", tt.path, tokens[role], tt.body(i))
				want := 403
				for _, a := range tt.wantAllow {
					if a == role {
						want = 201
					}
				}
				assert.Equal(t, want, res.Status, "%s as %s: %s", tt.name, role, res.Body)
				if want == 403 {
					assert.Equal(t, "forbidden", res.ErrorCode())
				}
			}
		}
	})
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, token := storetest.User(t, db, nil)
		for _, tt := range []struct {
			name       string
			giveBody   any
			wantStatus int
			wantCode   string
			wantField  string
		}{
			{name: "malformed JSON", giveBody: `{"uai": `, wantStatus: 400, wantCode: "malformed_json"},
			{name: "empty body", giveBody: ``, wantStatus: 400, wantCode: "malformed_json"},
			{name: "two objects", giveBody: `{} {}`, wantStatus: 400, wantCode: "malformed_json"},
			{name: "unknown field", giveBody: `{"uai": "0930001A", "name": "X", "colour": "red"}`, wantStatus: 400, wantCode: "unknown_field", wantField: "colour"},
			{name: "wrong type", giveBody: `{"uai": 12, "name": "X"}`, wantStatus: 422, wantCode: "validation_failed", wantField: "uai"},
			{name: "bad UAI and no name", giveBody: `{"uai": "93"}`, wantStatus: 422, wantCode: "validation_failed", wantField: "name"},
			{name: "NUL escaped", giveBody: `{"uai": "0930001A", "name": "X\u0000Y"}`, wantStatus: 422, wantCode: "validation_failed"},
			{name: "NUL raw", giveBody: []byte("{\"uai\": \"0930001A\", \"name\": \"X\x00\"}"), wantStatus: 422, wantCode: "validation_failed"},
			{name: "invalid UTF-8", giveBody: []byte("{\"uai\": \"0930001A\", \"name\": \"\xff\xfe\"}"), wantStatus: 422, wantCode: "validation_failed"},
			{name: "oversized", giveBody: `{"uai": "0930001A", "name": "` + strings.Repeat("a", 2<<20) + `"}`, wantStatus: 413, wantCode: "body_too_large"},
			{name: "bad priority", giveBody: `{"uai": "0930001A", "name": "X", "priority_education": "ZEP"}`, wantStatus: 422, wantCode: "validation_failed", wantField: "priority_education"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "POST", "/api/v1/schools", token, tt.giveBody)
				assert.Equal(t, tt.wantStatus, res.Status, "body %s", res.Body)
				assert.Equal(t, tt.wantCode, res.ErrorCode())
				e, _ := res.JSON["error"].(map[string]any)
				assert.NotEmpty(t, e["message"], "a French message")
				if tt.wantField != "" {
					assert.Contains(t, res.ErrorFields(), tt.wantField)
				}
			})
		}
		schools, err := db.ListSchools(t.Context())
		require.NoError(t, err)
		assert.Empty(t, schools, "bad bodies changed nothing")
	})
}

func TestSchoolsAndPacks(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, coord := storetest.User(t, db, nil)
		_, it := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleIT})

		res := call(t, ts, "POST", "/api/v1/schools", coord, map[string]any{"uai": "0930399d", "name": "École Anatole France", "priority_education": "REP+"})
		require.Equal(t, 201, res.Status, "%s", res.Body)
		assert.Equal(t, "0930399D", res.JSON["uai"], "UAI upper-cased")

		res = call(t, ts, "POST", "/api/v1/schools", coord, map[string]any{"uai": "0930399D", "name": "Doublon"})
		assert.Equal(t, 409, res.Status)

		res = call(t, ts, "PUT", "/api/v1/schools/0930399D", coord, map[string]any{"name": "École Anatole-France", "version": 1})
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.EqualValues(t, 2, res.JSON["version"])
		res = call(t, ts, "PUT", "/api/v1/schools/0930399D", coord, map[string]any{"name": "Encore", "version": 1})
		assert.Equal(t, 409, res.Status, "stale version")
		assert.Equal(t, "stale_version", res.ErrorCode())

		res = call(t, ts, "GET", "/api/v1/schools/0930399D", it, nil)
		require.Equal(t, 200, res.Status)
		assert.Equal(t, "École Anatole-France", res.JSON["name"])
		res = call(t, ts, "GET", "/api/v1/schools/0930000X", it, nil)
		assert.Equal(t, 404, res.Status)

		pack := map[string]any{"code": "CM-01", "label": "Classe mobile 1", "items": []any{
			map[string]any{"kind": "tablet", "label": "Tablette 01", "serial": "SN-1"},
			map[string]any{"kind": "charging_case", "label": "Valise", "serial": "SN-V"},
		}}
		res = call(t, ts, "POST", "/api/v1/packs", it, pack)
		require.Equal(t, 201, res.Status, "%s", res.Body)
		id := res.JSON["id"].(float64)
		items := res.JSON["items"].([]any)
		assert.Len(t, items, 2)

		res = call(t, ts, "POST", "/api/v1/packs", it, map[string]any{"code": "CM-02", "items": []any{
			map[string]any{"kind": "drone", "label": ""},
		}})
		assert.Equal(t, 422, res.Status)
		assert.Contains(t, res.ErrorFields(), "items[0].kind")
		assert.Contains(t, res.ErrorFields(), "items[0].label")

		res = call(t, ts, "GET", "/api/v1/packs/"+jsonNum(id), coord, nil)
		require.Equal(t, 200, res.Status)
		assert.Equal(t, "CM-01", res.JSON["code"])
		res = call(t, ts, "GET", "/api/v1/packs/abc", coord, nil)
		assert.Equal(t, 404, res.Status, "malformed id is not found")
		res = call(t, ts, "GET", "/api/v1/packs", coord, nil)
		require.Equal(t, 200, res.Status)
		assert.Len(t, res.JSON["packs"], 1)
	})
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestCalendar(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, token := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		res := call(t, ts, "GET", "/api/v1/calendar/2025-2026", token, nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Len(t, res.JSON["weeks"], 36)
		assert.Len(t, res.JSON["periods"], 5)
		assert.Equal(t, []any{0.0, 1.0, 7.0, 8.0, 14.0, 15.0, 21.0, 27.0, 28.0, 29.0, 30.0}, res.JSON["legal_starts"])

		res = call(t, ts, "GET", "/api/v1/calendar/2026-2027?loan_weeks=5", token, nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		assert.Contains(t, res.JSON["legal_starts"], 14.0, "a 5-week loan fits the 5-week P3 of 2026-2027")

		res = call(t, ts, "GET", "/api/v1/calendar/2027-2028", token, nil)
		assert.Equal(t, 404, res.Status)
		assert.Equal(t, "unknown_year", res.ErrorCode())
		res = call(t, ts, "GET", "/api/v1/calendar/2025", token, nil)
		assert.Equal(t, 400, res.Status)
		res = call(t, ts, "GET", "/api/v1/calendar/2025-2026?loan_weeks=x", token, nil)
		assert.Equal(t, 400, res.Status)
	})
}

func TestExportQuery(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db)
		_, token := storetest.User(t, db, &storetest.UserOpts{Role: store.RoleInspection})
		for _, tt := range []struct {
			name       string
			givePath   string
			wantStatus int
			wantField  string
		}{
			{name: "assessments, malformed year", givePath: "/api/v1/assessments?year=zzzz", wantStatus: 422, wantField: "school_year"},
			{name: "assessments, years not consecutive", givePath: "/api/v1/assessments?year=2026-2028", wantStatus: 422, wantField: "school_year"},
			{name: "assessments, unknown format", givePath: "/api/v1/assessments?year=2026-2027&format=xlsx", wantStatus: 422, wantField: "format"},
			{name: "synthesis, malformed year", givePath: "/api/v1/synthesis?year=2026", wantStatus: 422, wantField: "school_year"},
			{name: "assessments, good query", givePath: "/api/v1/assessments?year=2026-2027", wantStatus: 200},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := call(t, ts, "GET", tt.givePath, token, nil)
				assert.Equal(t, tt.wantStatus, res.Status, "%s", res.Body)
				if tt.wantField != "" {
					assert.Contains(t, res.ErrorFields(), tt.wantField)
				}
			})
		}
	})
}
