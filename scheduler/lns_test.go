package scheduler

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLNSSectorsKeepsPlanConsistent: re-optimising a few sectors of the
// large re-run (locked loans of the published plan included), from the
// plan of its locked loans alone, serves loans there, and the result is
// a plan whose objective as tracked by the state is the one Evaluate
// finds, with every locked loan kept; the state's counters match a state
// rebuilt from its choices.
func TestLNSSectorsKeepsPlanConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("large instance")
	}
	inst := loadInternal(t, "large-rerun")
	m, err := compile(inst)
	require.NoError(t, err)
	s := m.lockedState()
	n := m.nActive()
	nb := newSectorNeighbourhoods(m, n)
	require.NotNil(t, nb, "the large instance has many sectors")
	rng := rand.New(rand.NewPCG(1, 2))
	gained := 0
	for range 3 {
		before := s.obj
		improved, ok := m.lnsSectors(nb.next(rng), s, lnsNodes, 1, func() bool { return false })
		require.True(t, ok)
		assert.GreaterOrEqual(t, s.obj, before)
		assert.Equal(t, improved, s.obj > before)
		gained += s.obj - before
	}
	assert.Positive(t, gained)
	ev := m.evaluate(m.planOf(s).Loans)
	assert.Empty(t, ev.Violations)
	assert.Equal(t, s.obj+m.churnConst, ev.Objective)
	fresh := newState(m)
	for i, oi := range s.choice {
		if oi >= 0 {
			fresh.set(i, oi)
		}
		if m.projects[i].locked {
			assert.Equal(t, 0, oi, "locked loan of %s", m.projects[i].id)
		}
	}
	assert.Equal(t, fresh.load, s.load)
	assert.Equal(t, fresh.nsp, s.nsp)
	assert.Equal(t, fresh.mqp, s.mqp)
	assert.Equal(t, fresh.obj, s.obj)
}

// TestRerunStartsFromPublishedPlan: on a re-run, the fixed-effort plan is
// at least as good as the published plan kept where its loans are still
// legal and fit, completed by the greedy fill (a start of the search).
func TestRerunStartsFromPublishedPlan(t *testing.T) {
	for _, name := range []string{"small-rerun", "medium-rerun"} {
		t.Run(name, func(t *testing.T) {
			m, err := compile(loadInternal(t, name))
			require.NoError(t, err)
			require.Positive(t, m.nPrev)
			res := m.solve(t.Context(), Options{FixedEffort: true})
			prev := m.previousState(nil)
			assert.Equal(t, m.lockedState().obj, prev.obj, "no order: the locked loans only")
			se := newSearcher(m, m.lockedState(), func() bool { return false }, 1)
			prev = m.previousState(se.order)
			kept := 0
			for i, oi := range prev.choice {
				if oi >= 0 && !m.projects[i].locked {
					kept++
				}
			}
			assert.Positive(t, kept, "published loans kept")
			se.s = prev
			se.fillLazy(se.order)
			assert.GreaterOrEqual(t, res.Stats.FirstObjective, prev.obj+m.churnConst)
		})
	}
}
