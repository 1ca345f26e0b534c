package scheduler

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchoolDPParityMatchesEnumeration: the school DP with parity costs
// (the pricing of the school rounding cuts) finds the best plan of each
// school, checked against the enumeration of every plan: the projects'
// best options per period under random multipliers, the school-period and
// school-year penalties, and for each cost over a set of periods
// ⌈n/2⌉·odd + ⌊n/2⌋·even for n projects of odd packs in them. The plan it
// records has that value.
func TestSchoolDPParityMatchesEnumeration(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"small", "medium"} {
		m, err := compile(loadInternal(t, name))
		require.NoError(t, err)
		lg := newLagrange(m)
		require.False(t, lg.simple)
		rng := rand.New(rand.NewPCG(3, 5))
		checked, withOdd := 0, 0
		for round := 0; round < 20; round++ {
			for t := range lg.lam {
				lg.lam[t] = rng.Float64() * 12
			}
			for i := range lg.mu {
				lg.mu[i] = rng.Float64() * 15
			}
			lg.parity = make([][]parCost, m.nSchools)
			for c := range lg.parity {
				for range rng.IntN(4) {
					mask := uint32(1+rng.IntN(1<<m.K-1)) & (1<<m.K - 1)
					lg.parity[c] = addParity(lg.parity[c], mask, rng.IntN(2) == 0, rng.Float64()*80)
				}
			}
			for t := 0; t < m.W; t++ {
				lg.cum[t+1] = lg.cum[t] + lg.lam[t]
			}
			for c, projs := range lg.schools {
				if len(projs) == 0 || len(projs) > 6 {
					continue
				}
				lg.schoolRange(lg.sc, c, c+1, nil)
				got := lg.schoolVal[c]
				want := math.Inf(-1)
				choice := make([]int, len(projs)) // period+1, 0: not served
				var rec func(j int)
				rec = func(j int) {
					if j == len(projs) {
						want = math.Max(want, enumValue(lg, c, projs, choice))
						return
					}
					for k := -1; k < m.K; k++ {
						if k >= 0 && lg.best[projs[j]*m.K+k] == math.Inf(-1) {
							continue
						}
						choice[j] = k + 1
						rec(j + 1)
					}
				}
				rec(0)
				require.InDelta(t, want, got, 1e-6, "%s school %d round %d", name, c, round)
				for j, pi := range projs {
					choice[j] = 0
					if oi := lg.xhat[pi]; oi >= 0 {
						choice[j] = m.projects[pi].opts[oi].per + 1
					}
				}
				assert.InDelta(t, got, enumValue(lg, c, projs, choice), 1e-6, "%s school %d: the recorded plan has the DP's value", name, c)
				checked++
				for _, pi := range projs {
					if m.projects[pi].packs%2 == 1 {
						withOdd++
						break
					}
				}
			}
		}
		assert.Greater(t, checked, 50, name)
		assert.Greater(t, withOdd, 20, name)
	}
}

// enumValue is the value of school c's plan choice (per project, its
// period + 1, or 0) in the relaxation with parity costs.
func enumValue(lg *lagrange, c int, projs, choice []int) float64 {
	m := lg.m
	v := 0.0
	cnt := make([]int, m.K)
	odd := make([]int, m.K)
	n := 0
	for j, pi := range projs {
		if choice[j] == 0 {
			if lg.forced[pi] {
				return math.Inf(-1)
			}
			continue
		}
		k := choice[j] - 1
		v += lg.best[pi*m.K+k]
		cnt[k]++
		n++
		if m.projects[pi].packs%2 == 1 {
			odd[k]++
		}
	}
	for k := range cnt {
		v -= float64(m.w.SchoolPeriodExcess * max(0, cnt[k]-m.fsp))
	}
	for _, pc := range lg.parity[c] {
		n := 0
		for k := range odd {
			if pc.mask&(1<<k) != 0 {
				n += odd[k]
			}
		}
		v -= float64((n+1)/2)*pc.odd + float64(n/2)*pc.even
	}
	v -= float64(m.w.SchoolYearExcess * max(0, n-m.fsy))
	return v
}
