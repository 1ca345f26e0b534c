package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/classemobile/classemobile/calendar"
)

// TaskKind is what a person has to do about a request or a loan.
type TaskKind string

// The task kinds of the request journey, in the order of the journey.
const (
	// TaskFinishDraft: the teacher's draft is not sent yet (or came back
	// refused by the director).
	TaskFinishDraft TaskKind = "finish_draft"
	// TaskAuthorise: the director has a submitted request to authorise.
	TaskAuthorise TaskKind = "authorise"
	// TaskGiveOpinion: a referent has not given their role's opinion on an
	// authorised request.
	TaskGiveOpinion TaskKind = "give_opinion"
	// TaskDecide: every referent gave an opinion; the request waits for
	// the decision.
	TaskDecide TaskKind = "decide"
)

// Task is one thing a person has to do, with the request it is about.
type Task struct {
	Kind    TaskKind
	Request Request
	// Loan is the loan a loan task is about (nil for a request's task);
	// Request then names its request.
	Loan *Loan
	// Since is when the task reached the person: the oldest come first.
	Since time.Time
}

// MaxTasks bounds the tasks Tasks returns; Total still counts them all.
const MaxTasks = 100

// Tasks returns what u has to do about the requests of school year year,
// for every role they hold, oldest first (at most MaxTasks), and how many
// there are in all: a teacher's drafts; a director's submitted requests of
// their school (not their own, which the coordinator authorises); a
// referent's requests without their role's opinion; the coordinator's
// requests filed by directors to authorise and requests with every opinion
// to decide; and the loan tasks of each role (see loanTasks).
func (db *DB) Tasks(ctx context.Context, u User, year string) (_ []Task, total int, err error) {
	defer wrapf(&err, "Tasks(%d, %s)", u.ID, year)
	var out []Task
	type taskKey struct {
		kind TaskKind
		id   int64
	}
	seen := map[taskKey]bool{}
	add := func(kind TaskKind, f RequestFilter, keep func(Request) (bool, error), since func(Request) time.Time) error {
		f.SchoolYear = year
		qs, err := db.ListRequests(ctx, f)
		if err != nil {
			return err
		}
		for _, q := range qs {
			if keep != nil {
				ok, err := keep(q)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			key := taskKey{kind, q.ID}
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Task{Kind: kind, Request: q, Since: since(q)})
		}
		return nil
	}
	updated := func(q Request) time.Time { return q.UpdatedAt }
	submitted := func(q Request) time.Time {
		if q.SubmittedAt != nil {
			return *q.SubmittedAt
		}
		return q.UpdatedAt
	}
	for _, ur := range u.roleSet() {
		switch ur.Role {
		case RoleTeacher:
			err = add(TaskFinishDraft, RequestFilter{State: RequestDraft, TeacherID: u.ID, SchoolUAI: ur.SchoolUAI}, nil, updated)
		case RoleDirector:
			err = add(TaskAuthorise, RequestFilter{State: RequestSubmitted, SchoolUAI: ur.SchoolUAI},
				func(q Request) (bool, error) { return q.TeacherID != u.ID, nil }, submitted)
		case RoleInspection, RoleIT, RoleEducation:
			role := ur.Role
			missing := func(q Request) (bool, error) {
				return !slices.ContainsFunc(q.Opinions, func(o Opinion) bool { return o.Role == role }), nil
			}
			for _, st := range []RequestState{RequestAuthorised, RequestInReview} {
				if err = add(TaskGiveOpinion, RequestFilter{State: st}, missing, updated); err != nil {
					break
				}
			}
		case RoleCoordinator:
			err = add(TaskAuthorise, RequestFilter{State: RequestSubmitted}, func(q Request) (bool, error) {
				return filedByDirector(ctx, db.bun, q)
			}, submitted)
			if err == nil {
				err = add(TaskDecide, RequestFilter{State: RequestInReview}, func(q Request) (bool, error) {
					return len(q.Opinions) == len(ReferentRoles), nil
				}, updated)
			}
		}
		if err != nil {
			return nil, 0, err
		}
	}
	loanTasks, err := db.loanTasks(ctx, u, year, calendar.ParisDate(db.Now()))
	if err != nil {
		return nil, 0, err
	}
	out = append(out, loanTasks...)
	slices.SortStableFunc(out, func(a, b Task) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Request.ID, b.Request.ID))
	})
	total = len(out)
	if len(out) > MaxTasks {
		out = out[:MaxTasks]
	}
	return out, total, nil
}
