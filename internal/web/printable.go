package web

import (
	"net/http"

	"github.com/classemobile/classemobile/internal/store"
)

// printable serves the printable agreement ("convention") or inventory
// sheet ("inventaire") of a loan with the Bearer token (GET
// /loans/{id}/… and /api/v1/loans/{id}/…): the Printer renders it.
func (s *Server) printable(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := pathID(r, "id"); err != nil {
			return err
		}
		if s.printer == nil {
			return errNotFound
		}
		return s.printer.LoanPrintable(w, r, currentUser(r), kind)
	}
}

// LoanPrintable renders a printable loan page for u, signed in by the
// pages' session (the Printer's, for the pages that print through the
// API's server).
func (s *Server) LoanPrintable(w http.ResponseWriter, r *http.Request, u store.User, kind string) error {
	if s.printer == nil {
		return errNotFound
	}
	return s.printer.LoanPrintable(w, r, u, kind)
}

// AgreementText renders the terms of a loan's agreement as u may see it
// (the Printer's).
func (s *Server) AgreementText(r *http.Request, u store.User, loanID int64) (string, error) {
	if s.printer == nil {
		return "", errNotFound
	}
	return s.printer.AgreementText(r, u, loanID)
}
