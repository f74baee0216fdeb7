package archive

import (
	"slices"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/inspection"
)

const recID = "11111111-1111-1111-1111-111111111111"

// completeInput is a concluded penalty case from one approved, signed, verified record, with
// every deadline met in time: every rule met.
func completeInput() Input {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	rec := inspection.State{Version: 2, Review: inspection.ReviewApproved, Status: inspection.Complete,
		Record: inspection.Record{ID: recID,
			Evidence:   []inspection.ExpectedEvidence{{ClientID: "photo-1"}, {ClientID: "sig-1"}},
			Signatures: inspection.Signatures{Party: &inspection.PartySignature{EvidenceID: "sig-1"}}},
		EvidenceVerified: []string{"photo-1", "sig-1"}}
	c := casework.Record{ID: "case-1", State: casework.StateConcluded, Outcome: casework.OutcomePenalty,
		Sources: []casework.Source{{Kind: casework.SourceInspection, InspectionID: recID}},
		Facts:   casework.Facts{RightsNotified: true, ServiceRecorded: true, LegalReviewRequired: true, LegalReviewDone: true}}
	return Input{Case: c, Records: map[string]inspection.State{recID: rec},
		Deadlines: []Deadline{{ID: "d-1", Kind: casework.DeadlineDecision, State: casework.DeadlineMet, Due: at, MetAt: at.Add(-time.Hour)}},
		Reviews:   []ReviewSummary{{ID: "r-1", Status: ReviewAnswered}}}
}

func TestRules_Check(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(in *Input)
		unmet    string // the one item unmet; "" for none
		link     string // its first missing item's link
		complete bool
	}{
		{"OK", func(*Input) {}, "", "", true},
		{"RecordsApproved/Pending", func(in *Input) { setRec(in, func(st *inspection.State) { st.Review = inspection.ReviewPending }) },
			"records_approved", "/v1/inspections/" + recID + "/review", false},
		{"RecordsApproved/Returned", func(in *Input) { setRec(in, func(st *inspection.State) { st.Review = inspection.ReviewReturned }) },
			"records_approved", "/v1/inspections/" + recID + "/amendments", false},
		{"RecordsApproved/NeverFlagged", func(in *Input) { setRec(in, func(st *inspection.State) { st.Review = inspection.ReviewNone }) },
			"", "", true},
		{"RecordsApproved/Absent", func(in *Input) { in.Records = map[string]inspection.State{} },
			"records_approved", "/v1/inspections/" + recID, false},
		{"EvidenceVerified/Pending", func(in *Input) {
			setRec(in, func(st *inspection.State) {
				st.EvidenceVerified = []string{"sig-1"}
				st.Status = inspection.EvidencePending
			})
		}, "evidence_verified", "/v1/evidence/uploads", false},
		{"OnsiteSigned/SignatureUnverified", func(in *Input) {
			setRec(in, func(st *inspection.State) {
				st.Record.Evidence = st.Record.Evidence[:1]
				st.Record.Signatures.Party.EvidenceID = "sig-2"
			})
		}, "onsite_signed", "/v1/evidence/uploads", false},
		{"OnsiteSigned/RefusedWithoutWitness", func(in *Input) {
			setRec(in, func(st *inspection.State) { st.Record.Signatures.Party = &inspection.PartySignature{Refused: true} })
		}, "onsite_signed", "/v1/inspections/" + recID + "/amendments", false},
		{"OnsiteSigned/RefusedWithWitness", func(in *Input) {
			setRec(in, func(st *inspection.State) {
				st.Record.Signatures.Party = &inspection.PartySignature{Refused: true}
				st.Record.Signatures.Witness = &inspection.Witness{Name: "社区网格员"}
			})
		}, "", "", true},
		{"OnsiteSigned/Nothing", func(in *Input) {
			setRec(in, func(st *inspection.State) { st.Record.Signatures = inspection.Signatures{} })
		},
			"onsite_signed", "/v1/inspections/" + recID + "/amendments", false},
		{"DecisionServed", func(in *Input) { in.Case.Facts.ServiceRecorded = false }, "decision_served", "/v1/cases/case-1/transitions", false},
		{"DecisionServed/NotForATransfer", func(in *Input) {
			in.Case.Facts.ServiceRecorded, in.Case.Outcome = false, casework.OutcomeTransferred
		}, "", "", true},
		{"SeizuresResolved", func(in *Input) { in.Case.Facts.SeizureUnresolved = true }, "seizures_resolved", "/v1/cases/case-1/transitions", false},
		{"DeadlinesMet/Late", func(in *Input) { in.Deadlines[0].MetAt = in.Deadlines[0].Due.Add(time.Hour) },
			"deadlines_met", "/v1/deadlines/d-1/explanation", false},
		{"DeadlinesMet/LateExplained", func(in *Input) {
			in.Deadlines[0].MetAt, in.Deadlines[0].Explanation = in.Deadlines[0].Due.Add(time.Hour), "当事人住院，无法送达"
		}, "", "", true},
		{"DeadlinesMet/Overdue", func(in *Input) {
			in.Deadlines[0].MetAt, in.Deadlines[0].State, in.Deadlines[0].EscalatedAt = time.Time{}, casework.DeadlineOverdue, in.Deadlines[0].Due
		}, "deadlines_met", "/v1/deadlines/d-1/explanation", false},
		{"DeadlinesMet/StillOpen", func(in *Input) {
			in.Deadlines[0].MetAt, in.Deadlines[0].State = time.Time{}, casework.DeadlineOpen
		}, "deadlines_met", "/v1/deadlines/d-1", false},
		{"LegalReviewDone", func(in *Input) { in.Case.Facts.LegalReviewDone = false }, "legal_review_done", "/v1/cases/case-1/transitions", false},
		{"LegalReviewDone/NotRequired", func(in *Input) { in.Case.Facts.LegalReviewDone, in.Case.Facts.LegalReviewRequired = false, false }, "", "", true},
		{"RightsNotified", func(in *Input) { in.Case.Facts.RightsNotified = false }, "rights_notified", "/v1/cases/case-1/notifications", false},
		{"RightsNotified/Waived", func(in *Input) { in.Case.Facts.RightsNotified, in.Case.Facts.RightsWaived = false, true }, "", "", true},
		// Optional: lowers the score, does not block.
		{"EvidenceReviewAnswered", func(in *Input) { in.Reviews = append(in.Reviews, ReviewSummary{ID: "r-2", Status: ReviewReturned}) },
			"evidence_review_answered", "/v1/evidence-reviews/r-2/answer", true},
	}
	rules := DefaultRules()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := completeInput()
			tt.edit(&in)
			res := rules.Check(in)
			var unmet []Item
			for _, it := range res.Items {
				if !it.Met {
					unmet = append(unmet, it)
				}
				if it.Basis == "" || it.Title.ZH == "" || it.Title.EN == "" {
					t.Errorf("%s without its basis or titles", it.Code)
				}
			}
			if res.Complete != tt.complete {
				t.Errorf("complete %v, want %v", res.Complete, tt.complete)
			}
			if tt.unmet == "" {
				if len(unmet) != 0 || res.Score != 100 {
					t.Fatalf("score %d, unmet %+v", res.Score, unmet)
				}
				return
			}
			if len(unmet) != 1 || unmet[0].Code != tt.unmet || len(unmet[0].Missing) == 0 || unmet[0].Missing[0].Link != tt.link {
				t.Fatalf("unmet %+v, want %s with link %s", unmet, tt.unmet, tt.link)
			}
			if res.Score >= 100 || res.Score <= 0 {
				t.Errorf("score %d with %s unmet", res.Score, tt.unmet)
			}
		})
	}
}

// TestRules_Check_Withdrawn: a withdrawn case is judged by the rules that fit it: no decision to
// serve, review or notify.
func TestRules_Check_Withdrawn(t *testing.T) {
	in := completeInput()
	in.Case.State, in.Case.Outcome, in.Case.Facts = casework.StateWithdrawn, "", casework.Facts{WithdrawReason: "证据不足"}
	res := DefaultRules().Check(in)
	var codes []string
	for _, it := range res.Items {
		codes = append(codes, it.Code)
	}
	want := []string{"records_approved", "evidence_verified", "onsite_signed", "seizures_resolved", "deadlines_met", "evidence_review_answered"}
	if !slices.Equal(codes, want) || !res.Complete || res.Score != 100 || res.Outcome != OutcomeWithdrawn {
		t.Fatalf("withdrawn: %v complete %v score %d outcome %s", codes, res.Complete, res.Score, res.Outcome)
	}
}

func setRec(in *Input, edit func(st *inspection.State)) {
	st := in.Records[recID]
	sig := *st.Record.Signatures.Party
	st.Record.Signatures.Party = &sig
	st.Record.Evidence = slices.Clone(st.Record.Evidence)
	edit(&st)
	in.Records[recID] = st
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		name, json string
		ok         bool
	}{
		{"OK", `{"rules":[{"code":"onsite_signed","mandatory":true,"weight":1,"basis":"强制法 第十八条","title":{"zh":"签名","en":"signed"}}]}`, true},
		{"ErrUnknownCheck", `{"rules":[{"code":"nope","weight":1,"basis":"b","title":{"zh":"z","en":"e"}}]}`, false},
		{"ErrTwice", `{"rules":[{"code":"onsite_signed","weight":1,"basis":"b","title":{"zh":"z","en":"e"}},{"code":"onsite_signed","weight":1,"basis":"b","title":{"zh":"z","en":"e"}}]}`, false},
		{"ErrNoBasis", `{"rules":[{"code":"onsite_signed","weight":1,"title":{"zh":"z","en":"e"}}]}`, false},
		{"ErrNegativeWeight", `{"rules":[{"code":"onsite_signed","weight":-1,"basis":"b","title":{"zh":"z","en":"e"}}]}`, false},
		{"ErrUnknownOutcome", `{"rules":[{"code":"onsite_signed","weight":1,"basis":"b","title":{"zh":"z","en":"e"},"applies_to":["fined"]}]}`, false},
		{"ErrUnknownField", `{"rules":[{"code":"onsite_signed","wieght":1,"basis":"b","title":{"zh":"z","en":"e"}}]}`, false},
		{"ErrEmpty", `{"rules":[]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseRules([]byte(tt.json)); (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok %v", err, tt.ok)
			}
		})
	}
	if len(DefaultRules()) != len(CheckCodes()) {
		t.Errorf("the built-in rules name %d of the %d checks", len(DefaultRules()), len(CheckCodes()))
	}
}
