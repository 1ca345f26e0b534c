package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// loanView is a loan as the API shows it.
type loanView struct {
	store.Loan
	StateLabel string `json:"state_label"`
}

// loanDetailView is a loan with its sheets, extensions, assessment and
// incidents, and its history.
type loanDetailView struct {
	store.LoanDetail
	StateLabel string             `json:"state_label"`
	History    []store.AuditEvent `json:"history"`
}

// visibleLoan loads the loan of the {id} path value if the current user
// may see it (store.LoanFor).
func (s *Server) visibleLoan(r *http.Request) (store.LoanDetail, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.LoanDetail{}, err
	}
	return s.db.LoanFor(r.Context(), currentUser(r), id)
}

func (s *Server) writeLoanDetail(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	d, err := s.db.LoanDetail(r.Context(), id)
	if err != nil {
		return err
	}
	hist, err := s.db.AuditTrail(r.Context(), "loan", id)
	if err != nil {
		return err
	}
	if hist == nil {
		hist = []store.AuditEvent{}
	}
	return writeJSON(w, status, loanDetailView{LoanDetail: d, StateLabel: store.LoanStateLabel(d.State), History: hist})
}

// listLoans answers GET /api/v1/loans?year=&school=&state=&pack=.
func (s *Server) listLoans(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.LoanFilter{SchoolYear: schoolYearParam(q), SchoolUAI: q.Get("school"), State: store.LoanState(q.Get("state"))}
	pack, _, err := queryInt(r, "pack")
	if err != nil {
		return err
	}
	f.PackID = pack
	loans, err := s.db.ListLoansFor(r.Context(), currentUser(r), f)
	if err != nil {
		return err
	}
	out := make([]loanView, len(loans))
	for i, l := range loans {
		out[i] = loanView{Loan: l, StateLabel: store.LoanStateLabel(l.State)}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"loans": out})
}

func (s *Server) getLoan(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

// createLoanInput is the body of POST /api/v1/loans: a reservation by
// hand. The start is a school week index (start_week) or the Monday of
// that week (start_monday).
type createLoanInput struct {
	RequestID      int64         `json:"request_id"`
	PackIDs        []int64       `json:"pack_ids"`
	StartWeek      *int          `json:"start_week"`
	StartMonday    calendar.Date `json:"start_monday"`
	Weeks          int           `json:"weeks"`
	TurnaroundDays *int          `json:"turnaround_days"`
}

func (s *Server) createLoan(w http.ResponseWriter, r *http.Request) error {
	var in createLoanInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	// Which of start_week and start_monday was sent is a matter of
	// decoding; every range is checked by the store (NewLoan.Validate).
	if (in.StartWeek == nil) == in.StartMonday.IsZero() {
		return FieldErrors{"start_week": "donner soit start_week (indice de semaine scolaire), soit start_monday (lundi de la semaine)"}.Err()
	}
	nl := store.NewLoan{RequestID: in.RequestID, PackIDs: in.PackIDs, Weeks: in.Weeks, StartMonday: in.StartMonday}
	if nl.Weeks == 0 {
		nl.Weeks = s.loanWeeks
	}
	if in.TurnaroundDays != nil {
		nl.TurnaroundDays = *in.TurnaroundDays
		if nl.TurnaroundDays == 0 {
			nl.TurnaroundDays = -1 // no turnaround
		}
	}
	if in.StartWeek != nil {
		nl.StartWeek = *in.StartWeek
	}
	l, err := s.db.CreateLoan(r.Context(), actor(r), nl)
	if err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusCreated, l.ID)
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in struct{}
	if err := decodeJSON(w, r, &in, bodyOptional); err != nil {
		return err
	}
	if s.printer == nil {
		return errNotFound
	}
	text, err := s.printer.AgreementTerms(r, l)
	if err != nil {
		return err
	}
	u := currentUser(r)
	signed, err := s.db.SignAgreementText(r.Context(), u, l.ID, text)
	if err != nil {
		return err
	}
	if s.notices != nil {
		s.notices.AgreementSigned(signed, u)
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

// sheetInput is the body of /pickup and /return. all_present fills every
// item not listed in lines as present.
type sheetInput struct {
	SchoolPerson     string                 `json:"school_person"`
	Lines            []store.SheetLineInput `json:"lines"`
	AllPresent       bool                   `json:"all_present"`
	AcceptDifference bool                   `json:"accept_difference"`
	Comment          string                 `json:"comment"`
	TechnicalReport  string                 `json:"technical_report"`
	// IdempotencyKey makes a retried call record once.
	IdempotencyKey string `json:"idempotency_key"`
}

func (s *Server) sheetOf(r *http.Request, l store.LoanDetail, in sheetInput) (store.SheetInput, error) {
	out := store.SheetInput{SchoolPerson: in.SchoolPerson, Lines: in.Lines, AcceptDifference: in.AcceptDifference,
		Comment: in.Comment, TechnicalReport: in.TechnicalReport, IdempotencyKey: in.IdempotencyKey}
	if in.AllPresent {
		items, err := s.db.LoanItems(r.Context(), l.ID)
		if err != nil {
			return out, err
		}
		listed := map[int64]bool{}
		for _, ln := range in.Lines {
			listed[ln.ItemID] = true
		}
		out.Lines = slices.Clone(in.Lines)
		for _, it := range items {
			if !listed[it.ID] {
				out.Lines = append(out.Lines, store.SheetLineInput{ItemID: it.ID, Status: store.ItemPresent, Condition: "bon état"})
			}
		}
	}
	return out, nil
}

func (s *Server) pickUpLoan(w http.ResponseWriter, r *http.Request) error {
	return s.sheetAction(w, r, s.db.PickUp)
}

func (s *Server) returnLoan(w http.ResponseWriter, r *http.Request) error {
	return s.sheetAction(w, r, s.db.Return)
}

func (s *Server) sheetAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, by store.User, id int64, in store.SheetInput) (store.Loan, error)) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in sheetInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sheet, err := s.sheetOf(r, l, in)
	if err != nil {
		return err
	}
	if _, err := act(r.Context(), currentUser(r), l.ID, sheet); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

// extensionInput is the body of POST /loans/{id}/extension.
type extensionInput struct {
	Weeks  int    `json:"weeks"`
	Reason string `json:"reason"`
}

func (s *Server) requestExtension(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in extensionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	today := calendar.DateOf(s.now().In(s.loc))
	ext, err := s.db.RequestExtension(r.Context(), actor(r), l.ID, in.Weeks, in.Reason, today)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ext)
}

// extensionDecisionInput is the body of POST /loans/{id}/extension/decision.
type extensionDecisionInput struct {
	Decision string `json:"decision"` // grant or refuse (see store.ParseExtensionDecision)
	Comment  string `json:"comment"`
}

func (s *Server) decideExtension(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in extensionDecisionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f := FieldErrors{}
	grant, ok := store.ParseExtensionDecision(in.Decision)
	if !ok {
		f.Add("decision", "décision attendue : grant (accorder) ou refuse (refuser)")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if _, _, err := s.db.DecideExtension(r.Context(), actor(r), l.ID, grant, in.Comment); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

func (s *Server) closeLoan(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in struct {
		// Reason says why the loan is closed with incidents still open.
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in, bodyOptional); err != nil {
		return err
	}
	if _, err := s.db.CloseLoanWithReason(r.Context(), actor(r), l.ID, in.Reason); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

func (s *Server) cancelLoan(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := s.db.CancelLoan(r.Context(), actor(r), l.ID, in.Reason); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

// setPickupTime answers POST /api/v1/loans/{id}/pickup-time
// {"pickup_time": "14:30"} ("" clears it): the agreed time of the pickup,
// shown as a timed event in the iCal feeds.
func (s *Server) setPickupTime(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	var in struct {
		PickupTime *string `json:"pickup_time"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.PickupTime == nil {
		return FieldErrors{"pickup_time": "l'heure de retrait est obligatoire (format 14:30, ou vide pour l'effacer)"}.Err()
	}
	if _, err := s.db.SetPickupTime(r.Context(), actor(r), l.ID, *in.PickupTime); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}

// listIncidents answers GET /api/v1/incidents?open=true&pack=&loan=.
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	pack, _, err := queryInt(r, "pack")
	if err != nil {
		return err
	}
	loan, _, err := queryInt(r, "loan")
	if err != nil {
		return err
	}
	f := store.IncidentFilter{LoanID: loan, OpenOnly: r.URL.Query().Get("open") == "true"}
	if pack != 0 {
		f.PackIDs = []int64{pack}
	}
	incs, err := s.db.ListIncidentsFor(r.Context(), currentUser(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"incidents": incs})
}

func (s *Server) resolveIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Resolution string `json:"resolution"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inc, err := s.db.ResolveIncident(r.Context(), actor(r), id, in.Resolution)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inc)
}
