package web

import (
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/internal/store"
)

func (s *Server) listPacks(w http.ResponseWriter, r *http.Request) error {
	packs, err := s.db.ListPacks(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"packs": packs})
}

func (s *Server) getPack(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.db.Pack(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// packInput is the body of POST and PUT /packs.
type packInput struct {
	Code    string          `json:"code"`
	Label   string          `json:"label"`
	Status  string          `json:"status"`
	Notes   string          `json:"notes"`
	Version int             `json:"version"`
	Items   []packItemInput `json:"items"`
}

type packItemInput struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Serial string `json:"serial"`
}

// Validate reports every problem of the input, in French.
func (in *packInput) Validate() error {
	f := FieldErrors{}
	in.Code = strings.TrimSpace(in.Code)
	if in.Code == "" {
		f.Add("code", "le code du pack est obligatoire")
	}
	checkText(f, "code", in.Code, 40)
	checkText(f, "label", in.Label, 200)
	checkText(f, "notes", in.Notes, 2000)
	switch store.PackStatus(in.Status) {
	case "", store.PackAvailable, store.PackMaintenance, store.PackRetired:
	default:
		f.Add("status", "statut attendu : available, maintenance ou retired")
	}
	if len(in.Items) > 200 {
		f.Add("items", "200 éléments au plus par pack")
	}
	serials := map[string]bool{}
	for i, it := range in.Items {
		field := "items[" + itoa(i) + "]"
		switch it.Kind {
		case store.ItemTablet, store.ItemChargingCase, store.ItemAccessPoint, store.ItemAccessory:
		default:
			f.Add(field+".kind", "type attendu : tablet, charging_case, access_point ou accessory")
		}
		if strings.TrimSpace(it.Label) == "" {
			f.Add(field+".label", "le libellé est obligatoire")
		}
		checkText(f, field+".label", it.Label, 200)
		checkText(f, field+".serial", it.Serial, 100)
		if it.Serial != "" {
			if serials[it.Serial] {
				f.Add(field+".serial", "numéro de série en double dans le pack")
			}
			serials[it.Serial] = true
		}
	}
	return f.Err()
}

func (in packInput) pack() store.Pack {
	p := store.Pack{Code: in.Code, Label: in.Label, Status: store.PackStatus(in.Status), Notes: in.Notes, Version: in.Version}
	p.Items = make([]store.PackItem, len(in.Items))
	for i, it := range in.Items {
		p.Items[i] = store.PackItem{ID: it.ID, Kind: it.Kind, Label: strings.TrimSpace(it.Label), Serial: strings.TrimSpace(it.Serial)}
	}
	return p
}

func (s *Server) createPack(w http.ResponseWriter, r *http.Request) error {
	var in packInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	p, err := s.db.CreatePack(r.Context(), actor(r), in.pack())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) updatePack(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in packInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if in.Version == 0 {
		return FieldErrors{"version": "la version lue est obligatoire pour une modification"}.Err()
	}
	p := in.pack()
	p.ID = id
	if in.Status == "" {
		p.Status = store.PackAvailable
	}
	p, err = s.db.UpdatePack(r.Context(), actor(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
