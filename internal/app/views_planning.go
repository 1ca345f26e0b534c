package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
	"github.com/classemobile/classemobile/internal/store"
)

// planningPageSize is how many packs one page of the planning shows: the
// national data set (200 packs) pages, a town's few packs fit on one.
const planningPageSize = 25

// planningPage is the packs' planning of a school year (screen 11).
type planningPage struct {
	Layout
	SchoolYear string
	Grid       planning.Grid
	Periods    []option
	Sectors    []option
	Period     string
	Sector     string
	CSVHref    string
	PrevHref   string
	NextHref   string
	// Empty is true when no pack matches the filters.
	Empty bool
}

// planningQuery is the filters of the planning, from the query string.
type planningQuery struct {
	Year, Period, Sector string
	Page                 int
}

func (q planningQuery) values(page int) url.Values {
	v := url.Values{}
	v.Set("annee", q.Year)
	if q.Period != "" {
		v.Set("periode", q.Period)
	}
	if q.Sector != "" {
		v.Set("secteur", q.Sector)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// parsePlanningQuery reads ?annee=&periode=&secteur=&page=; a malformed
// year or page is a 400 page, never a 500.
func (a *App) parsePlanningQuery(r *http.Request) (planningQuery, error) {
	v := r.URL.Query()
	q := planningQuery{Year: v.Get("annee"), Period: v.Get("periode"), Sector: v.Get("secteur"), Page: 1}
	if q.Year == "" {
		q.Year = a.currentYear()
	}
	if !store.ValidSchoolYear(q.Year) {
		return q, &pageError{Status: http.StatusBadRequest, Title: "Année scolaire invalide",
			Message: nbsp(fmt.Sprintf("« %s » n'est pas une année scolaire (format attendu : 2026-2027).", q.Year))}
	}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return q, &pageError{Status: http.StatusBadRequest, Title: "Page invalide", Message: "Le numéro de page est un nombre à partir de 1."}
		}
		q.Page = n
	}
	if len(q.Period) > 10 || len(q.Sector) > 40 {
		return q, &pageError{Status: http.StatusBadRequest, Title: "Filtre invalide", Message: "Période ou secteur inconnu."}
	}
	return q, nil
}

// yearGrid lays out the grid for the signed-in person; the planning's own
// errors (unknown period, page out of range, year without calendar) are
// pages, not 500s.
func (a *App) yearGrid(r *http.Request, q planningQuery, opt planning.Options) (planning.Grid, error) {
	u, _ := currentUser(r.Context())
	g, err := a.db.YearGridFor(r.Context(), u, q.Year, calendar.ParisDate(a.now()), opt)
	var pe *planning.Error
	switch {
	case errors.As(err, &pe):
		return g, &pageError{Status: http.StatusBadRequest, Title: "Filtre invalide", Message: sentence(pe.Message), Back: "/planning", BackLabel: "Revenir au planning"}
	case errors.Is(err, calendar.ErrUnknownYear), errors.Is(err, calendar.ErrInvalidYear):
		return g, &pageError{Status: http.StatusNotFound, Title: "Calendrier inconnu",
			Message: nbsp(fmt.Sprintf("Le calendrier de l'année scolaire %s n'est pas connu (pas encore publié ou non importé).", q.Year)),
			Back:    "/planning", BackLabel: "Revenir au planning de l'année en cours"}
	}
	return g, err
}

func (a *App) planningPage(w http.ResponseWriter, r *http.Request) error {
	q, err := a.parsePlanningQuery(r)
	if err != nil {
		return err
	}
	g, err := a.yearGrid(r, q, planning.Options{Period: q.Period, Sector: q.Sector, PageSize: planningPageSize, Page: q.Page})
	if err != nil {
		return err
	}
	p := &planningPage{Layout: Layout{Title: "Planning des packs " + q.Year}, SchoolYear: q.Year, Grid: g,
		Period: q.Period, Sector: q.Sector, Empty: len(g.Rows) == 0}
	y, err := a.db.CalendarYear(r.Context(), q.Year)
	if err != nil {
		return err
	}
	for _, per := range y.Periods() {
		p.Periods = append(p.Periods, option{Value: per.ID, Label: per.ID + " · " + per.Label + " (" + planning.DateRange(per.First, per.Last) + ")",
			Selected: per.ID == q.Period})
	}
	sectors, err := a.db.ListSectors(r.Context())
	if err != nil {
		return err
	}
	for _, s := range sectors {
		p.Sectors = append(p.Sectors, option{Value: s.ID, Label: s.Name, Selected: s.ID == q.Sector})
	}
	p.CSVHref = "/planning.csv?" + q.values(1).Encode()
	if g.Page > 1 {
		p.PrevHref = "/planning?" + q.values(g.Page-1).Encode()
	}
	if g.Page < g.Pages {
		p.NextHref = "/planning?" + q.values(g.Page+1).Encode()
	}
	return a.render(w, r, http.StatusOK, "planning", p)
}

// planningCSV sends the whole grid (every page) for French Excel.
func (a *App) planningCSV(w http.ResponseWriter, r *http.Request) error {
	q, err := a.parsePlanningQuery(r)
	if err != nil {
		return err
	}
	g, err := a.yearGrid(r, q, planning.Options{Period: q.Period, Sector: q.Sector})
	if err != nil {
		return err
	}
	name := "planning-" + q.Year
	if q.Period != "" {
		name += "-" + q.Period
	}
	if q.Sector != "" {
		name += "-secteur"
	}
	sendCSVHeaders(w, name+".csv")
	_ = planning.WriteCSV(w, g) // headers are sent: a write error cannot reach the client
	return nil
}

// sendCSVHeaders starts a CSV download.
func sendCSVHeaders(w http.ResponseWriter, filename string) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, filename))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
