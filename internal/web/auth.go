package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/classemobile/classemobile/internal/store"
)

type ctxKey int

const userKey ctxKey = 0

// authenticate resolves the Bearer token into a user for every /api/v1
// request; the handler runs only with a valid token.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="classemobile"`)
			s.writeError(w, r, errUnauthenticated)
			return
		}
		u, err := s.db.UserByToken(r.Context(), token)
		if errors.Is(err, store.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="classemobile", error="invalid_token"`)
			s.writeError(w, r, errUnauthenticated)
			return
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// currentUser returns the authenticated user of a request.
func currentUser(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}

// actor returns the audit actor of a request.
func actor(r *http.Request) store.Actor {
	return store.Actor{UserID: currentUser(r).ID}
}

// allow wraps a handler so that only the people whose roles may perform
// the action (store.Allowed, the table of actions × roles) reach it; every
// route names its action, so a route without allow is unreachable (deny
// by default).
func (s *Server) allow(act store.Action, h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return &allowed{act: act, next: s.checkPathValues(s.authenticate(s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if !currentUser(r).Can(act) {
			return errForbidden
		}
		return h(w, r)
	})))}
}

// allowed is a route behind allow: it keeps its action so that the router
// can list who may call each route (see Server.Routes).
type allowed struct {
	act  store.Action
	next http.Handler
}

func (a *allowed) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.next.ServeHTTP(w, r) }
