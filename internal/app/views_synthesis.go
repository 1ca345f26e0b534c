package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/web"
)

// synthesisPage is the synthèse of a school year (screen 8): the
// validated requests with their resource impact, the loans, the
// assessments, and the CSV exports.
type synthesisPage struct {
	Layout
	SchoolYear string
	Syn        store.Synthesis
	Rows       []synthesisRowView
	Sectors    []option
	Periods    []option
	Sector     string
	Period     string
	Filtered   bool
	// RowCount counts the rows matching the filters; Page is the page of
	// rows shown.
	RowCount           int
	Page               int
	PrevHref, NextHref string
	// Loans are the first loans of the year (MoreLoans counts the others,
	// in the planning and its CSV).
	Loans     []synthesisLoanView
	MoreLoans int
	// CanAssessments is true for the people who read the assessments;
	// Assessments are then listed.
	CanAssessments bool
	Assessments    []assessmentView
	CSVHref        string
	AssessCSVHref  string
}

// synthesisPageSize is how many requests (and loans) the synthèse lists
// on one page.
const synthesisPageSize = 100

// synthesisRowView is one validated request of the synthèse.
type synthesisRowView struct {
	RequestID   int64
	Title       string
	School      string
	Sector      string
	Teacher     string
	Class       string
	Pupils      int
	Packs       int
	PacksReason string
	Preferred   string
	Excluded    string
	Eligibility string
	Opinions    string
	Override    string
}

// synthesisLoanView is one loan of the synthèse.
type synthesisLoanView struct {
	ID        int64
	RequestID int64
	Title     string
	School    string
	Packs     string
	Dates     string
	State     string
}

// assessmentView is one assessment of the synthèse.
type assessmentView struct {
	RequestID  int64
	Title      string
	School     string
	ApplyAgain string
	Updated    string
}

// syntheseYear reads ?annee= (the current school year by default).
func (a *App) syntheseYear(r *http.Request) (string, error) {
	year := r.URL.Query().Get("annee")
	if year == "" {
		year = a.currentYear()
	}
	if !store.ValidSchoolYear(year) {
		return "", &pageError{Status: http.StatusBadRequest, Title: "Année scolaire invalide",
			Message: nbsp(fmt.Sprintf("« %s » n'est pas une année scolaire (format attendu : 2026-2027).", year))}
	}
	return year, nil
}

// synthesis builds the store's synthesis of a year.
func (a *App) synthesis(r *http.Request, year string) (store.Synthesis, error) {
	return a.db.Synthesis(r.Context(), year)
}

func (a *App) synthesisPage(w http.ResponseWriter, r *http.Request) error {
	u, _ := currentUser(r.Context())
	year, err := a.syntheseYear(r)
	if err != nil {
		return err
	}
	syn, err := a.synthesis(r, year)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := &synthesisPage{Layout: Layout{Title: "Synthèse " + year}, SchoolYear: year, Syn: syn,
		Sector: q.Get("secteur"), Period: q.Get("periode"), CanAssessments: u.Can(store.ActAssessmentRead)}
	for _, s := range syn.Sectors {
		p.Sectors = append(p.Sectors, option{Value: s.SectorID, Label: s.Name, Selected: s.SectorID == p.Sector})
	}
	for _, per := range syn.Periods {
		p.Periods = append(p.Periods, option{Value: per.PeriodID, Label: per.PeriodID + " · " + per.Label, Selected: per.PeriodID == p.Period})
	}
	p.Filtered = p.Sector != "" || p.Period != ""
	var rows []store.SynthesisRow
	for _, row := range syn.Rows {
		if (p.Sector != "" && row.SectorID != p.Sector) || (p.Period != "" && !slices.Contains(row.PreferredPeriods, p.Period)) {
			continue
		}
		rows = append(rows, row)
	}
	p.RowCount = len(rows)
	// A national year has thousands of rows: the page shows them by
	// pages, the CSV has them all.
	p.Page = 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && (n-1)*synthesisPageSize < len(rows) {
		p.Page = n
	}
	from := (p.Page - 1) * synthesisPageSize
	for _, row := range rows[from:min(from+synthesisPageSize, len(rows))] {
		p.Rows = append(p.Rows, synthesisRowOf(row))
	}
	v := url.Values{"annee": {year}}
	p.CSVHref = "/synthese/synthese.csv?" + v.Encode()
	p.AssessCSVHref = "/synthese/bilans.csv?" + v.Encode()
	pageHref := func(n int) string {
		w := url.Values{"annee": {year}}
		if p.Sector != "" {
			w.Set("secteur", p.Sector)
		}
		if p.Period != "" {
			w.Set("periode", p.Period)
		}
		w.Set("page", strconv.Itoa(n))
		return "/synthese?" + w.Encode() + "#demandes"
	}
	if p.Page > 1 {
		p.PrevHref = pageHref(p.Page - 1)
	}
	if p.Page*synthesisPageSize < len(rows) {
		p.NextHref = pageHref(p.Page + 1)
	}

	loans, err := a.db.ListLoansFor(r.Context(), u, store.LoanFilter{SchoolYear: year})
	if err != nil {
		return err
	}
	if len(loans) > synthesisPageSize {
		p.MoreLoans = len(loans) - synthesisPageSize
		loans = loans[:synthesisPageSize]
	}
	for _, l := range loans {
		p.Loans = append(p.Loans, synthesisLoanView{ID: l.ID, RequestID: l.RequestID, Title: l.RequestTitle, School: l.SchoolName,
			Packs: strings.Join(l.PackCodes(), ", "), State: l.State.Label(),
			Dates: "du " + l.PickupDay.French(calendar.FrenchLong) + " au " + l.ReturnDay.French(calendar.FrenchLong)})
	}
	if p.CanAssessments {
		entries, err := a.db.ListAssessments(r.Context(), year)
		if err != nil {
			return err
		}
		for _, e := range entries {
			again := "non"
			if e.Assessment.ApplyAgain {
				again = "oui"
			}
			p.Assessments = append(p.Assessments, assessmentView{RequestID: e.Loan.RequestID, Title: e.Loan.RequestTitle,
				School: e.Loan.SchoolName, ApplyAgain: again, Updated: frenchDate(e.Assessment.UpdatedAt.In(a.loc))})
		}
	}
	return a.render(w, r, http.StatusOK, "synthese", p)
}

// referentShort names the referents in the synthèse's opinions column.
var referentShort = map[store.Role]string{store.RoleInspection: "IEN", store.RoleIT: "DSI", store.RoleEducation: "Éducation"}

func synthesisRowOf(row store.SynthesisRow) synthesisRowView {
	var ops []string
	for _, role := range store.ReferentRoles {
		label := referentShort[role] + "\u00a0: "
		if o, ok := row.Opinions[role]; ok {
			label += o.Verdict.Label()
		} else {
			label += "pas d'avis"
		}
		ops = append(ops, label)
	}
	elig := strconv.Itoa(row.ParticipationYear)
	if row.ParticipationYear == 1 {
		elig += "re année de participation"
	} else {
		elig += "e année de participation"
	}
	elig += " ; formation : " + row.Training.Status.Label()
	if row.OtherPartnerScheme {
		elig += " ; autre dispositif partenarial"
	}
	return synthesisRowView{RequestID: row.RequestID, Title: row.Title, School: row.SchoolName, Sector: row.SectorName,
		Teacher: row.TeacherName, Class: strings.Join(row.ClassLevels, ", "), Pupils: row.Pupils, Packs: row.Packs,
		PacksReason: row.PacksReason, Preferred: strings.Join(row.PreferredPeriods, ", "),
		Excluded: strings.Join(row.ExcludedPeriods, ", "), Eligibility: nbsp(elig), Opinions: strings.Join(ops, " ; "),
		Override: row.DecisionOverride}
}

// synthesisCSV sends the synthesis CSV, written by the JSON API's writer.
func (a *App) synthesisCSV(w http.ResponseWriter, r *http.Request) error {
	year, err := a.syntheseYear(r)
	if err != nil {
		return err
	}
	syn, err := a.synthesis(r, year)
	if err != nil {
		return err
	}
	sendCSVHeaders(w, "synthese-"+year+".csv")
	_ = web.WriteSynthesisCSV(w, syn) // headers are sent: a write error cannot reach the client
	return nil
}

// assessmentsCSV sends the assessments CSV, written by the JSON API's
// writer.
func (a *App) assessmentsCSV(w http.ResponseWriter, r *http.Request) error {
	year, err := a.syntheseYear(r)
	if err != nil {
		return err
	}
	entries, err := a.db.ListAssessments(r.Context(), year)
	if err != nil {
		return err
	}
	names := web.AssessmentNames{Schools: map[string]string{}, Teachers: map[int64]string{}}
	for _, e := range entries {
		names.Schools[e.Loan.SchoolUAI] = e.Loan.SchoolName
		names.Teachers[e.Loan.TeacherID] = e.Loan.TeacherName
	}
	sendCSVHeaders(w, "bilans-"+year+".csv")
	_ = web.WriteAssessmentsCSV(w, entries, names) // headers are sent: a write error cannot reach the client
	return nil
}
