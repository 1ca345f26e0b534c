package web

import (
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// maintenanceInput is the body of POST /api/v1/packs/{id}/maintenance:
// the pack is away from first_day to last_day, both included.
type maintenanceInput struct {
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
	Reason   string `json:"reason"`
}

// decode parses the dates: the store checks them and the reason.
func (in *maintenanceInput) decode(packID int64) (store.NewMaintenance, error) {
	f := FieldErrors{}
	out := store.NewMaintenance{PackID: packID, Reason: in.Reason}
	var err error
	if out.FirstDay, err = calendar.ParseDate(strings.TrimSpace(in.FirstDay)); err != nil {
		f.Add("first_day", "date attendue au format AAAA-MM-JJ")
	}
	if out.LastDay, err = calendar.ParseDate(strings.TrimSpace(in.LastDay)); err != nil {
		f.Add("last_day", "date attendue au format AAAA-MM-JJ (dernier jour inclus)")
	}
	return out, f.Err()
}

// listPackMaintenance: GET /api/v1/packs/{id}/maintenance.
func (s *Server) listPackMaintenance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.db.Pack(r.Context(), id); err != nil {
		return err
	}
	list, err := s.db.ListMaintenance(r.Context(), store.MaintenanceFilter{PackID: id})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"pack_id": id, "maintenance": list})
}

// listMaintenance: GET /api/v1/maintenance[?from=YYYY-MM-DD&to=YYYY-MM-DD],
// the windows of every pack meeting those days.
func (s *Server) listMaintenance(w http.ResponseWriter, r *http.Request) error {
	var f store.MaintenanceFilter
	fe := FieldErrors{}
	for _, p := range []struct {
		name string
		dst  *calendar.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			d, err := calendar.ParseDate(v)
			if err != nil {
				fe.Add(p.name, "date attendue au format AAAA-MM-JJ")
			}
			*p.dst = d
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	list, err := s.db.ListMaintenance(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"maintenance": list})
}

// createMaintenance: POST /api/v1/packs/{id}/maintenance.
func (s *Server) createMaintenance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in maintenanceInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	nm, err := in.decode(id)
	if err != nil {
		return err
	}
	m, err := s.db.CreateMaintenance(r.Context(), actor(r), nm)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

// deleteMaintenance: DELETE /api/v1/packs/{id}/maintenance/{mid}.
func (s *Server) deleteMaintenance(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(r, "mid")
	if err != nil {
		return err
	}
	m, err := s.db.DeleteMaintenance(r.Context(), actor(r), id, mid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"maintenance": m})
}
