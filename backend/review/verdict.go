package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	wsync "github.com/whistle/whistle/sync"
)

// Verdict is what a department reviewer decides of a case's evidence (DOMAIN.md section 8).
type Verdict string

// The verdicts of an evidence review.
const (
	VerdictAccepted Verdict = "accepted" // the evidence is enough for the department
	VerdictReturned Verdict = "returned" // sent back to the officers with a reason per item
)

// Reason is why an item (or the evidence as a whole) is returned.
type Reason string

// The reasons of a return.
const (
	ReasonMissingAngle Reason = "missing_angle" // the scene is not shown from the side that proves the fact
	ReasonUnreadable   Reason = "unreadable"    // blurred, dark, cut off, inaudible
	ReasonWrongTime    Reason = "wrong_time"    // captured outside the act it should prove
	ReasonWrongSubject Reason = "wrong_subject" // shows another shop, person or object
	ReasonOther        Reason = "other"         // said in the note
)

// Status is where a review stands: accepted, returned and waiting for the answer, or answered.
type Status string

// The statuses of an evidence review.
const (
	StatusAccepted Status = "accepted"
	StatusReturned Status = "returned"
	StatusAnswered Status = "answered"
)

// Item is one reason of a return: an item of the case's records (EvidenceID) and what is wrong
// with it, or, without EvidenceID, evidence that is missing altogether (missing_angle or other,
// said in the note).
type Item struct {
	EvidenceID string `json:"evidence_id,omitempty"`
	Reason     Reason `json:"reason"`
	Note       string `json:"note,omitempty"`
}

// Answer is the answer of the officer holding the case (or the team leader) to a return: a note
// and the items uploaded since to the case's records.
type Answer struct {
	Note        string    `json:"note"`
	EvidenceIDs []string  `json:"evidence_ids"`
	By          string    `json:"by"` // user id
	At          time.Time `json:"at"`
}

// Review is a department reviewer's review of a case's evidence, as stored, served and published
// to the phones of the case.
type Review struct {
	ID             string    `json:"id"`
	CaseID         string    `json:"case_id"`
	DepartmentCode string    `json:"department_code"`
	ReviewerID     string    `json:"reviewer_id"`
	Verdict        Verdict   `json:"verdict"`
	Items          []Item    `json:"items"`
	At             time.Time `json:"at"`
	Status         Status    `json:"status"`
	Answer         *Answer   `json:"answer,omitempty"`
	// Version counts the changes of the review (1 made, 2 answered): the ETag and If-Match name it.
	Version int `json:"version"`
}

// Evidence is an item of a case's records as the rules judge it: its id and when its upload
// completed.
type Evidence struct {
	ID         string
	UploadedAt time.Time
}

// Request is a review asked for: its verdict and, for a return, its items.
type Request struct {
	Verdict Verdict
	Items   []Item
}

// CheckRequest judges a review of a case whose records hold the items of evidence (by id):
// an acceptance lists no items; a return lists at least one, each with a known reason, an item of
// the case's records named once at most, or, without an item, missing evidence (missing_angle
// or other) said in its note; `other` is always said in the note. Errors: derrors.Invalid
// naming the field.
func CheckRequest(req Request, evidence map[string]Evidence) error {
	switch req.Verdict {
	case VerdictAccepted:
		if len(req.Items) > 0 {
			return derrors.Invalidf("/items", "an acceptance lists no items: return the evidence to name what is wrong")
		}
		return nil
	case VerdictReturned:
		if len(req.Items) == 0 {
			return derrors.Invalidf("/items", "a return says what is wrong, item by item")
		}
	default:
		return derrors.Invalidf("/verdict", "the verdict is accepted or returned, not %q", req.Verdict)
	}
	seen := map[string]bool{}
	for i, it := range req.Items {
		at := fmt.Sprintf("/items/%d", i)
		switch it.Reason {
		case ReasonMissingAngle, ReasonUnreadable, ReasonWrongTime, ReasonWrongSubject, ReasonOther:
		default:
			return derrors.Invalidf(at+"/reason", "unknown reason %q", it.Reason)
		}
		blank := strings.TrimSpace(it.Note) == ""
		if it.EvidenceID == "" {
			if it.Reason != ReasonMissingAngle && it.Reason != ReasonOther {
				return derrors.Invalidf(at+"/reason", "evidence missing altogether is a missing_angle or other, not %s: name the item otherwise", it.Reason)
			}
			if blank {
				return derrors.Invalidf(at+"/note", "missing evidence is said in the note")
			}
			continue
		}
		if it.Reason == ReasonOther && blank {
			return derrors.Invalidf(at+"/note", "a reason other is said in the note")
		}
		if _, ok := evidence[it.EvidenceID]; !ok {
			return derrors.Invalidf(at+"/evidence_id", "no evidence item %s in the case's records", it.EvidenceID)
		}
		if seen[it.EvidenceID] {
			return derrors.Invalidf(at+"/evidence_id", "evidence item %s is returned twice", it.EvidenceID)
		}
		seen[it.EvidenceID] = true
	}
	return nil
}

// MayReview judges a new review of a case with the reviews it has: none while a return waits for
// its answer (the officers answer first, the department reviews again). Errors:
// derrors.Conflict.
func MayReview(existing []Review) error {
	if out := Outstanding(existing); len(out) > 0 {
		return derrors.New(derrors.Conflict, "evidence review %s returned the case's evidence and is not answered yet", out[0].ID)
	}
	return nil
}

// AnswerRequest is an answer sent: a note and the items uploaded since the return; Version,
// when not 0, is the version of the review the answer is based on.
type AnswerRequest struct {
	Note        string
	EvidenceIDs []string
	Version     int
}

// CheckAnswer judges an answer to review r of a case whose records hold the items of evidence:
// only a return waiting for its answer is answered, once (derrors.Conflict), at the version the
// caller saw (derrors.Conflict); the answer says what was done (a note), and names items of the
// case's records uploaded since the return, each once (derrors.Invalid naming the field).
func CheckAnswer(r Review, a AnswerRequest, evidence map[string]Evidence) error {
	switch r.Status {
	case StatusAnswered:
		return derrors.New(derrors.Conflict, "evidence review %s is answered already", r.ID)
	case StatusAccepted:
		return derrors.New(derrors.Conflict, "evidence review %s accepted the evidence: there is nothing to answer", r.ID)
	}
	if a.Version != 0 && a.Version != r.Version {
		return derrors.New(derrors.Conflict, "the answer is based on version %d, but the review is at version %d", a.Version, r.Version)
	}
	if strings.TrimSpace(a.Note) == "" {
		return derrors.Invalidf("/note", "an answer says what was done")
	}
	seen := map[string]bool{}
	for i, id := range a.EvidenceIDs {
		at := fmt.Sprintf("/evidence_ids/%d", i)
		e, ok := evidence[id]
		switch {
		case !ok:
			return derrors.Invalidf(at, "no evidence item %s in the case's records", id)
		case e.UploadedAt.Before(r.At):
			return derrors.Invalidf(at, "evidence item %s was uploaded before the return: answer with what was uploaded since", id)
		case seen[id]:
			return derrors.Invalidf(at, "evidence item %s is named twice", id)
		}
		seen[id] = true
	}
	return nil
}

// Outstanding returns the returns of reviews not answered yet, in the order given.
func Outstanding(reviews []Review) []Review {
	var out []Review
	for _, r := range reviews {
		if r.Status == StatusReturned {
			out = append(out, r)
		}
	}
	return out
}

// ReviewState is where the evidence review of a case stands, for the archive's completeness
// check: whether the department reviewed it, whether every return is answered, whether the last
// review accepted the evidence.
type ReviewState struct {
	// Reviews counts the reviews of the case.
	Reviews int
	// Outstanding are the returns not answered yet.
	Outstanding []Review
	// Last is the newest review (by its instant, ties by id); nil when there is none.
	Last *Review
	// Accepted: the last review accepted the evidence and no return is outstanding.
	Accepted bool
}

// StateOf is the ReviewState of a case with reviews, in any order.
func StateOf(reviews []Review) ReviewState {
	st := ReviewState{Reviews: len(reviews), Outstanding: Outstanding(reviews)}
	for i := range reviews {
		r := &reviews[i]
		if st.Last == nil || r.At.After(st.Last.At) || (r.At.Equal(st.Last.At) && r.ID > st.Last.ID) {
			st.Last = r
		}
	}
	if st.Last != nil {
		last := *st.Last
		st.Last = &last
	}
	st.Accepted = st.Last != nil && st.Last.Verdict == VerdictAccepted && len(st.Outstanding) == 0
	return st
}

// Change is a review made or answered, as the store writes it in one transaction: the review,
// its trail entry's action and chain (the case's street), and the sync scopes it is published to.
type Change struct {
	Review     Review
	Action     string // evidence_review.accepted, evidence_review.returned, evidence_review.answer
	StreetCode string
	Scopes     []string
}

// Store persists evidence reviews. The consumer owns it; backend/postgres implements it. Every
// write adds its trail entry and publishes the review to the change's scopes in the same
// transaction.
type Store interface {
	// Create stores a new review if check passes on the case's reviews, read under a lock of the
	// case's reviews (so that two reviewers never both return the case); derrors.Conflict when
	// the id is taken, check's error otherwise.
	Create(ctx context.Context, c Change, check func(existing []Review) error) error
	// Update stores the review's next version if it is still at version base, else
	// derrors.Conflict.
	Update(ctx context.Context, c Change, base int) error
	// Get returns a review, or derrors.NotFound.
	Get(ctx context.Context, id string) (Review, error)
	// List returns the reviews of a case, newest first (ties by id), after after.
	List(ctx context.Context, caseID string, after *Cursor, limit int) ([]Review, error)
	// Evidence returns the items linked to the inspection records given (verified ones).
	Evidence(ctx context.Context, recordIDs []string) ([]Evidence, error)
}

// Cursor is a position in a list of reviews, newest first: the last review of a page.
type Cursor struct {
	At time.Time
	ID string
}

// Cases is what the reviews read of cases: a case as the caller may see it (casework.Service.Get,
// which answers derrors.NotFound for a case the caller may not see).
type Cases interface {
	Get(ctx context.Context, viewer, id string) (casework.Record, error)
}

// Org is what the reviews read of the organization: who the caller is.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
}

// Service makes, answers and reads the evidence reviews of cases.
type Service struct {
	store Store
	cases Cases
	org   Org
	now   func() time.Time
}

// NewService returns a Service over store, reading cases through cases and the time from now.
func NewService(store Store, cases Cases, o Org, now func() time.Time) *Service {
	return &Service{store: store, cases: cases, org: o, now: now}
}

func (s *Service) instant() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// caseEvidence is the items of the case's records by id.
func (s *Service) caseEvidence(ctx context.Context, r casework.Record) (map[string]Evidence, error) {
	var records []string
	for _, src := range r.Sources {
		if src.InspectionID != "" {
			records = append(records, src.InspectionID)
		}
	}
	out := map[string]Evidence{}
	if len(records) == 0 {
		return out, nil
	}
	list, err := s.store.Evidence(ctx, records)
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		out[e.ID] = e
	}
	return out, nil
}

// scopes are the sync scopes a review of case r goes to: the officer holding the case (in full,
// as a returned inspection reaches its officer) and the case's team.
func scopes(r casework.Record) []string {
	out := []string{"team:" + r.TeamCode}
	if r.Assignee.Kind == casework.ReceiverOfficer {
		out = append(out, "officer:"+r.Assignee.Code)
	}
	return out
}

// Create is a department reviewer's review of case caseID under id: the case as the caller may
// see it, by a reviewer of the case's competent department, judged by CheckRequest on the items
// of the case's records and by MayReview on the case's reviews. Errors: derrors.NotFound (no
// such case for the caller), derrors.Forbidden (not the department's reviewer),
// derrors.Invalid, derrors.Conflict (a return outstanding, a merged case, the id taken).
func (s *Service) Create(ctx context.Context, userID, caseID, id string, req Request) (Review, error) {
	now := s.instant()
	c, err := s.cases.Get(ctx, userID, caseID)
	if err != nil {
		return Review{}, err
	}
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Review{}, err
	}
	if sc.Role != org.RoleDeptReviewer || sc.DepartmentCode == "" || sc.DepartmentCode != c.DepartmentCode {
		return Review{}, derrors.New(derrors.Forbidden, "only a reviewer of the case's department reviews its evidence")
	}
	if c.MergedInto != "" {
		return Review{}, derrors.New(derrors.Conflict, "case %s was merged into %s: review that one", c.ID, c.MergedInto)
	}
	evidence, err := s.caseEvidence(ctx, c)
	if err != nil {
		return Review{}, err
	}
	if err := CheckRequest(req, evidence); err != nil {
		return Review{}, err
	}
	items := slices.Clone(req.Items)
	if items == nil {
		items = []Item{}
	}
	r := Review{ID: id, CaseID: c.ID, DepartmentCode: c.DepartmentCode, ReviewerID: userID, Verdict: req.Verdict,
		Items: items, At: now, Status: Status(req.Verdict), Version: 1}
	ch := Change{Review: r, Action: "evidence_review." + string(req.Verdict), StreetCode: c.StreetCode, Scopes: scopes(c)}
	if err := s.store.Create(ctx, ch, MayReview); err != nil {
		return Review{}, err
	}
	return r, nil
}

// visible returns review id and its case if the viewer may see the case, else
// derrors.NotFound naming the review.
func (s *Service) visible(ctx context.Context, viewer, id string) (Review, casework.Record, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Review{}, casework.Record{}, err
	}
	c, err := s.cases.Get(ctx, viewer, r.CaseID)
	if derrors.CodeOf(err) == derrors.NotFound {
		return Review{}, casework.Record{}, derrors.New(derrors.NotFound, "no evidence review %s", id)
	}
	return r, c, err
}

// Get returns a review for everyone who sees its case. Errors: derrors.NotFound.
func (s *Service) Get(ctx context.Context, viewer, id string) (Review, error) {
	r, _, err := s.visible(ctx, viewer, id)
	return r, err
}

// List returns the reviews of a case for everyone who sees the case, newest first (ties by id).
// Errors: derrors.NotFound.
func (s *Service) List(ctx context.Context, viewer, caseID string, after *Cursor, limit int) ([]Review, error) {
	if _, err := s.cases.Get(ctx, viewer, caseID); err != nil {
		return nil, err
	}
	return s.store.List(ctx, caseID, after, limit)
}

// Answer is the answer to a return by the officer holding the case or the street's team leader,
// judged by CheckAnswer; online and offline (evidence_review.answer@1) alike. Errors:
// derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict (not a return waiting
// for its answer, or another version).
func (s *Service) Answer(ctx context.Context, userID, id string, a AnswerRequest) (Review, error) {
	now := s.instant()
	r, c, err := s.visible(ctx, userID, id)
	if err != nil {
		return Review{}, err
	}
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Review{}, err
	}
	leads := sc.Role == org.RoleTeamLeader && sc.StreetCode == c.StreetCode
	holds := sc.Role == org.RoleOfficer && sc.OfficerCode != "" && c.Assignee == casework.Receiver{Kind: casework.ReceiverOfficer, Code: sc.OfficerCode}
	if !leads && !holds {
		return Review{}, derrors.New(derrors.Forbidden, "only the officer holding the case or the team leader answers a return")
	}
	evidence, err := s.caseEvidence(ctx, c)
	if err != nil {
		return Review{}, err
	}
	if err := CheckAnswer(r, a, evidence); err != nil {
		return Review{}, err
	}
	ids := slices.Clone(a.EvidenceIDs)
	if ids == nil {
		ids = []string{}
	}
	base := r.Version
	r.Status, r.Version = StatusAnswered, r.Version+1
	r.Answer = &Answer{Note: a.Note, EvidenceIDs: ids, By: userID, At: now}
	ch := Change{Review: r, Action: "evidence_review.answer", StreetCode: c.StreetCode, Scopes: scopes(c)}
	if err := s.store.Update(ctx, ch, base); err != nil {
		return Review{}, err
	}
	return r, nil
}

// MutationAnswer is the sync mutation of an answer recorded on the phone: args are the body of
// POST /v1/evidence-reviews/{review_id}/answer, the entity is the review.
const MutationAnswer = "evidence_review.answer@1"

// AnswerArgs are the args of evidence_review.answer@1 (the contract's EvidenceReviewAnswer).
type AnswerArgs struct {
	Note        string   `json:"note"`
	EvidenceIDs []string `json:"evidence_ids,omitempty"`
	Version     int      `json:"version,omitempty"`
}

// SyncHandlers are the review mutations as sync handlers, applied by the same command as online
// (Service.Answer) with the same verdicts.
func SyncHandlers(s *Service) map[string]wsync.Handler {
	return map[string]wsync.Handler{
		MutationAnswer: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a AnswerArgs
			if err := inspection.DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			r, err := s.Answer(ctx, act.UserID, act.EntityID, AnswerRequest(a))
			return wsync.Outcome{State: r}, err
		},
	}
}
