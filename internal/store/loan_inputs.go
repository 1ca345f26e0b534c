package store

import (
	"slices"
	"strconv"
	"strings"
)

// MaxSheetLines is the most lines an inventory sheet may carry.
const MaxSheetLines = 1000

// MaxLoanNoteLen is the longest free text of a loan action (extension
// reason, decision comment, closing or cancelling reason, incident
// resolution), in characters.
const MaxLoanNoteLen = 2000

// Validate checks the lengths of a pickup or return sheet's texts and its
// number of lines; which items the lines name is checked against the loan.
func (in SheetInput) Validate() error {
	f := FieldErrors{}
	CheckText(f, "school_person", in.SchoolPerson, 200)
	CheckText(f, "comment", in.Comment, 2000)
	CheckText(f, "technical_report", in.TechnicalReport, 10000)
	if len(in.Lines) > MaxSheetLines {
		f.Add("lines", "%d lignes au plus", MaxSheetLines)
	}
	if k := in.IdempotencyKey; k != "" && !validDeskKey(k) {
		f.Add("idempotency_key", "clé de formulaire invalide : de 16 à 64 lettres, chiffres, « - » ou « _ »")
	}
	for i, ln := range in.Lines {
		CheckText(f, "lines["+strconv.Itoa(i)+"].condition", ln.Condition, 200)
		CheckText(f, "lines["+strconv.Itoa(i)+"].note", ln.Note, 2000)
	}
	return f.Err()
}

// checkLoanNote checks the free text of a loan action sent on field.
func checkLoanNote(field, s string) error {
	f := FieldErrors{}
	CheckText(f, field, s, MaxLoanNoteLen)
	return f.Err()
}

// Validate checks a loan list filter as a person sends it: the lengths of
// the year and school, and a known state.
func (f LoanFilter) Validate() error {
	errs := FieldErrors{}
	CheckText(errs, "year", f.SchoolYear, 9)
	CheckText(errs, "school", f.SchoolUAI, 8)
	if f.State != "" && !slices.Contains(LoanStates, f.State) {
		names := make([]string, len(LoanStates))
		for i, st := range LoanStates {
			names[i] = string(st)
		}
		errs.Add("state", "état attendu : %s", strings.Join(names, ", "))
	}
	return errs.Err()
}
