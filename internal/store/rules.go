package store

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Action is something a person may do in classemobile. Every route, page
// and command names the action it performs; Allowed says whether a person
// may perform it, from the roles they hold (see actionRoles). Rules that
// depend on the resource (the director of this school, the teacher of this
// request) are checked by the store method that performs the action.
type Action string

// The actions.
const (
	// ActRead reads the shared catalogue: the current user, schools,
	// sectors, packs, maintenance windows, the calendar.
	ActRead             Action = "read"
	ActSchoolWrite      Action = "school.write"
	ActPackWrite        Action = "pack.write"
	ActMaintenanceWrite Action = "maintenance.write"

	ActRequestCreate    Action = "request.create"
	ActRequestRead      Action = "request.read"
	ActRequestUpdate    Action = "request.update"
	ActRequestSubmit    Action = "request.submit"
	ActRequestAuthorize Action = "request.authorize"
	ActRequestRefuse    Action = "request.refuse"
	ActRequestOpinion   Action = "request.opinion"
	ActRequestDecide    Action = "request.decide"
	ActRequestWithdraw  Action = "request.withdraw"
	ActRequestPacks     Action = "request.packs"
	ActTrainingRecord   Action = "request.training"
	ActSynthesisRead    Action = "synthesis.read"

	ActRoundRead  Action = "round.read"
	ActRoundWrite Action = "round.write"

	ActLoanRead         Action = "loan.read"
	ActLoanCreate       Action = "loan.create"
	ActLoanSign         Action = "loan.sign"
	ActLoanPickup       Action = "loan.pickup"
	ActLoanReturn       Action = "loan.return"
	ActExtensionRequest Action = "loan.extension"
	ActExtensionDecide  Action = "loan.extension.decide"
	ActLoanClose        Action = "loan.close"
	ActLoanCancel       Action = "loan.cancel"
	ActAssessmentWrite  Action = "assessment.write"
	ActAssessmentRead   Action = "assessment.read"
	ActIncidentRead     Action = "incident.read"
	ActIncidentResolve  Action = "incident.resolve"
	ActFeedManage       Action = "feed.manage"
	ActReminderManage   Action = "reminder.manage"
	ActPeopleManage     Action = "people.manage"

	// ActPackRead sees the packs' pages with who holds each pack and its
	// next loan (staff only: schools see other schools' loans as "prêté").
	ActPackRead Action = "pack.read"
	// ActFeedAdmin is managing every calendar feed from the
	// administration (directors manage their school's from their page).
	ActFeedAdmin Action = "feed.admin"
)

// Role groups of the action table.
var (
	allRoles   = Roles
	staffRoles = []Role{RoleCoordinator, RoleIT, RoleInspection, RoleEducation}
)

// actionRoles is the table of actions × roles: who may perform what. A
// person may perform an action when one of their roles is listed.
//
// Authorising or refusing a request is the director's; the coordinator is
// listed because a request a director files for their own class is
// authorised by the coordinator (the store checks which request it is).
var actionRoles = map[Action][]Role{
	ActRead:             allRoles,
	ActSchoolWrite:      {RoleCoordinator},
	ActPackWrite:        {RoleCoordinator, RoleIT},
	ActMaintenanceWrite: {RoleCoordinator, RoleIT},

	ActRequestCreate:    {RoleTeacher},
	ActRequestRead:      allRoles,
	ActRequestUpdate:    {RoleTeacher},
	ActRequestSubmit:    {RoleTeacher},
	ActRequestAuthorize: {RoleDirector, RoleCoordinator},
	ActRequestRefuse:    {RoleDirector, RoleCoordinator},
	ActRequestOpinion:   ReferentRoles,
	ActRequestDecide:    {RoleCoordinator, RoleInspection},
	ActRequestWithdraw:  {RoleTeacher, RoleCoordinator},
	ActRequestPacks:     {RoleCoordinator},
	ActTrainingRecord:   {RoleIT, RoleCoordinator, RoleTeacher},
	ActSynthesisRead:    staffRoles,

	ActRoundRead:  staffRoles,
	ActRoundWrite: {RoleCoordinator},

	ActLoanRead:         allRoles,
	ActLoanCreate:       {RoleCoordinator},
	ActLoanSign:         {RoleDirector, RoleIT},
	ActLoanPickup:       {RoleCoordinator, RoleIT},
	ActLoanReturn:       {RoleCoordinator, RoleIT},
	ActExtensionRequest: {RoleTeacher, RoleCoordinator},
	ActExtensionDecide:  {RoleCoordinator},
	ActLoanClose:        {RoleInspection},
	ActLoanCancel:       {RoleCoordinator},
	ActAssessmentWrite:  {RoleTeacher},
	ActAssessmentRead:   {RoleCoordinator, RoleInspection},
	ActIncidentRead:     staffRoles,
	ActIncidentResolve:  {RoleCoordinator, RoleIT},
	ActFeedManage:       {RoleCoordinator, RoleDirector},
	ActReminderManage:   {RoleCoordinator},
	ActPeopleManage:     {RoleCoordinator},

	ActPackRead: staffRoles,
	ActFeedAdmin: {RoleCoordinator},
}

// Actions lists every action, sorted.
var Actions = func() []Action {
	out := make([]Action, 0, len(actionRoles))
	for a := range actionRoles {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}()

// Roles returns the roles that may perform the action (nil for an unknown
// action: nobody may).
func (a Action) Roles() []Role { return slices.Clone(actionRoles[a]) }

// Allowed reports whether the person may perform the action, from the
// roles they hold. An unknown action is denied.
func Allowed(u User, a Action) bool {
	for _, r := range actionRoles[a] {
		if u.HasRole(r) {
			return true
		}
	}
	return false
}

// Can reports whether the person may perform the action (see Allowed).
func (u User) Can(a Action) bool { return Allowed(u, a) }

// UserRole is one role a person holds. Directors and teachers hold their
// role in a school.
type UserRole struct {
	Role      Role   `json:"role"`
	SchoolUAI string `json:"school_uai,omitempty"`
}

// roleSet returns the roles the person holds: Roles, or the primary role
// alone for a User built by hand.
func (u User) roleSet() []UserRole {
	if len(u.Roles) > 0 {
		return u.Roles
	}
	if u.Role == "" {
		return nil
	}
	return []UserRole{{Role: u.Role, SchoolUAI: u.SchoolUAI}}
}

// HasRole reports whether the person holds the role (in any school).
func (u User) HasRole(r Role) bool {
	return slices.ContainsFunc(u.roleSet(), func(ur UserRole) bool { return ur.Role == r })
}

// HasRoleAt reports whether the person holds a school-scoped role in the
// given school.
func (u User) HasRoleAt(r Role, schoolUAI string) bool {
	return slices.ContainsFunc(u.roleSet(), func(ur UserRole) bool { return ur.Role == r && ur.SchoolUAI == schoolUAI })
}

// SeesAllSchools reports whether the person sees every school's requests,
// loans and feeds: anyone holding a role that is not scoped to a school
// (the coordinator and the referents). Directors and teachers see their
// school's.
func (u User) SeesAllSchools() bool {
	return slices.ContainsFunc(u.roleSet(), func(ur UserRole) bool { return !ur.Role.ScopedToSchool() })
}

// ReferentRole returns the referent role the person gives opinions as (the
// first of ReferentRoles they hold), and false when they hold none.
func (u User) ReferentRole() (Role, bool) {
	for _, r := range ReferentRoles {
		if u.HasRole(r) {
			return r, true
		}
	}
	return "", false
}

// SeesRequest reports whether the person may see the request: teachers
// their own, directors their school's, everybody else all.
func (u User) SeesRequest(q Request) bool {
	return u.SeesAllSchools() || u.HasRoleAt(RoleDirector, q.SchoolUAI) ||
		(u.HasRole(RoleTeacher) && q.TeacherID == u.ID)
}

// SeesSchool reports whether the person may see the loans, incidents and
// feeds of a school: its directors and teachers, and every person who sees
// all schools.
func (u User) SeesSchool(schoolUAI string) bool {
	return u.SeesAllSchools() || u.HasRoleAt(RoleDirector, schoolUAI) || u.HasRoleAt(RoleTeacher, schoolUAI)
}

// RuleKind says how a rule was broken, which is what a face (HTTP status,
// page, exit code) shows.
type RuleKind string

// The kinds of broken rules.
const (
	// RuleInvalid: the input itself is wrong (HTTP 422).
	RuleInvalid RuleKind = "invalid"
	// RuleConflict: the state of the resource or the plan forbids the
	// action (HTTP 409).
	RuleConflict RuleKind = "conflict"
	// RuleForbidden: this person may not perform this action on this
	// resource (HTTP 403).
	RuleForbidden RuleKind = "forbidden"
	// RuleNotFound: the resource does not exist or the person may not see
	// it (HTTP 404).
	RuleNotFound RuleKind = "not_found"
)

// Conflict names what an action conflicts with: a loan, a pack, a
// request, a maintenance window, a round.
type Conflict struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
}

// State is a named state with a French label (RequestState, LoanState…).
type State interface {
	Label() string
}

// RuleError is a rule of classemobile that does not hold: the one error
// type of the domain. Message is French and safe to show to users; it is
// written where the rule is checked.
type RuleError struct {
	Kind RuleKind
	// Code is a stable machine code ("invalid_state", "pickup_blocked"…).
	Code    string
	Message string
	// Field names the input field at fault, if any; Fields lists every
	// field at fault (sorted), with a French message each in
	// FieldMessages.
	Field         string
	Fields        []string
	FieldMessages map[string]string
	// State is the resource's current state when the rule is about it.
	State State
	// Conflict names the resource the action conflicts with, if any.
	Conflict *Conflict
	// Err is a sentinel the error also matches (ErrIneligible…).
	Err error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %s: %s: %s", e.Kind, e.Code, e.Message)
}

// Unwrap returns the sentinel the rule matches, if any.
func (e *RuleError) Unwrap() error { return e.Err }

// Is makes a conflict match ErrConflict and a not-found match ErrNotFound.
func (e *RuleError) Is(target error) bool {
	return (e.Kind == RuleConflict && target == ErrConflict) || (e.Kind == RuleNotFound && target == ErrNotFound)
}

// Invalid returns a rule error for bad input on one field.
func Invalid(field, code, format string, args ...any) *RuleError {
	msg := fmt.Sprintf(format, args...)
	e := &RuleError{Kind: RuleInvalid, Code: code, Message: msg, Field: field}
	if field != "" {
		e.Fields, e.FieldMessages = []string{field}, map[string]string{field: msg}
	}
	return e
}

// Conflicting returns a rule error for an action the state forbids.
func Conflicting(code, format string, args ...any) *RuleError {
	return &RuleError{Kind: RuleConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns a rule error for an action this person may not
// perform on this resource.
func Forbidden(code, format string, args ...any) *RuleError {
	return &RuleError{Kind: RuleForbidden, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errRoleForbidden is the refusal of an action the person's roles do not
// allow.
func errRoleForbidden() *RuleError {
	return Forbidden("forbidden", "Votre rôle ne permet pas cette action.")
}

// errHidden is the refusal of a resource the person may not see: like a
// resource that does not exist.
// Hidden is the answer to a person who may not see a resource: it does
// not exist for them (not_found).
func Hidden() *RuleError { return errHidden() }

func errHidden() *RuleError {
	return &RuleError{Kind: RuleNotFound, Code: "not_found", Message: "Ressource introuvable."}
}

// FieldErrors collects French messages per field during validation.
type FieldErrors map[string]string

// Add records a message for a field, keeping the first one.
func (f FieldErrors) Add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

// CheckText records a problem with text a person sends on field: invalid
// UTF-8, a NUL byte, or more than maxLen characters (no limit when maxLen
// is 0).
func CheckText(f FieldErrors, field, s string, maxLen int) {
	switch {
	case !utf8.ValidString(s):
		f.Add(field, "texte qui n'est pas de l'UTF-8 valide")
	case strings.IndexByte(s, 0) >= 0:
		f.Add(field, "caractère nul interdit")
	case maxLen > 0 && utf8.RuneCountInString(s) > maxLen:
		f.Add(field, "texte trop long (%d caractères au plus)", maxLen)
	}
}

// Err returns nil when there is no problem, else a *RuleError
// (validation_failed) listing them.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := "Données invalides : " + keys[0] + " : " + f[keys[0]]
	if len(keys) > 1 {
		msg = fmt.Sprintf("Données invalides (%d champs) : voir le détail par champ.", len(keys))
	}
	field := ""
	if len(keys) == 1 {
		field = keys[0]
	}
	return &RuleError{Kind: RuleInvalid, Code: "validation_failed", Message: msg, Field: field, Fields: keys, FieldMessages: map[string]string(f)}
}

// AsRule returns the *RuleError in err's chain, if any.
func AsRule(err error) (*RuleError, bool) {
	var re *RuleError
	ok := errors.As(err, &re)
	return re, ok
}
