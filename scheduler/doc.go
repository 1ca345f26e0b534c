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
// schedulable projects first get a branch-and-price (price.go): a master LP
// over school plans, priced by the school dynamic programme below, with
// cover cuts of the capacity and sector-period rows, reduced-cost fixing
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
// The work done is fixed by the instance size and Options.Effort, not by
// the clock, so the same input gives the same plan; only the time limit or a
// cancelled context can cut it short (Result.Stats.StoppedBy says which).
package scheduler
