package round

import (
	"math"
	"testing"

	"github.com/classemobile/classemobile/internal/store"
	"github.com/classemobile/classemobile/scheduler"
)

func TestReportProgress(t *testing.T) {
	t.Parallel()
	if reportProgress(nil) != nil {
		t.Fatal("no report, no callback")
	}
	var got store.SolveProgress
	f := reportProgress(func(p store.SolveProgress) { got = p })
	f(scheduler.Progress{Phase: "lns", Objective: 120, UpperBound: math.MaxInt32})
	if got.Phase != "recherche à grand voisinage" || got.Objective == nil || *got.Objective != 120 || got.UpperBound != nil {
		t.Errorf("before a bound: %+v", got)
	}
	f(scheduler.Progress{Phase: "nouvelle", Objective: 125, UpperBound: 130})
	if got.Phase != "nouvelle" || *got.Objective != 125 || got.UpperBound == nil || *got.UpperBound != 130 {
		t.Errorf("with a bound: %+v", got)
	}
}
