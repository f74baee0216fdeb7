package archive

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/inspection"
)

// Input is what the completeness check judges: the case with its facts, the latest version of
// each of its inspection records (by id; a source whose record is absent is missing), its
// deadlines and the case's inspection records', and the departments' evidence reviews.
type Input struct {
	Case      casework.Record
	Records   map[string]inspection.State
	Deadlines []Deadline
	Reviews   []ReviewSummary
	// StreetName is the street's name_zh, for the archive number.
	StreetName string
}

// Deadline is a statutory deadline as the check reads it: its state, due instant, when it was
// met and escalated, and the explanation of its delay ("" for none).
type Deadline struct {
	ID          string
	Kind        casework.DeadlineKind
	State       casework.DeadlineState
	Due         time.Time
	MetAt       time.Time
	EscalatedAt time.Time
	Explanation string
}

// Late reports whether d was not met in time: overdue now, escalated, or met at or after its due
// instant. A late deadline needs an explanation before its case is archived.
func (d Deadline) Late() bool {
	return d.State == casework.DeadlineOverdue || !d.EscalatedAt.IsZero() || (!d.MetAt.IsZero() && !d.MetAt.Before(d.Due))
}

// ReviewStatus is where a department's review of a case's evidence stands.
type ReviewStatus string

// The statuses of an evidence review.
const (
	ReviewAccepted ReviewStatus = "accepted" // the department accepted the evidence
	ReviewReturned ReviewStatus = "returned" // returned with reasons; the officers have not answered
	ReviewAnswered ReviewStatus = "answered" // the officers answered the return
)

// ReviewSummary is a department's evidence review of the case, as far as the check reads it.
type ReviewSummary struct {
	ID     string
	Status ReviewStatus
}

// Missing is one thing the check found missing, with the API path of what fixes it.
type Missing struct {
	What string `json:"what"`
	Link string `json:"link"`
}

// Item is one rule judged: met or not, and what is missing.
type Item struct {
	Code      string    `json:"code"`
	Mandatory bool      `json:"mandatory"`
	Met       bool      `json:"met"`
	Basis     string    `json:"basis"`
	Title     Title     `json:"title"`
	Missing   []Missing `json:"missing"`
}

// Result is the completeness check of a case: its score (weights of met rules over weights of
// the rules that apply, 0-100), whether it may be closed (no mandatory rule unmet), and every
// rule that applies, judged.
type Result struct {
	Score    int    `json:"score"`
	Complete bool   `json:"complete"`
	Outcome  string `json:"outcome"`
	Items    []Item `json:"items"`
}

// Unmet returns the mandatory items not met: what blocks the closing.
func (r Result) Unmet() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Mandatory && !it.Met {
			out = append(out, it)
		}
	}
	return out
}

// check finds what one rule misses in an input; nothing missing is met.
type check func(in Input) []Missing

// checks are the checks rules may name, by code.
var checks = map[string]check{
	"records_approved":         recordsApproved,
	"evidence_verified":        evidenceVerified,
	"onsite_signed":            onsiteSigned,
	"decision_served":          decisionServed,
	"seizures_resolved":        seizuresResolved,
	"deadlines_met":            deadlinesMet,
	"legal_review_done":        legalReviewDone,
	"rights_notified":          rightsNotified,
	"evidence_review_answered": evidenceReviewAnswered,
}

// CheckCodes lists the codes of the checks rules may name, sorted.
func CheckCodes() []string { return slices.Sorted(maps.Keys(checks)) }

// OutcomeOf is the outcome the rules' applies_to reads of r: its decision, or withdrawn.
func OutcomeOf(r casework.Record) string {
	if r.State == casework.StateWithdrawn || (r.Outcome == "" && r.Facts.WithdrawReason != "") {
		return OutcomeWithdrawn
	}
	return string(r.Outcome)
}

// Check judges in against the rules. It is pure: the same input gives the same result, in the
// closing's transaction as in a preview.
func (rs Rules) Check(in Input) Result {
	res := Result{Outcome: OutcomeOf(in.Case), Items: []Item{}}
	total, met := 0, 0
	for _, r := range rs {
		if !r.applies(res.Outcome) {
			continue
		}
		missing := checks[r.Code](in)
		it := Item{Code: r.Code, Mandatory: r.Mandatory, Met: len(missing) == 0, Basis: r.Basis, Title: r.Title, Missing: missing}
		if it.Missing == nil {
			it.Missing = []Missing{}
		}
		total += r.Weight
		if it.Met {
			met += r.Weight
		}
		res.Items = append(res.Items, it)
	}
	res.Score = 100
	if total > 0 {
		res.Score = met * 100 / total
	}
	res.Complete = len(res.Unmet()) == 0
	return res
}

// records are the case's inspection records in the order of its sources, with the ids of
// sources whose record is absent.
func records(in Input) (present []inspection.State, absent []string) {
	for _, src := range in.Case.Sources {
		if src.Kind != casework.SourceInspection || src.InspectionID == "" {
			continue
		}
		if st, ok := in.Records[src.InspectionID]; ok {
			present = append(present, st)
		} else {
			absent = append(absent, src.InspectionID)
		}
	}
	return present, absent
}

func inspectionLink(id, tail string) string { return "/v1/inspections/" + id + tail }

func caseLink(in Input, tail string) string { return "/v1/cases/" + in.Case.ID + tail }

// recordsApproved: every record is present and approved. A record never flagged (review none)
// never enters the review queue, so there is nothing for the team leader to approve: it counts.
func recordsApproved(in Input) []Missing {
	present, absent := records(in)
	var out []Missing
	for _, id := range absent {
		out = append(out, Missing{What: fmt.Sprintf("inspection record %s is missing", id), Link: inspectionLink(id, "")})
	}
	for _, st := range present {
		switch st.Review {
		case inspection.ReviewApproved, inspection.ReviewNone:
		case inspection.ReviewReturned:
			out = append(out, Missing{What: fmt.Sprintf("inspection record %s was returned: correct it", st.Record.ID),
				Link: inspectionLink(st.Record.ID, "/amendments")})
		default:
			out = append(out, Missing{What: fmt.Sprintf("inspection record %s (version %d) awaits the team leader's review", st.Record.ID, st.Version),
				Link: inspectionLink(st.Record.ID, "/review")})
		}
	}
	return out
}

// evidenceVerified: every expected item of every record is verified (the record complete).
func evidenceVerified(in Input) []Missing {
	present, _ := records(in)
	var out []Missing
	for _, st := range present {
		for _, e := range st.Record.Evidence {
			if !slices.Contains(st.EvidenceVerified, e.ClientID) {
				out = append(out, Missing{What: fmt.Sprintf("evidence %s of inspection record %s is not verified", e.ClientID, st.Record.ID),
					Link: "/v1/evidence/uploads"})
			}
		}
		if st.Status != inspection.Complete && len(st.Record.Evidence) == 0 {
			out = append(out, Missing{What: fmt.Sprintf("inspection record %s is %s", st.Record.ID, st.Status), Link: inspectionLink(st.Record.ID, "")})
		}
	}
	return out
}

// onsiteSigned: the party signed the on-site record (a signature image that is verified
// evidence), or the refusal (or the party's absence) is recorded and a witness signed (强制法
// art. 18(6), 处罚法 art. 55).
func onsiteSigned(in Input) []Missing {
	present, _ := records(in)
	var out []Missing
	for _, st := range present {
		s, id := st.Record.Signatures, st.Record.ID
		witnessed := s.Witness != nil && s.Witness.Name != ""
		switch {
		case s.Party != nil && !s.Party.Refused && s.Party.EvidenceID != "":
			if !slices.Contains(st.EvidenceVerified, s.Party.EvidenceID) {
				out = append(out, Missing{What: fmt.Sprintf("the party's signature %s on inspection record %s is not verified evidence", s.Party.EvidenceID, id),
					Link: "/v1/evidence/uploads"})
			}
		case witnessed:
		case s.Party != nil && s.Party.Refused:
			out = append(out, Missing{What: fmt.Sprintf("the party refused to sign inspection record %s and no witness signed", id),
				Link: inspectionLink(id, "/amendments")})
		default:
			out = append(out, Missing{What: fmt.Sprintf("inspection record %s has neither the party's signature nor a refusal with a witness", id),
				Link: inspectionLink(id, "/amendments")})
		}
	}
	return out
}

func decisionServed(in Input) []Missing {
	if in.Case.Facts.ServiceRecorded {
		return nil
	}
	return []Missing{{What: "no proof of service (送达回证) of the decision is recorded", Link: caseLink(in, "/transitions")}}
}

func seizuresResolved(in Input) []Missing {
	if !in.Case.Facts.SeizureUnresolved {
		return nil
	}
	return []Missing{{What: "a seizure of the case is neither released nor confiscated", Link: caseLink(in, "/transitions")}}
}

// deadlinesMet: every deadline met in time, or late with its delay explained; none still running.
func deadlinesMet(in Input) []Missing {
	var out []Missing
	for _, d := range in.Deadlines {
		switch {
		case d.MetAt.IsZero() && d.State != casework.DeadlineOverdue:
			out = append(out, Missing{What: fmt.Sprintf("the %s deadline %s is still %s", d.Kind, d.ID, d.State), Link: "/v1/deadlines/" + d.ID})
		case d.Late() && d.Explanation == "":
			out = append(out, Missing{What: fmt.Sprintf("the %s deadline %s was not met in time and its delay is not explained", d.Kind, d.ID),
				Link: "/v1/deadlines/" + d.ID + "/explanation"})
		}
	}
	return out
}

func legalReviewDone(in Input) []Missing {
	if f := in.Case.Facts; !f.LegalReviewRequired || f.LegalReviewDone {
		return nil
	}
	return []Missing{{What: "the case requires legal review (法制审核) and none is recorded", Link: caseLink(in, "/transitions")}}
}

func rightsNotified(in Input) []Missing {
	if f := in.Case.Facts; f.RightsNotified || f.RightsWaived {
		return nil
	}
	return []Missing{{What: "the party was not told the facts, grounds and rights, nor waived them", Link: caseLink(in, "/notifications")}}
}

func evidenceReviewAnswered(in Input) []Missing {
	var out []Missing
	for _, r := range in.Reviews {
		if r.Status == ReviewReturned {
			out = append(out, Missing{What: fmt.Sprintf("the department's return %s of the evidence is not answered", r.ID),
				Link: "/v1/evidence-reviews/" + r.ID + "/answer"})
		}
	}
	return out
}
