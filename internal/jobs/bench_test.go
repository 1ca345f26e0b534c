package jobs_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/classemobile/classemobile/calendar"
	"github.com/classemobile/classemobile/internal/jobs"
	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/internal/store/storetest"
)

// benchLoans is the size of the benchmark's loan table.
const benchLoans = 100_000

// seedBench bulk-inserts benchLoans loans over 200 schools and 2 000
// teachers, their pickups spread uniformly over spanDays days starting
// beforeDays before night, in the state their dates imply: past loans
// closed (some still out, overdue), current ones picked up, future ones
// reserved with training and signatures at random.
func seedBench(b *testing.B, db *store.DB, night calendar.Date, spanDays, beforeDays int) {
	b.Helper()
	coord, _ := storetest.User(b, db, &storetest.UserOpts{Role: store.RoleCoordinator})
	storetest.User(b, db, &storetest.UserOpts{Role: store.RoleIT})
	var schools []string
	var teachers []int64
	for range 200 {
		s := storetest.School(b, db, nil)
		schools = append(schools, s.UAI)
		storetest.User(b, db, &storetest.UserOpts{Role: store.RoleDirector, SchoolUAI: s.UAI})
		for range 10 {
			t, _ := storetest.User(b, db, &storetest.UserOpts{Role: store.RoleTeacher, SchoolUAI: s.UAI})
			teachers = append(teachers, t.ID)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fs := make([]storetest.LoanFixture, benchLoans)
	for i := range fs {
		ti := rng.IntN(len(teachers))
		pickup := night.AddDays(rng.IntN(spanDays) - beforeDays)
		ret := pickup.AddDays(6*7 - 3)
		f := storetest.LoanFixture{SchoolUAI: schools[ti/10], TeacherID: teachers[ti], Pickup: pickup, Return: ret,
			SchoolYear: "2025-2026", TrainingDone: rng.IntN(2) == 0, DirectorSigned: rng.IntN(2) == 0, ITSigned: rng.IntN(2) == 0}
		switch {
		case pickup.After(night):
			f.State = "reserved"
		case !ret.Before(night) || rng.IntN(50) == 0:
			f.State, f.TrainingDone, f.DirectorSigned, f.ITSigned = "picked_up", true, true, true
		default:
			f.State, f.TrainingDone, f.DirectorSigned, f.ITSigned = "closed", true, true, true
		}
		fs[i] = f
	}
	start := time.Now()
	storetest.ReminderLoans(b, db, storetest.LoanEnv{CoordinatorID: coord.ID}, fs)
	b.Logf("seeded %d loans in %s", benchLoans, time.Since(start).Round(time.Millisecond))
}

// BenchmarkNightlyComputation measures the nightly computation over
// 100 000 loans, one iteration per night: read the loans in the window,
// compute every reminder due by that night (two weeks back), record the new
// ones (ON CONFLICT DO NOTHING).
//
//	TEST_DATABASE_URL=postgres://… go test ./internal/jobs -run '^$' -bench NightlyComputation -benchtime 5x
func BenchmarkNightlyComputation(b *testing.B) {
	night := calendar.NewDate(2026, 3, 12)
	spreads := []struct {
		name             string
		spanDays, before int
	}{
		// A year and a half of loans around the night: the window holds
		// about a fifth of them.
		{name: "18months", spanDays: 545, before: 365},
		// Worst case: every loan within three months of the night.
		{name: "dense", spanDays: 90, before: 60},
	}
	for _, sp := range spreads {
		for _, dialect := range []string{"sqlite", "postgres"} {
			b.Run(sp.name+"/"+dialect, func(b *testing.B) {
				benchNightly(b, dialect, night, sp.spanDays, sp.before)
			})
		}
	}
}

func benchNightly(b *testing.B, dialect string, night calendar.Date, spanDays, before int) {
	var db *store.DB
	if dialect == "sqlite" {
		db = storetest.NewSQLite(b)
	} else {
		db = storetest.NewPostgres(b)
	}
	seedBench(b, db, night, spanDays, before)
	r, err := jobs.NewRunner(jobs.RunnerOptions{DB: db, Logger: storetest.Logger(b)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// The first night records the backlog of the last two weeks (the
	// deployment's first run, or a catch-up); it is timed apart.
	t0 := time.Now()
	due, err := r.Compute(ctx, night)
	if err != nil {
		b.Fatal(err)
	}
	n, err := db.InsertReminders(ctx, due)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: first night %s: %d reminders due, %d recorded, in %s", dialect, night, len(due), n, time.Since(t0).Round(time.Millisecond))
	// Then night after night: each computes everything due over the
	// window again and records what is new.
	var computing, recording time.Duration
	var dueTotal, newTotal int
	for b.Loop() {
		night = night.AddDays(1)
		t0 := time.Now()
		due, err := r.Compute(ctx, night)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		n, err := db.InsertReminders(ctx, due)
		if err != nil {
			b.Fatal(err)
		}
		computing, recording = computing+t1.Sub(t0), recording+time.Since(t1)
		dueTotal, newTotal = dueTotal+len(due), newTotal+n
	}
	b.ReportMetric(float64(dueTotal)/float64(b.N), "due/op")
	b.ReportMetric(float64(newTotal)/float64(b.N), "new/op")
	b.ReportMetric(float64(computing.Milliseconds())/float64(b.N), "compute-ms/op")
	b.ReportMetric(float64(recording.Milliseconds())/float64(b.N), "record-ms/op")
}
