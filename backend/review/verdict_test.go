package review

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// at is an instant of the tests: rules take instants as arguments, so a fixed one is the clock.
var at = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func caseEvidence() map[string]Evidence {
	return map[string]Evidence{
		"ev-1":  {ID: "ev-1", UploadedAt: at.Add(-time.Hour)},
		"ev-2":  {ID: "ev-2", UploadedAt: at.Add(-time.Hour)},
		"new-1": {ID: "new-1", UploadedAt: at.Add(time.Hour)},
	}
}

// field is the field an Invalid error names, or its code for any other error ("" for nil).
func field(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(*derrors.Error); ok && e.Code == derrors.Invalid && len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return string(derrors.CodeOf(err))
}

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"OK/Accepted", Request{Verdict: VerdictAccepted}, ""},
		{"OK/ReturnedTwoItems", Request{Verdict: VerdictReturned, Items: []Item{
			{EvidenceID: "ev-1", Reason: ReasonUnreadable}, {EvidenceID: "ev-2", Reason: ReasonWrongTime, Note: "拍摄于检查前"}}}, ""},
		{"OK/MissingEvidence", Request{Verdict: VerdictReturned, Items: []Item{{Reason: ReasonMissingAngle, Note: "缺少店门正面"}}}, ""},
		{"ErrAcceptedWithItems", Request{Verdict: VerdictAccepted, Items: []Item{{EvidenceID: "ev-1", Reason: ReasonUnreadable}}}, "/items"},
		{"ErrReturnedWithoutItems", Request{Verdict: VerdictReturned}, "/items"},
		{"ErrVerdict", Request{Verdict: "maybe"}, "/verdict"},
		{"ErrReason", Request{Verdict: VerdictReturned, Items: []Item{{EvidenceID: "ev-1", Reason: "ugly"}}}, "/items/0/reason"},
		{"ErrItemOfAnotherCase", Request{Verdict: VerdictReturned, Items: []Item{
			{EvidenceID: "ev-1", Reason: ReasonUnreadable}, {EvidenceID: "elsewhere", Reason: ReasonUnreadable}}}, "/items/1/evidence_id"},
		{"ErrTwice", Request{Verdict: VerdictReturned, Items: []Item{
			{EvidenceID: "ev-1", Reason: ReasonUnreadable}, {EvidenceID: "ev-1", Reason: ReasonWrongTime}}}, "/items/1/evidence_id"},
		{"ErrOtherWithoutNote", Request{Verdict: VerdictReturned, Items: []Item{{EvidenceID: "ev-1", Reason: ReasonOther}}}, "/items/0/note"},
		{"ErrMissingWithoutNote", Request{Verdict: VerdictReturned, Items: []Item{{Reason: ReasonMissingAngle}}}, "/items/0/note"},
		{"ErrMissingUnreadable", Request{Verdict: VerdictReturned, Items: []Item{{Reason: ReasonUnreadable, Note: "x"}}}, "/items/0/reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := field(CheckRequest(tt.req, caseEvidence())); got != tt.want {
				t.Errorf("CheckRequest: %q, want %q", got, tt.want)
			}
		})
	}
}

func returned(id string) Review {
	return Review{ID: id, Verdict: VerdictReturned, Status: StatusReturned, At: at, Version: 1,
		Items: []Item{{EvidenceID: "ev-1", Reason: ReasonUnreadable}}}
}

func TestCheckAnswer(t *testing.T) {
	answered := returned("r-2")
	answered.Status, answered.Version = StatusAnswered, 2
	accepted := Review{ID: "r-3", Verdict: VerdictAccepted, Status: StatusAccepted, At: at, Version: 1}
	tests := []struct {
		name   string
		review Review
		answer AnswerRequest
		want   string
	}{
		{"OK", returned("r-1"), AnswerRequest{Note: "已补拍", EvidenceIDs: []string{"new-1"}, Version: 1}, ""},
		{"OK/NoteOnly", returned("r-1"), AnswerRequest{Note: "当事人已搬离，无法补拍"}, ""},
		{"ErrAnsweredTwice", answered, AnswerRequest{Note: "再次答复"}, string(derrors.Conflict)},
		{"ErrAccepted", accepted, AnswerRequest{Note: "x"}, string(derrors.Conflict)},
		{"ErrVersion", returned("r-1"), AnswerRequest{Note: "x", Version: 2}, string(derrors.Conflict)},
		{"ErrNoNote", returned("r-1"), AnswerRequest{EvidenceIDs: []string{"new-1"}}, "/note"},
		{"ErrUnknownItem", returned("r-1"), AnswerRequest{Note: "x", EvidenceIDs: []string{"new-1", "elsewhere"}}, "/evidence_ids/1"},
		{"ErrUploadedBefore", returned("r-1"), AnswerRequest{Note: "x", EvidenceIDs: []string{"ev-2"}}, "/evidence_ids/0"},
		{"ErrTwice", returned("r-1"), AnswerRequest{Note: "x", EvidenceIDs: []string{"new-1", "new-1"}}, "/evidence_ids/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := field(CheckAnswer(tt.review, tt.answer, caseEvidence())); got != tt.want {
				t.Errorf("CheckAnswer: %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutstandingAndStateOf(t *testing.T) {
	first := returned("r-1")
	answered := first
	answered.Status = StatusAnswered
	accepted := Review{ID: "r-2", Verdict: VerdictAccepted, Status: StatusAccepted, At: at.Add(time.Hour), Version: 1}
	second := returned("r-3")
	second.At = at.Add(2 * time.Hour)

	if st := StateOf(nil); st.Reviews != 0 || st.Last != nil || st.Accepted || len(st.Outstanding) != 0 {
		t.Errorf("no reviews: %+v", st)
	}
	if err := MayReview([]Review{first}); derrors.CodeOf(err) != derrors.Conflict {
		t.Errorf("a review while a return waits: %v", err)
	}
	if out := Outstanding([]Review{first, accepted}); len(out) != 1 || out[0].ID != "r-1" {
		t.Errorf("outstanding: %+v", out)
	}
	if err := MayReview([]Review{answered}); err != nil {
		t.Errorf("a review after the answer: %v", err)
	}
	st := StateOf([]Review{accepted, answered})
	if !st.Accepted || st.Last.ID != "r-2" || len(st.Outstanding) != 0 || st.Reviews != 2 {
		t.Errorf("answered, then accepted: %+v", st)
	}
	st = StateOf([]Review{accepted, answered, second})
	if st.Accepted || st.Last.ID != "r-3" || len(st.Outstanding) != 1 {
		t.Errorf("returned again after an acceptance: %+v", st)
	}
}
