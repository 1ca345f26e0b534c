package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// Role sets of the request routes.
var (
	teacherOnly    = []store.Role{store.RoleTeacher}
	directorOnly   = []store.Role{store.RoleDirector}
	referentsOnly  = []store.Role{store.RoleInspection, store.RoleIT, store.RoleEducation}
	teacherOrCoord = []store.Role{store.RoleTeacher, store.RoleCoordinator}
)

// requestStateLabels are the French names of the request states.
var requestStateLabels = map[store.RequestState]string{
	store.RequestDraft:      "brouillon",
	store.RequestSubmitted:  "soumise",
	store.RequestAuthorised: "autorisée par la direction",
	store.RequestInReview:   "en cours d'examen",
	store.RequestValidated:  "validée",
	store.RequestRejected:   "rejetée",
	store.RequestWithdrawn:  "retirée",
}

// flagMessages are the French messages of the eligibility flags.
var flagMessages = map[string]string{
	store.FlagTooManyYears:       "Inéligible : 2 années de participation au maximum.",
	store.FlagOtherPartnerScheme: "La classe participe déjà à un autre dispositif partenarial avec intervenant.",
	store.FlagMissingCommitments: "Tous les engagements de l'enseignant sont requis pour soumettre la demande.",
	store.FlagNoSecureStorage:    "Un lieu de stockage sécurisé avec alimentation électrique est requis pour la recharge.",
	store.FlagTrainingNotDone:    "Formation technique pas encore suivie : elle sera exigée avant le retrait du matériel.",
}

// missingMessages are the French messages of the fields submission needs.
var missingMessages = map[string]string{
	"commitments.secure_use":       "engagement obligatoire : usage sécurisé du matériel",
	"commitments.visits":           "engagement obligatoire : accepter la présence des formateurs et partenaires",
	"commitments.parents_informed": "engagement obligatoire : informer les parents",
	"commitments.feedback":         "engagement obligatoire : retour d'usage et bilan pédagogique",
	"logistics.secure_storage":     "un lieu de stockage sécurisé avec alimentation électrique est obligatoire",
}

// Text limits of a request, in characters.
const (
	maxTitleLen = 200
	maxTextLen  = 5000
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
	v := requestView{Request: q, StateLabel: requestStateLabels[q.State],
		Eligibility: eligibilityView{ParticipationYear: q.Eligibility.ParticipationYear, Eligible: q.Eligibility.Eligible, Flags: []flagView{}}}
	for _, f := range q.Eligibility.Flags {
		v.Eligibility.Flags = append(v.Eligibility.Flags, flagView{Code: f.Code, Blocking: f.Blocking, Message: flagMessages[f.Code]})
	}
	return v
}

// requestError turns the workflow's store errors into API errors.
func requestError(err error) error {
	var se *store.RequestStateError
	var ie *store.IncompleteError
	switch {
	case errors.As(err, &se) && se.HasLoan:
		return &Error{Status: http.StatusConflict, Code: "request_has_loan", Err: err,
			Message: "La demande a déjà un prêt : elle ne peut plus être retirée (annulez d'abord le prêt)."}
	case errors.As(err, &se):
		return &Error{Status: http.StatusConflict, Code: "invalid_state", Err: err,
			Fields:  map[string]string{"state": string(se.State)},
			Message: fmt.Sprintf("Action impossible : la demande est à l'état « %s » (%s).", requestStateLabels[se.State], se.State)}
	case errors.As(err, &ie):
		f := FieldErrors{}
		for _, field := range ie.Fields {
			f.Add(field, "%s", missingMessages[field])
		}
		return f.Err()
	case errors.Is(err, store.ErrIneligible):
		return &Error{Status: http.StatusConflict, Code: "ineligible", Err: err,
			Message: "Demande inéligible : 2 années de participation au maximum ; elle ne peut pas être validée."}
	}
	return err
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
	set := func(dst *string, src *string, field string, maxLen int) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
			checkText(f, field, *src, maxLen)
		}
	}
	set(&q.Title, in.Title, "title", maxTitleLen)
	set(&q.Motivation, in.Motivation, "motivation", maxTextLen)
	set(&q.CurriculumLinks, in.CurriculumLinks, "curriculum_links", maxTextLen)
	set(&q.SchoolProjectLinks, in.SchoolProjectLinks, "school_project_links", maxTextLen)
	set(&q.Coherence, in.Coherence, "coherence", maxTextLen)
	set(&q.DigitalSkills, in.DigitalSkills, "digital_skills", maxTextLen)
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
		q.Training = store.Training{Status: in.Training.Status}
		if q.Training.Status == "" {
			q.Training.Status = store.TrainingNotPlanned
		}
		checkText(f, "training.date", in.Training.Date, 10)
		switch q.Training.Status {
		case store.TrainingNotPlanned:
			if in.Training.Date != "" {
				f.Add("training.date", "pas de date quand la formation n'est pas prévue")
			}
		case store.TrainingPlanned, store.TrainingDone:
			d, err := calendar.ParseDate(in.Training.Date)
			if err != nil {
				f.Add("training.date", "date de formation invalide : format AAAA-MM-JJ attendu (ex. 2026-12-09)")
			} else {
				q.Training.Date = &d
			}
		default:
			f.Add("training.status", "statut de formation attendu : not_planned, planned ou done")
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

// check validates a whole request against the periods of its year.
func checkRequest(q store.Request, periods []calendar.Period, f FieldErrors) {
	if q.Title == "" {
		f.Add("title", "le titre du projet est obligatoire")
	}
	if len(q.ClassLevels) == 0 {
		f.Add("class_levels", "au moins un niveau de classe est obligatoire (%s)", strings.Join(store.ClassLevels, ", "))
	}
	seen := map[string]bool{}
	for _, l := range q.ClassLevels {
		switch {
		case !slices.Contains(store.ClassLevels, l):
			f.Add("class_levels", "niveau de classe inconnu « %s » : niveaux possibles %s", l, strings.Join(store.ClassLevels, ", "))
		case seen[l]:
			f.Add("class_levels", "niveau « %s » en double", l)
		}
		seen[l] = true
	}
	if q.Pupils < 1 || q.Pupils > store.MaxPupils {
		f.Add("pupils", "nombre d'élèves invalide : entre 1 et %d", store.MaxPupils)
	}
	if !slices.Contains(store.ExtensionWeeks, q.ExtensionWeeks) {
		f.Add("extension_weeks", "prolongation souhaitée : 0, 2 ou 6 semaines")
	}
	ids := make([]string, len(periods))
	for i, p := range periods {
		ids[i] = p.ID
	}
	checkPeriods := func(field string, list []string) {
		seen := map[string]bool{}
		for _, p := range list {
			switch {
			case !slices.Contains(ids, p):
				f.Add(field, "période inconnue « %s » : périodes de l'année %s : %s", p, q.SchoolYear, strings.Join(ids, ", "))
			case seen[p]:
				f.Add(field, "période « %s » en double", p)
			}
			seen[p] = true
		}
	}
	checkPeriods("preferred_periods", q.PreferredPeriods)
	checkPeriods("excluded_periods", q.ExcludedPeriods)
	for _, p := range q.ExcludedPeriods {
		if slices.Contains(q.PreferredPeriods, p) {
			f.Add("excluded_periods", "la période « %s » ne peut pas être à la fois souhaitée et exclue", p)
		}
	}
}

// yearPeriods returns the periods of a school year; an unknown or
// malformed year is a 422 on field.
func (s *Server) yearPeriods(ctx context.Context, year, field string) ([]calendar.Period, error) {
	y, err := s.db.CalendarYear(ctx, year)
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		return nil, FieldErrors{field: fmt.Sprintf("année scolaire invalide « %s » : format attendu 2026-2027", year)}.Err()
	case errors.Is(err, calendar.ErrUnknownYear):
		return nil, FieldErrors{field: fmt.Sprintf("calendrier de l'année scolaire %s inconnu", year)}.Err()
	case err != nil:
		return nil, err
	}
	return y.Periods(), nil
}

// currentYear is the school year of today in Paris.
func (s *Server) currentYear() string {
	return calendar.CurrentSchoolYear(calendar.ParisDate(s.now()))
}

// visibleRequest loads a request the current user may see: teachers their
// own, directors their school's, everybody else all. Another's is a 404.
func (s *Server) visibleRequest(r *http.Request) (store.Request, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Request{}, err
	}
	q, err := s.db.Request(r.Context(), id)
	if err != nil {
		return store.Request{}, err
	}
	u := currentUser(r)
	switch {
	case u.Role == store.RoleTeacher && q.TeacherID != u.ID,
		u.Role == store.RoleDirector && q.SchoolUAI != u.SchoolUAI:
		return store.Request{}, errNotFound
	}
	return q, nil
}

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request) error {
	var in requestInput
	if err := decodeJSON(w, r, &in, bodyNULPerField); err != nil {
		return err
	}
	u := currentUser(r)
	q := store.Request{SchoolUAI: u.SchoolUAI, TeacherID: u.ID, SchoolYear: s.currentYear(),
		Training: store.Training{Status: store.TrainingNotPlanned}, ClassLevels: []string{},
		PreferredPeriods: []string{}, ExcludedPeriods: []string{}}
	f := FieldErrors{}
	if in.SchoolYear != nil {
		q.SchoolYear = strings.TrimSpace(*in.SchoolYear)
		checkText(f, "school_year", q.SchoolYear, 9)
	}
	in.apply(&q, f)
	if err := f.Err(); err != nil {
		return err
	}
	periods, err := s.yearPeriods(r.Context(), q.SchoolYear, "school_year")
	if err != nil {
		return err
	}
	checkRequest(q, periods, f)
	if err := f.Err(); err != nil {
		return err
	}
	q, err = s.db.CreateRequest(r.Context(), actor(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, viewOf(q))
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	f := store.RequestFilter{SchoolYear: qv.Get("year"), State: store.RequestState(qv.Get("state")), SchoolUAI: qv.Get("school")}
	fe := FieldErrors{}
	checkText(fe, "year", f.SchoolYear, 9)
	checkText(fe, "school", f.SchoolUAI, 8)
	if f.State != "" && !f.State.Valid() {
		fe.Add("state", "état inconnu : draft, submitted, authorised, in_review, validated, rejected ou withdrawn")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	u := currentUser(r)
	switch u.Role {
	case store.RoleTeacher:
		f.TeacherID = u.ID
		if f.SchoolUAI != "" && f.SchoolUAI != u.SchoolUAI {
			return writeJSON(w, http.StatusOK, map[string]any{"requests": []requestView{}})
		}
		f.SchoolUAI = u.SchoolUAI
	case store.RoleDirector:
		if f.SchoolUAI != "" && f.SchoolUAI != u.SchoolUAI {
			return writeJSON(w, http.StatusOK, map[string]any{"requests": []requestView{}})
		}
		f.SchoolUAI = u.SchoolUAI
	}
	qs, err := s.db.ListRequests(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]requestView, len(qs))
	for i, q := range qs {
		out[i] = viewOf(q)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"requests": out})
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
	periods, err := s.yearPeriods(r.Context(), q.SchoolYear, "school_year")
	if err != nil {
		return err
	}
	checkRequest(q, periods, f)
	if err := f.Err(); err != nil {
		return err
	}
	q.Version = in.Version
	q, err = s.db.UpdateRequest(r.Context(), actor(r), q)
	if err != nil {
		return requestError(err)
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
		checkText(f, "reason", in.Reason, maxTextLen)
		checkText(f, "comment", in.Comment, maxTextLen)
		if in.Version < 0 {
			f.Add("version", "version invalide")
		}
		if check != nil {
			check(&in, f)
		}
		if err := f.Err(); err != nil {
			return err
		}
		q, err = do(r.Context(), actor(r), currentUser(r), q, in)
		if err != nil {
			return requestError(err)
		}
		return writeJSON(w, http.StatusOK, viewOf(q))
	}
}

func needReason(what string) func(in *actionInput, f FieldErrors) {
	return func(in *actionInput, f FieldErrors) {
		if in.Reason == "" {
			f.Add("reason", "le motif %s est obligatoire", what)
		}
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
	return s.action(needReason("du refus"), func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.RefuseRequest(ctx, a, q.ID, in.Version, in.Reason)
	})(w, r)
}

func (s *Server) opinionRequest(w http.ResponseWriter, r *http.Request) error {
	check := func(in *actionInput, f FieldErrors) {
		switch in.Verdict {
		case store.OpinionFavourable, store.OpinionReserved, store.OpinionUnfavourable:
		default:
			f.Add("verdict", "avis attendu : favourable, reserved ou unfavourable")
		}
	}
	return s.action(check, func(ctx context.Context, a store.Actor, u store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.SetRequestOpinion(ctx, a, q.ID, in.Version, store.Opinion{Role: u.Role, Verdict: in.Verdict, Comment: in.Comment})
	})(w, r)
}

func (s *Server) decideRequest(w http.ResponseWriter, r *http.Request) error {
	check := func(in *actionInput, f FieldErrors) {
		switch store.RequestState(in.Decision) {
		case store.RequestValidated:
		case store.RequestRejected:
			if in.Reason == "" {
				f.Add("reason", "le motif du rejet est obligatoire")
			}
		default:
			f.Add("decision", "décision attendue : validated ou rejected")
		}
	}
	return s.action(check, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.DecideRequest(ctx, a, q.ID, in.Version, store.RequestState(in.Decision), in.Reason)
	})(w, r)
}

func (s *Server) withdrawRequest(w http.ResponseWriter, r *http.Request) error {
	return s.action(nil, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.WithdrawRequest(ctx, a, q.ID, in.Version, in.Reason)
	})(w, r)
}

func (s *Server) packsRequest(w http.ResponseWriter, r *http.Request) error {
	check := func(in *actionInput, f FieldErrors) {
		switch {
		case in.Packs == nil:
			f.Add("packs", "nombre de packs obligatoire (0 pour revenir au calcul automatique)")
		case *in.Packs < 0 || *in.Packs > store.MaxPacks:
			f.Add("packs", "nombre de packs entre 1 et %d (0 pour revenir au calcul automatique)", store.MaxPacks)
		case *in.Packs > 0 && in.Reason == "":
			f.Add("reason", "le motif de la modification du nombre de packs est obligatoire")
		}
	}
	return s.action(check, func(ctx context.Context, a store.Actor, _ store.User, q store.Request, in actionInput) (store.Request, error) {
		return s.db.OverrideRequestPacks(ctx, a, q.ID, in.Version, *in.Packs, in.Reason)
	})(w, r)
}
