package web

import (
	"net/http"

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

func (in packInput) pack() store.Pack {
	p := store.Pack{Code: in.Code, Label: in.Label, Status: store.PackStatus(in.Status), Notes: in.Notes, Version: in.Version}
	p.Items = make([]store.PackItem, len(in.Items))
	for i, it := range in.Items {
		p.Items[i] = store.PackItem{ID: it.ID, Kind: it.Kind, Label: it.Label, Serial: it.Serial}
	}
	return p
}

func (s *Server) createPack(w http.ResponseWriter, r *http.Request) error {
	var in packInput
	if err := decodeJSON(w, r, &in); err != nil {
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
	p := in.pack()
	p.ID = id
	p, err = s.db.UpdatePack(r.Context(), actor(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}
