package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// Cases is what the API needs of case handling.
type Cases struct {
	Service *casework.Service
}

// caseETag is the strong entity tag of a case: its id and version, which every change moves.
func caseETag(r casework.Record) *string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("case:%s:%d", r.ID, r.Version)))
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return &tag
}

// checkCaseIfMatch refuses a change of case id whose If-Match (nil: none sent) names none of
// its current state: derrors.PreconditionFailed (412).
func (s *server) checkCaseIfMatch(ctx context.Context, ifMatch *string, id string) error {
	if ifMatch == nil {
		return nil
	}
	c, err := callerFrom(ctx)
	if err != nil {
		return err
	}
	r, err := s.cases.Service.Get(ctx, c.user.ID, id)
	if err != nil {
		return err
	}
	current := *caseETag(r)
	if matchesETag(*ifMatch, current) {
		return nil
	}
	return derrors.New(derrors.PreconditionFailed, "the case changed since it was read (If-Match %s, now %s): read it again", *ifMatch, current)
}

// caseRefusal is a refused move answered with what is missing (`refusal` of the problem).
type caseRefusal struct {
	*casework.RefusalError
}

func (e caseRefusal) extendProblem(p map[string]any) {
	te := e.Refusal
	p["refusal"] = refusalOut(te)
}

// caseDuplicates is a refused intake answered with the open cases it looks like.
type caseDuplicates struct {
	*casework.DuplicatesError
}

func (e caseDuplicates) extendProblem(p map[string]any) {
	p["duplicates"] = e.Duplicates
}

// caseError gives a refused move its refusal member, a refused intake its duplicates.
func caseError(err error) error {
	var re *casework.RefusalError
	if errors.As(err, &re) {
		return caseRefusal{re}
	}
	var de *casework.DuplicatesError
	if errors.As(err, &de) {
		return caseDuplicates{de}
	}
	return err
}

// IntakeCase takes a problem in as a case.
func (s *server) IntakeCase(ctx context.Context, req openapi.IntakeCaseRequestObject) (openapi.IntakeCaseResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := *req.Body
	id := uuid.NewString()
	if b.Id != nil {
		id = b.Id.String()
	}
	var r casework.Record
	switch {
	case b.InspectionId != nil && b.Source != nil:
		return nil, derrors.Invalidf("/source", "a case comes from an inspection record or a grid source, not both")
	case b.InspectionId != nil:
		st, err := s.inspections.Service.Get(ctx, c.user.ID, b.InspectionId.String())
		if err != nil {
			return nil, err
		}
		r, err = s.cases.Service.OpenFromInspection(ctx, c.user.ID, id, casework.FactsOfInspection(st), deref(b.MatterCode))
		if err != nil {
			return nil, err
		}
	case b.Source == nil:
		return nil, derrors.Invalidf("/source", "a case has a source (or inspection_id)")
	default:
		if b.MatterCode == nil {
			return nil, derrors.Invalidf("/matter_code", "a case names its matter")
		}
		if b.Location == nil {
			return nil, derrors.Invalidf("/location", "a case says where the problem is")
		}
		if b.MergeInto != nil {
			r, err = s.cases.Service.AddSource(ctx, c.user.ID, b.MergeInto.String(), intakeIn(id, b))
			if err != nil {
				return nil, err
			}
			out, err := caseOut(r, nil)
			return openapi.IntakeCase200JSONResponse{Body: out, Headers: openapi.IntakeCase200ResponseHeaders{ETag: caseETag(r)}}, err
		}
		r, err = s.cases.Service.Intake(ctx, c.user.ID, intakeIn(id, b))
		if err != nil {
			return nil, caseError(err)
		}
	}
	out, err := caseOut(r, nil)
	return openapi.IntakeCase201JSONResponse{Body: out, Headers: openapi.IntakeCase201ResponseHeaders{ETag: caseETag(r)}}, err
}

// ListCases lists the cases the caller may see.
func (s *server) ListCases(ctx context.Context, req openapi.ListCasesRequestObject) (openapi.ListCasesResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	pg, err := pageOf("cases", p.Cursor, p.Limit)
	if err != nil {
		return nil, err
	}
	q := casework.ListQuery{DepartmentCode: deref(p.Department), AssignedToMe: deref(p.AssignedToMe), Limit: pg.fetch()}
	if p.State != nil {
		q.State = casework.State(*p.State)
	}
	if a := pg.after; a != nil {
		q.After = &casework.Cursor{CreatedAt: a.At, ID: a.ID}
	}
	list, err := s.cases.Service.List(ctx, c.user.ID, q)
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(r casework.Record) position { return position{At: r.CreatedAt, ID: r.ID} })
	out, err := convertAllErr(list, func(r casework.Record) (openapi.Case, error) { return caseOut(r, nil) })
	return openapi.ListCases200JSONResponse{Body: orEmpty(out), Headers: openapi.ListCases200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, err
}

// GetCase returns one case with its history and, for those who see the street's deadlines, its
// statutory deadlines judged now.
func (s *server) GetCase(ctx context.Context, req openapi.GetCaseRequestObject) (openapi.GetCaseResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	r, evs, err := s.cases.Service.History(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []casework.Event{}
	}
	out, err := caseOut(r, evs)
	if err != nil {
		return nil, err
	}
	if access.Deadline(sc, r.StreetCode) {
		if out.Deadlines, err = s.caseDeadlines(ctx, r); err != nil {
			return nil, err
		}
	}
	return openapi.GetCase200JSONResponse{Body: out, Headers: openapi.GetCase200ResponseHeaders{ETag: caseETag(r)}}, nil
}

// caseDeadlines are the statutory deadlines of case r, judged now, the soonest first.
func (s *server) caseDeadlines(ctx context.Context, r casework.Record) (*[]openapi.Deadline, error) {
	list, err := s.deadlines.List(ctx, postgres.DeadlineFilter{StreetCode: r.StreetCode,
		Subject: &casework.DeadlineSubject{Kind: casework.SubjectCase, ID: r.ID}, Limit: casework.MaxPage}) // a case has a handful
	if err != nil {
		return nil, err
	}
	out := make([]openapi.Deadline, len(list))
	for i, st := range list {
		if out[i], err = s.deadlineOut(st); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// onCase makes an act on case id as the caller, after the If-Match check (ifMatch nil: none
// sent): the case after the act, as the caller sees it, and its entity tag.
func (s *server) onCase(ctx context.Context, id string, ifMatch *string, act func(user, id string) (casework.Record, error)) (openapi.Case, *string, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return openapi.Case{}, nil, err
	}
	if err := s.checkCaseIfMatch(ctx, ifMatch, id); err != nil {
		return openapi.Case{}, nil, err
	}
	r, err := act(c.user.ID, id)
	if err != nil {
		return openapi.Case{}, nil, caseError(err)
	}
	out, err := caseOut(r, nil)
	return out, caseETag(r), err
}

// TransitionCase moves a case to another state.
func (s *server) TransitionCase(ctx context.Context, req openapi.TransitionCaseRequestObject) (openapi.TransitionCaseResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Transition(ctx, user, id, moveIn(*req.Body))
	})
	if err != nil {
		return nil, err
	}
	return openapi.TransitionCase200JSONResponse{Body: out, Headers: openapi.TransitionCase200ResponseHeaders{ETag: tag}}, nil
}

// ReassignCase is the team leader's reassignment.
func (s *server) ReassignCase(ctx context.Context, req openapi.ReassignCaseRequestObject) (openapi.ReassignCaseResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Reassign(ctx, user, id, deref(req.Body.BaseVersion), req.Body.OfficerCode, req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.ReassignCase200JSONResponse{Body: out, Headers: openapi.ReassignCase200ResponseHeaders{ETag: tag}}, nil
}

// ObjectToCase is the receiver's objection.
func (s *server) ObjectToCase(ctx context.Context, req openapi.ObjectToCaseRequestObject) (openapi.ObjectToCaseResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Object(ctx, user, id, deref(req.Body.BaseVersion), req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.ObjectToCase200JSONResponse{Body: out, Headers: openapi.ObjectToCase200ResponseHeaders{ETag: tag}}, nil
}

// ChangeCaseMatter re-categorises a case; it is routed again.
func (s *server) ChangeCaseMatter(ctx context.Context, req openapi.ChangeCaseMatterRequestObject) (openapi.ChangeCaseMatterResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.ChangeMatter(ctx, user, id, deref(req.Body.BaseVersion), req.Body.MatterCode, req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.ChangeCaseMatter200JSONResponse{Body: out, Headers: openapi.ChangeCaseMatter200ResponseHeaders{ETag: tag}}, nil
}

// AddCaseNote adds a note to a case's history.
func (s *server) AddCaseNote(ctx context.Context, req openapi.AddCaseNoteRequestObject) (openapi.AddCaseNoteResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), nil, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Note(ctx, user, id, req.Body.Text)
	})
	if err != nil {
		return nil, err
	}
	return openapi.AddCaseNote200JSONResponse{Body: out, Headers: openapi.AddCaseNote200ResponseHeaders{ETag: tag}}, nil
}

// RecordCaseSatisfaction records the reporter's answer on a work order's return call, beside
// the case (its ETag does not move).
func (s *server) RecordCaseSatisfaction(ctx context.Context, req openapi.RecordCaseSatisfactionRequestObject) (openapi.RecordCaseSatisfactionResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	q := casework.SatisfactionRequest{Answer: casework.Answer(req.Body.Answer), Note: deref(req.Body.Note)}
	if req.Body.At != nil {
		q.At = *req.Body.At
	}
	a, err := s.cases.Service.RecordSatisfaction(ctx, c.user.ID, req.Id.String(), q)
	if err != nil {
		return nil, err
	}
	caseID, err := idOut("case id", a.CaseID)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "return call answer")
	}
	by, err := idOut("recorded_by", a.RecordedBy)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "return call answer")
	}
	return openapi.RecordCaseSatisfaction201JSONResponse{CaseId: caseID, Answer: openapi.CaseSatisfactionAnswer(a.Answer), At: a.At,
		Note: optional(a.Note), RecordedBy: by, RecordedAt: a.RecordedAt}, nil
}

// NotifyCaseParty records the art. 44 notification (or its waiver).
func (s *server) NotifyCaseParty(ctx context.Context, req openapi.NotifyCasePartyRequestObject) (openapi.NotifyCasePartyResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Notify(ctx, user, id, deref(req.Body.BaseVersion), deref(req.Body.Waived), deref(req.Body.Note))
	})
	if err != nil {
		return nil, err
	}
	return openapi.NotifyCaseParty200JSONResponse{Body: out, Headers: openapi.NotifyCaseParty200ResponseHeaders{ETag: tag}}, nil
}

// MergeCase merges a clue into another case.
func (s *server) MergeCase(ctx context.Context, req openapi.MergeCaseRequestObject) (openapi.MergeCaseResponseObject, error) {
	out, tag, err := s.onCase(ctx, req.Id.String(), req.Params.IfMatch, func(user, id string) (casework.Record, error) {
		return s.cases.Service.Merge(ctx, user, id, deref(req.Body.BaseVersion), req.Body.Into.String(), req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.MergeCase200JSONResponse{Body: out, Headers: openapi.MergeCase200ResponseHeaders{ETag: tag}}, nil
}
