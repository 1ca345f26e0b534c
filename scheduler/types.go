package scheduler

import (
	"encoding/json"
)

// Format identifiers of the instance and plan JSON documents.
const (
	InstanceFormat = "tablet-pack-allocation/v1"
	PlanFormat     = "tablet-pack-allocation-plan/v1"
)

// Instance is an allocation problem in the "tablet-pack-allocation/v1" format.
type Instance struct {
	Format       string          `json:"format"`
	Name         string          `json:"name"`
	Seed         json.RawMessage `json:"seed,omitempty"`
	Calendar     Calendar        `json:"calendar"`
	Params       Params          `json:"params"`
	Sectors      []Sector        `json:"sectors"`
	Schools      []School        `json:"schools"`
	Projects     []Project       `json:"projects"`
	PreviousPlan *PreviousPlan   `json:"previous_plan"`
	Perturbation json.RawMessage `json:"perturbation,omitempty"`
	// PackUnavailability is an optional extension of
	// tablet-pack-allocation/v1 (the reference evaluate.py ignores it):
	// intervals of days during which one pack cannot be lent (maintenance,
	// repair). A loan may not use a pack whose busy interval
	// [start_day, free_day) meets one of the pack's intervals.
	PackUnavailability []PackUnavailability `json:"pack_unavailability,omitempty"`
}

// PackUnavailability is a half-open interval of days [FromDay, ToDay),
// counted from Calendar.Day0 like Week.Day, during which pack number Pack
// (1..Params.Packs) is unavailable. For example {"pack": 3, "from_day": 70,
// "to_day": 84} takes pack 3 away for the two weeks starting on day 70.
type PackUnavailability struct {
	Pack    int    `json:"pack"`
	FromDay int    `json:"from_day"`
	ToDay   int    `json:"to_day"`
	Reason  string `json:"reason,omitempty"`
}

// Calendar lists the school periods and the school weeks of one school year.
// Days are counted from Day0.
type Calendar struct {
	SchoolYear              string          `json:"school_year,omitempty"`
	Academie                string          `json:"academie,omitempty"`
	Zone                    string          `json:"zone,omitempty"`
	Day0                    string          `json:"day0"`
	Periods                 []Period        `json:"periods"`
	Weeks                   []Week          `json:"weeks"`
	Holidays                json.RawMessage `json:"holidays,omitempty"`
	PublicHolidaysInPeriods json.RawMessage `json:"public_holidays_in_periods,omitempty"`
}

// Period is a school period between two holidays (P1 … P5).
type Period struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
}

// Week is a school week; holiday weeks are absent from Calendar.Weeks.
type Week struct {
	Index  int    `json:"index"`
	Monday string `json:"monday"`
	Day    int    `json:"day"`
	Period string `json:"period"`
}

// Params are the parameters of a round.
type Params struct {
	Packs                int     `json:"packs"`
	LoanWeeks            int     `json:"loan_weeks"`
	TurnaroundDays       int     `json:"turnaround_days"`
	TodayWeek            int     `json:"today_week"`
	MaxParticipationYear int     `json:"max_participation_year"`
	SchoolPeriodFree     int     `json:"school_period_free"`
	SchoolYearFree       int     `json:"school_year_free"`
	TabletsPerPack       int     `json:"tablets_per_pack,omitempty"`
	PupilsPerPack        int     `json:"pupils_per_pack,omitempty"`
	SectorCapSlack       float64 `json:"sector_cap_slack,omitempty"`
	Weights              Weights `json:"weights"`
	// LoanPolicy is an optional extension of tablet-pack-allocation/v1
	// (the reference evaluate.py ignores it): where a base loan of
	// LoanWeeks school weeks may lie. "within_period" (or empty, the
	// spec's rule): inside one period; "across_breaks": LoanWeeks
	// consecutive school weeks spanning at most one short break (never
	// the summer); "period_length": inside one period, a period shorter
	// than LoanWeeks getting loans of its own length from its first week.
	// See calendar.LoanStarts.
	LoanPolicy string `json:"loan_policy,omitempty"`
}

// Weights are the integer weights of the objective (spec section 5).
type Weights struct {
	Base               int `json:"base"`
	FirstYear          int `json:"first_year"`
	TrainingDone       int `json:"training_done"`
	PreferredPeriod    int `json:"preferred_period"`
	ExtensionGranted   int `json:"extension_granted"`
	SchoolPeriodExcess int `json:"school_period_excess"`
	SchoolYearExcess   int `json:"school_year_excess"`
	SectorPeriodExcess int `json:"sector_period_excess"`
	ChurnMove          int `json:"churn_move"`
	ChurnExtension     int `json:"churn_extension"`
	ChurnDrop          int `json:"churn_drop"`
}

// DefaultWeights returns the weights of the specification (section 5),
// used by all generated instances and by rounds that set none.
func DefaultWeights() Weights {
	return Weights{Base: 100, FirstYear: 60, TrainingDone: 30, PreferredPeriod: 20,
		ExtensionGranted: 6, SchoolPeriodExcess: 40, SchoolYearExcess: 30, SectorPeriodExcess: 15,
		ChurnMove: 25, ChurnExtension: 5, ChurnDrop: 50}
}

// Sector is a neighbourhood; PeriodCap packs per period are free of penalty.
type Sector struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	PeriodCap int     `json:"period_cap"`
}

// School is a school of a sector.
type School struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Sector string  `json:"sector"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
}

// Project is a validated class project asking for a loan.
type Project struct {
	ID               string   `json:"id"`
	School           string   `json:"school"`
	ClassLevel       string   `json:"class_level"`
	ClassSize        int      `json:"class_size"`
	Packs            int      `json:"packs"`
	Year             int      `json:"year"`
	TrainingDone     bool     `json:"training_done"`
	PreferredPeriods []string `json:"preferred_periods"`
	ExcludedPeriods  []string `json:"excluded_periods"`
	ExtensionWeeks   int      `json:"extension_weeks"`
}

// PreviousPlan is the last published plan, for re-runs.
type PreviousPlan struct {
	Loans     []PreviousLoan  `json:"loans"`
	Published json.RawMessage `json:"published,omitempty"`
}

// PreviousLoan is one loan of the previous plan; a locked loan must be kept.
type PreviousLoan struct {
	Project        string `json:"project"`
	StartWeek      int    `json:"start_week"`
	ExtensionWeeks int    `json:"extension_weeks"`
	Packs          []int  `json:"packs"`
	Locked         bool   `json:"locked"`
}

// Plan is a plan in the "tablet-pack-allocation-plan/v1" format. Only the
// loans' Project, StartWeek, ExtensionWeeks and Packs are normative.
type Plan struct {
	Format     string `json:"format"`
	Instance   string `json:"instance,omitempty"`
	ProducedBy string `json:"produced_by,omitempty"`
	Loans      []Loan `json:"loans"`
	Objective  *int   `json:"objective,omitempty"`
}

// Loan is one served project: start week, granted extension and pack numbers.
type Loan struct {
	Project        string `json:"project"`
	StartWeek      int    `json:"start_week"`
	ExtensionWeeks int    `json:"extension_weeks"`
	Packs          []int  `json:"packs"`
	StartMonday    string `json:"start_monday,omitempty"`
	LastWeekMonday string `json:"last_week_monday,omitempty"`
}
