package scheduler

import (
	"compress/gzip"
	"context"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadInternal reads testdata/name.json, or name.json.gz if only that
// exists.
func loadInternal(t *testing.T, name string) *Instance {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		var f *os.File
		f, err = os.Open(path + ".gz")
		require.NoError(t, err, "open %s(.gz)", path)
		defer f.Close()
		var zr *gzip.Reader
		zr, err = gzip.NewReader(f)
		require.NoError(t, err, "gunzip %s", path)
		data, err = io.ReadAll(zr)
	}
	require.NoError(t, err, "read %s", name)
	inst, err := ParseInstance(data)
	require.NoError(t, err, "parse %s", name)
	return inst
}

// bruteForce returns the optimum of a tiny model by enumerating every
// capacity-feasible choice of options.
func bruteForce(m *model) int {
	s := m.lockedState()
	best := math.MinInt
	var rec func(i int)
	rec = func(i int) {
		if i == len(m.projects) {
			best = max(best, s.obj+m.churnConst)
			return
		}
		if m.projects[i].locked {
			rec(i + 1)
			return
		}
		rec(i + 1)
		for oi := range m.projects[i].opts {
			if s.fits(i, oi) {
				s.set(i, oi)
				rec(i + 1)
				s.set(i, -1)
			}
		}
	}
	rec(0)
	return best
}

// tinyVariant keeps n random projects of inst, spread over three schools of
// one sector, with random pack counts and extensions, and P packs.
func tinyVariant(inst *Instance, seed uint64, n, packs int) *Instance {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := *inst
	v.Params.Packs = packs
	v.Projects = nil
	v.Sectors = append([]Sector(nil), inst.Sectors...)
	v.Sectors[0].PeriodCap = 1 + rng.IntN(2)
	for _, k := range rng.Perm(len(inst.Projects))[:n] {
		p := inst.Projects[k]
		p.School = inst.Schools[rng.IntN(3)].ID
		p.Packs = 1 + b2i(rng.IntN(3) == 0)
		p.ExtensionWeeks = []int{0, 2, 6}[rng.IntN(3)]
		v.Projects = append(v.Projects, p)
	}
	for i := range v.Schools {
		if i < 3 {
			v.Schools[i].Sector = v.Sectors[0].ID
		}
	}
	return &v
}

// TestPricerMatchesBruteForce compares the branch-and-price with
// enumeration on tiny variants of the public instances (2-pack projects,
// extensions, school and sector penalties, locked loans of a re-run).
func TestPricerMatchesBruteForce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		giveInst  string
		giveSeed  uint64
		giveN     int
		givePacks int
	}{
		{"small seed 1", "small", 1, 6, 2},
		{"small seed 2", "small", 2, 6, 3},
		{"small seed 3", "small", 3, 5, 1},
		{"small seed 4", "small", 4, 6, 2},
		{"small seed 5", "small", 5, 6, 2},
		{"rerun seed 6", "small-rerun", 6, 6, 3},
		{"rerun seed 7", "small-rerun", 7, 6, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := loadInternal(t, tt.giveInst)
			base.Schools = append([]School(nil), base.Schools...)
			inst := tinyVariant(base, tt.giveSeed, tt.giveN, tt.givePacks)
			m, err := compile(inst)
			if err != nil {
				t.Skipf("variant not valid (locked loans do not fit): %v", err)
			}
			want := bruteForce(m)

			greedy := m.lockedState()
			se := newSearcher(m, greedy, func() bool { return false }, 1)
			se.fillLazy(se.order)
			pr, ok := newPricer(m, newLagrange(m), se, greedy, func() bool { return false })
			require.True(t, ok, "pricer applies")
			require.True(t, pr.run(), "search complete")
			assert.Equal(t, want, pr.best.obj+m.churnConst, "optimum of the branch-and-price")
			assert.GreaterOrEqual(t, math.Floor(pr.rootBound+1e-6), float64(want), "root bound is an upper bound")

			res, err := Solve(context.Background(), inst, Options{})
			require.NoError(t, err)
			assert.Equal(t, want, res.Objective, "objective of Solve")
			assert.True(t, res.ProvedOptimal, "Solve proves the optimum")
		})
	}
}

// TestMasterBasisConsistent checks the master's basis after a search with
// cuts, group branching and dual simplex steps: B x_B = rhs, x_B >= 0 and
// B^-1 B = I.
func TestMasterBasisConsistent(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gen/x74-2pack", "gen/x79-year2", "small-rerun"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, pr := newTestPricer(t, name)
			pr.maxNodes = 40
			pr.run()
			n := pr.nRows
			B := make([]float64, n*n) // B[i][r]: row i of basic column r
			for r, j := range pr.basis {
				cl := &pr.cols[j]
				for k, i := range cl.rows {
					B[int(i)*n+r] = cl.vals[k]
				}
			}
			for i := 0; i < n; i++ {
				v := 0.0
				for r := 0; r < n; r++ {
					v += B[i*n+r] * pr.xB[r]
				}
				assert.InDelta(t, pr.rhs[i], v, 1e-6, "row %d: B x_B = rhs", i)
			}
			for r, v := range pr.xB {
				assert.GreaterOrEqual(t, v, -1e-7, "x_B[%d] >= 0", r)
			}
			for r := 0; r < n; r++ {
				for c := 0; c < n; c++ {
					v := 0.0
					for i := 0; i < n; i++ {
						v += pr.binv[r*n+i] * B[i*n+c]
					}
					assert.InDelta(t, b2f(r == c), v, 1e-6, "(B^-1 B)[%d][%d]", r, c)
				}
			}
		})
	}
}

// newTestPricer compiles testdata/name and builds its branch-and-price
// from the locked loans, as the tests of the master use it.
func newTestPricer(t *testing.T, name string) (*model, *pricer) {
	t.Helper()
	m, err := compile(loadInternal(t, name))
	require.NoError(t, err)
	s := m.lockedState()
	se := newSearcher(m, s, func() bool { return false }, 1)
	se.fillLazy(se.order)
	pr, ok := newPricer(m, newLagrange(m), se, s, func() bool { return false })
	require.True(t, ok)
	return m, pr
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestCapacityRowPresolve checks that every dropped week is implied by a
// kept one (its loans are all busy in the kept week, which has no more
// packs), also when one week has fewer packs (maintenance).
func TestCapacityRowPresolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveInst   string
		giveReduce int // week whose capacity drops by 2, or -1
	}{
		{"small", "small", -1},
		{"extensions", "gen/x80-ext2pack", -1},
		{"re-run", "small-rerun", -1},
		{"week 3 under maintenance", "small", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := compile(loadInternal(t, tt.giveInst))
			require.NoError(t, err)
			if tt.giveReduce >= 0 {
				m.capW[tt.giveReduce] -= 2
			}
			s := m.lockedState()
			se := newSearcher(m, s, func() bool { return false }, 1)
			pr, ok := newPricer(m, newLagrange(m), se, s, func() bool { return false })
			require.True(t, ok)
			kept := map[int]bool{}
			for _, w := range pr.capWeek {
				kept[w] = true
			}
			if tt.giveReduce >= 0 {
				assert.True(t, kept[tt.giveReduce], "the week with fewer packs is kept")
			}
			assert.Less(t, len(pr.capWeek), m.W/2, "most weeks are implied")
			for w := 0; w < m.W; w++ {
				if kept[w] {
					continue
				}
				implied := false
				for _, u := range pr.capWeek {
					if m.capW[u] > m.capW[w] {
						continue
					}
					sub := true
					for _, r := range m.ranges {
						if r[0] <= w && w <= r[1] && !(r[0] <= u && u <= r[1]) {
							sub = false
						}
					}
					implied = implied || sub
				}
				assert.True(t, implied, "week %d is implied by a kept week", w)
			}
		})
	}
}

// TestSolveStopsDuringBranchAndPrice stops the search on a hard instance
// with a fake clock (1 ms per reading) and with a cancelled context: the
// plan is feasible, the bound valid, and nothing is claimed proved.
// (x79-year2 takes about 150 readings and 130 nodes to prove: the limit
// falls inside the branch-and-price.)
func TestSolveStopsDuringBranchAndPrice(t *testing.T) {
	t.Parallel()
	const optimum = 6204 // gen/x79-year2, CBC
	tests := []struct {
		name       string
		giveCancel bool
		wantStop   string
	}{
		{"time limit", false, "time-limit"},
		{"cancelled", true, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := loadInternal(t, "gen/x79-year2")
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			clock := func() time.Time { now = now.Add(time.Millisecond); return now }
			ctx, cancel := context.WithCancel(context.Background())
			if tt.giveCancel {
				cancel()
			} else {
				defer cancel()
			}
			res, err := Solve(ctx, inst, Options{TimeLimit: 50 * time.Millisecond, NowFunc: clock})
			require.NoError(t, err)
			assert.Equal(t, tt.wantStop, res.Stats.StoppedBy)
			assert.False(t, res.ProvedOptimal, "not proved when stopped early")
			assert.LessOrEqual(t, res.Objective, optimum, "objective of a feasible plan")
			assert.GreaterOrEqual(t, res.UpperBound, optimum, "upper bound is valid")
			ev, err := Evaluate(inst, res.Plan)
			require.NoError(t, err)
			assert.True(t, ev.Feasible, "plan is feasible: %v", ev.Violations)
			assert.Equal(t, res.Objective, ev.Objective)
		})
	}
}

// TestSectorCutsMatchBruteForce: with the sector cuts, the branch-and-price
// still finds the optimum of tiny variants with a sector cap of 1–2 packs
// and 2-pack projects, and its root bound stays an upper bound; on some of
// them the cuts are added and lower the root bound, never below the
// optimum.
func TestSectorCutsMatchBruteForce(t *testing.T) {
	t.Parallel()
	withCuts, lowered, withSchool := 0, 0, 0
	for seed := uint64(11); seed < 41; seed++ {
		base := loadInternal(t, []string{"small", "small-rerun"}[seed%2])
		base.Schools = append([]School(nil), base.Schools...)
		inst := tinyVariant(base, seed, 6, 2+int(seed%2))
		m, err := compile(inst)
		if err != nil {
			continue // locked loans do not fit the variant
		}
		want := bruteForce(m)
		root := func(sector bool) (*pricer, bool) {
			greedy := m.lockedState()
			se := newSearcher(m, greedy, func() bool { return false }, 1)
			se.fillLazy(se.order)
			pr, ok := newPricer(m, newLagrange(m), se, greedy, func() bool { return false })
			require.True(t, ok, "seed %d: pricer applies", seed)
			pr.useSectorCuts = sector
			return pr, pr.run()
		}
		pr, done := root(true)
		require.True(t, done, "seed %d: search complete", seed)
		assert.Equal(t, want, pr.best.obj+m.churnConst, "seed %d: optimum", seed)
		assert.GreaterOrEqual(t, math.Floor(pr.rootBound+1e-6), float64(want), "seed %d: root bound", seed)
		n := 0
		for _, cu := range pr.cuts {
			if cu.w != nil {
				n++
			}
			if cu.sch != nil {
				withSchool++
			}
		}
		if n > 0 {
			withCuts++
			if pr0, _ := root(false); pr.rootBound < pr0.rootBound-1e-6 {
				lowered++
			}
		}
	}
	t.Logf("sector cuts on %d variants, lowering the root bound on %d; %d school rounding cuts", withCuts, lowered, withSchool)
	assert.Positive(t, withCuts, "the variants exercise the sector cuts")
	assert.Positive(t, withSchool, "the variants exercise the school rounding cuts")
}

// TestSectorCutsCloseRootGap: on y84-2pack (many 2-pack classes), the
// root's bound without sector cuts is the LP bound 7444 (as CBC's), with
// them it is the optimum 7435 (CBC gets there with Gomory cuts).
func TestSectorCutsCloseRootGap(t *testing.T) {
	t.Parallel()
	inst := loadInternal(t, "gen/y84-2pack")
	m, err := compile(inst)
	require.NoError(t, err)
	rootBound := func(sector bool) float64 {
		s := m.lockedState()
		se := newSearcher(m, s, func() bool { return false }, 1)
		se.fillLazy(se.order)
		pr, ok := newPricer(m, newLagrange(m), se, s, func() bool { return false })
		require.True(t, ok)
		pr.useSectorCuts = sector
		pr.maxNodes = 1
		pr.run()
		return math.Floor(pr.rootBound + 1e-6)
	}
	assert.Equal(t, 7444.0, rootBound(false))
	assert.Equal(t, 7435.0, rootBound(true))
}

// TestSectorMIRLowersMatureRoot: on mm40 (a mature programme at medium
// size: 8 projects a school, a third of them 2-pack, sector caps without
// slack, optimum 39550 by CBC), the rounding cuts of the sector-period rows
// by project take the root's bound from 39568 to 39558, and those by
// school to the optimum.
func TestSectorMIRLowersMatureRoot(t *testing.T) {
	t.Parallel()
	inst := loadInternal(t, "gen/mm40")
	m, err := compile(inst)
	require.NoError(t, err)
	rootBound := func(mir, school bool) float64 {
		s := m.lockedState()
		se := newSearcher(m, s, func() bool { return false }, 1)
		se.fillLazy(se.order)
		pr, ok := newPricer(m, newLagrange(m), se, s, func() bool { return false })
		require.True(t, ok)
		pr.useSectorMIR, pr.useSchoolMIR = mir, school
		pr.maxNodes = 1
		pr.run()
		return math.Floor(pr.rootBound + 1e-6)
	}
	assert.Equal(t, 39568.0, rootBound(false, false))
	assert.Equal(t, 39558.0, rootBound(true, false))
	assert.Equal(t, 39550.0, rootBound(true, true))
}

// TestSchoolCutsOverPeriodsCloseMatureRoot: on mm46p6 (the mature shape
// with 6 projects a school, optimum 40913 by CBC), the school rounding
// cuts of single periods leave the root's bound at 40917; over sets of
// periods they take it to the optimum, which the search then proves.
func TestSchoolCutsOverPeriodsCloseMatureRoot(t *testing.T) {
	t.Parallel()
	inst := loadInternal(t, "gen/mm46p6")
	m, err := compile(inst)
	require.NoError(t, err)
	solve := func(sets bool, nodes int) (*pricer, bool) {
		s := m.lockedState()
		se := newSearcher(m, s, func() bool { return false }, 1)
		se.fillLazy(se.order)
		pr, ok := newPricer(m, newLagrange(m), se, s, func() bool { return false })
		require.True(t, ok)
		pr.useSchoolSets = sets
		pr.maxNodes = nodes
		return pr, pr.run()
	}
	pr, _ := solve(false, 1)
	assert.Equal(t, 40917.0, math.Floor(pr.rootBound+1e-6))
	pr, done := solve(true, 100)
	assert.Equal(t, 40913.0, math.Floor(pr.rootBound+1e-6))
	assert.True(t, done, "proved within 100 nodes")
	assert.Equal(t, 40913, pr.best.obj+m.churnConst)
	sets := 0
	for _, cu := range pr.cuts {
		if cu.sch != nil && cu.pmask&(cu.pmask-1) != 0 {
			sets++
		}
	}
	assert.Positive(t, sets, "cuts over several periods")
}

// TestWarmChildMatchesColdChild checks the master's warm start below the
// root: for the root's most fractional project-periods, each child's
// forbidden columns are driven out of the parent's basis by the dual
// simplex, whose value bounds the child's, and the primal simplex
// (Devex pricing, perturbed at degenerate vertices) then reaches the
// same optimum, with its true basic values, as from the initial basis.
func TestWarmChildMatchesColdChild(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"gen/mm40", "gen/x74-2pack", "gen/x78-hard", "gen/x79-year2"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, pr := newTestPricer(t, name)
			pr.maxNodes = 1
			pr.run()
			// The root's master, re-solved over its final columns.
			root := &restrict{mask: make([][2]uint64, len(m.projects)), must: make([]bool, len(m.projects))}
			for i := range m.projects {
				for oi := range m.projects[i].opts {
					root.mask[i][oi>>6] |= 1 << (oi & 63)
				}
				root.must[i] = m.projects[i].locked
			}
			gb := make([]int, 2*len(pr.groups))
			for gi := range pr.groups {
				gb[2*gi+1] = len(m.projects)
			}
			pr.setForbid(root)
			pr.setBounds(gb)
			require.True(t, pr.simplex())
			K := m.K
			clear(pr.frac)
			for row, j := range pr.basis {
				if cl := &pr.cols[j]; cl.isSch && pr.xB[row] > 1e-9 {
					for k := 0; k < len(cl.plan); k += 2 {
						pr.frac[int(cl.plan[k])*K+m.projects[cl.plan[k]].opts[cl.plan[k+1]].per] += pr.xB[row]
					}
				}
			}
			var cands []int
			for i, f := range pr.frac {
				if f > 1e-6 && f < 1-1e-6 {
					cands = append(cands, i)
				}
			}
			if len(cands) == 0 {
				require.NotEqual(t, "gen/mm40", name, "mm40's root is fractional")
				t.Skip("integral root")
			}
			value := func() float64 {
				z := 0.0
				for r, j := range pr.basis {
					z += pr.cols[j].cost * pr.xB[r]
				}
				return z
			}
			parent := pr.snapshot()
			evicted := 0
			for _, c := range cands[:min(len(cands), 8)] {
				pi, k := c/K, c%K
				in, out := root.clone(), root.clone()
				for oi := range m.projects[pi].opts {
					bit := uint64(1) << (oi & 63)
					if m.projects[pi].opts[oi].per == k {
						out.mask[pi][oi>>6] &^= bit
					} else {
						in.mask[pi][oi>>6] &^= bit
					}
				}
				in.must[pi] = true
				for _, ch := range []*restrict{in, out} {
					pr.restore(parent)
					pr.setForbid(ch)
					pr.coldStart(gb)
					require.True(t, pr.simplex(), "cold simplex")
					cold := pr.objectiveWithBigM()

					pr.restore(parent)
					pr.setForbid(ch)
					above := false // a forbidden column above zero
					for r, j := range pr.basis {
						above = above || (pr.forbid[j] && pr.xB[r] > 1e-9)
					}
					if !pr.dualSimplex() {
						t.Logf("dual simplex gave up")
						pr.setBounds(gb)
					} else {
						if above {
							evicted++
						}
						for r, j := range pr.basis {
							assert.GreaterOrEqual(t, pr.xB[r], -1e-9, "x_B[%d] >= 0 after the dual simplex", r)
							if pr.forbid[j] {
								assert.LessOrEqual(t, pr.xB[r], 1e-9, "forbidden column %d left at zero", j)
							}
						}
						assert.GreaterOrEqual(t, value(), cold-1e-6, "the dual simplex's value bounds the child's")
					}
					require.True(t, pr.simplex(), "warm simplex")
					assert.InDelta(t, cold, pr.objectiveWithBigM(), 1e-6, "same optimum warm and cold")
					pr.checkPrimal(t)
				}
			}
			assert.Positive(t, evicted, "the dual simplex drove forbidden columns out")
		})
	}
}

// objectiveWithBigM is the master's objective, forbidden columns at their
// cost minus bigM.
func (pr *pricer) objectiveWithBigM() float64 {
	z := 0.0
	for r, j := range pr.basis {
		z += pr.costOf(j) * pr.xB[r]
	}
	return z
}

// checkPrimal checks B x_B = rhs (true values, not perturbed ones) and
// x_B >= 0.
func (pr *pricer) checkPrimal(t *testing.T) {
	t.Helper()
	n := pr.nRows
	ax := make([]float64, n)
	for r, j := range pr.basis {
		cl := &pr.cols[j]
		for k, i := range cl.rows {
			ax[i] += cl.vals[k] * pr.xB[r]
		}
		assert.GreaterOrEqual(t, pr.xB[r], -1e-7, "x_B[%d] >= 0", r)
	}
	for i := range ax {
		assert.InDelta(t, pr.rhs[i], ax[i], 1e-6, "row %d: B x_B = rhs", i)
	}
}

// TestPseudoCostsFromTree: on an instance whose tree goes on past the
// start of reliability branching (x79-year2), the tree still proves the
// optimum, and its children's bounds have been observed in both
// directions for some project-periods, each as a bound decrease per unit
// of change (never negative).
func TestPseudoCostsFromTree(t *testing.T) {
	t.Parallel()
	const optimum = 6204 // gen/x79-year2, CBC
	m, pr := newTestPricer(t, "gen/x79-year2")
	pr.maxNodes = math.MaxInt
	require.True(t, pr.run(), "the tree completes")
	assert.Equal(t, optimum, pr.best.obj+m.churnConst)
	require.Greater(t, pr.nodes, strongAfterNodes, "the tree reaches reliability branching")
	both := 0
	for i := range pr.frac {
		for d := range pr.pcSum {
			assert.GreaterOrEqual(t, pr.pcSum[d][i], 0.0)
			if pr.pcCnt[d][i] == 0 {
				assert.Zero(t, pr.pcSum[d][i], "a sum without observations")
			}
		}
		if pr.pcCnt[0][i] > 0 && pr.pcCnt[1][i] > 0 {
			both++
		}
	}
	assert.Positive(t, both, "project-periods observed in both directions")
}

// TestProjectPeriodTreeKeepsOptimum proves the optimum of mx52-p8 (a
// mature programme at medium size) with the tree's branching on
// project-periods alone (no group rows): its children that must serve a
// project in a period are where reduced-cost fixing has to compare an
// option with the project's other options of that period, not with
// leaving the project unserved. Compared with leaving it unserved, fixing
// removed at node 16 an option of the optimum, and the tree "proved" 38061.
func TestProjectPeriodTreeKeepsOptimum(t *testing.T) {
	t.Parallel()
	const optimum = 38063 // gen/mx52-p8, CBC
	m, pr := newTestPricer(t, "gen/mx52-p8")
	pr.useGroups = false
	pr.maxNodes = math.MaxInt
	require.True(t, pr.run(), "the tree completes")
	assert.Equal(t, optimum, pr.best.obj+m.churnConst)
}

// TestSecondTreeFromRootMaster stops the first tree of runWhole early on
// x79-year2: the master goes back to the root's (its columns and basis,
// consistent), and the second tree, with the group rows, proves the
// optimum from there.
func TestSecondTreeFromRootMaster(t *testing.T) {
	t.Parallel()
	const optimum = 6204 // gen/x79-year2, CBC
	_, pr := newTestPricer(t, "gen/x79-year2")
	pr.useGroups = false
	pr.maxNodes = 10
	require.False(t, pr.run(), "the first tree stops at its node limit")
	rootCols, basis := pr.rootCols, append([]int(nil), pr.rootBasis.basis...)
	require.Greater(t, len(pr.cols), rootCols, "the first tree's nodes priced columns")
	pr.toRoot()
	assert.Equal(t, rootCols, len(pr.cols), "the root's columns only")
	assert.Equal(t, basis, pr.basis)
	for key, j := range pr.colKey {
		assert.Less(t, j, len(pr.cols), "column %s indexed", key)
	}
	n := pr.nRows
	for i := 0; i < n; i++ {
		v := 0.0
		for r, j := range pr.basis {
			cl := &pr.cols[j]
			for k, row := range cl.rows {
				if int(row) == i {
					v += cl.vals[k] * pr.xB[r]
				}
			}
		}
		assert.InDelta(t, pr.rhs[i], v, 1e-6, "row %d: B x_B = rhs", i)
	}

	m, pr := newTestPricer(t, "gen/x79-year2")
	pr.firstNodes = 10
	require.True(t, pr.runWhole(), "the second tree completes")
	assert.Equal(t, optimum, pr.best.obj+m.churnConst)
	assert.True(t, pr.useGroups, "the second tree branches on the group rows")
	assert.Greater(t, pr.nodes, 11, "the first tree stopped at 10 nodes and the second one ran")
}
