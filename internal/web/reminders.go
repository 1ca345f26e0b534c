package web

import (
	"errors"
	"net/http"

	"github.com/classemobile/classemobile/internal/store"
)

// listReminders serves GET /api/v1/reminders?loan=&status=&after=&limit=:
// the reminder ledger, for the coordinator (failed deliveries, skipped
// reminders and their reasons).
func (s *Server) listReminders(w http.ResponseWriter, r *http.Request) error {
	f := store.ReminderFilter{Status: store.ReminderStatus(r.URL.Query().Get("status"))}
	if f.Status != "" && !f.Status.Valid() {
		e := Errorf(http.StatusBadRequest, "invalid_query", "Paramètre status invalide : pending, sent, failed ou skipped attendu.")
		e.Fields = map[string]string{"status": "pending, sent, failed ou skipped attendu"}
		return e
	}
	loan, ok, err := queryInt(r, "loan")
	if err != nil {
		return err
	}
	if ok && loan <= 0 {
		return badQuery("loan", "identifiant de prêt positif attendu")
	}
	f.LoanID = loan
	after, _, err := queryInt(r, "after")
	if err != nil {
		return err
	}
	if after < 0 {
		return badQuery("after", "identifiant positif attendu")
	}
	f.AfterID = after
	limit, ok, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if ok && (limit < 1 || limit > 1000) {
		return badQuery("limit", "nombre entre 1 et 1000 attendu")
	}
	f.Limit = int(limit)
	if f.Limit == 0 {
		f.Limit = 200
	}
	rs, err := s.db.ListReminders(r.Context(), f)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []store.Reminder{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reminders": rs})
}

func badQuery(name, msg string) *Error {
	e := Errorf(http.StatusBadRequest, "invalid_query", "Paramètre %s invalide : %s.", name, msg)
	e.Fields = map[string]string{name: msg}
	return e
}

// retryReminder serves POST /api/v1/reminders/{id}/retry: a failed
// reminder goes back to pending, attempts reset, for the next run.
func (s *Server) retryReminder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rem, err := s.db.RetryReminder(r.Context(), actor(r), id)
	if errors.Is(err, store.ErrConflict) {
		return &Error{Status: http.StatusConflict, Code: "reminder_not_failed",
			Message: "Seul un rappel en échec peut être relancé : celui-ci est en attente, envoyé ou ignoré.", Err: err}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rem)
}
