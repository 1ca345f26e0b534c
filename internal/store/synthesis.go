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
	// LoansPerPack is how many loans of the loan length one pack can make
	// in the period, with a free week between two loans.
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
	// Capacity is PeriodCap × the number of periods where a loan fits.
	Capacity int `json:"capacity"`
}

// Synthesis is the tableau de synthèse of a school year: the validated
// requests with their resource impact.
type Synthesis struct {
	SchoolYear     string `json:"school_year"`
	LoanWeeks      int    `json:"loan_weeks"`
	PacksAvailable int    `json:"packs_available"`
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

// Synthesis builds the synthesis table of a school year over its periods,
// for loans of loanWeeks school weeks. Rows are by school name then
// request id; sectors by id.
func (db *DB) Synthesis(ctx context.Context, year string, periods []calendar.Period, loanWeeks int) (_ Synthesis, err error) {
	defer wrapf(&err, "Synthesis(%s)", year)
	if err := checkSchoolYearName("school_year", year); err != nil {
		return Synthesis{}, err
	}
	s := Synthesis{SchoolYear: year, LoanWeeks: loanWeeks, Rows: []SynthesisRow{}, Periods: []PeriodTotal{}, Sectors: []SectorTotal{}}
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
	usable := 0
	for _, p := range periods {
		t := PeriodTotal{PeriodID: p.ID, Label: p.Label, Weeks: p.WeekCount(), PacksAvailable: s.PacksAvailable}
		if loanWeeks > 0 {
			t.LoansPerPack = (t.Weeks + 1) / (loanWeeks + 1)
		}
		t.Capacity = t.PacksAvailable * t.LoansPerPack
		if t.LoansPerPack > 0 {
			usable++
		}
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
