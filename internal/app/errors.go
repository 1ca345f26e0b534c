package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

// pageError is an expected failure shown as a French error page.
type pageError struct {
	Status  int
	Title   string
	Message string
	// Conflict explains a 409: what the page tried and what stands in
	// the way.
	Conflict string
	// Back is a link to offer ("/demandes/12"), with BackLabel.
	Back, BackLabel string
	Err             error
}

func (e *pageError) Error() string {
	if e.Err != nil {
		return e.Title + ": " + e.Err.Error()
	}
	return e.Title
}

func (e *pageError) Unwrap() error { return e.Err }

// invalidForm asks the adapter to render a form again with its field
// errors, status 422.
type invalidForm struct {
	Page string
	Data page
}

func (e *invalidForm) Error() string { return "invalid form " + e.Page }

// Common page errors.
var (
	errForbidden = &pageError{Status: http.StatusForbidden, Title: "Accès refusé",
		Message: "Votre rôle ne donne pas accès à cette page. Si vous pensez que c'est une erreur, contactez la coordination du projet."}
	errNotFound = &pageError{Status: http.StatusNotFound, Title: "Page introuvable",
		Message: "Cette page n'existe pas, ou elle ne vous est pas accessible."}
	errCrossOrigin = &pageError{Status: http.StatusForbidden, Title: "Envoi refusé",
		Message: "Ce formulaire a été envoyé depuis un autre site\u00a0: il a été refusé. Ouvrez la page dans classemobile et recommencez."}
)

// errorPage is the data of the error page.
type errorPage struct {
	Layout
	Status    int
	Message   string
	Conflict  string
	Reference string
	Back      string
	BackLabel string
}

// handle adapts a handler that returns an error: the adapter renders
// errors, so handlers just return them.
func (a *App) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.renderError(w, r, err)
		}
	})
}

// toPageError maps the errors handlers return to the page shown; store
// errors get their status here, in one place.
func toPageError(err error) *pageError {
	var pe *pageError
	var we *web.Error
	if errors.As(err, &pe) {
		return pe
	}
	if re, ok := store.AsRule(err); ok {
		switch re.Kind {
		case store.RuleNotFound:
			return &pageError{Status: http.StatusNotFound, Title: errNotFound.Title, Message: errNotFound.Message, Err: err}
		case store.RuleForbidden:
			return &pageError{Status: http.StatusForbidden, Title: "Action refusée", Message: sentence(re.Message), Err: err}
		case store.RuleInvalid:
			return &pageError{Status: http.StatusUnprocessableEntity, Title: "Données à corriger", Message: sentence(re.Message), Err: err}
		default:
			return &pageError{Status: http.StatusConflict, Title: "Action impossible", Message: "L'action n'a pas été faite.",
				Conflict: sentence(re.Message), Err: err}
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &pageError{Status: http.StatusNotFound, Title: errNotFound.Title, Message: errNotFound.Message, Err: err}
	case errors.Is(err, store.ErrStale):
		return &pageError{Status: http.StatusConflict, Title: "Modifiée entre-temps", Message: "L'action n'a pas été faite.",
			Conflict: "Quelqu'un a modifié cette demande pendant que vous la consultiez. Rechargez la page pour voir son état actuel, puis recommencez.", Err: err}
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrPackUnavailable):
		return &pageError{Status: http.StatusConflict, Title: "Conflit", Message: "L'action n'a pas été faite.",
			Conflict: "Elle entre en conflit avec une donnée enregistrée entre-temps. Rechargez la page puis recommencez.", Err: err}
	case errors.As(err, &we) && we.Status < 500:
		return &pageError{Status: we.Status, Title: http.StatusText(we.Status), Message: we.Message, Err: err}
	}
	return &pageError{Status: http.StatusInternalServerError, Title: "Erreur du serveur",
		Message: "Une erreur imprévue s'est produite\u00a0; rien n'a été enregistré pour cette action. Réessayez dans un instant\u00a0; si elle persiste, transmettez la référence ci-dessous à la coordination du projet.", Err: err}
}

// sentence capitalises a store message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return nbsp(s)
}

// nbsp puts the non-breaking space French wants before ; : ! ? and
// inside « ».
func nbsp(s string) string {
	return frenchSpaces.Replace(s)
}

var frenchSpaces = strings.NewReplacer(" :", "\u00a0:", " ;", "\u00a0;", " !", "\u00a0!", " ?", "\u00a0?",
	"«\u00a0", "«\u00a0", "\u00a0»", "\u00a0»")

// renderError renders err as a French page; a 500 gets a reference, logged
// with its cause.
func (a *App) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var inv *invalidForm
	if errors.As(err, &inv) {
		if rerr := a.render(w, r, http.StatusUnprocessableEntity, inv.Page, inv.Data); rerr != nil {
			a.renderError(w, r, rerr)
		}
		return
	}
	pe := toPageError(err)
	p := &errorPage{Layout: Layout{Title: pe.Title}, Status: pe.Status, Message: nbsp(pe.Message), Conflict: nbsp(pe.Conflict),
		Back: pe.Back, BackLabel: pe.BackLabel}
	if pe.Status >= 500 {
		// The request id, when the observer gave one, is the reference: the
		// same as in the X-Request-Id header and the access log line.
		if p.Reference = observe.RequestID(r.Context()); p.Reference == "" {
			b := make([]byte, 6)
			rand.Read(b)
			p.Reference = hex.EncodeToString(b)
		}
		a.logger.ErrorContext(r.Context(), "Page failed", "method", r.Method, "path", r.URL.Path, "reference", p.Reference, "error", err)
	} else if pe.Err != nil {
		a.logger.DebugContext(r.Context(), "Page refused", "method", r.Method, "path", r.URL.Path, "status", pe.Status, "error", pe.Err)
	}
	if rerr := a.render(w, r, pe.Status, "error", p); rerr != nil {
		a.logger.ErrorContext(r.Context(), "Error page failed", "error", rerr)
		http.Error(w, "Erreur interne du serveur.", http.StatusInternalServerError)
	}
}
