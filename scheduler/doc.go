// Package scheduler is the allocation engine of classemobile: it assigns
// tablet packs to validated class projects for loans of a few school weeks,
// following the normative problem of bench/ALLOCATION-SPEC.md
// (instance format "tablet-pack-allocation/v1", plan format
// "tablet-pack-allocation-plan/v1").
//
// The package is pure: no I/O, no logging, no clock reads except through
// Options.NowFunc. Decisions are explained in return values (Result.Explanations).
//
// Main entry points:
//
//   - ParseInstance / Instance.Validate: read and check an instance.
//   - Evaluate: feasibility (every violated rule, named) and the objective term by term.
//   - Solve: a feasible plan maximising the objective, an upper bound on the optimum,
//     and the reason of every decision.
//   - PlanCapacity: how many packs would serve every eligible project, and a
//     utilisation table per period.
//
// Instances may carry pack unavailability windows ("pack_unavailability",
// an extension of the v1 format that evaluate.py ignores): see windows.go.
//
// How Solve works. Instances with at most Options.ExactMaxProjects
// schedulable projects first get a branch-and-price (branchprice*.go: the
// pricer and its master's rows in branchprice.go, the master LP in
// branchprice_master.go, the root's cuts in branchprice_cuts.go, the tree
// search in branchprice_tree.go): a master LP
// over school plans, priced by the school dynamic programme below, with
// cover cuts of the capacity and sector-period rows (and rounding cuts of
// the latter, by project and by school), reduced-cost fixing
// and branching; when it completes, the
// plan is proved optimal and the rest is skipped. Otherwise, a Lagrangian
// relaxation of the weekly capacity rows (the sector-period penalties are
// dualised exactly) splits the problem by school; each school's
// subproblem, with its school-period and school-year penalties, is solved
// exactly by dynamic programming over clipped counts. The relaxation gives
// the upper bound; its solutions are turned into plans (primal recovery
// from decayed choice frequencies and from the relaxed solution, then a
// lazy greedy fill priced by the multipliers) and improved by local search
// (moves, and swaps that re-insert the evicted loan elsewhere), plus a
// large-neighbourhood search on instances of at most 200 projects. Pack
// numbers come last, by interval colouring in start order, keeping a
// loan's previous packs when they are free.
//
// Above 200 projects, when two processors are available (GOMAXPROCS), the
// relaxation uses a second goroutine for half of each iteration's school
// subproblems and for one of its two plan repairs; it spins between
// iterations (they last a fraction of a millisecond) and stops with the
// relaxation. The plan does not depend on it.
//
// Instances may also carry a loan policy (params.loan_policy: within_period,
// across_breaks, period_length; see calendar.LoanStarts), which sets the
// legal starts and the base length of a loan starting at each week.
//
// The former Lagrangian branch-and-bound (branch.go), warm-started by the
// duals of a dense LP of the spec's model (lp.go), still runs on small
// instances (at most Options.ExactMaxProjects projects) that the
// branch-and-price does not take: a project with more than 128 options,
// or a school-period allowance so large that the school DP drops the
// period counts (the relaxation is then "simple"). Neither runs otherwise.
//
// The whole time budget. The work above is fixed by the instance size and
// Options.Effort, not by the clock (Result.Stats.FirstPlan, FirstObjective).
// With Options.FixedEffort the solve ends there, and the same input gives
// the same plan. Otherwise, while the gap stays open, the search goes on
// until a proof or the time limit (or the context) stops it: on instances of
// at most 1500 projects, the branch-and-price without a node limit (which
// proves the standard medium instances in tens of milliseconds), then local
// search; above, the branch-and-price on a few sectors at a time, every
// other loan fixed (lns.go), with more iterations of the relaxation for
// the bound. It returns as soon as it has a proof, so a
// search ended by a proof is deterministic too; only one cut by the clock
// may differ between runs. Result.Stats.StoppedBy says how it ended
// ("optimal", "effort", "time-limit", "cancelled"), Result.Gap what is
// left. Options.Progress reports the plan and the bound as they improve,
// with the time read from Options.NowFunc.
package scheduler
