// Package round computes allocation rounds: the coordinator's use case
// between the store and the allocation engine.
//
// Run validates a round's input and pins, reads the school year's calendar,
// the available packs and their maintenance windows, the validated
// requests, the live loans and the sectors through the store, builds the
// engine's instance (scheduler.Instance), solves it (again for each pinned
// request the engine left out, to force it in), numbers the packs, and maps
// the plan back to a draft store.Round with a French sentence per request;
// the store saves it (store.DB.SaveRound) and later publishes or discards
// it. Rerun, Instance and Plan serve re-runs and the command line; WhatIf
// re-solves a round under a hypothesis and RoundCapacity / YearCapacity
// search the packs that would serve every eligible project.
//
// The store does not import the engine (a test checks it): the types a
// stored round carries (store.RoundWeights, RoundTerms, RoundChurn) have
// the engine's fields and convert to and from them.
package round
