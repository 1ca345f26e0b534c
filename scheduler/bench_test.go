package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/classemobile/classemobile/scheduler"
)

// BenchmarkSolve solves the public instances and reports Z / optimum as
// "ratio" (1 = optimal). Run: go test -run '^$' -bench Solve ./scheduler/
func BenchmarkSolve(b *testing.B) {
	for _, name := range []string{"small", "small-rerun", "medium", "medium-rerun", "large", "large-rerun"} {
		b.Run(name, func(b *testing.B) {
			inst := loadInstance(b, name)
			var z int
			for b.Loop() {
				res, err := scheduler.Solve(context.Background(), inst, scheduler.Options{TimeLimit: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				z = res.Objective
			}
			b.ReportMetric(float64(z)/float64(publicOptima[name]), "ratio")
		})
	}
}

// BenchmarkEvaluate measures the evaluator on the optimal medium plan.
func BenchmarkEvaluate(b *testing.B) {
	inst := loadInstance(b, "medium")
	plan := loadPlan(b, "medium-highs")
	for b.Loop() {
		if _, err := scheduler.Evaluate(inst, plan); err != nil {
			b.Fatal(err)
		}
	}
}
