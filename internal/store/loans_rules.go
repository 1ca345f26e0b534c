package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// LoanFor returns a loan with its details if the person may see it: the
// directors and teachers of its school, and everybody who sees all
// schools. Another school's loan is ErrNotFound.
func (db *DB) LoanFor(ctx context.Context, u User, id int64) (LoanDetail, error) {
	d, err := db.LoanDetail(ctx, id)
	if err != nil {
		return LoanDetail{}, err
	}
	if !u.SeesSchool(d.SchoolUAI) {
		return LoanDetail{}, fmt.Errorf("LoanFor(%d): %w", id, errHidden())
	}
	return d, nil
}

// ListLoansFor returns the loans matching f that the person may see: a
// filter on a school they do not see gives none. The filter is validated
// first (LoanFilter.Validate).
func (db *DB) ListLoansFor(ctx context.Context, u User, f LoanFilter) ([]Loan, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !u.SeesAllSchools() {
		if f.SchoolUAI != "" && !u.SeesSchool(f.SchoolUAI) {
			return []Loan{}, nil
		}
		if f.SchoolUAI == "" {
			f.SchoolUAI = u.SchoolUAI
			for _, ur := range u.roleSet() {
				if ur.SchoolUAI != "" {
					f.SchoolUAI = ur.SchoolUAI
					break
				}
			}
		}
	}
	return db.ListLoans(ctx, f)
}

// checkLoanTeacher checks that the acting person is the teacher of the
// loan's request, or (when coordOK) the coordinator. The system passes.
func checkLoanTeacher(ctx context.Context, idb bun.IDB, actor Actor, l Loan, coordOK bool, message string) error {
	u, ok, err := actingPerson(ctx, idb, actor)
	if err != nil || !ok {
		return err
	}
	if coordOK && u.HasRole(RoleCoordinator) {
		return nil
	}
	if u.ID != l.TeacherID {
		return Forbidden("not_the_teacher", "%s", message)
	}
	return nil
}
