package casework

import (
	"slices"
	"time"
)

// The statutory deadlines of a case (issue 14): which move of a case opens and meets which
// deadline is the one table clockRules; ClocksOf applies it to a change of a case, and the case
// store applies the ClockOps it returns in the transaction that stores the change, so that a
// case move and its deadlines commit or roll back together.
//
// Deadlines of a case have the subject {kind "case", id the case's id}, the case's street, team
// and competent department (whose configured periods apply), and the officer holding the case as
// the officer responsible (none while a department's queue or the team leader holds it: the
// team leader is escalated to anyway).

// SubjectCase is the subject kind of the deadlines of a case.
const SubjectCase = "case"

// SubjectInspection is the subject kind of the deadlines of an inspection record (its seizures).
const SubjectInspection = "inspection"

// ClockOps are the changes one change of a case makes to deadlines, for the store to apply in
// the change's transaction.
type ClockOps struct {
	// Open are the deadlines the change opens (IDs chosen by the store when empty).
	Open []DeadlineOpening
	// Meet are the kinds of the case's deadlines the change meets (those not met yet).
	Meet []DeadlineKind
	// MeetAll meets every deadline of the case not met yet (a conclusion, a withdrawal).
	MeetAll bool
	// MeetSeizuresOf are the inspection records whose seizure deadlines the change meets (the
	// seizure recorded as resolved, 强制法 arts 27-28).
	MeetSeizuresOf []string
	// Officer, when not nil, is the officer now responsible for the case's deadlines not met
	// ("" for none): the case was routed again or reassigned.
	Officer *string
}

// Empty reports whether o changes nothing.
func (o ClockOps) Empty() bool {
	return len(o.Open) == 0 && len(o.Meet) == 0 && !o.MeetAll && len(o.MeetSeizuresOf) == 0 && o.Officer == nil
}

// clockRule is one row of the table: a move into state To meets the deadlines Meets (every one
// with MeetsAll) and opens the deadline Opens when opens says so for the case after the move.
type clockRule struct {
	To       State
	Meets    []DeadlineKind
	MeetsAll bool
	Opens    DeadlineKind
	opens    func(Record) bool
}

// clockRules is the one table of which case move opens and meets which deadline:
//   - filing (立案) opens the decision period (处罚法 art. 60: 90 days from filing);
//   - a decision meets it and, for a penalty or no-penalty decision, opens the service period
//     (arts 61, 85: 7 working days); a transfer to the judiciary (art. 57(1)(4)) serves nothing;
//   - service meets the service period and, for a fine, opens the payment period (art. 67: 15
//     days from service);
//   - execution meets the payment period (the fine was paid or enforced);
//   - a conclusion or a withdrawal meets every deadline of the case still running, the work
//     order's limit among them: a work order (接诉即办) is answered with the case's outcome.
var clockRules = []clockRule{
	{To: StateFiled, Opens: DeadlineDecision},
	{To: StateDecided, Meets: []DeadlineKind{DeadlineDecision}, Opens: DeadlineService,
		opens: func(r Record) bool { return r.Outcome == OutcomePenalty || r.Outcome == OutcomeNoPenalty }},
	{To: StateServed, Meets: []DeadlineKind{DeadlineService}, Opens: DeadlinePayment,
		opens: func(r Record) bool { return r.Outcome == OutcomePenalty && r.Facts.Penalty.FineYuan > 0 }},
	{To: StateExecuted, Meets: []DeadlineKind{DeadlinePayment}},
	{To: StateConcluded, MeetsAll: true},
	{To: StateWithdrawn, MeetsAll: true},
}

// ResponsibleOfficer is the officer responsible for r's deadlines: the officer holding it, ""
// when a department's queue or the team leader holds it.
func ResponsibleOfficer(r Record) string {
	if r.Assignee.Kind == ReceiverOfficer {
		return r.Assignee.Code
	}
	return ""
}

// ClocksOf is what a change of a case from before (nil: the case is taken in) to after, at
// instant at, does to deadlines: the rows of clockRules for a change of state; a work order
// with a time limit among the sources the change adds opens its work_order deadline from the
// order's receipt; a seizure recorded as resolved meets the seizure deadlines of the case's
// inspection records; a change of the officer holding the case hands its deadlines over.
func ClocksOf(before *Record, after Record, at time.Time) ClockOps {
	var ops ClockOps
	officer := ResponsibleOfficer(after)
	opening := func(k DeadlineKind, start time.Time) DeadlineOpening {
		return DeadlineOpening{StreetCode: after.StreetCode, TeamCode: after.TeamCode, Department: after.DepartmentCode,
			Subject: DeadlineSubject{Kind: SubjectCase, ID: after.ID}, Kind: k, Start: start, Officer: officer}
	}
	var was []Source
	if before != nil {
		was = before.Sources
	}
	for _, src := range after.Sources[min(len(was), len(after.Sources)):] {
		if limit, ok := WorkOrderLimit(src); ok {
			o := opening(DeadlineWorkOrder, src.ReceivedAt)
			o.Limit = limit
			ops.Open = append(ops.Open, o)
		}
	}
	if before == nil {
		return ops
	}
	if before.State != after.State {
		for _, rule := range clockRules {
			if rule.To != after.State {
				continue
			}
			ops.Meet = append(ops.Meet, rule.Meets...)
			ops.MeetAll = ops.MeetAll || rule.MeetsAll
			if rule.Opens != "" && (rule.opens == nil || rule.opens(after)) {
				ops.Open = append(ops.Open, opening(rule.Opens, at))
			}
		}
	}
	if before.Facts.SeizureUnresolved && !after.Facts.SeizureUnresolved {
		for _, src := range after.Sources {
			if src.Kind == SourceInspection && src.InspectionID != "" && !slices.Contains(ops.MeetSeizuresOf, src.InspectionID) {
				ops.MeetSeizuresOf = append(ops.MeetSeizuresOf, src.InspectionID)
			}
		}
	}
	if was := ResponsibleOfficer(*before); was != officer && !ops.MeetAll {
		ops.Officer = &officer
	}
	return ops
}

// WorkOrderLimit is the period of a work order's own limit (接诉即办): from its receipt to the
// limit written on it, to the minute, in whole hours rounded up (a deadline counts hours, days or
// working days; an order's limit is written to the hour or the day, so it is then exact). False
// for a source that is no work order or has no limit.
func WorkOrderLimit(src Source) (Period, bool) {
	if src.Kind != SourceWorkOrder || src.TimeLimit == nil {
		return Period{}, false
	}
	d := src.TimeLimit.Sub(src.ReceivedAt).Round(time.Minute)
	hours := int((d + time.Hour - 1) / time.Hour)
	return Period{N: max(hours, 1), Unit: UnitHours}, true
}
