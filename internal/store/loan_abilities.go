package store

// LoanActions says which steps of a loan's life a person may take now,
// from their roles and the loan's state: what a page offers. The loan
// methods check the same rules again when the step is taken.
type LoanActions struct {
	// SignAs is the party u signs the agreement for now: "école" (the
	// school's director) or "DSI"; empty when they cannot sign it.
	SignAs          string
	Sign            bool
	Training        bool
	PickupTime      bool
	AskExtension    bool
	DecideExtension bool
	Close           bool
	Assess          bool
}

// ActionsOnLoan returns the steps u may take on the loan d now.
func (u User) ActionsOnLoan(d LoanDetail) LoanActions {
	var a LoanActions
	if d.State == LoanReserved {
		director := u.HasRoleAt(RoleDirector, d.SchoolUAI)
		switch {
		case director && d.DirectorSignature == nil:
			a.SignAs = "école"
		case !director && u.HasRole(RoleIT) && d.ITSignature == nil:
			a.SignAs = "DSI"
		}
	}
	pending := false
	for _, e := range d.Extensions {
		pending = pending || e.State == ExtensionRequested
	}
	before := d.State == LoanReserved || d.State == LoanSigned
	teacher := u.ID == d.TeacherID
	a.Sign = a.SignAs != "" && u.Can(ActLoanSign)
	a.Training = before && d.Training.Status != TrainingDone && (u.HasRole(RoleIT) || u.HasRole(RoleCoordinator))
	a.PickupTime = before && u.Can(ActLoanPickup)
	a.AskExtension = teacher && u.Can(ActExtensionRequest) && !pending && (before || d.State == LoanPickedUp)
	a.DecideExtension = pending && u.Can(ActExtensionDecide)
	a.Close = d.State == LoanReturned && u.Can(ActLoanClose)
	a.Assess = teacher && u.Can(ActAssessmentWrite) && (d.State == LoanReturned || d.State == LoanClosed)
	return a
}
