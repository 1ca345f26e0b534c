package store

import "slices"

// RequestActions says which steps of a request's workflow a person may
// take now, from their roles and the request's state: what a page offers.
// The workflow methods check the same rules again when the step is taken.
type RequestActions struct {
	Edit      bool
	Authorize bool
	// Opinion is true for a referent while opinions are open; OpinionRole
	// is the referent role they speak for.
	Opinion     bool
	OpinionRole Role
	Decide      bool
	Packs       bool
	Withdraw    bool
}

// ActionsOn returns the steps u may take on q now.
func (u User) ActionsOn(q Request) RequestActions {
	var a RequestActions
	open := !q.State.Decided()
	a.Edit = q.State == RequestDraft && q.TeacherID == u.ID && u.Can(ActRequestUpdate)
	a.Authorize = q.State == RequestSubmitted && u.Can(ActRequestAuthorize) && q.TeacherID != u.ID &&
		(u.HasRoleAt(RoleDirector, q.SchoolUAI) || u.HasRole(RoleCoordinator))
	if role, ok := u.ReferentRole(); ok && (q.State == RequestAuthorised || q.State == RequestInReview) {
		a.Opinion, a.OpinionRole = true, role
	}
	a.Decide = q.State == RequestInReview && u.Can(ActRequestDecide)
	a.Packs = open && u.Can(ActRequestPacks)
	a.Withdraw = (open || q.State == RequestValidated) && !q.HasLoan && u.Can(ActRequestWithdraw) &&
		(q.TeacherID == u.ID || u.HasRole(RoleCoordinator))
	return a
}

// CheckDraftEdit says whether u may edit q's form: only its teacher, and
// only while it is a draft (invalid_state, a conflict, otherwise).
func (u User) CheckDraftEdit(q Request) error {
	if q.TeacherID != u.ID {
		return errRoleForbidden()
	}
	if q.State != RequestDraft {
		return requestStateError(q.State)
	}
	return nil
}

// OwnRequestsOnly reports whether u sees only the requests they filed
// (a teacher who neither directs a school nor sees all schools).
func (u User) OwnRequestsOnly() bool {
	return !u.SeesAllSchools() && !u.HasRole(RoleDirector)
}

// DirectsSchool reports whether u directs a school (and has its page).
func (u User) DirectsSchool() bool { return u.HasRole(RoleDirector) }

// HeldRoles lists the roles u holds, in the order of Roles.
func (u User) HeldRoles() []Role {
	var out []Role
	for _, r := range Roles {
		if u.HasRole(r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// DirectorSchool returns the UAI of the school u directs (the first one),
// "" when none.
func (u User) DirectorSchool() string { return u.directorSchool() }
