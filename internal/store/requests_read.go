package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

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
