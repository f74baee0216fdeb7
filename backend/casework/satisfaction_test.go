package casework

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

func TestCheckSatisfaction(t *testing.T) {
	concluded := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	now := concluded.Add(48 * time.Hour)
	order := []Source{{Kind: SourceWorkOrder, Channel: "12345"}}
	rec := func(st State, srcs []Source) Record { return Record{ID: "c", State: st, Sources: srcs} }
	tests := []struct {
		name         string
		r            Record
		wasConcluded bool
		prior        []Satisfaction
		q            SatisfactionRequest
		want         derrors.Code
	}{
		{"OK", rec(StateConcluded, order), true, nil, SatisfactionRequest{Answer: AnswerSatisfied}, ""},
		{"OK/archived", rec(StateArchived, order), true, nil, SatisfactionRequest{Answer: AnswerNotSatisfied}, ""},
		{"OK/afterUnreachable", rec(StateConcluded, order), true, []Satisfaction{{Answer: AnswerUnreachable}},
			SatisfactionRequest{Answer: AnswerBasicallySatisfied, At: concluded}, ""},
		{"ErrNoWorkOrder", rec(StateConcluded, []Source{{Kind: SourceCommunityReport}}), true, nil, SatisfactionRequest{Answer: AnswerSatisfied}, derrors.Conflict},
		{"ErrWithdrawnArchived", rec(StateArchived, order), false, nil, SatisfactionRequest{Answer: AnswerSatisfied}, derrors.Conflict},
		{"ErrOpen", rec(StateServed, order), false, nil, SatisfactionRequest{Answer: AnswerSatisfied}, derrors.Conflict},
		{"ErrAnswer", rec(StateConcluded, order), true, nil, SatisfactionRequest{Answer: "happy"}, derrors.Invalid},
		{"ErrBeforeConclusion", rec(StateConcluded, order), true, nil, SatisfactionRequest{Answer: AnswerSatisfied, At: concluded.Add(-time.Second)}, derrors.Invalid},
		{"ErrAfterNow", rec(StateConcluded, order), true, nil, SatisfactionRequest{Answer: AnswerSatisfied, At: now.Add(time.Second)}, derrors.Invalid},
		{"ErrAnswered", rec(StateConcluded, order), true, []Satisfaction{{Answer: AnswerUnreachable}, {Answer: AnswerNotSatisfied}},
			SatisfactionRequest{Answer: AnswerSatisfied}, derrors.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, err := CheckSatisfaction(tc.r, concluded, tc.wasConcluded, tc.prior, tc.q, now)
			if got := derrors.CodeOf(err); got != tc.want || (err != nil && tc.want == "") {
				t.Fatalf("err = %v (%s), want %q", err, got, tc.want)
			}
			if err == nil && tc.q.At.IsZero() && !at.Equal(now) {
				t.Errorf("at = %v, want now", at)
			}
		})
	}
}
