package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// Text limits of a request, in characters.
const (
	MaxTitleLen = 200
	MaxTextLen  = 5000
)

var requestStateLabels = map[RequestState]string{
	RequestDraft:      "brouillon",
	RequestSubmitted:  "soumise",
	RequestAuthorised: "autorisée par la direction",
	RequestInReview:   "en cours d'examen",
	RequestValidated:  "validée",
	RequestRejected:   "rejetée",
	RequestWithdrawn:  "retirée",
}

// Label returns the French name of the state.
func (s RequestState) Label() string { return requestStateLabels[s] }

var flagMessages = map[string]string{
	FlagTooManyYears:       "Inéligible : 2 années de participation au maximum.",
	FlagOtherPartnerScheme: "La classe participe déjà à un autre dispositif partenarial avec intervenant.",
	FlagMissingCommitments: "Tous les engagements de l'enseignant sont requis pour soumettre la demande.",
	FlagNoSecureStorage:    "Un lieu de stockage sécurisé avec alimentation électrique est requis pour la recharge.",
	FlagTrainingNotDone:    "Formation technique pas encore suivie : elle sera exigée avant le retrait du matériel.",
}

// FlagMessage returns the French message of an eligibility flag code.
func FlagMessage(code string) string { return flagMessages[code] }

// RequiredForSubmission reports whether submitting a request needs the
// field filled in (see Request.MissingForSubmission): the forms mark the
// other fields as optional.
func RequiredForSubmission(field string) bool {
	_, ok := missingMessages[field]
	return ok
}

var missingMessages = map[string]string{
	"motivation":                   "les objectifs du projet sont obligatoires pour soumettre la demande",
	"school_project_links":         "le lien avec le projet d'école est obligatoire pour soumettre la demande",
	"curriculum_links":             "le lien avec les programmes est obligatoire pour soumettre la demande",
	"digital_skills":               "les compétences numériques travaillées sont obligatoires pour soumettre la demande",
	"commitments.secure_use":       "engagement obligatoire : usage sécurisé du matériel",
	"commitments.visits":           "engagement obligatoire : accepter la présence des formateurs et partenaires",
	"commitments.parents_informed": "engagement obligatoire : informer les parents",
	"commitments.feedback":         "engagement obligatoire : retour d'usage et bilan pédagogique",
	"logistics.secure_storage":     "un lieu de stockage sécurisé avec alimentation électrique est obligatoire",
}

// incompleteError refuses the submission of a request that lacks what
// submission requires; fields are JSON paths of Request.
func incompleteError(fields []string) error {
	f := FieldErrors{}
	for _, field := range fields {
		f.Add(field, "%s", missingMessages[field])
	}
	re, _ := AsRule(f.Err())
	re.Fields = fields
	return re
}

// requestStateError refuses an action in the request's current state.
func requestStateError(state RequestState) *RuleError {
	return &RuleError{Kind: RuleConflict, Code: "invalid_state", State: state,
		FieldMessages: map[string]string{"state": string(state)},
		Message:       fmt.Sprintf("Action impossible : la demande est à l'état « %s » (%s).", state.Label(), state)}
}

// auditActions names the audit event of each request action.
var auditActions = map[Action]string{
	ActRequestUpdate: "request.update", ActRequestSubmit: "request.submit",
	ActRequestAuthorize: "request.authorize", ActRequestRefuse: "request.refuse",
	ActRequestOpinion: "request.opinion", ActRequestDecide: "request.decide",
	ActRequestWithdraw: "request.withdraw", ActRequestPacks: "request.packs",
	ActTrainingRecord: "request.training",
}

// actingPerson loads the person behind an actor; ok is false for the
// system (UserID 0), which acts for itself and passes every rule.
func actingPerson(ctx context.Context, idb bun.IDB, actor Actor) (User, bool, error) {
	if actor.UserID == 0 {
		return User{}, false, nil
	}
	u, err := getUser(ctx, idb, actor.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, false, errRoleForbidden()
	}
	return u, err == nil, err
}

// checkRequestAction checks that the acting person may perform act on q:
// they see it (else not found), their roles allow the action (else
// forbidden), and the resource rules hold: only the request's teacher
// edits, submits and (with the coordinator) withdraws it; the school's
// director authorises or refuses it, except their own request, which the
// coordinator authorises.
func checkRequestAction(ctx context.Context, idb bun.IDB, actor Actor, act Action, q Request) error {
	u, ok, err := actingPerson(ctx, idb, actor)
	if err != nil || !ok {
		return err
	}
	if !u.SeesRequest(q) {
		return errHidden()
	}
	if !u.Can(act) {
		return errRoleForbidden()
	}
	switch act {
	case ActRequestUpdate, ActRequestSubmit:
		if q.TeacherID != u.ID {
			return Forbidden("not_the_teacher", "Seul l'enseignant de la demande peut la modifier ou la soumettre.")
		}
	case ActRequestWithdraw:
		if q.TeacherID != u.ID && !u.HasRole(RoleCoordinator) {
			return Forbidden("not_the_teacher", "Seul l'enseignant de la demande ou le coordinateur peut la retirer.")
		}
	case ActRequestAuthorize, ActRequestRefuse:
		own, err := filedByDirector(ctx, idb, q)
		if err != nil {
			return err
		}
		switch {
		case u.HasRoleAt(RoleDirector, q.SchoolUAI) && q.TeacherID != u.ID:
			return nil
		case own && q.TeacherID == u.ID:
			return Forbidden("own_request", "Vous ne pouvez pas autoriser ni refuser votre propre demande : c'est le coordinateur qui la traite.")
		case own && u.HasRole(RoleCoordinator):
			return nil
		}
		return errRoleForbidden()
	}
	return nil
}

// filedByDirector reports whether the request's teacher is a director of
// its school: a director's own class, which the coordinator authorises.
func filedByDirector(ctx context.Context, idb bun.IDB, q Request) (bool, error) {
	return idb.NewSelect().Table("user_roles").
		Where("user_id = ?", q.TeacherID).Where("role = ?", string(RoleDirector)).Where("school_uai = ?", q.SchoolUAI).
		Exists(ctx)
}

// checkRequestCreate checks that the person may file q: a teacher of the
// request's school, filing for themselves.
func checkRequestCreate(ctx context.Context, idb bun.IDB, actor Actor, q Request) error {
	u, ok, err := actingPerson(ctx, idb, actor)
	if err != nil || !ok {
		return err
	}
	if !u.Can(ActRequestCreate) {
		return errRoleForbidden()
	}
	if q.TeacherID != u.ID || !u.HasRoleAt(RoleTeacher, q.SchoolUAI) {
		return Forbidden("not_the_teacher", "Une demande est déposée par un enseignant de l'école, pour sa classe.")
	}
	return nil
}

// NewRequestFor returns a new draft request of the person, in their
// school, for the school year: what a teacher fills in.
func NewRequestFor(u User, year string) Request {
	school := u.SchoolUAI
	for _, ur := range u.roleSet() {
		if ur.Role == RoleTeacher {
			school = ur.SchoolUAI
			break
		}
	}
	return Request{SchoolUAI: school, TeacherID: u.ID, SchoolYear: year,
		Training: Training{Status: TrainingNotPlanned}, ClassLevels: []string{},
		PreferredPeriods: []string{}, ExcludedPeriods: []string{}}
}

// Validate checks a whole request against the periods of its school year
// and returns a *RuleError (validation_failed) naming every field at
// fault.
func (q Request) Validate(periods []calendar.Period) error {
	f := FieldErrors{}
	q.validate(periods, f)
	return f.Err()
}

func (q Request) validate(periods []calendar.Period, f FieldErrors) {
	CheckText(f, "school_year", q.SchoolYear, 9)
	CheckText(f, "title", q.Title, MaxTitleLen)
	CheckText(f, "motivation", q.Motivation, MaxTextLen)
	CheckText(f, "curriculum_links", q.CurriculumLinks, MaxTextLen)
	CheckText(f, "school_project_links", q.SchoolProjectLinks, MaxTextLen)
	CheckText(f, "coherence", q.Coherence, MaxTextLen)
	CheckText(f, "digital_skills", q.DigitalSkills, MaxTextLen)
	switch q.Training.Status {
	case TrainingNotPlanned, "":
		if q.Training.Date != nil {
			f.Add("training.date", "pas de date quand la formation n'est pas prévue")
		}
	case TrainingPlanned, TrainingDone:
		if q.Training.Date == nil {
			f.Add("training.date", "date de formation invalide : format AAAA-MM-JJ attendu (ex. 2026-12-09)")
		}
	default:
		f.Add("training.status", "statut de formation attendu : not_planned, planned ou done")
	}
	if q.Title == "" {
		f.Add("title", "le titre du projet est obligatoire")
	}
	if len(q.ClassLevels) == 0 {
		f.Add("class_levels", "au moins un niveau de classe est obligatoire (%s)", strings.Join(ClassLevels, ", "))
	}
	seen := map[string]bool{}
	for _, l := range q.ClassLevels {
		switch {
		case !slices.Contains(ClassLevels, l):
			f.Add("class_levels", "niveau de classe inconnu « %s » : niveaux possibles %s", l, strings.Join(ClassLevels, ", "))
		case seen[l]:
			f.Add("class_levels", "niveau « %s » en double", l)
		}
		seen[l] = true
	}
	if q.Pupils < 1 || q.Pupils > MaxPupils {
		f.Add("pupils", "nombre d'élèves invalide : entre 1 et %d", MaxPupils)
	}
	if !slices.Contains(ExtensionWeeks, q.ExtensionWeeks) {
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

// ValidateRequest checks a request against the calendar of its school
// year: an unknown or malformed year is a *RuleError on school_year, the
// rest as Request.Validate.
//
// A preferred period in which no loan could start under any loan policy
// is refused too, with the reason.
func (db *DB) ValidateRequest(ctx context.Context, q Request) error {
	return validateRequestTx(ctx, db.bun, q)
}

// validateRequestTx is ValidateRequest read through idb, inside the
// transaction that writes the request.
func validateRequestTx(ctx context.Context, idb bun.IDB, q Request) error {
	y, err := yearTx(ctx, idb, q.SchoolYear, "school_year")
	if err != nil {
		return err
	}
	f := FieldErrors{}
	q.validate(y.Periods(), f)
	checkPreferredStarts(y, q.PreferredPeriods, f)
	return f.Err()
}

// YearPeriods returns the periods of a school year; an unknown or
// malformed year is a *RuleError on field.
func (db *DB) YearPeriods(ctx context.Context, year, field string) ([]calendar.Period, error) {
	return yearPeriodsTx(ctx, db.bun, year, field)
}

func yearPeriodsTx(ctx context.Context, idb bun.IDB, year, field string) ([]calendar.Period, error) {
	y, err := yearTx(ctx, idb, year, field)
	if err != nil {
		return nil, err
	}
	return y.Periods(), nil
}

// yearTx returns the calendar of a school year; an unknown or malformed
// year is a *RuleError on field.
func yearTx(ctx context.Context, idb bun.IDB, year, field string) (*calendar.Year, error) {
	y, err := calendarYearTx(ctx, idb, year)
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		return nil, FieldErrors{field: fmt.Sprintf("année scolaire invalide « %s » : format attendu 2026-2027", year)}.Err()
	case errors.Is(err, calendar.ErrUnknownYear):
		return nil, FieldErrors{field: fmt.Sprintf("calendrier de l'année scolaire %s inconnu", year)}.Err()
	case err != nil:
		return nil, err
	}
	return y, nil
}

// RequestFor returns a request the person may see: teachers their own,
// directors their school's, everybody else all. Another's is ErrNotFound.
func (db *DB) RequestFor(ctx context.Context, u User, id int64) (_ Request, err error) {
	q, err := db.Request(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if !u.SeesRequest(q) {
		return Request{}, fmt.Errorf("RequestFor(%d): %w", id, errHidden())
	}
	return q, nil
}

// ListRequestsFor returns the requests matching f that the person may see:
// a filter on another school than theirs gives none.
func (db *DB) ListRequestsFor(ctx context.Context, u User, f RequestFilter) ([]Request, error) {
	f, ok := u.scopeRequests(f)
	if !ok {
		return []Request{}, nil
	}
	return db.ListRequests(ctx, f)
}

// scopeRequests narrows f to the requests u may see; ok is false when u
// may see none of them (a filter on another school than theirs).
func (u User) scopeRequests(f RequestFilter) (_ RequestFilter, ok bool) {
	if !u.SeesAllSchools() {
		school := ""
		for _, ur := range u.roleSet() {
			if ur.Role == RoleDirector && (f.SchoolUAI == "" || f.SchoolUAI == ur.SchoolUAI) {
				school = ur.SchoolUAI
				break
			}
		}
		if school == "" {
			// A teacher only: their own requests, in their school.
			f.TeacherID = u.ID
			for _, ur := range u.roleSet() {
				if ur.Role == RoleTeacher && (f.SchoolUAI == "" || f.SchoolUAI == ur.SchoolUAI) {
					school = ur.SchoolUAI
					break
				}
			}
		}
		if school == "" {
			return f, false
		}
		f.SchoolUAI = school
	}
	return f, true
}
