package store

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// RequestState is where a participation request stands in its workflow:
//
//	draft → submitted → authorised → in_review → validated | rejected
//
// The director may refuse a submitted request (back to draft); the first
// referent opinion moves an authorised request in review; the teacher or
// the coordinator may withdraw it at any time before a loan exists.
type RequestState string

// The request states.
const (
	RequestDraft      RequestState = "draft"
	RequestSubmitted  RequestState = "submitted"
	RequestAuthorised RequestState = "authorised"
	RequestInReview   RequestState = "in_review"
	RequestValidated  RequestState = "validated"
	RequestRejected   RequestState = "rejected"
	RequestWithdrawn  RequestState = "withdrawn"
)

// RequestStates lists every state in workflow order.
var RequestStates = []RequestState{RequestDraft, RequestSubmitted, RequestAuthorised, RequestInReview,
	RequestValidated, RequestRejected, RequestWithdrawn}

// Valid reports whether s is a known state.
func (s RequestState) Valid() bool { return slices.Contains(RequestStates, s) }

// Decided reports whether the request is frozen by a decision or a
// withdrawal: nothing of it may change any more.
func (s RequestState) Decided() bool {
	return s == RequestValidated || s == RequestRejected || s == RequestWithdrawn
}

// Training statuses of a request's teacher.
const (
	TrainingNotPlanned TrainingStatus = "not_planned"
	TrainingPlanned    TrainingStatus = "planned"
	TrainingDone       TrainingStatus = "done"
)

// Opinion verdicts.
const (
	OpinionFavourable   OpinionVerdict = "favourable"
	OpinionReserved     OpinionVerdict = "reserved"
	OpinionUnfavourable OpinionVerdict = "unfavourable"
)

// ClassLevels are the accepted class levels, in school order.
var ClassLevels = []string{"TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "ULIS", "UPE2A"}

// ExtensionWeeks are the accepted extension wishes, in school weeks.
var ExtensionWeeks = []int{0, 2, 6}

// MaxParticipationYears is the number of school years a class may take part
// (seed 2.4: "participation pour deux années maximum").
const MaxParticipationYears = 2

// MaxPupils is the largest class accepted.
const MaxPupils = 35

// MaxPacks is the largest number of packs one request may get.
const MaxPacks = 3

// PacksFor returns the packs a class needs: 1, or 2 above 24 pupils.
func PacksFor(pupils int) int {
	if pupils > 24 {
		return 2
	}
	return 1
}

// ReferentRoles are the roles that give an opinion on a request, in the
// order they are shown.
var ReferentRoles = []Role{RoleInspection, RoleIT, RoleEducation}

// Errors of the request workflow.
var (
	// ErrIneligible is returned when a request cannot be validated because
	// its class would exceed MaxParticipationYears.
	ErrIneligible = errors.New("store: request not eligible")
)

// Commitments are what the teacher commits to (seed 3.1).
type Commitments struct {
	// SecureUse: secure use of the equipment.
	SecureUse bool `json:"secure_use"`
	// Visits: trainers and partners may visit the class.
	Visits bool `json:"visits"`
	// ParentsInformed: parents are told about the work done.
	ParentsInformed bool `json:"parents_informed"`
	// Feedback: a usage feedback and a pedagogical assessment will be written.
	Feedback bool `json:"feedback"`
}

// Logistics are the school's facts the DSI needs (seed 3.1).
type Logistics struct {
	// SecureStorage: a secure place with power to charge the tablets.
	SecureStorage bool `json:"secure_storage"`
	ClassroomWifi bool `json:"classroom_wifi"`
	Printing      bool `json:"printing"`
	Backups       bool `json:"backups"`
}

// Training is the teacher's technical training for the equipment.
type Training struct {
	// Status is TrainingNotPlanned, TrainingPlanned or TrainingDone.
	Status TrainingStatus `json:"status"`
	// StatusLabel is Status in French.
	StatusLabel string `json:"status_label,omitempty"`
	// Date is the day it is planned or was done; nil when not planned.
	Date *calendar.Date `json:"date,omitempty"`
	// PlannedOn is the planned day (kept once the training is done).
	PlannedOn *calendar.Date `json:"planned_on,omitempty"`
	// DoneOn is the day it was done, when done.
	DoneOn *calendar.Date `json:"done_on,omitempty"`
	// By says who gave (or will give) the training.
	By string `json:"by,omitempty"`
	// RecordedBy and RecordedByName name who last recorded it (IT, the
	// coordinator or the teacher), at RecordedAt.
	RecordedBy     int64      `json:"recorded_by,omitempty"`
	RecordedByName string     `json:"recorded_by_name,omitempty"`
	RecordedAt     *time.Time `json:"recorded_at,omitempty"`
}

// Opinion is one referent role's opinion on a request.
type Opinion struct {
	Role       Role           `json:"role"`
	Verdict    OpinionVerdict `json:"verdict"`
	Comment    string         `json:"comment"`
	AuthorID   int64          `json:"author_id"`
	AuthorName string         `json:"author_name,omitempty"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// EligibilityFlag is one remark on a request's eligibility. Blocking flags
// prevent submission (missing commitments) or validation (participation
// year); the others are warnings.
type EligibilityFlag struct {
	Code     string `json:"code"`
	Blocking bool   `json:"blocking"`
}

// Eligibility flag codes.
const (
	FlagTooManyYears       = "too_many_years"       // ineligible: 2 years maximum (blocks validation)
	FlagOtherPartnerScheme = "other_partner_scheme" // already in another partner scheme (warning)
	FlagMissingCommitments = "missing_commitments"  // blocks submission
	FlagNoSecureStorage    = "no_secure_storage"    // blocks submission
	FlagTrainingNotDone    = "training_not_done"    // warning: blocks the pickup later
)

// Eligibility is computed with each request.
type Eligibility struct {
	// ParticipationYear is 1 + the number of earlier school years in which
	// the same teacher at the same school took part (participation_history).
	ParticipationYear int               `json:"participation_year"`
	Eligible          bool              `json:"eligible"`
	Flags             []EligibilityFlag `json:"flags"`
}

// Request is a participation request (demande de participation) of a class
// for a school year.
type Request struct {
	ID                 int64        `json:"id"`
	SchoolYear         string       `json:"school_year"`
	SchoolUAI          string       `json:"school_uai"`
	SchoolName         string       `json:"school_name,omitempty"`
	SectorID           string       `json:"sector_id,omitempty"`
	TeacherID          int64        `json:"teacher_id"`
	TeacherName        string       `json:"teacher_name,omitempty"`
	State              RequestState `json:"state"`
	ClassLevels        []string     `json:"class_levels"`
	Pupils             int          `json:"pupils"`
	Title              string       `json:"title"`
	Motivation         string       `json:"motivation"`
	CurriculumLinks    string       `json:"curriculum_links"`
	SchoolProjectLinks string       `json:"school_project_links"`
	Coherence          string       `json:"coherence"`
	DigitalSkills      string       `json:"digital_skills"`
	Commitments        Commitments  `json:"commitments"`
	Logistics          Logistics    `json:"logistics"`
	OtherPartnerScheme bool         `json:"other_partner_scheme"`
	Training           Training     `json:"training"`
	PreferredPeriods   []string     `json:"preferred_periods"`
	ExcludedPeriods    []string     `json:"excluded_periods"`
	ExtensionWeeks     int          `json:"extension_weeks"`
	// Packs is the number of packs needed: PacksFor(Pupils) unless the
	// coordinator overrode it, in which case PacksReason says why.
	Packs          int    `json:"packs"`
	PacksReason    string `json:"packs_reason,omitempty"`
	RefusalReason  string `json:"refusal_reason,omitempty"`
	DecisionReason string `json:"decision_reason,omitempty"`
	// DecisionOverride is the coordinator's reason for deciding before the
	// three referents gave their opinion.
	DecisionOverride string     `json:"decision_override,omitempty"`
	DecidedBy        int64      `json:"decided_by,omitempty"`
	DecidedByName    string     `json:"decided_by_name,omitempty"`
	DecidedAt        *time.Time `json:"decided_at,omitempty"`
	WithdrawReason   string     `json:"withdraw_reason,omitempty"`
	// HasLoan is maintained by the loans (SetRequestLoaned).
	HasLoan     bool        `json:"has_loan"`
	Version     int         `json:"version"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	SubmittedAt *time.Time  `json:"submitted_at,omitempty"`
	Eligibility Eligibility `json:"eligibility"`
	Opinions    []Opinion   `json:"opinions"`
	// Warnings are remarks that do not stop the request (a preferred
	// period shorter than a loan), computed from the calendar and the
	// year's loan policy.
	Warnings []RequestWarning `json:"warnings"`
}

// MissingForSubmission returns the fields that submission requires and r
// lacks: the pedagogical fields of the form (objectives, links with the
// school project and the curriculum, digital skills), the four
// commitments and the secure charging storage.
func (r Request) MissingForSubmission() []string {
	var out []string
	filled := func(s string) bool { return strings.TrimSpace(s) != "" }
	for _, c := range []struct {
		field string
		ok    bool
	}{
		{"motivation", filled(r.Motivation)},
		{"school_project_links", filled(r.SchoolProjectLinks)},
		{"curriculum_links", filled(r.CurriculumLinks)},
		{"digital_skills", filled(r.DigitalSkills)},
		{"commitments.secure_use", r.Commitments.SecureUse},
		{"commitments.visits", r.Commitments.Visits},
		{"commitments.parents_informed", r.Commitments.ParentsInformed},
		{"commitments.feedback", r.Commitments.Feedback},
		{"logistics.secure_storage", r.Logistics.SecureStorage},
	} {
		if !c.ok {
			out = append(out, c.field)
		}
	}
	return out
}

// eligibility computes the flags of r once ParticipationYear is known.
func (r Request) eligibility(year int) Eligibility {
	e := Eligibility{ParticipationYear: year, Eligible: year <= MaxParticipationYears, Flags: []EligibilityFlag{}}
	if year > MaxParticipationYears {
		e.Flags = append(e.Flags, EligibilityFlag{Code: FlagTooManyYears, Blocking: true})
	}
	if r.OtherPartnerScheme {
		e.Flags = append(e.Flags, EligibilityFlag{Code: FlagOtherPartnerScheme})
	}
	c := r.Commitments
	if !c.SecureUse || !c.Visits || !c.ParentsInformed || !c.Feedback {
		e.Flags = append(e.Flags, EligibilityFlag{Code: FlagMissingCommitments, Blocking: true})
	}
	if !r.Logistics.SecureStorage {
		e.Flags = append(e.Flags, EligibilityFlag{Code: FlagNoSecureStorage, Blocking: true})
	}
	if r.Training.Status != TrainingDone {
		e.Flags = append(e.Flags, EligibilityFlag{Code: FlagTrainingNotDone})
	}
	return e
}

// where adds the filter's conditions to a query on requests AS r.
func (f RequestFilter) where(q *bun.SelectQuery) *bun.SelectQuery {
	if f.SchoolYear != "" {
		q = q.Where("r.school_year = ?", f.SchoolYear)
	}
	if f.State != "" {
		q = q.Where("r.state = ?", string(f.State))
	}
	if f.SchoolUAI != "" {
		q = q.Where("r.school_uai = ?", f.SchoolUAI)
	}
	if f.TeacherID != 0 {
		q = q.Where("r.teacher_id = ?", f.TeacherID)
	}
	return q
}
