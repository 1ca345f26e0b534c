package store

import (
	"context"
	"slices"

	"github.com/classemobile/classemobile/calendar"
)

// SynthesisRow is one validated request in the synthesis table.
type SynthesisRow struct {
	RequestID   int64    `json:"request_id"`
	SchoolUAI   string   `json:"school_uai"`
	SchoolName  string   `json:"school_name"`
	SectorID    string   `json:"sector_id"`
	SectorName  string   `json:"sector_name"`
	TeacherName string   `json:"teacher_name"`
	Title       string   `json:"title"`
	ClassLevels []string `json:"class_levels"`
	Pupils      int      `json:"pupils"`
	Packs       int      `json:"packs"`
	PacksReason string   `json:"packs_reason,omitempty"`
	// DecisionOverride is the coordinator's reason for validating before
	// the three referents gave their opinion.
	DecisionOverride   string   `json:"decision_override,omitempty"`
	PreferredPeriods   []string `json:"preferred_periods"`
	ExcludedPeriods    []string `json:"excluded_periods"`
	ParticipationYear  int      `json:"participation_year"`
	OtherPartnerScheme bool     `json:"other_partner_scheme"`
	Training           Training `json:"training"`
	// Opinions by referent role; a role without opinion is absent.
	Opinions       map[Role]Opinion `json:"opinions"`
	ExtensionWeeks int              `json:"extension_weeks"`
}

// PeriodTotal compares, for one period, the packs requested by the
// validated requests preferring it with the packs available.
type PeriodTotal struct {
	PeriodID string `json:"period_id"`
	Label    string `json:"label"`
	// Weeks is the number of school weeks of the period.
	Weeks int `json:"weeks"`
	// Requests and PacksRequested count the validated requests that list
	// the period among their preferred ones.
	Requests       int `json:"requests"`
	PacksRequested int `json:"packs_requested"`
	// Excluding counts the requests that exclude the period.
	Excluding int `json:"excluding"`
	// PacksAvailable is the number of packs in service.
	PacksAvailable int `json:"packs_available"`
	// LoansPerPack is how many loans starting in the period one pack makes
	// when it makes as many loans as it can in the year, one after the
	// other, under the year's loan policy (calendar.Year.LoansPerPack).
	LoansPerPack int `json:"loans_per_pack"`
	// Capacity is PacksAvailable × LoansPerPack: pack-loans the period
	// can serve.
	Capacity int `json:"capacity"`
}

// SectorTotal compares the packs requested in a sector with its cap.
type SectorTotal struct {
	SectorID       string `json:"sector_id"`
	Name           string `json:"name"`
	Requests       int    `json:"requests"`
	PacksRequested int    `json:"packs_requested"`
	// PeriodCap is the packs per period the sector may get before the
	// allocation penalises concentration.
	PeriodCap int `json:"period_cap"`
	// Capacity is PeriodCap × the number of periods where a loan may
	// start under the year's loan policy.
	Capacity int `json:"capacity"`
}

// Synthesis is the tableau de synthèse of a school year: the validated
// requests with their resource impact.
type Synthesis struct {
	SchoolYear string `json:"school_year"`
	// LoanWeeks and LoanPolicy are the year's settings (YearSettings).
	LoanWeeks      int                 `json:"loan_weeks"`
	LoanPolicy     calendar.LoanPolicy `json:"loan_policy"`
	PacksAvailable int                 `json:"packs_available"`
	// PacksRequested sums the packs of all rows.
	PacksRequested int `json:"packs_requested"`
	// PacksWithoutPreference sums the packs of the rows with no preferred
	// period (they fit anywhere).
	PacksWithoutPreference int            `json:"packs_without_preference"`
	Capacity               int            `json:"capacity"`
	Rows                   []SynthesisRow `json:"rows"`
	Periods                []PeriodTotal  `json:"periods"`
	Sectors                []SectorTotal  `json:"sectors"`
}

// Synthesis builds the synthesis table of a school year: its validated
// requests, and the capacity of its periods for loans of the year's
// length under the year's loan policy (YearSettings), a pack busy
// DefaultTurnaroundDays after each return. Rows are by school name then
// request id; sectors by id. An unknown or malformed year is a
// *RuleError on field "school_year".
func (db *DB) Synthesis(ctx context.Context, year string) (_ Synthesis, err error) {
	defer wrapf(&err, "Synthesis(%s)", year)
	if err := checkSchoolYearName("school_year", year); err != nil {
		return Synthesis{}, err
	}
	y, err := yearTx(ctx, db.bun, year, "school_year")
	if err != nil {
		return Synthesis{}, err
	}
	set, err := db.YearSettings(ctx, year)
	if err != nil {
		return Synthesis{}, err
	}
	s := Synthesis{SchoolYear: year, LoanWeeks: set.LoanWeeks, LoanPolicy: set.LoanPolicy,
		Rows: []SynthesisRow{}, Periods: []PeriodTotal{}, Sectors: []SectorTotal{}}
	if err := db.bun.NewSelect().TableExpr("packs").ColumnExpr("count(*)").
		Where("status = ?", PackAvailable).Scan(ctx, &s.PacksAvailable); err != nil {
		return Synthesis{}, err
	}
	qs, err := db.ListRequests(ctx, RequestFilter{SchoolYear: year, State: RequestValidated})
	if err != nil {
		return Synthesis{}, err
	}
	sectors, err := db.ListSectors(ctx)
	if err != nil {
		return Synthesis{}, err
	}
	sectorName := map[string]string{}
	for _, sec := range sectors {
		sectorName[sec.ID] = sec.Name
	}
	for _, q := range qs {
		row := SynthesisRow{RequestID: q.ID, SchoolUAI: q.SchoolUAI, SchoolName: q.SchoolName,
			SectorID: q.SectorID, SectorName: sectorName[q.SectorID], TeacherName: q.TeacherName, Title: q.Title,
			ClassLevels: q.ClassLevels, Pupils: q.Pupils, Packs: q.Packs, PacksReason: q.PacksReason, DecisionOverride: q.DecisionOverride,
			PreferredPeriods: q.PreferredPeriods, ExcludedPeriods: q.ExcludedPeriods,
			ParticipationYear: q.Eligibility.ParticipationYear, OtherPartnerScheme: q.OtherPartnerScheme,
			Training: q.Training, Opinions: map[Role]Opinion{}, ExtensionWeeks: q.ExtensionWeeks}
		for _, o := range q.Opinions {
			row.Opinions[o.Role] = o
		}
		s.Rows = append(s.Rows, row)
		s.PacksRequested += q.Packs
		if len(q.PreferredPeriods) == 0 {
			s.PacksWithoutPreference += q.Packs
		}
	}
	perPack := y.LoansPerPack(set.LoanPolicy, set.LoanWeeks, DefaultTurnaroundDays)
	startable := y.StartPeriods(set.LoanPolicy, set.LoanWeeks)
	usable := len(startable)
	for _, p := range y.Periods() {
		t := PeriodTotal{PeriodID: p.ID, Label: p.Label, Weeks: p.WeekCount(), PacksAvailable: s.PacksAvailable,
			LoansPerPack: perPack[p.ID]}
		t.Capacity = t.PacksAvailable * t.LoansPerPack
		for _, r := range s.Rows {
			if slices.Contains(r.PreferredPeriods, p.ID) {
				t.Requests++
				t.PacksRequested += r.Packs
			}
			if slices.Contains(r.ExcludedPeriods, p.ID) {
				t.Excluding++
			}
		}
		s.Capacity += t.Capacity
		s.Periods = append(s.Periods, t)
	}
	for _, sec := range sectors {
		t := SectorTotal{SectorID: sec.ID, Name: sec.Name, PeriodCap: sec.PeriodCap, Capacity: sec.PeriodCap * usable}
		for _, r := range s.Rows {
			if r.SectorID == sec.ID {
				t.Requests++
				t.PacksRequested += r.Packs
			}
		}
		s.Sectors = append(s.Sectors, t)
	}
	return s, nil
}
