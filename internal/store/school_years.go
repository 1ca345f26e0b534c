package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/classemobile/classemobile/calendar"
)

// schoolYearRE is the form of a school year name.
var schoolYearRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}$`)

// ValidSchoolYear reports whether year has the form of a school year
// ("2026-2027").
func ValidSchoolYear(year string) bool { return schoolYearRE.MatchString(year) }

// YearSettings are the coordinator's settings of one school year.
type YearSettings struct {
	SchoolYear string `json:"school_year"`
	// LoanPolicy says where a loan may lie (calendar.LoanPolicy);
	// calendar.DefaultLoanPolicy when the year has never been set.
	LoanPolicy calendar.LoanPolicy `json:"loan_policy"`
	// LoanWeeks is the loan length in school weeks; DefaultLoanWeeks when
	// the year has never been set.
	LoanWeeks int        `json:"loan_weeks"`
	UpdatedBy *int64     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

type yearSettingsRow struct {
	bun.BaseModel `bun:"table:school_year_settings"`

	SchoolYear string    `bun:"school_year,pk"`
	LoanPolicy string    `bun:"loan_policy,notnull"`
	LoanWeeks  int       `bun:"loan_weeks,notnull"`
	UpdatedBy  *int64    `bun:"updated_by"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`
}

func (r yearSettingsRow) settings() YearSettings {
	at := r.UpdatedAt.UTC()
	return YearSettings{SchoolYear: r.SchoolYear, LoanPolicy: calendar.LoanPolicy(r.LoanPolicy), LoanWeeks: r.LoanWeeks,
		UpdatedBy: r.UpdatedBy, UpdatedAt: &at}
}

// YearSettings returns the settings of a school year, the defaults when
// none were set. Returns an error wrapping calendar.ErrInvalidYear for a
// malformed year.
func (db *DB) YearSettings(ctx context.Context, year string) (_ YearSettings, err error) {
	defer wrapf(&err, "YearSettings(%s)", year)
	if _, err := calendar.NewYear(year, nil); errors.Is(err, calendar.ErrInvalidYear) {
		return YearSettings{}, err
	}
	return yearSettingsTx(ctx, db.bun, year)
}

func yearSettingsTx(ctx context.Context, idb bun.IDB, year string) (YearSettings, error) {
	var row yearSettingsRow
	err := idb.NewSelect().Model(&row).Where("school_year = ?", year).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return YearSettings{SchoolYear: year, LoanPolicy: calendar.DefaultLoanPolicy, LoanWeeks: DefaultLoanWeeks}, nil
	}
	if err != nil {
		return YearSettings{}, err
	}
	return row.settings(), nil
}

// SetLoanPolicy sets the loan policy of a school year (rounds run without
// a policy of their own use it) and records the change in the audit log.
// Returns an error wrapping calendar.ErrInvalidLoanPolicy for an unknown
// policy, calendar.ErrInvalidYear for a malformed year, and
// calendar.ErrUnknownYear for a year without calendar.
func (db *DB) SetLoanPolicy(ctx context.Context, actor Actor, year string, policy calendar.LoanPolicy) (_ YearSettings, err error) {
	defer wrapf(&err, "SetLoanPolicy(%s, %s)", year, policy)
	if !ValidSchoolYear(year) {
		return YearSettings{}, Invalid("year", "invalid_year", "Année scolaire invalide : %q (format attendu : 2025-2026).", year)
	}
	if policy == "" {
		return YearSettings{}, Invalid("loan_policy", "validation_failed", "politique de prêt attendue : within_period, across_breaks ou period_length")
	}
	if policy, err = calendar.ParseLoanPolicy(string(policy)); err != nil {
		e := Invalid("loan_policy", "validation_failed", "politique de prêt inconnue (within_period, across_breaks ou period_length)")
		e.Err = err
		return YearSettings{}, e
	}
	return db.saveYearSettings(ctx, actor, year, "school_year.loan_policy", func(set *YearSettings) { set.LoanPolicy = policy })
}

// MinLoanWeeks is the shortest loan in school weeks (MaxLoanWeeks the
// longest).
const MinLoanWeeks = 1

// CheckLoanWeeks records on f a loan length out of MinLoanWeeks to
// MaxLoanWeeks school weeks.
func CheckLoanWeeks(f FieldErrors, field string, n int) {
	if n < MinLoanWeeks || n > MaxLoanWeeks {
		f.Add(field, "durée de prêt hors de %d à %d semaines", MinLoanWeeks, MaxLoanWeeks)
	}
}

// YearSettingsInput is what the coordinator sets for a school year: the
// loan length and the loan policy.
type YearSettingsInput struct {
	LoanWeeks  int
	LoanPolicy calendar.LoanPolicy
}

// Validate reports a loan length out of range and an unknown policy, in
// French.
func (in YearSettingsInput) Validate() error {
	f := FieldErrors{}
	CheckLoanWeeks(f, "loan_weeks", in.LoanWeeks)
	if _, err := calendar.ParseLoanPolicy(string(in.LoanPolicy)); err != nil || in.LoanPolicy == "" {
		f.Add("loan_policy", "politique de prêt attendue : within_period, across_breaks ou period_length")
	}
	return f.Err()
}

// SetYearSettings sets the loan length and the loan policy of a school
// year (after YearSettingsInput.Validate) and records the change in the
// audit log. Returns a *RuleError for invalid input or a year without
// calendar (unknown_year, matching ErrNotFound).
func (db *DB) SetYearSettings(ctx context.Context, actor Actor, year string, in YearSettingsInput) (_ YearSettings, err error) {
	defer wrapf(&err, "SetYearSettings(%s)", year)
	if !ValidSchoolYear(year) {
		return YearSettings{}, Invalid("year", "invalid_year", "Année scolaire invalide : %q (format attendu : 2025-2026).", year)
	}
	if err := in.Validate(); err != nil {
		return YearSettings{}, err
	}
	return db.saveYearSettings(ctx, actor, year, "school_year.settings", func(set *YearSettings) {
		set.LoanPolicy, set.LoanWeeks = in.LoanPolicy, in.LoanWeeks
	})
}

// saveYearSettings applies change to a year's settings in one
// transaction, with an audit entry named action.
func (db *DB) saveYearSettings(ctx context.Context, actor Actor, year, action string, change func(*YearSettings)) (YearSettings, error) {
	var row yearSettingsRow
	err := db.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := calendarYearTx(ctx, tx, year); errors.Is(err, calendar.ErrUnknownYear) {
			return &RuleError{Kind: RuleNotFound, Code: "unknown_year", Err: err,
				Message: fmt.Sprintf("Le calendrier de l'année scolaire %s n'est pas connu (pas encore publié ou non importé).", year)}
		} else if err != nil {
			return err
		}
		before, err := yearSettingsTx(ctx, tx, year)
		if err != nil {
			return err
		}
		after := before
		change(&after)
		row = yearSettingsRow{SchoolYear: year, LoanPolicy: string(after.LoanPolicy), LoanWeeks: after.LoanWeeks, UpdatedAt: db.Now()}
		if actor.UserID != 0 {
			row.UpdatedBy = &actor.UserID
		}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (school_year) DO UPDATE").
			Set("loan_policy = EXCLUDED.loan_policy, loan_weeks = EXCLUDED.loan_weeks, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return err
		}
		return Audit(ctx, tx, row.UpdatedAt, actor, action, "school_year", year,
			map[string]any{"loan_policy": before.LoanPolicy, "loan_weeks": before.LoanWeeks},
			map[string]any{"loan_policy": after.LoanPolicy, "loan_weeks": after.LoanWeeks})
	})
	if err != nil {
		return YearSettings{}, err
	}
	return row.settings(), nil
}
