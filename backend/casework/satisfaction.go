package casework

import (
	"context"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Answer is the reporter's answer on the return call (回访) about a work order's handling: how
// satisfied with the answer, or not reached.
type Answer string

// The answers of a return call.
const (
	AnswerSatisfied          Answer = "satisfied"           // 满意
	AnswerBasicallySatisfied Answer = "basically_satisfied" // 基本满意
	AnswerNotSatisfied       Answer = "not_satisfied"       // 不满意
	AnswerUnreachable        Answer = "unreachable"         // not reached: called again later
)

// Satisfaction is one answer of a work order's reporter, asked by the street after the case was
// concluded: at is when asked. It is part of the hotline loop (接诉即办), not of the case file:
// kept beside the case, it never changes the case's version, and an archived case takes it too.
type Satisfaction struct {
	CaseID     string
	Answer     Answer
	At         time.Time
	Note       string
	RecordedBy string
	RecordedAt time.Time
}

// SatisfactionRequest is an answer to record: At zero is now.
type SatisfactionRequest struct {
	Answer Answer
	At     time.Time
	Note   string
}

// AsksSatisfaction reports whether sc records the reporter's answers of r: the street's team
// leader, or the grid operator who took one of its work orders in.
func AsksSatisfaction(sc org.Scope, r Record) bool {
	if leads(sc, r) {
		return true
	}
	return sc.Role == org.RoleGridOperator && slices.ContainsFunc(r.Sources, func(s Source) bool {
		return s.Kind == SourceWorkOrder && s.TakenBy == sc.UserID
	})
}

// ConcludedAt is when r was concluded, by its history; false when it never was (a withdrawn
// case, archived or not).
func ConcludedAt(evs []Event) (time.Time, bool) {
	var at time.Time
	found := false
	for _, ev := range evs {
		if ev.Kind == EventTransition && ev.To == StateConcluded {
			at, found = ev.At, true
		}
	}
	return at, found
}

// CheckSatisfaction judges answer q for case r, concluded at concluded, with the answers prior,
// recorded at now: a case with a work order source, concluded (archived or not), the answer one
// of the four, asked between the conclusion and now, and no answer but unreachable before. It
// returns the answer's time. Errors: derrors.Invalid, derrors.Conflict.
func CheckSatisfaction(r Record, concluded time.Time, wasConcluded bool, prior []Satisfaction, q SatisfactionRequest, now time.Time) (time.Time, error) {
	if !slices.ContainsFunc(r.Sources, func(s Source) bool { return s.Kind == SourceWorkOrder }) {
		return time.Time{}, derrors.New(derrors.Conflict, "case %s came from no work order: its reporter is not called back", r.ID)
	}
	if !wasConcluded || (r.State != StateConcluded && r.State != StateArchived) {
		return time.Time{}, derrors.New(derrors.Conflict, "case %s is %s: the reporter is asked once it is concluded", r.ID, r.State)
	}
	switch q.Answer {
	case AnswerSatisfied, AnswerBasicallySatisfied, AnswerNotSatisfied, AnswerUnreachable:
	default:
		return time.Time{}, derrors.Invalidf("/answer", "the answer is satisfied, basically_satisfied, not_satisfied or unreachable, not %q", q.Answer)
	}
	at := q.At
	if at.IsZero() {
		at = now
	}
	at = at.UTC().Truncate(time.Microsecond)
	if at.Before(concluded) || at.After(now) {
		return time.Time{}, derrors.Invalidf("/at", "the reporter is asked between the case's conclusion and now")
	}
	for _, s := range prior {
		if s.Answer != AnswerUnreachable {
			return time.Time{}, derrors.New(derrors.Conflict, "the reporter of case %s answered already (%s)", r.ID, s.Answer)
		}
	}
	return at, nil
}

// RecordSatisfaction records the answer of the reporter of case id on the return call, by
// userID (AsksSatisfaction), judged by CheckSatisfaction. The case's file is not changed, so an
// archived case takes it (load's read-only rule is for the file). Errors: derrors.NotFound,
// derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) RecordSatisfaction(ctx context.Context, userID, id string, q SatisfactionRequest) (Satisfaction, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Satisfaction{}, err
	}
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Satisfaction{}, err
	}
	if _, err := s.visible(ctx, sc, r); err != nil {
		return Satisfaction{}, err
	}
	if !AsksSatisfaction(sc, r) {
		return Satisfaction{}, derrors.New(derrors.Forbidden, "the street's team leader or the grid operator who took the work order in records the reporter's answer")
	}
	evs, err := s.store.Events(ctx, id)
	if err != nil {
		return Satisfaction{}, err
	}
	prior, err := s.store.Satisfactions(ctx, id)
	if err != nil {
		return Satisfaction{}, err
	}
	concluded, ok := ConcludedAt(evs)
	at, err := CheckSatisfaction(r, concluded, ok, prior, q, now)
	if err != nil {
		return Satisfaction{}, err
	}
	out := Satisfaction{CaseID: r.ID, Answer: q.Answer, At: at, Note: q.Note, RecordedBy: userID, RecordedAt: now}
	if err := s.store.AddSatisfaction(ctx, out, r.StreetCode); err != nil {
		return Satisfaction{}, err
	}
	return out, nil
}
