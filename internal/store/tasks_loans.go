package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/classemobile/classemobile/calendar"
)

// The task kinds of a loan's life, after the request's.
const (
	// TaskSignAgreement: the loan agreement waits for this person's party
	// (the school's director, or the IT department).
	TaskSignAgreement TaskKind = "sign_agreement"
	// TaskPickup: a pack is to be handed over within LoanTaskDays (IT and
	// the coordinator; the teacher for their own loan).
	TaskPickup TaskKind = "pickup"
	// TaskReturn: a pack is due back within LoanTaskDays, or overdue.
	TaskReturn TaskKind = "return"
	// TaskAssessment: the teacher's assessment of a returned loan is not
	// written yet.
	TaskAssessment TaskKind = "assessment"
	// TaskDecideExtension: an extension request waits for the coordinator.
	TaskDecideExtension TaskKind = "decide_extension"
	// TaskCloseLoan: a returned loan waits for the inspectorate's closure.
	TaskCloseLoan TaskKind = "close_loan"
)

// LoanTaskDays is how far ahead pickups and returns show as tasks: the
// week to come.
const LoanTaskDays = 7

// loanTasks returns u's tasks about the loans of year, as of today: the
// same rules for every face that lists tasks.
func (db *DB) loanTasks(ctx context.Context, u User, year string, today calendar.Date) ([]Task, error) {
	var out []Task
	seen := map[TaskKind]map[int64]bool{}
	add := func(kind TaskKind, l Loan, since time.Time) {
		if seen[kind] == nil {
			seen[kind] = map[int64]bool{}
		}
		if seen[kind][l.ID] {
			return
		}
		seen[kind][l.ID] = true
		lc := l
		out = append(out, Task{Kind: kind, Loan: &lc, Since: since,
			Request: Request{ID: l.RequestID, Title: l.RequestTitle, SchoolUAI: l.SchoolUAI, SchoolName: l.SchoolName,
				TeacherID: l.TeacherID, TeacherName: l.TeacherName, SchoolYear: l.SchoolYear}})
	}
	day := func(d calendar.Date) time.Time { return d.Time() }
	soon := today.AddDays(LoanTaskDays)
	handover := func(l Loan) {
		switch {
		case (l.State == LoanReserved || l.State == LoanSigned) && !l.PickupDay.After(soon):
			add(TaskPickup, l, day(l.PickupDay).AddDate(0, 0, -LoanTaskDays))
		case l.State == LoanPickedUp && !l.ReturnDay.After(soon):
			add(TaskReturn, l, day(l.ReturnDay).AddDate(0, 0, -LoanTaskDays))
		}
	}
	for _, ur := range u.roleSet() {
		f := LoanFilter{SchoolYear: year}
		if ur.Role.ScopedToSchool() {
			f.SchoolUAI = ur.SchoolUAI
		}
		loans, err := db.ListLoans(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, l := range loans {
			switch ur.Role {
			case RoleDirector:
				if l.State == LoanReserved && l.DirectorSignature == nil {
					add(TaskSignAgreement, l, l.UpdatedAt)
				}
			case RoleIT:
				if l.State == LoanReserved && l.ITSignature == nil {
					add(TaskSignAgreement, l, l.UpdatedAt)
				}
				handover(l)
			case RoleCoordinator:
				handover(l)
				pending, err := pendingExtension(ctx, db, l.ID)
				if err != nil {
					return nil, err
				}
				if pending != nil {
					add(TaskDecideExtension, l, *pending)
				}
			case RoleInspection:
				if l.State == LoanReturned && l.ReturnedAt != nil {
					add(TaskCloseLoan, l, *l.ReturnedAt)
				}
			case RoleTeacher:
				if l.TeacherID != u.ID {
					continue
				}
				handover(l)
				if (l.State == LoanReturned || l.State == LoanClosed) && l.ReturnedAt != nil {
					has, err := hasAssessment(ctx, db, l.ID)
					if err != nil {
						return nil, err
					}
					if !has {
						add(TaskAssessment, l, *l.ReturnedAt)
					}
				}
			}
		}
	}
	return out, nil
}

// pendingExtension returns when the loan's extension request awaiting a
// decision was made, nil when none waits.
func pendingExtension(ctx context.Context, db *DB, loanID int64) (*time.Time, error) {
	var at time.Time
	err := db.bun.NewSelect().Model((*extensionRow)(nil)).Column("requested_at").
		Where("loan_id = ?", loanID).Where("state = ?", ExtensionRequested).Limit(1).Scan(ctx, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &at, nil
}

func hasAssessment(ctx context.Context, db *DB, loanID int64) (bool, error) {
	return db.bun.NewSelect().Model((*assessmentRow)(nil)).Where("loan_id = ?", loanID).Exists(ctx)
}
