package api

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// Deadlines is what the deadline routes need: the store of statutory
// deadlines (postgres.DeadlineStore), judged with its rules.
type Deadlines interface {
	Get(ctx context.Context, id string) (postgres.Stored, error)
	List(ctx context.Context, f postgres.DeadlineFilter) ([]postgres.Stored, error)
	Pause(ctx context.Context, id string, version int, reason string) (postgres.Stored, error)
	Resume(ctx context.Context, id string, version int, reason string) (postgres.Stored, error)
	Rules() postgres.DeadlineRules
}

// deadlineETag is the strong entity tag of a deadline: its id and version.
func deadlineETag(d casework.Deadline) string {
	return `"` + d.ID + "." + strconv.Itoa(d.Version) + `"`
}

// deadlineOut is st judged now, in the contract's form.
func (s *server) deadlineOut(st postgres.Stored) (openapi.Deadline, error) {
	r := s.deadlines.Rules()
	j, err := st.Deadline.Judge(r.Calendar, r.Policy.DueSoon, s.now())
	if err != nil {
		return openapi.Deadline{}, derrors.Wrap(err, derrors.Internal, "judge deadline")
	}
	state, due := j.State, j.Due
	if st.State == casework.DeadlineOverdue && state != casework.DeadlineMet {
		state = casework.DeadlineOverdue // escalated stays so until met
	}
	b, err := json.Marshal(postgres.NewDeadlineFeed(st.Deadline, state, due, nil))
	if err != nil {
		return openapi.Deadline{}, err
	}
	var out openapi.Deadline
	if err := json.Unmarshal(b, &out); err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "convert deadline")
	}
	if j.DueSoon && state == casework.DeadlineOpen {
		soon := true
		out.DueSoon = &soon
	}
	return out, nil
}

// ListDeadlines lists the deadlines of the caller's street, the soonest first.
func (s *server) ListDeadlines(ctx context.Context, req openapi.ListDeadlinesRequestObject) (openapi.ListDeadlinesResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	street, ok := access.ListDeadlines(sc)
	if !ok {
		return nil, derrors.New(derrors.Forbidden, "deadlines are listed to the street's officers and team leader")
	}
	p := req.Params
	f := postgres.DeadlineFilter{StreetCode: street}
	if p.State != nil {
		f.State = string(*p.State)
	}
	switch {
	case p.SubjectKind != nil && p.SubjectId != nil:
		f.Subject = &casework.DeadlineSubject{Kind: string(*p.SubjectKind), ID: *p.SubjectId}
	case p.SubjectKind != nil || p.SubjectId != nil:
		return nil, &derrors.Error{Code: derrors.BadRequest, Message: "subject_kind and subject_id go together",
			Fields: []derrors.FieldError{{Field: "subject_id", Message: "give both subject_kind and subject_id, or neither"}}}
	}
	pg, err := pageOf("deadlines", p.Cursor, p.Limit)
	if err != nil {
		return nil, err
	}
	f.Limit = pg.fetch()
	if a := pg.after; a != nil {
		f.AfterDue, f.AfterID = a.At, a.ID
	}
	list, err := s.deadlines.List(ctx, f)
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(st postgres.Stored) position { return position{At: st.Due, ID: st.Deadline.ID} })
	out := make([]openapi.Deadline, len(list))
	for i, st := range list {
		if out[i], err = s.deadlineOut(st); err != nil {
			return nil, err
		}
	}
	return openapi.ListDeadlines200JSONResponse{Body: out, Headers: openapi.ListDeadlines200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// visibleDeadline is deadline id if the caller may see it, else derrors.NotFound.
func (s *server) visibleDeadline(ctx context.Context, id string) (postgres.Stored, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return postgres.Stored{}, err
	}
	st, err := s.deadlines.Get(ctx, id)
	if err != nil {
		return st, err
	}
	if !access.Deadline(sc, st.Deadline.StreetCode) {
		return postgres.Stored{}, derrors.New(derrors.NotFound, "no deadline %s", id)
	}
	return st, nil
}

// GetDeadline returns one deadline, judged now.
func (s *server) GetDeadline(ctx context.Context, req openapi.GetDeadlineRequestObject) (openapi.GetDeadlineResponseObject, error) {
	st, err := s.visibleDeadline(ctx, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := s.deadlineOut(st)
	return openapi.GetDeadline200JSONResponse{Body: out, Headers: openapi.GetDeadline200ResponseHeaders{ETag: deadlineETag(st.Deadline)}}, err
}

// actOnDeadline checks that the caller, the street's team leader, may act on deadline id as
// read (If-Match), then acts.
func (s *server) actOnDeadline(ctx context.Context, id string, ifMatch *string,
	act func(ctx context.Context) (postgres.Stored, error)) (openapi.Deadline, string, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return openapi.Deadline{}, "", err
	}
	st, err := s.deadlines.Get(ctx, id)
	if err != nil {
		return openapi.Deadline{}, "", err
	}
	known, may := access.PauseDeadline(sc, st.Deadline.StreetCode)
	switch {
	case !known:
		return openapi.Deadline{}, "", derrors.New(derrors.NotFound, "no deadline %s", id)
	case !may:
		return openapi.Deadline{}, "", derrors.New(derrors.Forbidden, "only the street's team leader pauses and resumes deadlines")
	}
	if ifMatch != nil && !etagMatches(*ifMatch, deadlineETag(st.Deadline)) {
		return openapi.Deadline{}, "", derrors.New(derrors.PreconditionFailed, "the deadline changed since it was read")
	}
	after, err := act(ctx)
	if err != nil {
		return openapi.Deadline{}, "", err
	}
	out, err := s.deadlineOut(after)
	return out, deadlineETag(after.Deadline), err
}

// PauseDeadline stops a deadline, by the team leader, with the reason.
func (s *server) PauseDeadline(ctx context.Context, req openapi.PauseDeadlineRequestObject) (openapi.PauseDeadlineResponseObject, error) {
	id := req.Id.String()
	out, tag, err := s.actOnDeadline(ctx, id, req.Params.IfMatch, func(ctx context.Context) (postgres.Stored, error) {
		return s.deadlines.Pause(ctx, id, req.Body.Version, req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.PauseDeadline200JSONResponse{Body: out, Headers: openapi.PauseDeadline200ResponseHeaders{ETag: tag}}, nil
}

// ResumeDeadline restarts a paused deadline, by the team leader, with the reason.
func (s *server) ResumeDeadline(ctx context.Context, req openapi.ResumeDeadlineRequestObject) (openapi.ResumeDeadlineResponseObject, error) {
	id := req.Id.String()
	out, tag, err := s.actOnDeadline(ctx, id, req.Params.IfMatch, func(ctx context.Context) (postgres.Stored, error) {
		return s.deadlines.Resume(ctx, id, req.Body.Version, req.Body.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.ResumeDeadline200JSONResponse{Body: out, Headers: openapi.ResumeDeadline200ResponseHeaders{ETag: tag}}, nil
}
