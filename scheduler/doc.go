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
package scheduler
