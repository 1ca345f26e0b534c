package store

import (
	"context"
	"fmt"

	"github.com/classemobile/classemobile/calendar"
)

// RequestActionInput is what a person sends with a step of a request's
// workflow: the version read and the free texts of the step. The store's
// workflow methods validate it before anything else.
type RequestActionInput struct {
	Version        int
	Reason         string
	Comment        string
	OverrideReason string
}

// Validate checks the version (0 means "do not check") and that every
// text is valid UTF-8 without NUL, within MaxTextLen characters.
func (in RequestActionInput) Validate() error {
	f := FieldErrors{}
	CheckText(f, "reason", in.Reason, MaxTextLen)
	CheckText(f, "comment", in.Comment, MaxTextLen)
	CheckText(f, "override_reason", in.OverrideReason, MaxTextLen)
	if in.Version < 0 {
		f.Add("version", "version invalide")
	}
	return f.Err()
}

// Validate checks a filter of requests sent as query parameters: a school
// year name, a UAI code and a known state, each optional.
func (f RequestFilter) Validate() error {
	fe := FieldErrors{}
	CheckText(fe, "school_year", f.SchoolYear, 9)
	CheckText(fe, "school", f.SchoolUAI, 8)
	if f.State != "" && !f.State.Valid() {
		fe.Add("state", "état inconnu : draft, submitted, authorised, in_review, validated, rejected ou withdrawn")
	}
	return fe.Err()
}

// Validate checks the texts of a training record; the status and dates
// are checked by RecordTraining with the person's roles.
func (in TrainingInput) Validate() error {
	f := FieldErrors{}
	CheckText(f, "status", string(in.Status), 20)
	CheckText(f, "by", in.By, 200)
	return f.Err()
}

// checkSchoolYearName refuses a school year that is not of the form
// 2026-2027, on field (the query parameter the year came from).
func checkSchoolYearName(field, year string) error {
	f := FieldErrors{}
	CheckText(f, field, year, 9)
	if year != "" && f[field] == "" && !calendar.ValidYearName(year) {
		f.Add(field, "année scolaire attendue au format 2026-2027")
	}
	return f.Err()
}

// MaxReminderPage is the most ledger rows one API call returns.
const MaxReminderPage = 1000

// Validate checks a filter of the reminder ledger sent by a person: a
// known status, ids that are not negative, a limit of at most
// MaxReminderPage (0: 200).
func (f ReminderFilter) Validate() error {
	fe := FieldErrors{}
	if f.Status != "" && !f.Status.Valid() {
		fe.Add("status", "pending, sent, failed ou skipped attendu")
	}
	if f.LoanID < 0 {
		fe.Add("loan", "identifiant de prêt positif attendu")
	}
	if f.AfterID < 0 {
		fe.Add("after", "identifiant positif attendu")
	}
	if f.Limit < 0 || f.Limit > MaxReminderPage {
		fe.Add("limit", "nombre entre 1 et %d attendu", MaxReminderPage)
	}
	return fe.Err()
}

// ListRemindersPage is ListReminders for a filter a person sent: it is
// validated first, and the page holds 200 rows unless the filter says.
func (db *DB) ListRemindersPage(ctx context.Context, f ReminderFilter) ([]Reminder, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	rs, err := db.ListReminders(ctx, f)
	if rs == nil && err == nil {
		rs = []Reminder{}
	}
	return rs, err
}

// MaxConfirmedCancellations bounds the loans one publish may confirm.
const MaxConfirmedCancellations = 10000

func checkConfirmedCancellations(ids []int64) error {
	if len(ids) > MaxConfirmedCancellations {
		return FieldErrors{"confirm_cancellations": fmt.Sprintf("%d prêts au plus", MaxConfirmedCancellations)}.Err()
	}
	return nil
}

// loanLabelSQL names a loan as people read it, « prêt n° 9, ECOLE … »,
// from the loan aliased lbl_l and its school lbl_s that loanLabelJoin
// adds to a query whose table (alias given as its argument) has loan_id.
const loanLabelSQL = `'prêt n° ' || lbl_l.id || ', ' || lbl_s.name`

const loanLabelJoin = `JOIN loans AS lbl_l ON lbl_l.id = ?.loan_id JOIN schools AS lbl_s ON lbl_s.uai = lbl_l.school_uai`
