// Package whistle is the street's whistle and the departments' reports (吹哨/报到, the "232"
// closed loop of DOMAIN.md section 5).
//
// The street's grid center (grid operator) or the team leader raises a whistle, from a case of the
// street or on its own, once it was filed with the district grid center (Filing, recorded with the
// whistle: when, by which desk officer, under which reference). A whistle has a type (emergency
// 应急哨, key 重点哨, regular 常规哨), a scope (common 共性 or individual 个性: the "2 task
// lists"), a source (哨源), channel, receiver, handling opinion and progress notes, and a number
// gapless per street and year (backend/numbering, series whistle).
//
// Each called department reports (报到) in three steps, each with its due instant counted from the
// call by the type's Deadlines: acknowledged, arrived on site (with the location), finished (with
// the result and evidence). A step is judged at the time of the act (its at, the device's clock
// when pushed offline), not when the server hears of it. A step still not done at its due instant
// is escalated (Escalate, run by the River job whistle.escalate) to the street director and the
// district coordination office. A department may object (not its remit); the street accepts the
// objection (the department is released and the departments it names are called, with deadlines
// of their own) or overrules it (the department's deadlines ran on from its call all along).
// Closing feeds the result back to the source: the source and the street's communities rate it
// once each, and a hotline whistle's resident is asked whether satisfied.
//
// The rules are pure functions of a Whistle and an instant; Service loads, judges and stores
// through Store, which writes the whistle, its trail entry, its sync feed change and its
// escalation jobs in one transaction.
package whistle
