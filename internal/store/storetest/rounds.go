package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/store"
)

// RoundToday is a day before the school year LoanYear starts: a round run
// as of that day may start loans in the first school week.
var RoundToday = calendar.MustParseDate("2026-08-20")

// RoundOpts describes the data of a round test; zero fields get defaults.
type RoundOpts struct {
	// Packs available; defaults to 2.
	Packs int
	// Requests validated for LoanYear, one school each; defaults to 5,
	// negative means none.
	Requests int
	// Sectors the schools are spread over; defaults to 3.
	Sectors int
	// NotTrained lists the indices of requests whose training is not done
	// (they are worth less to the engine).
	NotTrained []int
	// TwoPacks lists the indices of requests that need two packs.
	TwoPacks []int
}

// RoundData is what Rounds created.
type RoundData struct {
	Year     string
	Packs    []store.Pack
	Requests []LoanRequest
	// Coordinator runs the rounds; Token is its API token.
	Coordinator store.User
	Token       string
}

// Rounds creates packs, schools in sectors, validated requests of LoanYear
// and a coordinator, for allocation round tests.
func Rounds(t testing.TB, db *store.DB, opts *RoundOpts) RoundData {
	t.Helper()
	if opts == nil {
		opts = &RoundOpts{}
	}
	o := *opts
	if o.Packs == 0 {
		o.Packs = 2
	}
	if o.Requests == 0 {
		o.Requests = 5
	}
	if o.Sectors == 0 {
		o.Sectors = 3
	}
	d := RoundData{Year: LoanYear}
	d.Coordinator, d.Token = User(t, db, &UserOpts{Role: store.RoleCoordinator, Name: "Coordinateur"})
	prefix := "R" + Unique()
	for i := range o.Packs {
		d.Packs = append(d.Packs, Pack(t, db, &PackOpts{Code: fmt.Sprintf("%s-%02d", prefix, i+1), Tablets: 2}))
	}
	for i := range max(o.Requests, 0) {
		sector := fmt.Sprintf("q-%s-%d", prefix, i%o.Sectors)
		school := School(t, db, &SchoolOpts{SectorID: sector})
		training := "done"
		if slices.Contains(o.NotTrained, i) {
			training = "not_planned"
		}
		packs := 1
		if slices.Contains(o.TwoPacks, i) {
			packs = 2
		}
		d.Requests = append(d.Requests, ValidatedRequest(t, db, &ValidatedRequestOpts{SchoolUAI: school.UAI,
			TrainingStatus: training, Packs: packs}))
	}
	return d
}
