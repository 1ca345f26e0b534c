package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/observe"
	"github.com/classemobile/classemobile/internal/store"
)

// Error is an error with an HTTP status, a stable machine code and a French
// message safe to show to users. Handlers return it for every expected
// failure; anything else becomes a 500 whose cause only goes to the log.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields maps a request field to a French message about it.
	Fields map[string]string
	// Conflict names the loan, pack or request the refusal conflicts with.
	Conflict *store.Conflict
	// RetryAfter, in seconds, is sent as Retry-After when positive.
	RetryAfter int
	// Err is the cause, kept for the log and errors.Is.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (%d): %v", e.Code, e.Status, e.Err)
	}
	return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted French message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Common errors.
var (
	errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "Authentification requise : jeton d'accès absent, inconnu ou révoqué."}
	errForbidden       = &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Votre rôle ne permet pas cette action."}
	errNotFound        = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "Ressource introuvable."}
)

// FieldErrors collects French messages per field while parsing input; it
// is the store's, so that parse and rule errors read the same.
type FieldErrors = store.FieldErrors

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Conflict names what the refusal conflicts with (kind, id, name).
	Conflict *store.Conflict `json:"conflict,omitempty"`
	// RequestID identifies the request in the server's logs.
	RequestID string `json:"request_id,omitempty"`
}

// toError maps any error a handler returns to the error sent to the client.
// Store sentinels get their status here, in one place.
func toError(err error) *Error {
	var (
		we *Error
		re *store.RuleError
	)
	switch {
	case errors.As(err, &we):
		return we
	case errors.As(err, &re):
		return ruleError(re, err)
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "Ressource introuvable.", Err: err}
	case errors.Is(err, store.ErrStale):
		return &Error{Status: http.StatusConflict, Code: "stale_version", Message: "La ressource a été modifiée entre-temps : rechargez-la puis recommencez.", Err: err}
	case errors.Is(err, store.ErrPackUnavailable):
		return &Error{Status: http.StatusConflict, Code: "pack_unavailable", Message: "Le pack n'est pas disponible sur ces dates : il est déjà réservé.", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: "Conflit : cette ressource existe déjà ou a été modifiée en même temps.", Err: err}
	case errors.Is(err, store.ErrInvalidReference):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_reference", Message: "Une référence (école, pack, utilisateur…) n'existe pas ou est encore utilisée.", Err: err}
	case errors.Is(err, calendar.ErrInvalidDate), errors.Is(err, calendar.ErrInvalidYear),
		errors.Is(err, calendar.ErrUnknownYear), errors.Is(err, calendar.ErrWeekOutOfRange):
		// Bad input that reached the calendar without a rule naming it.
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_input", Message: "Données invalides : date, semaine ou année scolaire hors du calendrier.", Err: err}
	default:
		return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "Erreur interne du serveur. L'incident a été journalisé.", Err: err}
	}
}

// ruleStatus is the HTTP status of each kind of broken rule.
var ruleStatus = map[store.RuleKind]int{
	store.RuleInvalid:   http.StatusUnprocessableEntity,
	store.RuleConflict:  http.StatusConflict,
	store.RuleForbidden: http.StatusForbidden,
	store.RuleNotFound:  http.StatusNotFound,
}

// ruleError renders a broken rule of the store: its kind gives the status,
// its code, message and fields are sent as they are.
func ruleError(re *store.RuleError, err error) *Error {
	status, ok := ruleStatus[re.Kind]
	if !ok {
		status = http.StatusUnprocessableEntity
	}
	code := re.Code
	if re.Kind == store.RuleInvalid {
		// One code for every invalid input; the fields say what.
		code = store.InvalidCode
	}
	e := &Error{Status: status, Code: code, Message: re.Message, Conflict: re.Conflict, Err: err}
	switch {
	case len(re.FieldMessages) > 0:
		e.Fields = re.FieldMessages
	case re.Field != "":
		e.Fields = map[string]string{re.Field: re.Message}
	}
	return e
}

// handle adapts a handler that returns an error into an http.HandlerFunc
// that renders the error, so handlers just return.
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := toError(err)
	if e.Status >= 500 {
		s.logger.ErrorContext(r.Context(), "Request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else if e.Err != nil {
		s.logger.DebugContext(r.Context(), "Request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "error", e.Err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, Conflict: e.Conflict,
		RequestID: observe.RequestID(r.Context())}})
}

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // headers are sent: a write error cannot reach the client
	return nil
}
