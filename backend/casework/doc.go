// Package casework is the back end of street enforcement (DOMAIN.md section 4, issue 14): what
// happens to a problem after the inspection or the grid center hands it over.
//
// It holds the rules only, as plain functions over values, so that the API, the sync commands and
// a phone running offline reach the same verdicts:
//
//   - states.go: the states of a case, from clue (线索) to concluded (结案) or withdrawn, the one
//     table of transitions with the role allowed to make each, and the legal gates a transition
//     must pass (行政处罚法 arts 44, 47, 57, 58, 61, 63; 行政强制法 arts 27-28). Transition
//     refuses with a *TransitionError that lists every unmet gate with its legal basis, in Chinese
//     and English.
//   - routing.go: Route sends a case by legal authority: the matter's competent department, then
//     the least loaded available officer of that department in the street's team holding a
//     certificate valid at the instant, else the department's queue at district level, with the
//     reason each candidate was or was not chosen.
//   - deadline.go: the statutory deadlines (decision, service, payment, seizure, emergency report,
//     work order) with their legal basis, their periods per department (DeadlinePolicy), counted
//     on the working-day calendar (inspection.Calendar satisfies Calendar), paused and resumed,
//     judged at an instant as open, paused, met or overdue.
//   - caseclocks.go: the one table of which move of a case opens and meets which deadline;
//     ClocksOf turns a change of a case into those operations, which the store applies in the
//     change's transaction.
//
// Nothing here reads the clock: every function that depends on time takes the instant as an
// argument. The package imports the standard library and the project's domain packages only.
package casework
