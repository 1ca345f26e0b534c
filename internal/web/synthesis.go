package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/sheet"
	"github.com/classemobile/classemobile/internal/store"
)

// getSynthesis answers GET /api/v1/synthesis?year=Y[&format=csv]: the
// synthesis table of the validated requests, as JSON or as a CSV file for
// French Excel.
func (s *Server) getSynthesis(w http.ResponseWriter, r *http.Request) error {
	year, format, err := s.exportQuery(r)
	if err != nil {
		return err
	}
	syn, err := s.db.Synthesis(r.Context(), year)
	if err != nil {
		return err
	}
	if format != "csv" {
		return writeJSON(w, http.StatusOK, syn)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="synthese-%s.csv"`, year))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = WriteSynthesisCSV(w, syn) // headers are sent: a write error cannot reach the client
	return nil
}

// SynthesisHeader is the header row of the synthesis CSV, in French.
var SynthesisHeader = []string{
	"N° demande", "École", "UAI", "Quartier", "Enseignant", "Projet", "Niveau(x)", "Élèves", "Packs",
	"Motif packs", "Périodes souhaitées", "Périodes exclues", "Année de participation",
	"Autre dispositif partenarial", "Formation", "Date de formation",
	"Avis inspection", "Commentaire inspection", "Avis DSI", "Commentaire DSI",
	"Avis éducation", "Commentaire éducation", "Prolongation souhaitée (semaines)",
	"Validation sans les trois avis (motif)",
}

// frenchDate formats a date as DD/MM/YYYY.
func frenchDate(d *calendar.Date) string {
	if d == nil || d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day(), int(d.Month()), d.Year())
}

func yesNo(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

// SynthesisRecords returns the CSV records of a synthesis: the header, one
// row per request, then the totals per period, per sector and overall,
// separated by empty rows. Every record has the header's width, so the
// file reads as one table.
func SynthesisRecords(syn store.Synthesis) [][]string {
	width := len(SynthesisHeader)
	pad := func(rec ...string) []string {
		out := make([]string, width)
		copy(out, rec)
		return out
	}
	itoa := strconv.Itoa
	out := [][]string{SynthesisHeader}
	for _, r := range syn.Rows {
		op := func(role store.Role) (string, string) {
			o, ok := r.Opinions[role]
			if !ok {
				return "", ""
			}
			return o.Verdict.Label(), o.Comment
		}
		insp, inspC := op(store.RoleInspection)
		it, itC := op(store.RoleIT)
		edu, eduC := op(store.RoleEducation)
		out = append(out, []string{
			itoa(int(r.RequestID)), r.SchoolName, r.SchoolUAI, r.SectorName, r.TeacherName, r.Title,
			strings.Join(r.ClassLevels, ", "), itoa(r.Pupils), itoa(r.Packs), r.PacksReason,
			strings.Join(r.PreferredPeriods, ", "), strings.Join(r.ExcludedPeriods, ", "), itoa(r.ParticipationYear),
			yesNo(r.OtherPartnerScheme), r.Training.Status.Label(), frenchDate(r.Training.Date),
			insp, inspC, it, itC, edu, eduC, itoa(r.ExtensionWeeks), r.DecisionOverride,
		})
	}
	out = append(out, pad(),
		pad("Totaux par période", "Libellé", "Semaines de classe", "Demandes (période souhaitée)", "Packs demandés",
			"Demandes excluant la période", "Packs disponibles", "Prêts possibles par pack", "Capacité (prêts de packs)"))
	for _, p := range syn.Periods {
		out = append(out, pad(p.PeriodID, p.Label, itoa(p.Weeks), itoa(p.Requests), itoa(p.PacksRequested),
			itoa(p.Excluding), itoa(p.PacksAvailable), itoa(p.LoansPerPack), itoa(p.Capacity)))
	}
	out = append(out, pad(),
		pad("Totaux par quartier", "Nom", "Demandes", "Packs demandés", "Plafond par période", "Capacité sans pénalité"))
	for _, q := range syn.Sectors {
		out = append(out, pad(q.SectorID, q.Name, itoa(q.Requests), itoa(q.PacksRequested), itoa(q.PeriodCap), itoa(q.Capacity)))
	}
	out = append(out, pad(),
		pad("Total", "Année scolaire", "Demandes validées", "Packs demandés", "Packs sans période souhaitée",
			"Packs disponibles", "Durée de prêt (semaines)", "Règle des prêts", "Capacité (prêts de packs)"),
		pad("", syn.SchoolYear, itoa(len(syn.Rows)), itoa(syn.PacksRequested), itoa(syn.PacksWithoutPreference),
			itoa(syn.PacksAvailable), itoa(syn.LoanWeeks), syn.LoanPolicy.Label(), itoa(syn.Capacity)))
	return out
}

// WriteSynthesisCSV writes the synthesis as a CSV file that French Excel
// opens as is: UTF-8 with a byte order mark (else Excel reads it as
// Windows-1252), ';' as separator (',' is the decimal mark in French),
// CRLF line ends, French headers and DD/MM/YYYY dates; cells that would
// start a formula are neutralised (see sheet.Write).
func WriteSynthesisCSV(w io.Writer, syn store.Synthesis) error {
	if err := sheet.Write(w, SynthesisRecords(syn)); err != nil {
		return fmt.Errorf("write synthesis: %w", err)
	}
	return nil
}

// exportQuery reads ?year=Y&format=json|csv of the export endpoints; the
// year defaults to the current school year.
func (s *Server) exportQuery(r *http.Request) (year, format string, err error) {
	q := r.URL.Query()
	year, format = schoolYearParam(q), q.Get("format")
	f := FieldErrors{}
	switch format {
	case "", "json", "csv":
	default:
		f.Add("format", "format attendu : json ou csv")
	}
	if err := f.Err(); err != nil {
		return "", "", err
	}
	if year == "" {
		year = s.currentYear()
	}
	return year, format, nil
}
