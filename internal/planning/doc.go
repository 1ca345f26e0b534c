// Package planning lays out the year's planning of the packs: the packs ×
// school weeks grid that the planner's pages render with html/template and
// export as CSV, and the difference between two plans (a draft and the
// plan in force, a what-if and the draft).
//
// It is pure, like calendar and scheduler: no database, no clock (today
// comes in), no logging. The store gathers the input (a round's plan or the
// live loans, the packs, the calendar, the maintenance windows); the rules
// of what a viewer may see of other schools' loans live here, once.
package planning
