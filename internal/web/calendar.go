package web

import (
	"errors"
	"net/http"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// getCalendar answers GET /api/v1/calendar/{year}: periods, school weeks,
// holidays, public holidays and the legal start weeks of a loan of the
// configured length (or ?loan_weeks=N).
func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) error {
	year := r.PathValue("year")
	weeks := int64(s.loanWeeks)
	if n, ok, err := queryInt(r, "loan_weeks"); err != nil {
		return err
	} else if ok {
		f := store.FieldErrors{}
		store.CheckLoanWeeks(f, "loan_weeks", int(n))
		if err := f.Err(); err != nil {
			return err
		}
		weeks = n
	}
	y, err := s.db.CalendarYear(r.Context(), year)
	switch {
	case errors.Is(err, calendar.ErrInvalidYear):
		return Errorf(http.StatusBadRequest, "invalid_year", "Année scolaire invalide : %q (format attendu : 2025-2026).", year)
	case errors.Is(err, calendar.ErrUnknownYear):
		return Errorf(http.StatusNotFound, "unknown_year", "Le calendrier de l'année scolaire %s n'est pas connu (pas encore publié ou non importé).", year)
	case err != nil:
		return err
	}
	set, err := s.db.YearSettings(r.Context(), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, calendarView{Overview: y.Overview(int(weeks)), LoanPolicy: set.LoanPolicy})
}

// calendarView is a school year with its loan policy setting.
type calendarView struct {
	calendar.Overview
	LoanPolicy calendar.LoanPolicy `json:"loan_policy"`
}

// setLoanPolicy answers PUT /api/v1/calendar/{year}/loan-policy
// ({"loan_policy": "across_breaks"}): the school year's loan policy, used
// by the rounds that do not choose one.
func (s *Server) setLoanPolicy(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		LoanPolicy string `json:"loan_policy"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	set, err := s.db.SetLoanPolicy(r.Context(), actor(r), r.PathValue("year"), calendar.LoanPolicy(in.LoanPolicy))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, set)
}
