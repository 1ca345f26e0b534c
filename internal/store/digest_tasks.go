package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// DigestTaskKind names what a request waits for from a person.
type DigestTaskKind string

// The task kinds of the request journey.
const (
	// DigestAuthorise: a submitted request waits for its school's director
	// (the coordinator's, when a director filed it for their own class).
	DigestAuthorise DigestTaskKind = "authorise"
	// DigestOpinion: an authorised request waits for a referent's opinion
	// (inspection, IT, education), one per role.
	DigestOpinion DigestTaskKind = "opinion"
	// DigestDecide: a request has its three opinions and waits for the
	// coordinator's decision.
	DigestDecide DigestTaskKind = "decide"
	// DigestDecided: a request was validated or rejected; its teacher and its
	// school's director are told, with the reason.
	DigestDecided DigestTaskKind = "decided"
)

// DigestTaskKinds lists the kinds in the order of the journey.
var DigestTaskKinds = []DigestTaskKind{DigestAuthorise, DigestOpinion, DigestDecide, DigestDecided}

// DigestTask is one request waiting for one person (or, for DigestDecided, a
// decision they should read).
type DigestTask struct {
	Kind DigestTaskKind `json:"kind"`
	// RecipientID is the person; Role the role in which they act.
	RecipientID int64 `json:"recipient_id"`
	Role        Role  `json:"role"`
	RequestID   int64 `json:"request_id"`
	// Cycle identifies the request's submission (submitted_at in
	// microseconds): a request sent back to draft and submitted again
	// gives new tasks.
	Cycle       int64        `json:"cycle"`
	SchoolYear  string       `json:"school_year"`
	SchoolUAI   string       `json:"school_uai"`
	SchoolName  string       `json:"school_name"`
	Title       string       `json:"title"`
	TeacherID   int64        `json:"teacher_id"`
	TeacherName string       `json:"teacher_name"`
	State       RequestState `json:"state"`
	// SubmittedAt is when the request was submitted; DecidedAt when it
	// was decided (DigestDecided).
	SubmittedAt time.Time  `json:"submitted_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	// DecisionReason is the reason of a validation or rejection.
	DecisionReason string `json:"decision_reason,omitempty"`
	// Opinions are the referent roles that gave their opinion.
	Opinions []Role `json:"opinions,omitempty"`
}

// DigestTaskFilter selects tasks in Tasks.
type DigestTaskFilter struct {
	// RecipientIDs keeps the tasks of these people; empty keeps everyone's.
	RecipientIDs []int64
	// DecidedSince keeps the decisions (DigestDecided) taken at or after it;
	// zero leaves decisions out.
	DecidedSince time.Time
}

type taskRequestRow struct {
	ID             int64      `bun:"id"`
	SchoolYear     string     `bun:"school_year"`
	SchoolUAI      string     `bun:"school_uai"`
	SchoolName     string     `bun:"school_name"`
	Title          string     `bun:"title"`
	TeacherID      int64      `bun:"teacher_id"`
	TeacherName    string     `bun:"teacher_name"`
	State          string     `bun:"state"`
	SubmittedAt    *time.Time `bun:"submitted_at"`
	DecidedAt      *time.Time `bun:"decided_at"`
	DecisionReason string     `bun:"decision_reason"`
	OpInspection   bool       `bun:"op_inspection"`
	OpIT           bool       `bun:"op_it"`
	OpEducation    bool       `bun:"op_education"`
	// OwnClass: the teacher is a director of the school.
	OwnClass bool `bun:"own_class"`
}

// holders are the active people who may receive tasks: by role, the
// directors by school, and the active teachers.
type holders struct {
	byRole    map[Role][]int64
	directors map[string][]int64
	teachers  map[int64]bool
	// schoolOnly is true when every person holds only school roles: the
	// requests to read are those of their schools.
	schoolOnly bool
	schools    []string
}

// taskHolders returns the active people holding each role, among ids (all
// when ids is empty).
func taskHolders(ctx context.Context, idb bun.IDB, ids []int64) (holders, error) {
	var rows []userRoleRow
	q := idb.NewSelect().Model(&rows).
		Join("JOIN users AS u ON u.id = ur.user_id").Where("u.disabled_at IS NULL").
		OrderExpr("ur.user_id, ur.role")
	if len(ids) > 0 {
		q = q.Where("ur.user_id IN (?)", bun.List(ids))
	}
	if err := q.Scan(ctx); err != nil {
		return holders{}, err
	}
	h := holders{byRole: map[Role][]int64{}, directors: map[string][]int64{}, teachers: map[int64]bool{}, schoolOnly: len(ids) > 0}
	for _, r := range rows {
		role := Role(r.Role)
		h.byRole[role] = append(h.byRole[role], r.UserID)
		switch {
		case role == RoleDirector && r.SchoolUAI != nil:
			h.directors[*r.SchoolUAI] = append(h.directors[*r.SchoolUAI], r.UserID)
		case role == RoleTeacher:
			h.teachers[r.UserID] = true
		}
		if !role.ScopedToSchool() {
			h.schoolOnly = false
		} else if r.SchoolUAI != nil {
			h.schools = append(h.schools, *r.SchoolUAI)
		}
	}
	for role, ids := range h.byRole {
		h.byRole[role] = slices.Compact(ids)
	}
	return h, nil
}

// Tasks returns what the request journey waits for from each active
// person: the submitted requests of a director's school, the authorised
// or in-review requests still lacking a referent role's opinion (for every
// holder of that role), the requests with their three opinions (for every
// coordinator), and the decisions taken since f.DecidedSince (for the
// request's teacher and the school's directors). Sorted by recipient,
// kind, submission and request.
func (db *DB) DigestTasks(ctx context.Context, f DigestTaskFilter) (_ []DigestTask, err error) {
	defer wrapf(&err, "Tasks")
	h, err := taskHolders(ctx, db.bun, f.RecipientIDs)
	if err != nil {
		return nil, err
	}
	if len(f.RecipientIDs) > 0 && len(h.byRole) == 0 {
		return nil, nil // nobody active among them
	}
	states := []string{string(RequestSubmitted), string(RequestAuthorised), string(RequestInReview)}
	var rows []taskRequestRow
	q := db.bun.NewSelect().TableExpr("requests AS r").
		ColumnExpr("r.id, r.school_year, r.school_uai, s.name AS school_name, r.title, r.teacher_id, t.name AS teacher_name").
		ColumnExpr("r.state, r.submitted_at, r.decided_at, r.decision_reason").
		ColumnExpr("EXISTS (SELECT 1 FROM request_opinions AS o WHERE o.request_id = r.id AND o.role = 'inspection') AS op_inspection").
		ColumnExpr("EXISTS (SELECT 1 FROM request_opinions AS o WHERE o.request_id = r.id AND o.role = 'it') AS op_it").
		ColumnExpr("EXISTS (SELECT 1 FROM request_opinions AS o WHERE o.request_id = r.id AND o.role = 'education') AS op_education").
		ColumnExpr("EXISTS (SELECT 1 FROM user_roles AS d WHERE d.user_id = r.teacher_id AND d.role = 'director' AND d.school_uai = r.school_uai) AS own_class").
		Join("JOIN schools AS s ON s.uai = r.school_uai").
		Join("JOIN users AS t ON t.id = r.teacher_id").
		Where("r.submitted_at IS NOT NULL").
		OrderExpr("r.submitted_at, r.id")
	if f.DecidedSince.IsZero() {
		q = q.Where("r.state IN (?)", bun.List(states))
	} else {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("r.state IN (?)", bun.List(states)).
				WhereOr("r.state IN ('validated', 'rejected') AND r.decided_at >= ?", f.DecidedSince.UTC())
		})
	}
	if h.schoolOnly && len(h.schools) == 0 {
		return nil, nil
	}
	if h.schoolOnly {
		// Directors and teachers only: their schools' requests (a
		// director's page on a national database reads a few rows).
		q = q.Where("r.school_uai IN (?)", bun.List(h.schools))
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	byRole, directors := h.byRole, h.directors
	keep := func(int64) bool { return true }
	if len(f.RecipientIDs) > 0 {
		want := map[int64]bool{}
		for _, id := range f.RecipientIDs {
			want[id] = true
		}
		keep = func(id int64) bool { return want[id] }
	}
	var out []DigestTask
	for _, r := range rows {
		base := DigestTask{RequestID: r.ID, Cycle: r.SubmittedAt.UTC().Truncate(time.Microsecond).UnixMicro(),
			SchoolYear: r.SchoolYear, SchoolUAI: r.SchoolUAI, SchoolName: r.SchoolName, Title: r.Title,
			TeacherID: r.TeacherID, TeacherName: r.TeacherName, State: RequestState(r.State),
			SubmittedAt: r.SubmittedAt.UTC(), DecidedAt: utcp(r.DecidedAt), DecisionReason: r.DecisionReason}
		given := map[Role]bool{RoleInspection: r.OpInspection, RoleIT: r.OpIT, RoleEducation: r.OpEducation}
		for _, role := range ReferentRoles {
			if given[role] {
				base.Opinions = append(base.Opinions, role)
			}
		}
		add := func(kind DigestTaskKind, role Role, ids []int64) {
			for _, id := range ids {
				if keep(id) {
					t := base
					t.Kind, t.Role, t.RecipientID = kind, role, id
					out = append(out, t)
				}
			}
		}
		switch RequestState(r.State) {
		case RequestSubmitted:
			// A director authorises their school's requests, except their
			// own class's, which the coordinator authorises.
			var others []int64
			for _, id := range directors[r.SchoolUAI] {
				if id != r.TeacherID {
					others = append(others, id)
				}
			}
			add(DigestAuthorise, RoleDirector, others)
			if r.OwnClass {
				add(DigestAuthorise, RoleCoordinator, byRole[RoleCoordinator])
			}
		case RequestAuthorised, RequestInReview:
			for _, role := range ReferentRoles {
				if !given[role] {
					add(DigestOpinion, role, byRole[role])
				}
			}
			if len(base.Opinions) == len(ReferentRoles) {
				add(DigestDecide, RoleCoordinator, byRole[RoleCoordinator])
			}
		case RequestValidated, RequestRejected:
			if h.teachers[r.TeacherID] {
				add(DigestDecided, RoleTeacher, []int64{r.TeacherID})
			}
			add(DigestDecided, RoleDirector, directors[r.SchoolUAI])
		}
	}
	slices.SortStableFunc(out, compareTasks)
	return out, nil
}

func compareTasks(a, b DigestTask) int {
	switch {
	case a.RecipientID != b.RecipientID:
		return cmp.Compare(a.RecipientID, b.RecipientID)
	case a.Kind != b.Kind:
		return slices.Index(DigestTaskKinds, a.Kind) - slices.Index(DigestTaskKinds, b.Kind)
	case a.Cycle != b.Cycle:
		return cmp.Compare(a.Cycle, b.Cycle)
	}
	return cmp.Compare(a.RequestID, b.RequestID)
}
