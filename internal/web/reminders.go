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
	var err error
	if f.LoanID, _, err = queryInt(r, "loan"); err != nil {
		return err
	}
	if f.AfterID, _, err = queryInt(r, "after"); err != nil {
		return err
	}
	limit, _, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	f.Limit = int(min(max(limit, -1), store.MaxReminderPage+1))
	rs, err := s.db.ListRemindersPage(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"reminders": rs})
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
