package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
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

// requestDate stores an optional civil date: 'YYYY-MM-DD' text in SQLite,
// DATE in PostgreSQL (read back as a time.Time at midnight UTC).
type requestDate struct{ d *calendar.Date }

// Value implements driver.Valuer.
func (d requestDate) Value() (driver.Value, error) {
	if d.d == nil || d.d.IsZero() {
		return nil, nil
	}
	return d.d.String(), nil
}

// Scan implements sql.Scanner.
func (d *requestDate) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		d.d = nil
		return nil
	case time.Time:
		x := calendar.DateOf(v)
		d.d = &x
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("scan date: unsupported type %T", src)
	}
	if len(s) > 10 {
		s = s[:10]
	}
	x, err := calendar.ParseDate(s)
	if err != nil {
		return fmt.Errorf("scan date: %w", err)
	}
	d.d = &x
	return nil
}

type requestRow struct {
	bun.BaseModel `bun:"table:requests,alias:r"`

	ID                 int64          `bun:"id,pk,autoincrement"`
	SchoolYear         string         `bun:"school_year,notnull"`
	SchoolUAI          string         `bun:"school_uai,notnull"`
	TeacherID          int64          `bun:"teacher_id,notnull"`
	State              string         `bun:"state,notnull"`
	ClassLevels        string         `bun:"class_levels,notnull"`
	Pupils             int            `bun:"pupils,notnull"`
	Title              string         `bun:"title,notnull"`
	Motivation         string         `bun:"motivation,notnull"`
	CurriculumLinks    string         `bun:"curriculum_links,notnull"`
	SchoolProjectLinks string         `bun:"school_project_links,notnull"`
	Coherence          string         `bun:"coherence,notnull"`
	DigitalSkills      string         `bun:"digital_skills,notnull"`
	CommitSecureUse    bool           `bun:"commit_secure_use,notnull"`
	CommitVisits       bool           `bun:"commit_visits,notnull"`
	CommitParents      bool           `bun:"commit_parents,notnull"`
	CommitFeedback     bool           `bun:"commit_feedback,notnull"`
	SecureStorage      bool           `bun:"secure_storage,notnull"`
	ClassroomWifi      bool           `bun:"classroom_wifi,notnull"`
	Printing           bool           `bun:"printing,notnull"`
	Backups            bool           `bun:"backups,notnull"`
	OtherPartnerScheme bool           `bun:"other_partner_scheme,notnull"`
	TrainingStatus     TrainingStatus `bun:"training_status,notnull"`
	TrainingDate       requestDate    `bun:"training_date,type:date"`
	TrainingPlannedOn  requestDate    `bun:"training_planned_on,type:date"`
	TrainingBy         string         `bun:"training_by,notnull"`
	TrainingRecordedBy *int64         `bun:"training_recorded_by"`
	TrainingRecordedAt *time.Time     `bun:"training_recorded_at"`
	PreferredPeriods   string         `bun:"preferred_periods,notnull"`
	ExcludedPeriods    string         `bun:"excluded_periods,notnull"`
	ExtensionWeeks     int            `bun:"extension_weeks,notnull"`
	Packs              int            `bun:"packs,notnull"`
	PacksReason        string         `bun:"packs_reason,notnull"`
	RefusalReason      string         `bun:"refusal_reason,notnull"`
	DecisionReason     string         `bun:"decision_reason,notnull"`
	DecisionOverride   string         `bun:"decision_override,notnull"`
	DecidedBy          *int64         `bun:"decided_by"`
	DecidedAt          *time.Time     `bun:"decided_at"`
	WithdrawnReason    string         `bun:"withdrawn_reason,notnull"`
	HasLoan            bool           `bun:"has_loan,notnull"`
	Version            int            `bun:"version,notnull"`
	CreatedAt          time.Time      `bun:"created_at,notnull"`
	UpdatedAt          time.Time      `bun:"updated_at,notnull"`
	SubmittedAt        *time.Time     `bun:"submitted_at"`

	// Joined, read only.
	SchoolName  string  `bun:"school_name,scanonly"`
	SectorID    *string `bun:"sector_id,scanonly"`
	TeacherName string  `bun:"teacher_name,scanonly"`
	// TrainingRecorderName is the name of training_recorded_by.
	TrainingRecorderName *string `bun:"training_recorder_name,scanonly"`
	DecidedByName        *string `bun:"decided_by_name,scanonly"`
}

func (r requestRow) training() Training {
	t := Training{Status: r.TrainingStatus, StatusLabel: r.TrainingStatus.Label(), Date: r.TrainingDate.d,
		PlannedOn: r.TrainingPlannedOn.d, By: r.TrainingBy, RecordedAt: utcPtr(r.TrainingRecordedAt)}
	if r.TrainingStatus == TrainingDone {
		t.DoneOn = r.TrainingDate.d
	} else if t.PlannedOn == nil {
		t.PlannedOn = r.TrainingDate.d
	}
	if r.TrainingRecordedBy != nil {
		t.RecordedBy = *r.TrainingRecordedBy
	}
	if r.TrainingRecorderName != nil {
		t.RecordedByName = *r.TrainingRecorderName
	}
	return t
}

type opinionRow struct {
	bun.BaseModel `bun:"table:request_opinions,alias:o"`

	RequestID int64          `bun:"request_id,pk"`
	Role      string         `bun:"role,pk"`
	Verdict   OpinionVerdict `bun:"verdict,notnull"`
	Comment   string         `bun:"comment,notnull"`
	AuthorID  int64          `bun:"author_id,notnull"`
	UpdatedAt time.Time      `bun:"updated_at,notnull"`

	AuthorName string `bun:"author_name,scanonly"`
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r requestRow) request() Request {
	q := Request{ID: r.ID, SchoolYear: r.SchoolYear, SchoolUAI: r.SchoolUAI, SchoolName: r.SchoolName,
		TeacherID: r.TeacherID, TeacherName: r.TeacherName, State: RequestState(r.State),
		ClassLevels: splitList(r.ClassLevels), Pupils: r.Pupils, Title: r.Title, Motivation: r.Motivation,
		CurriculumLinks: r.CurriculumLinks, SchoolProjectLinks: r.SchoolProjectLinks, Coherence: r.Coherence,
		DigitalSkills: r.DigitalSkills,
		Commitments: Commitments{SecureUse: r.CommitSecureUse, Visits: r.CommitVisits,
			ParentsInformed: r.CommitParents, Feedback: r.CommitFeedback},
		Logistics: Logistics{SecureStorage: r.SecureStorage, ClassroomWifi: r.ClassroomWifi,
			Printing: r.Printing, Backups: r.Backups},
		OtherPartnerScheme: r.OtherPartnerScheme,
		Training:           r.training(),
		PreferredPeriods:   splitList(r.PreferredPeriods), ExcludedPeriods: splitList(r.ExcludedPeriods),
		ExtensionWeeks: r.ExtensionWeeks, Packs: r.Packs, PacksReason: r.PacksReason,
		RefusalReason: r.RefusalReason, DecisionReason: r.DecisionReason, DecisionOverride: r.DecisionOverride, DecidedAt: utcPtr(r.DecidedAt),
		WithdrawReason: r.WithdrawnReason, HasLoan: r.HasLoan, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), SubmittedAt: utcPtr(r.SubmittedAt),
		Opinions: []Opinion{}}
	if r.DecidedBy != nil {
		q.DecidedBy = *r.DecidedBy
		if r.DecidedByName != nil {
			q.DecidedByName = *r.DecidedByName
		}
	}
	if r.SectorID != nil {
		q.SectorID = *r.SectorID
	}
	return q
}

// setContent copies the fields a teacher writes from q into r.
func (r *requestRow) setContent(q Request) {
	r.ClassLevels = strings.Join(q.ClassLevels, ",")
	r.Pupils = q.Pupils
	r.Title, r.Motivation, r.CurriculumLinks = q.Title, q.Motivation, q.CurriculumLinks
	r.SchoolProjectLinks, r.Coherence, r.DigitalSkills = q.SchoolProjectLinks, q.Coherence, q.DigitalSkills
	r.CommitSecureUse, r.CommitVisits = q.Commitments.SecureUse, q.Commitments.Visits
	r.CommitParents, r.CommitFeedback = q.Commitments.ParentsInformed, q.Commitments.Feedback
	r.SecureStorage, r.ClassroomWifi = q.Logistics.SecureStorage, q.Logistics.ClassroomWifi
	r.Printing, r.Backups = q.Logistics.Printing, q.Logistics.Backups
	r.OtherPartnerScheme = q.OtherPartnerScheme
	r.TrainingStatus = q.Training.Status
	if r.TrainingStatus == "" {
		r.TrainingStatus = TrainingNotPlanned
	}
	r.TrainingDate = requestDate{q.Training.Date}
	if r.TrainingStatus == TrainingNotPlanned {
		r.TrainingDate = requestDate{}
	}
	r.TrainingPlannedOn = requestDate{}
	if r.TrainingStatus == TrainingPlanned {
		r.TrainingPlannedOn = r.TrainingDate
	}
	r.PreferredPeriods = strings.Join(q.PreferredPeriods, ",")
	r.ExcludedPeriods = strings.Join(q.ExcludedPeriods, ",")
	r.ExtensionWeeks = q.ExtensionWeeks
	if r.PacksReason == "" {
		r.Packs = PacksFor(q.Pupils)
	}
}

// requestSelect selects requests with their school, sector and teacher.
func requestSelect(idb bun.IDB, rows any) *bun.SelectQuery {
	return idb.NewSelect().Model(rows).
		ColumnExpr("r.*").
		ColumnExpr("s.name AS school_name, s.sector_id AS sector_id, u.name AS teacher_name").
		ColumnExpr("tu.name AS training_recorder_name, du.name AS decided_by_name").
		Join("JOIN schools AS s ON s.uai = r.school_uai").
		Join("JOIN users AS u ON u.id = r.teacher_id").
		Join("LEFT JOIN users AS tu ON tu.id = r.training_recorded_by").
		Join("LEFT JOIN users AS du ON du.id = r.decided_by")
}

// participationYearSQL counts the earlier participations of the request's
// teacher at its school; it is a correlated subquery on alias r.
const participationYearSQL = `1 + (SELECT count(*) FROM participation_history AS ph
	WHERE ph.teacher_id = r.teacher_id AND ph.school_uai = r.school_uai AND ph.school_year < r.school_year)`

// getRequest loads one request with its eligibility and opinions.
func getRequest(ctx context.Context, idb bun.IDB, id int64) (Request, error) {
	var row requestRow
	if err := requestSelect(idb, &row).Where("r.id = ?", id).Scan(ctx); err != nil {
		return Request{}, err
	}
	qs, err := completeRequests(ctx, idb, []requestRow{row})
	if err != nil {
		return Request{}, err
	}
	return qs[0], nil
}

// completeRequests maps rows to requests with their participation years
// and opinions.
func completeRequests(ctx context.Context, idb bun.IDB, rows []requestRow) ([]Request, error) {
	out := make([]Request, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var years []struct {
		ID   int64 `bun:"id"`
		Year int   `bun:"year"`
	}
	if err := idb.NewSelect().TableExpr("requests AS r").ColumnExpr("r.id").
		ColumnExpr(participationYearSQL+" AS year").
		Where("r.id IN (?)", bun.List(ids)).Scan(ctx, &years); err != nil {
		return nil, err
	}
	yearOf := make(map[int64]int, len(years))
	for _, y := range years {
		yearOf[y.ID] = y.Year
	}
	var ops []opinionRow
	if err := idb.NewSelect().Model(&ops).ColumnExpr("o.*").ColumnExpr("u.name AS author_name").
		Join("JOIN users AS u ON u.id = o.author_id").
		Where("o.request_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	opsOf := make(map[int64][]Opinion)
	for _, o := range ops {
		opsOf[o.RequestID] = append(opsOf[o.RequestID], Opinion{Role: Role(o.Role), Verdict: o.Verdict,
			Comment: o.Comment, AuthorID: o.AuthorID, AuthorName: o.AuthorName, UpdatedAt: o.UpdatedAt.UTC()})
	}
	for i, r := range rows {
		q := r.request()
		q.Eligibility = q.eligibility(yearOf[r.ID])
		if os := opsOf[r.ID]; os != nil {
			slices.SortFunc(os, func(a, b Opinion) int {
				return slices.Index(ReferentRoles, a.Role) - slices.Index(ReferentRoles, b.Role)
			})
			q.Opinions = os
		}
		out[i] = q
	}
	if err := withWarnings(ctx, idb, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RequestFilter selects requests; zero fields mean any.
type RequestFilter struct {
	SchoolYear string
	State      RequestState
	SchoolUAI  string
	TeacherID  int64
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

// Request returns one request with its eligibility and opinions. Returns
// ErrNotFound.
func (db *DB) Request(ctx context.Context, id int64) (_ Request, err error) {
	defer wrapf(&err, "Request(%d)", id)
	return getRequest(ctx, db.bun, id)
}

// ListRequests returns the requests matching f, by school name then id.
func (db *DB) ListRequests(ctx context.Context, f RequestFilter) (_ []Request, err error) {
	defer wrapf(&err, "ListRequests")
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var rows []requestRow
	q := f.where(requestSelect(db.bun, &rows)).OrderExpr("s.name, r.id")
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return completeRequests(ctx, db.bun, rows)
}

// CreateRequest inserts a draft request for q.TeacherID at q.SchoolUAI.
// Packs are computed from the pupils. The request is validated against
// its school year (Request.Validate): a *RuleError (validation_failed)
// names every field at fault. Returns ErrInvalidReference if the school or
// teacher does not exist.
func (db *DB) CreateRequest(ctx context.Context, actor Actor, q Request) (_ Request, err error) {
	defer wrapf(&err, "CreateRequest(%s, %d)", q.SchoolUAI, q.TeacherID)
	if err := q.checkText(); err != nil {
		return Request{}, err
	}
	now := db.Now()
	err = db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkRequestCreate(ctx, tx, actor, q); err != nil {
			return err
		}
		if err := validateRequestTx(ctx, tx, q); err != nil {
			return err
		}
		row := requestRow{SchoolYear: q.SchoolYear, SchoolUAI: q.SchoolUAI, TeacherID: q.TeacherID,
			State: string(RequestDraft), Version: 1, CreatedAt: now, UpdatedAt: now}
		row.setContent(q)
		if _, err := tx.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		var err error
		if q, err = getRequest(ctx, tx, row.ID); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, "request.create", "request", q.ID, nil, auditView(q))
	})
	return q, err
}

// auditView is what the audit log keeps of a request: everything but the
// joined names and the computed flags.
func auditView(q Request) Request {
	q.SchoolName, q.TeacherName, q.SectorID, q.DecidedByName = "", "", "", ""
	q.Eligibility = Eligibility{ParticipationYear: q.Eligibility.ParticipationYear}
	q.Warnings = nil
	for i := range q.Opinions {
		q.Opinions[i].AuthorName = ""
	}
	return q
}

// transition applies one workflow step inside a transaction: it loads the
// request, checks the state (and the version when version > 0), lets apply
// change the row, writes it with a conditional update on the version, and
// audits before and after. A state not in from gives a *RequestStateError.
func (db *DB) transition(ctx context.Context, actor Actor, id int64, version int, act Action,
	from []RequestState, apply func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error) (Request, error) {
	if err := (RequestActionInput{Version: version}).Validate(); err != nil {
		return Request{}, err
	}
	var out Request
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := db.Now()
		var row requestRow
		q := tx.NewSelect().Model(&row).Where("r.id = ?", id)
		if db.dialect == Postgres {
			// Concurrent steps on one request queue here and each sees
			// the state the previous one left (SQLite transactions are
			// BEGIN IMMEDIATE: they already queue).
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		before, err := completeRequests(ctx, tx, []requestRow{row})
		if err != nil {
			return err
		}
		if err := checkRequestAction(ctx, tx, actor, act, before[0]); err != nil {
			return err
		}
		if !slices.Contains(from, RequestState(row.State)) {
			return requestStateError(RequestState(row.State))
		}
		if version > 0 && row.Version != version {
			return ErrStale
		}
		old := row.Version
		if err := apply(ctx, tx, &row, now); err != nil {
			return err
		}
		row.Version, row.UpdatedAt = old+1, now
		res, err := tx.NewUpdate().Model(&row).
			ExcludeColumn("id", "school_year", "school_uai", "teacher_id", "created_at", "has_loan").
			Where("id = ?", id).Where("version = ?", old).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale // unreachable while the row is locked; kept as a guard
		}
		if out, err = getRequest(ctx, tx, id); err != nil {
			return err
		}
		return Audit(ctx, tx, now, actor, auditActions[act], "request", id, auditView(before[0]), auditView(out))
	})
	return out, err
}

// UpdateRequest replaces the content of a draft request (the teacher's
// fields; not the state, school, teacher nor a packs override) if q.Version
// is still current. Returns ErrNotFound, ErrStale, or a *RequestStateError
// when the request is no longer a draft.
func (db *DB) UpdateRequest(ctx context.Context, actor Actor, q Request) (_ Request, err error) {
	defer wrapf(&err, "UpdateRequest(%d)", q.ID)
	if err := q.checkText(); err != nil {
		return Request{}, err
	}
	if q.Version <= 0 {
		return Request{}, ErrStale
	}
	return db.transition(ctx, actor, q.ID, q.Version, ActRequestUpdate, []RequestState{RequestDraft},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			// The school year is the stored request's: it cannot change.
			q.SchoolYear = r.SchoolYear
			if err := validateRequestTx(ctx, tx, q); err != nil {
				return err
			}
			r.setContent(q)
			return nil
		})
}

// SubmitRequest moves a draft to submitted. Returns *IncompleteError if a
// commitment or the secure charging storage is missing.
func (db *DB) SubmitRequest(ctx context.Context, actor Actor, id int64, version int) (_ Request, err error) {
	defer wrapf(&err, "SubmitRequest(%d)", id)
	return db.transition(ctx, actor, id, version, ActRequestSubmit, []RequestState{RequestDraft},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if err := validateRequestTx(ctx, tx, r.request()); err != nil {
				return err
			}
			if missing := r.request().MissingForSubmission(); len(missing) > 0 {
				return incompleteError(missing)
			}
			r.State, r.SubmittedAt = string(RequestSubmitted), &now
			return nil
		})
}

// AuthorizeRequest records the director's authorisation of a submitted
// request.
func (db *DB) AuthorizeRequest(ctx context.Context, actor Actor, id int64, version int) (_ Request, err error) {
	defer wrapf(&err, "AuthorizeRequest(%d)", id)
	return db.transition(ctx, actor, id, version, ActRequestAuthorize, []RequestState{RequestSubmitted},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			r.State, r.RefusalReason = string(RequestAuthorised), ""
			return nil
		})
}

// RefuseRequest sends a submitted request back to draft with the
// director's reason.
func (db *DB) RefuseRequest(ctx context.Context, actor Actor, id int64, version int, reason string) (_ Request, err error) {
	defer wrapf(&err, "RefuseRequest(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	if err := checkReason(reason, "du refus"); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestRefuse, []RequestState{RequestSubmitted},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			r.State, r.RefusalReason, r.SubmittedAt = string(RequestDraft), reason, nil
			return nil
		})
}

// OverrideRequestPacks sets the packs of a request that is not decided yet,
// with the coordinator's reason; packs 0 goes back to the computed count.
func (db *DB) OverrideRequestPacks(ctx context.Context, actor Actor, id int64, version int, packs int, reason string) (_ Request, err error) {
	defer wrapf(&err, "OverrideRequestPacks(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	if err := checkPacks(packs, reason); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestPacks,
		[]RequestState{RequestDraft, RequestSubmitted, RequestAuthorised, RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if packs == 0 {
				r.Packs, r.PacksReason = PacksFor(r.Pupils), ""
				return nil
			}
			r.Packs, r.PacksReason = packs, reason
			return nil
		})
}

// SetRequestOpinion records (or replaces) the opinion of one referent role
// on an authorised or in-review request; the first opinion moves an
// authorised request in review. Opinions are frozen once the request is
// decided (*RequestStateError).
func (db *DB) SetRequestOpinion(ctx context.Context, actor Actor, id int64, version int, o Opinion) (_ Request, err error) {
	defer wrapf(&err, "SetRequestOpinion(%d, %s)", id, o.Role)
	if err := (RequestActionInput{Comment: o.Comment}).Validate(); err != nil {
		return Request{}, err
	}
	if v, ok := ParseOpinionVerdict(string(o.Verdict)); ok {
		o.Verdict = v
	}
	if err := checkOpinion(o); err != nil {
		return Request{}, err
	}
	if u, ok, err := actingPerson(ctx, db.bun, actor); err != nil {
		return Request{}, err
	} else if ok {
		if o.Role == "" {
			// The person gives their opinion as the referent role they hold.
			o.Role, _ = u.ReferentRole()
		}
		if o.Role == "" || !u.HasRole(o.Role) {
			return Request{}, Forbidden("forbidden", "Votre rôle ne permet pas cette action.")
		}
	}
	return db.transition(ctx, actor, id, version, ActRequestOpinion, []RequestState{RequestAuthorised, RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			// The opinion is written in the transaction that bumps the
			// request's version, under its row lock: a decision cannot
			// slip in between.
			row := opinionRow{RequestID: id, Role: string(o.Role), Verdict: o.Verdict, Comment: o.Comment,
				AuthorID: actor.UserID, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(&row).
				On("CONFLICT (request_id, role) DO UPDATE").
				Set("verdict = EXCLUDED.verdict").Set("comment = EXCLUDED.comment").
				Set("author_id = EXCLUDED.author_id").Set("updated_at = EXCLUDED.updated_at").
				Exec(ctx); err != nil {
				return err
			}
			r.State = string(RequestInReview)
			return nil
		})
}

// DecideRequest validates or rejects a request in review. A rejection needs
// a reason (the schema refuses it otherwise). Returns ErrIneligible when
// validating a request beyond MaxParticipationYears, and a
// *RequestStateError when the request is not in review (already decided by
// someone else, for one).
func (db *DB) DecideRequest(ctx context.Context, actor Actor, id int64, version int, decision RequestState, reason string) (_ Request, err error) {
	return db.DecideRequestOverride(ctx, actor, id, version, decision, reason, "")
}

// DecideRequestOverride is DecideRequest with the coordinator's override:
// a decision needs the opinions of the three referents (inspection, IT,
// education); without them it is refused ("opinions_missing", naming the
// missing ones) unless the coordinator gives override, the reason to
// decide without them, recorded with the decision and shown in the
// synthesis.
func (db *DB) DecideRequestOverride(ctx context.Context, actor Actor, id int64, version int, decision RequestState, reason, override string) (_ Request, err error) {
	defer wrapf(&err, "DecideRequest(%d, %s)", id, decision)
	if err := (RequestActionInput{Reason: reason, OverrideReason: override}).Validate(); err != nil {
		return Request{}, err
	}
	override = strings.TrimSpace(override)
	decision, ok := ParseRequestDecision(string(decision))
	if !ok {
		return Request{}, Invalid("decision", "validation_failed", "décision attendue : validated (validée) ou rejected (rejetée)")
	}
	if decision == RequestRejected {
		if err := checkReason(reason, "du rejet"); err != nil {
			return Request{}, err
		}
	}
	return db.transition(ctx, actor, id, version, ActRequestDecide, []RequestState{RequestInReview},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			var given []Role
			if err := tx.NewRaw("SELECT role FROM request_opinions WHERE request_id = ?", id).Scan(ctx, &given); err != nil {
				return err
			}
			var missing []string
			for _, role := range ReferentRoles {
				if !slices.Contains(given, role) {
					missing = append(missing, referentName(role))
				}
			}
			r.DecisionOverride = ""
			if len(missing) > 0 {
				if override == "" {
					return Conflicting("opinions_missing",
						"Décision impossible : il manque l'avis de %s. La coordination peut décider sans attendre en donnant le motif (override_reason).",
						strings.Join(missing, ", "))
				}
				u, err := getUser(ctx, tx, actor.UserID)
				if err != nil || !u.HasRole(RoleCoordinator) {
					return Forbidden("override_forbidden", "Seule la coordination peut décider sans les trois avis.")
				}
				r.DecisionOverride = override
			}
			if decision == RequestValidated {
				year, err := participationYear(ctx, tx, r.TeacherID, r.SchoolUAI, r.SchoolYear)
				if err != nil {
					return err
				}
				if year > MaxParticipationYears {
					return &RuleError{Kind: RuleConflict, Code: "ineligible", Err: ErrIneligible,
						Message: "Demande inéligible : 2 années de participation au maximum ; elle ne peut pas être validée."}
				}
			}
			r.State, r.DecisionReason, r.DecidedAt = string(decision), reason, &now
			if actor.UserID != 0 {
				r.DecidedBy = &actor.UserID
			}
			return nil
		})
}

// referentName names a referent role in French, for messages.
func referentName(r Role) string {
	switch r {
	case RoleInspection:
		return "l'inspection"
	case RoleIT:
		return "la DSI"
	case RoleEducation:
		return "la direction de l'éducation"
	}
	return string(r)
}

// WithdrawRequest withdraws a request that has no loan, from any state but
// rejected and withdrawn. Returns a *RequestStateError with HasLoan set
// when a loan exists.
func (db *DB) WithdrawRequest(ctx context.Context, actor Actor, id int64, version int, reason string) (_ Request, err error) {
	defer wrapf(&err, "WithdrawRequest(%d)", id)
	if err := (RequestActionInput{Reason: reason}).Validate(); err != nil {
		return Request{}, err
	}
	return db.transition(ctx, actor, id, version, ActRequestWithdraw,
		[]RequestState{RequestDraft, RequestSubmitted, RequestAuthorised, RequestInReview, RequestValidated},
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if r.HasLoan {
				return &RuleError{Kind: RuleConflict, Code: "request_has_loan", State: RequestState(r.State),
					Conflict: &Conflict{Kind: "request", ID: id, Name: r.Title},
					Message:  "La demande a déjà un prêt : elle ne peut plus être retirée (annulez d'abord le prêt)."}
			}
			r.State, r.WithdrawnReason = string(RequestWithdrawn), reason
			return nil
		})
}

// ParticipationYear returns 1 + the number of school years before year in
// which the teacher took part at the school (had a loan picked up).
func (db *DB) ParticipationYear(ctx context.Context, teacherID int64, schoolUAI, year string) (_ int, err error) {
	defer wrapf(&err, "ParticipationYear(%d, %s, %s)", teacherID, schoolUAI, year)
	return participationYear(ctx, db.bun, teacherID, schoolUAI, year)
}

func participationYear(ctx context.Context, idb bun.IDB, teacherID int64, schoolUAI, year string) (int, error) {
	var n int
	err := idb.NewSelect().TableExpr("participation_history").ColumnExpr("count(*)").
		Where("teacher_id = ?", teacherID).Where("school_uai = ?", schoolUAI).Where("school_year < ?", year).
		Scan(ctx, &n)
	return n + 1, err
}

// RecordParticipation notes that the teacher took part at the school in a
// school year; recording the same year twice is a no-op. It takes the
// caller's transaction: the loans call it in the transaction that marks a
// loan picked up (source "loan:<id>"), so the next year's requests of that
// teacher at that school count this year. The demo and imports of earlier
// years call it directly.
func RecordParticipation(ctx context.Context, idb bun.IDB, at time.Time, teacherID int64, schoolUAI, year, source string) error {
	_, err := idb.NewRaw(`INSERT INTO participation_history (teacher_id, school_uai, school_year, source, recorded_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (teacher_id, school_uai, school_year) DO NOTHING`,
		teacherID, schoolUAI, year, source, at.UTC().Truncate(time.Microsecond)).Exec(ctx)
	if err != nil {
		err = translate(err)
		return fmt.Errorf("record participation %d %s %s: %w", teacherID, schoolUAI, year, err)
	}
	return nil
}

// CurrentRequestState returns the state of a request and whether it has a
// loan, inside the caller's transaction (for the loans). Returns
// ErrNotFound.
func CurrentRequestState(ctx context.Context, idb bun.IDB, id int64) (state RequestState, hasLoan bool, err error) {
	var row struct {
		State   string `bun:"state"`
		HasLoan bool   `bun:"has_loan"`
	}
	if err := idb.NewSelect().TableExpr("requests").Column("state", "has_loan").Where("id = ?", id).Scan(ctx, &row); err != nil {
		return "", false, fmt.Errorf("request %d state: %w", id, translate(err))
	}
	return RequestState(row.State), row.HasLoan, nil
}

// SetRequestLoaned records, inside the caller's transaction, whether a
// request has a loan that is not cancelled. The loans call it with true
// when they create a request's first loan, and with false when its last
// live loan is cancelled; while it is true the request cannot be
// withdrawn. Setting true on a request that is not validated returns a
// *RequestStateError (a withdrawal won the race), and ErrNotFound for an
// unknown request. The request's version does not change.
func SetRequestLoaned(ctx context.Context, idb bun.IDB, id int64, loaned bool) error {
	q := idb.NewUpdate().TableExpr("requests").Set("has_loan = ?", loaned).Where("id = ?", id)
	if loaned {
		q = q.Where("state = ?", string(RequestValidated))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("set request %d loaned: %w", id, translate(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	state, _, err := CurrentRequestState(ctx, idb, id)
	if err != nil {
		return err
	}
	return requestStateError(state)
}
