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

// schoolInput is the body of POST and PUT /schools.
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

// Validate reports every problem of the input, in French.
func (in *schoolInput) Validate() error {
	f := FieldErrors{}
	in.UAI = strings.ToUpper(strings.TrimSpace(in.UAI))
	in.Name = strings.TrimSpace(in.Name)
	if !store.ValidUAI(in.UAI) {
		f.Add("uai", "code UAI invalide : 7 chiffres suivis d'une lettre (ex. 0931234A)")
	}
	if in.Name == "" {
		f.Add("name", "le nom de l'école est obligatoire")
	}
	for field, v := range map[string]string{"name": in.Name, "kind": in.Kind, "address": in.Address, "postal_code": in.PostalCode, "city": in.City, "site": in.Site} {
		checkText(f, field, v, 200)
	}
	if in.Kind == "" {
		in.Kind = "elementaire"
	}
	switch in.PriorityEducation {
	case "", "REP", "REP+":
	default:
		f.Add("priority_education", "valeur attendue : vide, REP ou REP+")
	}
	if in.Latitude != nil && (*in.Latitude < -90 || *in.Latitude > 90) {
		f.Add("latitude", "latitude hors de [-90, 90]")
	}
	if in.Longitude != nil && (*in.Longitude < -180 || *in.Longitude > 180) {
		f.Add("longitude", "longitude hors de [-180, 180]")
	}
	return f.Err()
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
	if err := in.Validate(); err != nil {
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
	if err := in.Validate(); err != nil {
		return err
	}
	if in.UAI != r.PathValue("uai") {
		return FieldErrors{"uai": "le code UAI ne peut pas être modifié"}.Err()
	}
	if in.Version == 0 {
		return FieldErrors{"version": "la version lue est obligatoire pour une modification"}.Err()
	}
	school, err := s.db.UpdateSchool(r.Context(), actor(r), in.school())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, school)
}
