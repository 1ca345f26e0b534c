package store

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// TrainingInput is what is recorded about a teacher's technical training.
type TrainingInput struct {
	// Status is TrainingPlanned or TrainingDone (IT, coordinator); empty
	// means done when DoneOn is given, else planned.
	Status TrainingStatus
	// PlannedOn is the planned day.
	PlannedOn calendar.Date
	// DoneOn is the day it was done; required with TrainingDone, never
	// after today.
	DoneOn calendar.Date
	// By says who gives or gave the training.
	By string
}

// RecordTraining records the technical training of the request's teacher,
// at any time from the submission until the loan's pickup: IT and the
// coordinator record it (planned on a day, or done on a day, by whom); the
// request's teacher may only set or move the planned day of a training not
// done yet. today is the civil date of the call (a training cannot be done
// in the future). The change is audited ("request.training") and bumps the
// request's version, so reminders and feeds follow it.
//
// Returns ErrNotFound (a teacher's other request), *LoanError with Code
// "training_closed" once the loan is picked up or the request is a draft,
// withdrawn or rejected, "training_forbidden" for another role or a
// teacher trying to mark it done, and invalid input errors with the field.
func (db *DB) RecordTraining(ctx context.Context, by User, requestID int64, in TrainingInput, today calendar.Date) (_ Request, err error) {
	defer wrapf(&err, "RecordTraining(%d)", requestID)
	in.By = strings.TrimSpace(in.By)
	if err := in.Validate(); err != nil {
		return Request{}, err
	}
	if !by.Can(ActTrainingRecord) {
		return Request{}, Forbidden("training_forbidden", "Seuls la DSI, la coordination et l'enseignant du projet enregistrent la formation.")
	}
	// IT and the coordinator record everything; a teacher only the
	// planned day of their own request's training.
	staff := by.HasRole(RoleIT) || by.HasRole(RoleCoordinator)
	if !staff {
		if in.Status == TrainingDone || !in.DoneOn.IsZero() || in.By != "" {
			return Request{}, Forbidden("training_forbidden", "L'enseignant peut seulement proposer ou déplacer la date prévue de la formation ; la DSI ou la coordination enregistre qu'elle est faite.")
		}
		if in.PlannedOn.IsZero() {
			return Request{}, invalidLoan("planned_on", "planned_on_required", "La date prévue de la formation est obligatoire.")
		}
		in.Status = TrainingPlanned
	}
	if in.Status == "" {
		switch {
		case !in.DoneOn.IsZero():
			in.Status = TrainingDone
		case !in.PlannedOn.IsZero():
			in.Status = TrainingPlanned
		}
	}
	switch in.Status {
	case TrainingPlanned:
		if in.PlannedOn.IsZero() {
			return Request{}, invalidLoan("planned_on", "planned_on_required", "La date prévue de la formation est obligatoire.")
		}
		if !in.DoneOn.IsZero() {
			return Request{}, invalidLoan("done_on", "done_on_unexpected", "Une formation prévue n'a pas encore de date de réalisation : donner status « done » pour l'enregistrer comme faite.")
		}
	case TrainingDone:
		if in.DoneOn.IsZero() {
			return Request{}, invalidLoan("done_on", "done_on_required", "La date à laquelle la formation a eu lieu est obligatoire.")
		}
		if in.DoneOn.After(today) {
			return Request{}, invalidLoan("done_on", "done_on_future", "La formation ne peut pas être enregistrée comme faite le %s : cette date n'est pas encore passée.", frenchDate(in.DoneOn))
		}
	default:
		return Request{}, invalidLoan("status", "invalid_status", "Statut de formation attendu : planned (prévue) ou done (faite).")
	}
	open := []RequestState{RequestSubmitted, RequestAuthorised, RequestInReview, RequestValidated}
	out, err := db.transition(ctx, Actor{UserID: by.ID}, requestID, 0, ActTrainingRecord, open,
		func(ctx context.Context, tx bun.Tx, r *requestRow, now time.Time) error {
			if !staff && by.ID != r.TeacherID {
				return errHidden()
			}
			if !staff && r.TrainingStatus == TrainingDone {
				return Forbidden("training_forbidden", "La formation est déjà enregistrée comme faite : seule la DSI ou la coordination peut la modifier.")
			}
			var out int
			if err := tx.NewRaw(`SELECT count(*) FROM loans WHERE request_id = ? AND state IN (?)`, r.ID,
				bun.List([]LoanState{LoanPickedUp, LoanReturned, LoanClosed})).Scan(ctx, &out); err != nil {
				return err
			}
			if out > 0 {
				return loanConflict("training_closed", "Le matériel est déjà retiré : la formation ne se modifie plus.")
			}
			switch in.Status {
			case TrainingPlanned:
				r.TrainingStatus, r.TrainingDate, r.TrainingPlannedOn = TrainingPlanned, requestDate{&in.PlannedOn}, requestDate{&in.PlannedOn}
			case TrainingDone:
				r.TrainingStatus, r.TrainingDate = TrainingDone, requestDate{&in.DoneOn}
				if !in.PlannedOn.IsZero() {
					r.TrainingPlannedOn = requestDate{&in.PlannedOn}
				}
			}
			if in.By != "" || staff {
				r.TrainingBy = in.By
			}
			r.TrainingRecordedBy, r.TrainingRecordedAt = &by.ID, &now
			return nil
		})
	if err != nil {
		if re, ok := AsRule(err); ok && re.Code == "invalid_state" {
			state, _ := re.State.(RequestState)
			return Request{}, loanConflict("training_closed", "La formation s'enregistre une fois la demande déposée, jusqu'au retrait du matériel (demande à l'état « %s »).", state.Label())
		}
		return Request{}, err
	}
	return out, nil
}
