package web

import (
	"net/http"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// trainingRecordInput is the body of POST /requests/{id}/training and
// /loans/{id}/training.
type trainingRecordInput struct {
	Status    string        `json:"status"` // planned or done
	PlannedOn calendar.Date `json:"planned_on"`
	DoneOn    calendar.Date `json:"done_on"`
	By        string        `json:"by"`
}

func (s *Server) decodeTraining(w http.ResponseWriter, r *http.Request) (store.TrainingInput, error) {
	var in trainingRecordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return store.TrainingInput{}, err
	}
	return store.TrainingInput{Status: store.TrainingStatus(in.Status), PlannedOn: in.PlannedOn, DoneOn: in.DoneOn, By: in.By}, nil
}

// recordRequestTraining answers POST /api/v1/requests/{id}/training with
// the request.
func (s *Server) recordRequestTraining(w http.ResponseWriter, r *http.Request) error {
	q, err := s.visibleRequest(r)
	if err != nil {
		return err
	}
	in, err := s.decodeTraining(w, r)
	if err != nil {
		return err
	}
	q, err = s.db.RecordTraining(r.Context(), currentUser(r), q.ID, in, calendar.ParisDate(s.now()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewOf(q))
}

// recordLoanTraining answers POST /api/v1/loans/{id}/training (the
// training of the loan's request) with the loan.
func (s *Server) recordLoanTraining(w http.ResponseWriter, r *http.Request) error {
	l, err := s.visibleLoan(r)
	if err != nil {
		return err
	}
	in, err := s.decodeTraining(w, r)
	if err != nil {
		return err
	}
	if _, err := s.db.RecordTraining(r.Context(), currentUser(r), l.RequestID, in, calendar.ParisDate(s.now())); err != nil {
		return err
	}
	return s.writeLoanDetail(w, r, http.StatusOK, l.ID)
}
