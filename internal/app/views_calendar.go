package app

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// calendarImportPage uploads the official school calendar, previews what
// it changes, and applies it.
type calendarImportPage struct {
	Layout
	Location string
	Preview  *store.CalendarImportPreview
	Changes  []calendarChangeView
	// Data is the holidays read from the file, re-posted by « Appliquer ».
	Data   string
	Source string
}

type calendarChangeView struct {
	Year, Description, Kind, Before, After string
}

var calendarKindLabels = map[store.CalendarChangeKind]string{
	store.CalendarAdded: "ajoutée", store.CalendarChanged: "dates changées",
	store.CalendarRemoved: "supprimée", store.CalendarUnchanged: "inchangée",
}

func (a *App) calendarImportForm(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, r, http.StatusOK, "admin_calendar", &calendarImportPage{Layout: Layout{Title: "Calendrier scolaire"}, Location: calendar.DefaultLocation})
}

func (a *App) calendarImportPreview(w http.ResponseWriter, r *http.Request) error {
	data, problem := readImportFile(w, r)
	location := strings.TrimSpace(r.FormValue("academie"))
	if location == "" {
		location = calendar.DefaultLocation
	}
	p := &calendarImportPage{Layout: Layout{Title: "Calendrier scolaire"}, Location: location}
	var hs []calendar.Holiday
	if problem == "" {
		var err error
		if hs, err = calendar.ParseOfficial(bytes.NewReader(data), location); err != nil {
			problem = "Ce fichier n'est pas l'export officiel du calendrier scolaire (fr-en-calendrier-scolaire, séparé par des « ; »)."
		} else if len(hs) == 0 {
			problem = "Le fichier n'a aucune période de vacances pour l'académie « " + location + " »."
		}
	}
	if problem != "" {
		p.Errors = []FieldError{{Field: "fichier", Label: "Fichier", Message: nbsp(problem)}}
		return &invalidForm{Page: "admin_calendar", Data: p}
	}
	prev, err := a.db.PreviewCalendarImport(r.Context(), hs)
	if err != nil {
		return err
	}
	p.Preview = &prev
	for _, c := range prev.Changes {
		p.Changes = append(p.Changes, calendarChangeView{Year: c.SchoolYear, Description: c.Description, Kind: calendarKindLabels[c.Kind], Before: c.Before, After: c.After})
	}
	raw, err := json.Marshal(hs)
	if err != nil {
		return err
	}
	p.Data = base64.StdEncoding.EncodeToString(raw)
	if _, hdr, err := r.FormFile("fichier"); err == nil {
		p.Source = hdr.Filename
	}
	return a.render(w, r, http.StatusOK, "admin_calendar", p)
}

func (a *App) calendarImportApply(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	var hs []calendar.Holiday
	raw, err := base64.StdEncoding.DecodeString(r.PostFormValue("donnees"))
	if err == nil {
		err = json.Unmarshal(raw, &hs)
	}
	if err != nil || len(hs) == 0 {
		return &pageError{Status: http.StatusBadRequest, Title: "Calendrier manquant", Message: "Le calendrier à appliquer n'a pas été reçu. Importez le fichier de nouveau.",
			Back: "/admin/calendrier", BackLabel: "Importer le calendrier"}
	}
	source := r.PostFormValue("source")
	if source == "" || len(source) > 200 {
		source = "fichier importé depuis l'administration"
	}
	years, err := a.db.ApplyCalendarImport(r.Context(), actor(r), source, hs)
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/calendrier", "Calendrier importé pour "+strings.Join(years, ", ")+".")
}
