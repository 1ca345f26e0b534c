package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/sheet"
	"github.com/classemobile/classemobile/internal/store"
)

// assessmentInput is the body of POST /api/v1/loans/{id}/assessment.
type assessmentInput struct {
	Human       string   `json:"human"`
	Pedagogical string   `json:"pedagogical"`
	Productions []string `json:"productions"`
	ApplyAgain  *bool    `json:"apply_again"`
}

func (in assessmentInput) validate() error {
	f := FieldErrors{}
	checkText(f, "human", in.Human, 20000)
	checkText(f, "pedagogical", in.Pedagogical, 20000)
	if strings.TrimSpace(in.Human) == "" {
		f.Add("human", "les aspects humains sont obligatoires")
	}
	if strings.TrimSpace(in.Pedagogical) == "" {
		f.Add("pedagogical", "les aspects pédagogiques sont obligatoires")
	}
	if in.ApplyAgain == nil {
		f.Add("apply_again", "dire si vous candidateriez de nouveau (true ou false)")
	}
	if len(in.Productions) > 50 {
		f.Add("productions", "50 liens au plus")
	}
	for i, p := range in.Productions {
		field := "productions[" + itoa(i) + "]"
		checkText(f, field, p, 2000)
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add(field, "lien http(s) attendu")
		}
	}
	return f.Err()
}

func (s *Server) saveAssessment(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in assessmentInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	prods := make([]string, len(in.Productions))
	for i, p := range in.Productions {
		prods[i] = strings.TrimSpace(p)
	}
	a, err := s.db.SaveAssessment(r.Context(), actor(r), store.Assessment{LoanID: l.ID, Human: in.Human,
		Pedagogical: in.Pedagogical, Productions: prods, ApplyAgain: *in.ApplyAgain})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// listAssessments answers GET /api/v1/assessments?year=Y[&format=csv]: the
// assessments of a school year, as JSON or as a CSV file for French Excel
// (same conventions as the synthesis export).
func (s *Server) listAssessments(w http.ResponseWriter, r *http.Request) error {
	year, format, err := s.exportQuery(r)
	if err != nil {
		return err
	}
	entries, err := s.db.ListAssessments(r.Context(), year)
	if err != nil {
		return err
	}
	if format != "csv" {
		return writeJSON(w, http.StatusOK, map[string]any{"school_year": year, "assessments": entries})
	}
	names, err := s.assessmentNames(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bilans-%s.csv"`, year))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = WriteAssessmentsCSV(w, entries, names) // headers are sent: a write error cannot reach the client
	return nil
}

// AssessmentNames resolves the names printed in the assessments CSV.
type AssessmentNames struct {
	Schools  map[string]string
	Teachers map[int64]string
}

func (s *Server) assessmentNames(r *http.Request) (AssessmentNames, error) {
	n := AssessmentNames{Schools: map[string]string{}, Teachers: map[int64]string{}}
	schools, err := s.db.ListSchools(r.Context())
	if err != nil {
		return n, err
	}
	for _, sc := range schools {
		n.Schools[sc.UAI] = sc.Name
	}
	users, err := s.db.ListUsers(r.Context(), store.RoleTeacher, "")
	if err != nil {
		return n, err
	}
	for _, u := range users {
		n.Teachers[u.ID] = u.Name
	}
	return n, nil
}

// AssessmentsHeader is the header row of the assessments CSV, in French.
var AssessmentsHeader = []string{
	"N° prêt", "N° demande", "École", "UAI", "Enseignant", "Projet", "Packs", "Retrait", "Retour",
	"Aspects humains", "Aspects pédagogiques", "Productions", "Candidaterait de nouveau", "Mis à jour le",
}

// WriteAssessmentsCSV writes the assessments as a CSV file that French
// Excel opens as is: UTF-8 with a byte order mark, ';' separator, CRLF line
// ends, DD/MM/YYYY dates; a teacher's text that would start a formula is
// neutralised (see sheet.Write).
func WriteAssessmentsCSV(w io.Writer, entries []store.AssessmentEntry, names AssessmentNames) error {
	records := [][]string{AssessmentsHeader}
	for _, e := range entries {
		l, a := e.Loan, e.Assessment
		updated := calendar.ParisDate(a.UpdatedAt)
		again := "non"
		if a.ApplyAgain {
			again = "oui"
		}
		records = append(records, []string{
			fmt.Sprint(l.ID), fmt.Sprint(l.RequestID), names.Schools[l.SchoolUAI], l.SchoolUAI, names.Teachers[l.TeacherID],
			l.RequestTitle, strings.Join(l.PackCodes(), ", "), loanDayShort(l.PickupDay), loanDayShort(l.ReturnDay),
			a.Human, a.Pedagogical, strings.Join(a.Productions, " "), again, loanDayShort(updated),
		})
	}
	if err := sheet.Write(w, records); err != nil {
		return fmt.Errorf("write assessments: %w", err)
	}
	return nil
}

// loanDayShort formats a date as DD/MM/YYYY ("" for no date).
func loanDayShort(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day(), int(d.Month()), d.Year())
}
