package casework

import (
	"slices"
	"testing"
	"time"
)

// TestClocksOf: each move of a case opens and meets the deadlines the law attaches to it.
func TestClocksOf(t *testing.T) {
	at := time.Date(2024, 3, 1, 15, 20, 0, 0, cst)
	held := Receiver{Kind: ReceiverOfficer, Code: "a-cg-03"}
	base := Record{ID: "c1", StreetCode: "st-a", TeamCode: "team-st-a", DepartmentCode: "cg", Assignee: held,
		Sources: []Source{{Kind: SourceCommunityReport}}}
	with := func(st State, edit func(*Record)) Record {
		r := base
		r.State = st
		if edit != nil {
			edit(&r)
		}
		return r
	}
	fine := func(r *Record) { r.Outcome, r.Facts.Penalty.FineYuan = OutcomePenalty, 200 }
	tests := []struct {
		name    string
		from    State
		to      Record
		opens   []DeadlineKind
		meets   []DeadlineKind
		meetAll bool
	}{
		{"filing opens the decision period", StateClue, with(StateFiled, nil), []DeadlineKind{DeadlineDecision}, nil, false},
		{"a penalty decision meets it and opens service", StateInvestigating, with(StateDecided, fine),
			[]DeadlineKind{DeadlineService}, []DeadlineKind{DeadlineDecision}, false},
		{"a no-penalty decision is served too", StateInvestigating, with(StateDecided, func(r *Record) { r.Outcome = OutcomeNoPenalty }),
			[]DeadlineKind{DeadlineService}, []DeadlineKind{DeadlineDecision}, false},
		{"a transfer to the judiciary serves nothing", StateInvestigating, with(StateDecided, func(r *Record) { r.Outcome = OutcomeTransferred }),
			nil, []DeadlineKind{DeadlineDecision}, false},
		{"service of a fine opens payment", StateDecided, with(StateServed, fine), []DeadlineKind{DeadlinePayment},
			[]DeadlineKind{DeadlineService}, false},
		{"service of a no-penalty decision opens nothing", StateDecided,
			with(StateServed, func(r *Record) { r.Outcome = OutcomeNoPenalty }), nil, []DeadlineKind{DeadlineService}, false},
		{"execution meets payment", StateServed, with(StateExecuted, fine), nil, []DeadlineKind{DeadlinePayment}, false},
		{"conclusion meets all", StateExecuted, with(StateConcluded, fine), nil, nil, true},
		{"withdrawal meets all", StateFiled, with(StateWithdrawn, nil), nil, nil, true},
		{"a note changes nothing", StateFiled, with(StateFiled, nil), nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := with(tt.from, nil)
			ops := ClocksOf(&before, tt.to, at)
			var opened []DeadlineKind
			for _, o := range ops.Open {
				opened = append(opened, o.Kind)
				want := DeadlineOpening{StreetCode: "st-a", TeamCode: "team-st-a", Department: "cg",
					Subject: DeadlineSubject{Kind: "case", ID: "c1"}, Kind: o.Kind, Start: at, Officer: "a-cg-03"}
				if o != want {
					t.Errorf("opening %+v, want %+v", o, want)
				}
			}
			if !slices.Equal(opened, tt.opens) || !slices.Equal(ops.Meet, tt.meets) || ops.MeetAll != tt.meetAll || ops.Officer != nil {
				t.Errorf("opens %v meets %v all %v officer %v; want %v %v %v", opened, ops.Meet, ops.MeetAll, ops.Officer, tt.opens, tt.meets, tt.meetAll)
			}
		})
	}
}

// TestClocksOf_WorkOrdersSeizuresAndOfficers: a work order's limit opens at intake or when its
// source is added; a seizure resolved meets the inspection's seizure deadline; a case handed to
// another officer, or to a department's queue, hands its deadlines over.
func TestClocksOf_WorkOrdersSeizuresAndOfficers(t *testing.T) {
	received := time.Date(2024, 3, 1, 9, 30, 0, 0, cst)
	limit := received.Add(72 * time.Hour)
	order := Source{Kind: SourceWorkOrder, WorkOrderNumber: "GD-1", ReceivedAt: received, TimeLimit: &limit}
	r := Record{ID: "c1", StreetCode: "st-a", TeamCode: "team-st-a", DepartmentCode: "cg", State: StateClue,
		Assignee: Receiver{Kind: ReceiverDepartment, Code: "cg"}, Sources: []Source{order}}

	ops := ClocksOf(nil, r, received.Add(time.Hour))
	if len(ops.Open) != 1 || ops.Open[0].Kind != DeadlineWorkOrder || !ops.Open[0].Start.Equal(received) ||
		ops.Open[0].Limit != (Period{72, UnitHours}) || ops.Open[0].Officer != "" {
		t.Fatalf("intake of a work order with its limit: %+v", ops.Open)
	}
	noLimit := r
	noLimit.Sources = []Source{{Kind: SourceWorkOrder, ReceivedAt: received}}
	if ops := ClocksOf(nil, noLimit, received); !ops.Empty() {
		t.Errorf("a work order without a limit opens %+v", ops.Open)
	}
	// A second order added to the case opens its own limit, not the first's again.
	added := r
	second := order
	second.WorkOrderNumber, second.ReceivedAt = "GD-2", received.Add(30*time.Minute+20*time.Second)
	added.Sources = []Source{order, second}
	if ops := ClocksOf(&r, added, received); len(ops.Open) != 1 || !ops.Open[0].Start.Equal(second.ReceivedAt) ||
		ops.Open[0].Limit != (Period{72, UnitHours}) {
		t.Errorf("a source added: %+v, want the second order's limit, 71.5 h rounded up to 72 h", ops.Open)
	}

	// Reassigned to an officer, then sent to a department's queue: the officer answering changes.
	toOfficer := r
	toOfficer.Assignee = Receiver{Kind: ReceiverOfficer, Code: "a-cg-03"}
	if ops := ClocksOf(&r, toOfficer, received); ops.Officer == nil || *ops.Officer != "a-cg-03" {
		t.Errorf("reassigned: officer %v", ops.Officer)
	}
	if ops := ClocksOf(&toOfficer, r, received); ops.Officer == nil || *ops.Officer != "" {
		t.Errorf("to the queue: officer %v, want none", ops.Officer)
	}

	// A seizure resolved meets the seizure deadline of the record the case came from.
	seized := Record{ID: "c2", State: StateExecuted, Sources: []Source{{Kind: SourceInspection, InspectionID: "rec-1"}},
		Facts: Facts{SeizureUnresolved: true}}
	resolved := seized
	resolved.Facts.SeizureUnresolved = false
	if ops := ClocksOf(&seized, resolved, received); !slices.Equal(ops.MeetSeizuresOf, []string{"rec-1"}) {
		t.Errorf("seizure resolved: %v", ops.MeetSeizuresOf)
	}
}
