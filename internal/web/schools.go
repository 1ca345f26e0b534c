package web

import (
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, currentUser(r))
}

func (s *Server) listSchools(w http.ResponseWriter, r *http.Request) error {
	schools, err := s.db.ListSchools(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"schools": schools})
}

func (s *Server) getSchool(w http.ResponseWriter, r *http.Request) error {
	school, err := s.db.School(r.Context(), r.PathValue("uai"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, school)
}

func (s *Server) listSectors(w http.ResponseWriter, r *http.Request) error {
	sectors, err := s.db.ListSectors(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sectors": sectors})
}

// schoolInput is the body of POST and PUT /schools; the store checks it
// (store.School.Validate).
type schoolInput struct {
	UAI               string   `json:"uai"`
	Name              string   `json:"name"`
	Kind              string   `json:"kind"`
	Address           string   `json:"address"`
	PostalCode        string   `json:"postal_code"`
	City              string   `json:"city"`
	SectorID          string   `json:"sector_id"`
	Site              string   `json:"site"`
	Latitude          *float64 `json:"latitude"`
	Longitude         *float64 `json:"longitude"`
	PriorityEducation string   `json:"priority_education"`
	Version           int      `json:"version"`
}

func (in schoolInput) school() store.School {
	return store.School{UAI: in.UAI, Name: in.Name, Kind: in.Kind, Address: in.Address, PostalCode: in.PostalCode,
		City: in.City, SectorID: in.SectorID, Site: in.Site, Latitude: in.Latitude, Longitude: in.Longitude,
		PriorityEducation: in.PriorityEducation, Version: in.Version}
}

func (s *Server) createSchool(w http.ResponseWriter, r *http.Request) error {
	var in schoolInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	school, err := s.db.CreateSchool(r.Context(), actor(r), in.school())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, school)
}

func (s *Server) updateSchool(w http.ResponseWriter, r *http.Request) error {
	var in schoolInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.UAI == "" {
		in.UAI = r.PathValue("uai")
	}
	if !strings.EqualFold(strings.TrimSpace(in.UAI), r.PathValue("uai")) {
		return FieldErrors{"uai": "le code UAI ne peut pas être modifié"}.Err()
	}
	school, err := s.db.UpdateSchool(r.Context(), actor(r), in.school())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, school)
}
