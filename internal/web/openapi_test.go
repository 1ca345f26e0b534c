package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

// openAPIOperation is the part of an operation the tests read.
type openAPIOperation struct {
	OperationID string            `json:"operationId"`
	Description string            `json:"description"`
	Action      string            `json:"x-action"`
	Roles       []string          `json:"x-roles"`
	Security    *[]map[string]any `json:"security"`
}

type openAPISchema struct {
	Enum        []string          `json:"enum"`
	EnumLabels  map[string]string `json:"x-enum-labels"`
	Description string            `json:"description"`
}

type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas map[string]openAPISchema `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(web.OpenAPI(), &doc))
	return doc
}

// apiRoutes returns the router's /api/v1 routes by "METHOD /path".
func apiRoutes(t *testing.T) map[string]web.Route {
	t.Helper()
	srv, err := web.New(web.Deps{})
	require.NoError(t, err)
	out := map[string]web.Route{}
	for _, rt := range srv.Routes() {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue // the /api/ catch-all, the health check, feeds and printable pages are not the JSON API
		}
		out[method+" "+path] = rt
	}
	return out
}

// TestOpenAPIRoutes checks that the document describes exactly the
// router's /api/v1 routes, and that each operation's roles are those of
// the store's table of actions × roles for the route's action.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	routes := apiRoutes(t)
	described := map[string]openAPIOperation{}
	for path, item := range doc.Paths {
		for method, op := range item {
			described[strings.ToUpper(method)+" "+path] = op
		}
	}
	for key := range routes {
		_, ok := described[key]
		assert.True(t, ok, "route %s is not described in openapi.json", key)
	}
	for key := range described {
		_, ok := routes[key]
		assert.True(t, ok, "openapi.json describes %s, which the router does not have", key)
	}
	assert.Equal(t, len(routes), len(described), "routes in the router vs operations in the document")
	t.Logf("%d /api/v1 routes, %d operations described", len(routes), len(described))

	for key, rt := range routes {
		op, ok := described[key]
		if !ok {
			continue
		}
		if rt.Action == "" {
			// A route without a role check must say it is public.
			if assert.NotNil(t, op.Security, "%s has no role check: its operation must declare security: []", key) {
				assert.Empty(t, *op.Security, "%s is public", key)
			}
			assert.Empty(t, op.Roles, "%s: a public route has no x-roles", key)
			continue
		}
		assert.Equal(t, string(rt.Action), op.Action, "%s: x-action", key)
		var want []string
		for _, r := range rt.Action.Roles() {
			want = append(want, string(r))
		}
		require.NotEmpty(t, want, "%s: action %s has no roles in the table", key, rt.Action)
		assert.Equal(t, want, op.Roles, "%s: x-roles must be the store's roles for %s", key, rt.Action)
		assert.Contains(t, op.Description, "roles: "+strings.Join(want, ", ")+".", "%s: the description names the roles", key)
	}
}

// TestOpenAPIEnumLabels checks the French labels of the state enums
// against the store's.
func TestOpenAPIEnumLabels(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	labels := map[string]func(string) string{
		"RequestState":   func(s string) string { return store.RequestState(s).Label() },
		"LoanState":      func(s string) string { return store.LoanState(s).Label() },
		"RoundState":     func(s string) string { return store.RoundState(s).Label() },
		"PackStatus":     func(s string) string { return store.PackStatus(s).Label() },
		"ExtensionState": func(s string) string { return store.ExtensionState(s).Label() },
		"OpinionVerdict": func(s string) string { return store.OpinionVerdict(s).Label() },
		"TrainingStatus": func(s string) string { return store.TrainingStatus(s).Label() },
		"LoanPolicy":     func(s string) string { return calendar.LoanPolicy(s).Label() },
	}
	for name, label := range labels {
		s, ok := doc.Components.Schemas[name]
		if !assert.True(t, ok, "schema %s", name) {
			continue
		}
		assert.NotEmpty(t, s.Enum, "%s: enum", name)
		assert.Len(t, s.EnumLabels, len(s.Enum), "%s: one label per value", name)
		for _, v := range s.Enum {
			assert.NotEqual(t, v, label(v), "%s: %q has no French label in the store", name, v)
			assert.Equal(t, label(v), s.EnumLabels[v], "%s: label of %q", name, v)
		}
	}
	assert.ElementsMatch(t, rolesOf(store.Roles), doc.Components.Schemas["Role"].Enum, "Role enum")
}

func rolesOf(rs []store.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// TestOpenAPIDocumentValid validates the document against the OpenAPI 3.1
// specification's schema with libopenapi.
func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3.1."), "OpenAPI version %s", doc.OpenAPI)
	v := openAPIValidator(t)
	ok, errs := v.ValidateDocument()
	for _, e := range errs {
		t.Errorf("openapi.json: %s", formatValidationError(e))
	}
	assert.True(t, ok)
	// Every $ref resolves: libopenapi builds the model with no error.
	d, err := libopenapi.NewDocument(web.OpenAPI())
	require.NoError(t, err)
	_, err = d.BuildV3Model()
	require.NoError(t, err, "building the model resolves every $ref")
}

// TestOpenAPIServed checks that the document is served without a token.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	srv, err := web.New(web.Deps{})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, web.OpenAPI(), rec.Body.Bytes())
	assert.True(t, json.Valid(rec.Body.Bytes()))
}

var (
	validatorOnce sync.Once
	validatorV    validator.Validator
	validatorErr  error
)

// openAPIValidator returns the validator of openapi.json, built once.
func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	validatorOnce.Do(func() {
		doc, err := libopenapi.NewDocument(web.OpenAPI())
		if err != nil {
			validatorErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			validatorErr = fmt.Errorf("build validator: %v", errs)
			return
		}
		validatorV = v
	})
	require.NoError(t, validatorErr)
	return validatorV
}

var validateMu sync.Mutex

// checkedAPI wraps the handler of a test server so that every /api/v1
// response is validated against openapi.json: its status must be
// described for the operation, and its JSON body must match the schema of
// that status. A successful request's JSON body is validated against the
// operation's request schema too. Set OPENAPI_CHECK=0 to turn it off.
func checkedAPI(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	if os.Getenv("OPENAPI_CHECK") == "0" {
		return h
	}
	v := openAPIValidator(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		reqBody, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		respBody := rec.Body.Bytes()

		vr := r.Clone(r.Context())
		vr.Body = io.NopCloser(bytes.NewReader(reqBody))
		vres := *res
		vres.Body = io.NopCloser(bytes.NewReader(respBody))
		var errs []string
		validateMu.Lock() // the validator's caches are shared by parallel tests
		_, verrs := v.ValidateHttpResponse(vr, &vres)
		reqOK := res.StatusCode < 300 && len(bytes.TrimSpace(reqBody)) > 0
		var rerrs []*verrors.ValidationError
		if reqOK {
			vr2 := r.Clone(r.Context())
			vr2.Body = io.NopCloser(bytes.NewReader(reqBody))
			if vr2.Header.Get("Content-Type") == "" {
				vr2.Header.Set("Content-Type", "application/json")
			}
			_, re := v.ValidateHttpRequestSync(vr2)
			rerrs = re
		}
		validateMu.Unlock()
		for _, e := range verrs {
			if unmatchedRoute(e, res.StatusCode) {
				continue
			}
			errs = append(errs, "response "+formatValidationError(e))
		}
		for _, e := range rerrs {
			if e.ValidationType == helpers.SecurityValidation || e.ValidationType == helpers.PathValidation {
				continue // authentication is the handler tests' business; unmatched paths are checked above
			}
			errs = append(errs, "request "+formatValidationError(e))
		}
		if len(errs) > 0 {
			t.Errorf("openapi.json does not describe %s %s → %d %s:\n  %s\n  request body: %.300s\n  response body: %.600s",
				r.Method, r.URL.Path, res.StatusCode, res.Header.Get("Content-Type"), strings.Join(errs, "\n  "), reqBody, respBody)
		}
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(respBody)
	})
}

// unmatchedRoute reports whether the error only says that no operation
// matches the request, which is right for a path or method the router
// does not have either (404 from the /api/ catch-all, 405 from the mux).
func unmatchedRoute(e *verrors.ValidationError, status int) bool {
	return e.ValidationType == helpers.PathValidation && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed)
}

func formatValidationError(e *verrors.ValidationError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Message, e.Reason)
	for _, s := range e.SchemaValidationErrors {
		fmt.Fprintf(&b, "\n    at %s: %s", s.FieldPath, s.Reason)
	}
	return b.String()
}
