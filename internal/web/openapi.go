package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of /api/v1: every route with
// the action it performs and the roles allowed (x-action, x-roles), its
// bodies, the error shape and codes, and the French labels of the states.
// Tests check it against the router, the store's table of actions × roles
// and the responses of the handler tests.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openAPIDoc }

// getOpenAPI answers GET /api/v1/openapi.json. It needs no token: it
// describes the API, not its data, and clients read it before they have
// one.
func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDoc) // headers are sent: a write error cannot reach the client
	return nil
}
