package web

import (
	"net/http"
)

// readyz answers 200 when the database answers and every migration of
// the binary is applied, else 503 with the reason: a load balancer sends
// no traffic to an instance that would fail its requests.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.Ping(r.Context()); err != nil {
		s.logger.ErrorContext(r.Context(), "Readiness check failed", "error", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "indisponible", "reason": "base de données injoignable"})
	}
	pending, err := s.db.PendingMigrations(r.Context())
	if err != nil {
		s.logger.ErrorContext(r.Context(), "Readiness check failed", "error", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "indisponible", "reason": "état des migrations illisible"})
	}
	if len(pending) > 0 {
		return writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "indisponible", "reason": "migrations non appliquées", "pending": pending})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
