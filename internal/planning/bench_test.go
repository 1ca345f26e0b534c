package planning_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/planning"
)

// benchInput is a full year: every pack lent four times (P1, P2 with an
// extension into P3 every third pack, P4, P5), spread over 40 sectors, and
// one maintenance window per ten packs.
func benchInput(b *testing.B, nPacks int) planning.Input {
	b.Helper()
	y := year(b)
	in := planning.Input{Year: y, Today: calendar.MustParseDate("2026-11-10"), Viewer: planning.Viewer{Staff: true}}
	id := int64(0)
	for p := 1; p <= nPacks; p++ {
		pk := planning.Pack{ID: int64(p), Code: fmt.Sprintf("P-%04d", p)}
		in.Packs = append(in.Packs, pk)
		for _, start := range []int{1, 8, 19, 25} {
			ext := 0
			if start == 8 && p%3 == 0 {
				ext = 2
			}
			pickup, ret, err := y.LoanDays(start, 6+ext)
			if err != nil {
				b.Fatal(err)
			}
			id++
			sector := fmt.Sprintf("q-%02d", id%40)
			in.Loans = append(in.Loans, planning.Loan{LoanID: id, RequestID: id, SchoolUAI: fmt.Sprintf("%07dA", id),
				SchoolName: fmt.Sprintf("École n° %d", id), Class: "CM1, CM2", SectorID: sector, SectorName: "Quartier " + sector,
				PackIDs: []int64{pk.ID}, PackCodes: []string{pk.Code}, StartWeek: start, Weeks: 6, ExtensionWeeks: ext,
				PickupDay: pickup, ReturnDay: ret, TurnaroundDays: 7, State: "réservé"})
		}
		if p%10 == 0 {
			in.Maintenance = append(in.Maintenance, planning.Window{ID: int64(p), PackID: pk.ID,
				FirstDay: calendar.MustParseDate("2027-06-07"), LastDay: calendar.MustParseDate("2027-06-18"), Reason: "révision"})
		}
	}
	return in
}

func benchBuild(b *testing.B, nPacks int, opt planning.Options) {
	in := benchInput(b, nPacks)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planning.Build(in, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildTown is a town: 6 packs, 24 loans (40 projects, of which
// the packs serve 24).
func BenchmarkBuildTown(b *testing.B) { benchBuild(b, 6, planning.Options{}) }

// BenchmarkBuildNational is the national size: 500 packs, 2000 loans, the
// whole grid at once.
func BenchmarkBuildNational(b *testing.B) { benchBuild(b, 500, planning.Options{}) }

// BenchmarkBuildNationalPage is one page of 50 packs of the national grid.
func BenchmarkBuildNationalPage(b *testing.B) {
	benchBuild(b, 500, planning.Options{PageSize: 50, Page: 3})
}

// BenchmarkBuildNationalSector is the packs of one sector, national size.
func BenchmarkBuildNationalSector(b *testing.B) {
	benchBuild(b, 500, planning.Options{Sector: "q-07"})
}

// BenchmarkCSVNational exports the national grid.
func BenchmarkCSVNational(b *testing.B) {
	g, err := planning.Build(benchInput(b, 500), planning.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := planning.WriteCSV(io.Discard, g); err != nil {
			b.Fatal(err)
		}
	}
}
