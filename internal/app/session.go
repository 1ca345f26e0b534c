package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

// sessionCookie is the session cookie's name: with the __Host- prefix
// when served over HTTPS, so no subdomain can set or shadow it.
func (a *App) sessionCookie() string { return a.cookieName("cm_session") }

func (a *App) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: a.sessionCookie(), Value: secret, Path: "/",
		MaxAge: int(store.SessionMax.Seconds()), HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
}

func (a *App) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: a.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
}

// withSession resolves the session cookie, if any, into the signed-in
// person. An ended session clears the cookie; the page then asks to sign
// in again.
func (a *App) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(a.sessionCookie())
		if err != nil || c.Value == "" || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		u, _, err := a.db.SessionUser(r.Context(), c.Value)
		switch {
		case errors.Is(err, store.ErrNoSession):
			a.clearSessionCookie(w)
		case err != nil:
			a.renderError(w, r, err)
			return
		default:
			ctx := context.WithValue(r.Context(), userKey, u)
			ctx = context.WithValue(ctx, sessionKey, c.Value)
			inner := r.WithContext(ctx)
			next.ServeHTTP(w, inner)
			r.Pattern = inner.Pattern // the route the mux matched, for the request observer (metrics)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// signedIn wraps a page that needs a signed-in person allowed to perform
// act by the store's action table (anyone signed in when act is empty).
// Without a session it redirects to the sign-in page, which keeps the
// requested page in suite.
func (a *App) signedIn(act store.Action, h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return a.handle(func(w http.ResponseWriter, r *http.Request) error {
		u, ok := currentUser(r.Context())
		if !ok {
			to := "/connexion"
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				if s := r.URL.RequestURI(); s != "/" {
					to += "?suite=" + url.QueryEscape(s)
				}
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		}
		if act != "" && !u.Can(act) {
			return errForbidden
		}
		return h(w, r)
	})
}

// localPath returns s if it is a path of this site ("/demandes/12?x=1"),
// else "": the page to go to after sign-in must never lead elsewhere.
func localPath(s string) string {
	if s == "" || len(s) > 500 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	return s
}
