package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

type flagView struct {
	Code     string `json:"code"`
	Blocking bool   `json:"blocking"`
	Message  string `json:"message"`
}

type eligibilityView struct {
	ParticipationYear int        `json:"participation_year"`
	Eligible          bool       `json:"eligible"`
	Flags             []flagView `json:"flags"`
}

// requestView is a request as the API shows it: with French labels, and
// with its history on GET /requests/{id}.
type requestView struct {
	store.Request
	StateLabel  string             `json:"state_label"`
	Eligibility eligibilityView    `json:"eligibility"`
	History     []store.AuditEvent `json:"history,omitempty"`
}

func viewOf(q store.Request) requestView {
	v := requestView{Request: q, StateLabel: q.State.Label(),
		Eligibility: eligibilityView{ParticipationYear: q.Eligibility.ParticipationYear, Eligible: q.Eligibility.Eligible, Flags: []flagView{}}}
	for _, f := range q.Eligibility.Flags {
		v.Eligibility.Flags = append(v.Eligibility.Flags, flagView{Code: f.Code, Blocking: f.Blocking, Message: store.FlagMessage(f.Code)})
	}
	return v
}

// trainingInput is the training status as sent: the date is text so that
// a malformed date is a 422 naming the field.
type trainingInput struct {
	Status string `json:"status"`
	Date   string `json:"date"`
}

// requestInput is the body of POST /requests and PATCH /requests/{id}:
// absent fields keep their value (PATCH) or their zero value (POST).
type requestInput struct {
	SchoolYear         *string            `json:"school_year"`
	ClassLevels        *[]string          `json:"class_levels"`
	Pupils             *int               `json:"pupils"`
	Title              *string            `json:"title"`
	Motivation         *string            `json:"motivation"`
	CurriculumLinks    *string            `json:"curriculum_links"`
	SchoolProjectLinks *string            `json:"school_project_links"`
	Coherence          *string            `json:"coherence"`
	DigitalSkills      *string            `json:"digital_skills"`
	Commitments        *store.Commitments `json:"commitments"`
	Logistics          *store.Logistics   `json:"logistics"`
	OtherPartnerScheme *bool              `json:"other_partner_scheme"`
	Training           *trainingInput     `json:"training"`
	PreferredPeriods   *[]string          `json:"preferred_periods"`
	ExcludedPeriods    *[]string          `json:"excluded_periods"`
	ExtensionWeeks     *int               `json:"extension_weeks"`
	Version            int                `json:"version"`
}

// apply copies the present fields onto q, checking what needs no
// calendar; check then validates the result against the year's periods.
func (in requestInput) apply(q *store.Request, f FieldErrors) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&q.Title, in.Title)
	set(&q.Motivation, in.Motivation)
	set(&q.CurriculumLinks, in.CurriculumLinks)
	set(&q.SchoolProjectLinks, in.SchoolProjectLinks)
	set(&q.Coherence, in.Coherence)
	set(&q.DigitalSkills, in.DigitalSkills)
	if in.ClassLevels != nil {
		q.ClassLevels = make([]string, 0, len(*in.ClassLevels))
		for _, l := range *in.ClassLevels {
			q.ClassLevels = append(q.ClassLevels, strings.ToUpper(strings.TrimSpace(l)))
		}
	}
	if in.Pupils != nil {
		q.Pupils = *in.Pupils
	}
	if in.Commitments != nil {
		q.Commitments = *in.Commitments
	}
	if in.Logistics != nil {
		q.Logistics = *in.Logistics
	}
	if in.OtherPartnerScheme != nil {
		q.OtherPartnerScheme = *in.OtherPartnerScheme
	}
	if in.Training != nil {
		q.Training = store.Training{Status: store.TrainingStatus(in.Training.Status)}
		if q.Training.Status == "" {
			q.Training.Status = store.TrainingNotPlanned
		}
		// Parsing only: whether a date goes with the status is the
		// store's rule (Request.Validate).
		if in.Training.Date != "" {
			d, err := calendar.ParseDate(in.Training.Date)
			switch {
			case err == nil:
				q.Training.Date = &d
			case q.Training.Status == store.TrainingNotPlanned:
				// Any date is one too many: the store says so.
				q.Training.Date = &calendar.Date{}
			default:
				f.Add("training.date", "date de formation invalide : format AAAA-MM-JJ attendu (ex. 2026-12-09)")
			}
		}
	}
	if in.PreferredPeriods != nil {
		q.PreferredPeriods = upperAll(*in.PreferredPeriods)
	}
	if in.ExcludedPeriods != nil {
		q.ExcludedPeriods = upperAll(*in.ExcludedPeriods)
	}
	if in.ExtensionWeeks != nil {
		q.ExtensionWeeks = *in.ExtensionWeeks
	}
}

func upperAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, strings.ToUpper(strings.TrimSpace(s)))
	}
	return out
}

// currentYear is the school year of today in Paris.
func (s *Server) currentYear() string {
	return calendar.CurrentSchoolYear(calendar.ParisDate(s.now()))
}

// visibleRequest loads the request of the {id} path value if the current
// user may see it (store.RequestFor).
func (s *Server) visibleRequest(r *http.Request) (store.Request, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Request{}, err
	}
	return s.db.RequestFor(r.Context(), currentUser(r), id)
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) error {
	var in requestInput
	if err := decodeJSON(w, r, &in, bodyNULPerField); err != nil {
		return err
	}
	q := store.NewRequestFor(currentUser(r), s.currentYear())
	f := FieldErrors{}
	if in.SchoolYear != nil {
		q.SchoolYear = strings.TrimSpace(*in.SchoolYear)
	}
	in.apply(&q, f)
	if err := f.Err(); err != nil {
		return err
	}
	q, err := s.db.CreateRequest(r.Context(), actor(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, viewOf(q))
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	f := store.RequestFilter{SchoolYear: schoolYearParam(qv), State: store.RequestState(qv.Get("state")), SchoolUAI: qv.Get("school")}
	if qv.Has("page") || qv.Has("page_size") || qv.Has("sort") || qv.Has("opinions") {
		return s.listRequestsPage(w, r, f)
	}
	qs, err := s.db.ListRequestsFor(r.Context(), currentUser(r), f)
	if err != nil {
		return err
	}
	out := make([]requestView, len(qs))
	for i, q := range qs {
		out[i] = viewOf(q)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

// listRequestsPage answers GET /requests with ?page=, page_size=, sort=
// or opinions=: one page, sorted, filtered and counted by the store.
func (s *Server) listRequestsPage(w http.ResponseWriter, r *http.Request, f store.RequestFilter) error {
	qv := r.URL.Query()
	pq := store.RequestPageQuery{RequestFilter: f, Sort: store.RequestSort(qv.Get("sort")), Opinions: store.OpinionsFilter(qv.Get("opinions"))}
	page, _, err := queryInt(r, "page")
	if err != nil {
		return err
	}
	size, _, err := queryInt(r, "page_size")
	if err != nil {
		return err
	}
	// Out of range numbers stay out of range for the store to refuse.
	pq.Page, pq.PageSize = int(min(max(page, -1), 1<<30)), int(min(max(size, -1), 1<<30))
	p, err := s.db.ListRequestsPage(r.Context(), currentUser(r), pq)
	if err != nil {
		return err
	}
	out := make([]requestView, len(p.Requests))
	for i, q := range p.Requests {
		out[i] = viewOf(q)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": out, "total": p.Total, "page": p.Page, "pages": p.Pages, "page_size": p.PageSize})
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) error {
	q, err := s.visibleRequest(r)
	if err != nil {
		return err
	}
	v := viewOf(q)
	if v.History, err = s.db.AuditTrail(r.Context(), "request", q.ID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateRequest(w http.ResponseWriter, r *http.Request) error {
	q, err := s.visibleRequest(r)
	if err != nil {
		return err
	}
	var in requestInput
	if err := decodeJSON(w, r, &in, bodyNULPerField); err != nil {
		return err
	}
	f := FieldErrors{}
	if in.SchoolYear != nil && strings.TrimSpace(*in.SchoolYear) != q.SchoolYear {
		f.Add("school_year", "l'année scolaire d'une demande ne peut pas être modifiée")
	}
	if in.Version == 0 {
		f.Add("version", "la version lue est obligatoire pour une modification")
	}
	in.apply(&q, f)
	if err := f.Err(); err != nil {
		return err
	}
	q.Version = in.Version
	q, err = s.db.UpdateRequest(r.Context(), actor(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewOf(q))
}

// actionInput is the body of the workflow actions; every field is
// optional for some of them.
type actionInput struct {
	Version  int    `json:"version"`
	Reason   string `json:"reason"`
	Verdict  string `json:"verdict"`
	Comment  string `json:"comment"`
	Decision string `json:"decision"`
	Packs    *int   `json:"packs"`
	// OverrideReason lets the coordinator decide before the three
	// referents gave their opinion.
	OverrideReason string `json:"override_reason"`
}

// action runs one workflow step on a visible request: decode the body,
// check it, call the store.
func (s *Server) action(check func(in *actionInput, f FieldErrors), do func(ctx context.Context, a store.Actor, u store.User, q store.Request, in actionInput) (store.Request, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := s.visibleRequest(r)
		if err != nil {
			return err
		}
		var in actionInput
		if err := decodeJSON(w, r, &in, bodyOptional, bodyNULPerField); err != nil {
			return err
		}
		f := FieldErrors{}
		in.Reason, in.Comment = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Comment)
		if check != nil {
			check(&in, f)
		}
		if err := f.Err(); err != nil {
			return err
		}
		q, err = do(r.Context(), actor(r), currentUser(r), q, in)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, viewOf(q))
	}
}

func (s *Server) submitRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.SubmitRequest(ctx, a, q.ID, in.Version)
	})(w, r)
}

func (s *Server) authorizeRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.AuthorizeRequest(ctx, a, q.ID, in.Version)
	})(w, r)
}

func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.RefuseRequest(ctx, a, q.ID, in.Version, in.Reason)
	})(w, r)
}

func (s *Server) opinionRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, u store.User, q store.Request, in actionInput) (store.Request, error) {
		// The store parses the verdict and picks the referent role the
		// person speaks for.
		return s.db.SetRequestOpinion(ctx, a, q.ID, in.Version, store.Opinion{Verdict: store.OpinionVerdict(in.Verdict), Comment: in.Comment})
	})(w, r)
}

func (s *Server) decideRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		// The store parses the decision and requires the rejection's reason.
		return s.db.DecideRequestOverride(ctx, a, q.ID, in.Version, store.RequestState(in.Decision), in.Reason, in.OverrideReason)
	})(w, r)
}

func (s *Server) withdrawRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.WithdrawRequest(ctx, a, q.ID, in.Version, in.Reason)
	})(w, r)
}

func (s *Server) packsRequest(w http.ResponseWriter, r *http.Request) error {
	check := func(in *actionInput, f FieldErrors) {
		// A missing number is a malformed body; its range and reason
		// are the store's rules (OverrideRequestPacks).
		if in.Packs == nil {
			f.Add("packs", "nombre de packs obligatoire (0 pour revenir au calcul automatique)")
		}
	}
	return s.action(check, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.OverrideRequestPacks(ctx, a, q.ID, in.Version, *in.Packs, in.Reason)
	})(w, r)
}
