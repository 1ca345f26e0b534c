package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/classemobile/classemobile/internal/notify"
	"github.com/classemobile/classemobile/internal/store"
)

// signInPage is the e-mail form (GET /connexion) and the page that says a
// link was sent (GET /connexion/envoye).
type signInPage struct {
	Layout
	Email string
	Suite string
	Sent  bool
}

// linkPage shows the « Se connecter » button of a sign-in link: opening
// the link does nothing, so mail scanners that open links cannot spend it.
type linkPage struct {
	Layout
	Token string
	Suite string
}

func (a *App) signInForm(w http.ResponseWriter, r *http.Request) error {
	suite := localPath(r.URL.Query().Get("suite"))
	if _, ok := currentUser(r.Context()); ok {
		return a.redirect(w, r, orHome(suite), "")
	}
	return a.render(w, r, http.StatusOK, "signin", &signInPage{Layout: Layout{Title: "Connexion"}, Suite: suite})
}

func orHome(suite string) string {
	if suite == "" {
		return "/"
	}
	return suite
}

// parseEmail checks an address typed in a form; it returns the address in
// lower case, or a French message.
func parseEmail(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", "Saisissez votre adresse électronique."
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", "Saisissez une adresse électronique complète, par exemple prenom.nom@ac-creteil.fr."
	}
	return s, ""
}

// clientIP is the client's address as the listener sees it. A proxy in
// front would need its own trusted header; none is trusted here.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *App) signInSend(w http.ResponseWriter, r *http.Request) error {
	suite := localPath(r.PostFormValue("suite"))
	email, problem := parseEmail(r.PostFormValue("email"))
	if problem != "" {
		p := &signInPage{Layout: Layout{Title: "Connexion", Errors: []FieldError{{Field: "email", Label: "Adresse électronique", Message: problem}}},
			Email: r.PostFormValue("email"), Suite: suite}
		return &invalidForm{Page: "signin", Data: p}
	}
	link, err := a.db.RequestLoginLink(r.Context(), email, clientIP(r))
	switch {
	case errors.Is(err, store.ErrRateLimited):
		a.metrics.SignIn("link", "rate_limited")
		return &pageError{Status: http.StatusTooManyRequests, Title: "Trop de demandes",
			Message: fmt.Sprintf("Trop de liens de connexion ont été demandés en peu de temps. Attendez %d minutes, puis recommencez\u00a0; le dernier lien reçu reste valable 15 minutes.", int(store.LoginWindow.Minutes())),
			Back:    "/connexion", BackLabel: "Revenir à la connexion"}
	case errors.Is(err, store.ErrNotFound):
		// Same answer as for a known address.
		a.metrics.SignIn("link", "unknown")
	case err != nil:
		return err
	default:
		a.metrics.SignIn("link", "sent")
		a.sendSignInLink(link, suite)
	}
	to := "/connexion/envoye"
	if suite != "" {
		to += "?suite=" + url.QueryEscape(suite)
	}
	return a.redirect(w, r, to, "")
}

func (a *App) signInSent(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "signin", &signInPage{Layout: Layout{Title: "Lien envoyé"}, Sent: true,
		Suite: localPath(r.URL.Query().Get("suite"))})
}

// SignInURL returns the link that signs a person in with token, then opens
// suite (a local path, or "" for the home page).
func (a *App) SignInURL(token, suite string) string {
	return SignInURL(a.baseURL, token, suite)
}

// SignInURL returns BASE_URL/connexion/lien?jeton=T[&suite=S].
func SignInURL(baseURL, token, suite string) string {
	q := url.Values{"jeton": {token}}
	if s := localPath(suite); s != "" {
		q.Set("suite", s)
	}
	return strings.TrimRight(baseURL, "/") + "/connexion/lien?" + q.Encode()
}

// sendSignInLink e-mails the link in the background: the page answers at
// once, in the same time whether the address exists or not.
func (a *App) sendSignInLink(link store.LoginLink, suite string) {
	u := a.SignInURL(link.Token, suite)
	exp := link.ExpiresAt.In(a.loc)
	text := fmt.Sprintf("Bonjour %s,\n\n"+
		"Pour vous connecter à classemobile (%s), ouvrez ce lien puis appuyez sur «\u00a0Se connecter\u00a0»\u00a0:\n\n%s\n\n"+
		"Ce lien ne sert qu'une fois et reste valable 15 minutes, jusqu'à %s.\n"+
		"Si vous n'avez pas demandé à vous connecter, ignorez ce message\u00a0: personne ne peut se connecter sans ce lien.\n",
		link.User.Name, a.town, u, frenchTime(exp))
	msg := notify.Message{
		To:        []notify.Address{{Name: link.User.Name, Email: link.User.Email}},
		Subject:   "Votre lien de connexion à classemobile",
		Text:      text,
		MessageID: fmt.Sprintf("connexion-%d-%d@classemobile", link.User.ID, exp.UnixNano()),
		Date:      a.now(),
	}
	a.mailWG.Add(1)
	go func() {
		defer a.mailWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.mailer.Send(ctx, msg); err != nil {
			a.logger.Error("Sign-in link not sent", "user_id", link.User.ID, "error", err)
		}
	}()
}

func (a *App) signInLink(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &linkPage{Layout: Layout{Title: "Se connecter"}, Token: q.Get("jeton"), Suite: localPath(q.Get("suite"))}
	if p.Token == "" || len(p.Token) > 100 {
		return &pageError{Status: http.StatusBadRequest, Title: "Lien incomplet",
			Message: "Ce lien de connexion est incomplet. Copiez-le en entier depuis le message reçu, ou demandez un nouveau lien.",
			Back:    "/connexion", BackLabel: "Recevoir un nouveau lien"}
	}
	return a.render(w, r, http.StatusOK, "signin_link", p)
}

func (a *App) signInConsume(w http.ResponseWriter, r *http.Request) error {
	token, suite := r.PostFormValue("jeton"), localPath(r.PostFormValue("suite"))
	back := "/connexion"
	if suite != "" {
		back += "?suite=" + url.QueryEscape(suite)
	}
	if token == "" || len(token) > 100 {
		return &pageError{Status: http.StatusBadRequest, Title: "Lien incomplet",
			Message: "Ce lien de connexion est incomplet. Demandez un nouveau lien.", Back: back, BackLabel: "Recevoir un nouveau lien"}
	}
	_, secret, u, err := a.db.ConsumeLoginToken(r.Context(), token, r.UserAgent())
	if errors.Is(err, store.ErrLoginTokenInvalid) {
		a.metrics.SignIn("token", "refused")
		return &pageError{Status: http.StatusGone, Title: "Lien expiré ou déjà utilisé",
			Message: "Ce lien de connexion n'est plus valable\u00a0: un lien ne sert qu'une fois et expire au bout de 15 minutes. Demandez-en un nouveau\u00a0; il arrive en quelques instants.",
			Back:    back, BackLabel: "Recevoir un nouveau lien"}
	}
	if err != nil {
		return err
	}
	if old, ok := r.Context().Value(sessionKey).(string); ok {
		if err := a.db.RevokeSession(r.Context(), old); err != nil {
			return err
		}
	}
	a.setSessionCookie(w, secret)
	a.metrics.SignIn("token", "ok")
	return a.redirect(w, r, orHome(suite), "Bonjour "+u.Name+", vous êtes connecté·e.")
}

func (a *App) signOut(w http.ResponseWriter, r *http.Request) error {
	if secret, ok := r.Context().Value(sessionKey).(string); ok {
		if err := a.db.RevokeSession(r.Context(), secret); err != nil {
			return err
		}
	}
	a.clearSessionCookie(w)
	a.metrics.SignIn("session", "signed_out")
	return a.redirect(w, r, "/connexion", "Vous êtes déconnecté·e. À bientôt\u00a0!")
}
