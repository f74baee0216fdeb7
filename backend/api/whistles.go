package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/openapi"
)

// Whistles is what the API needs of whistles and reports (吹哨/报到).
type Whistles struct {
	Service *whistle.Service
}

// whistleOut is a whistle in the contract's shape. The domain's JSON is the contract's (field
// for field, as the response validation of every API test checks), as it is for the whistle
// published to the phones.
func whistleOut(w whistle.Whistle) (openapi.Whistle, error) {
	b, err := json.Marshal(w)
	if err != nil {
		return openapi.Whistle{}, err
	}
	var out openapi.Whistle
	if err := json.Unmarshal(b, &out); err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "convert whistle")
	}
	return out, nil
}

// whistleLocationIn is a location sent.
func whistleLocationIn(l *openapi.WhistleLocation) *whistle.Location {
	if l == nil {
		return nil
	}
	return &whistle.Location{Address: deref(l.Address), Lat: l.Lat, Lng: l.Lng}
}

// whistleRequestIn is a whistle asked for.
func whistleRequestIn(b openapi.WhistleRequest) whistle.RaiseRequest {
	r := whistle.RaiseRequest{Type: whistle.Type(b.Type), Scope: whistle.Scope(b.Scope), Source: whistle.Source(b.Source),
		Channel: b.Channel, Description: b.Description, Location: whistleLocationIn(b.Location), Receiver: b.Receiver,
		Opinion: deref(b.Opinion), Departments: b.Departments}
	if b.CaseId != nil {
		r.CaseID = b.CaseId.String()
	}
	if f := b.Filing; f != nil {
		r.Filing = &whistle.Filing{FiledAt: f.FiledAt, FiledBy: f.FiledBy, Reference: f.Reference}
	}
	return r
}

// uuids are ids sent as text.
func uuids(ids *[]uuid.UUID) []string {
	var out []string
	for _, id := range deref(ids) {
		out = append(out, id.String())
	}
	return out
}

// CreateWhistle raises a whistle.
func (s *server) CreateWhistle(ctx context.Context, req openapi.CreateWhistleRequestObject) (openapi.CreateWhistleResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	w, err := s.whistles.Service.Raise(ctx, c.user.ID, whistleRequestIn(*req.Body))
	if err != nil {
		return nil, err
	}
	out, err := whistleOut(w)
	return openapi.CreateWhistle201JSONResponse(out), err
}

// ListWhistles lists the whistles the caller sees, newest first.
func (s *server) ListWhistles(ctx context.Context, req openapi.ListWhistlesRequestObject) (openapi.ListWhistlesResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf("whistles", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := whistle.Filter{Scope: whistle.Scope(deref(p.Scope)), Type: whistle.Type(deref(p.Type)), State: whistle.State(deref(p.State)),
		Calls: deref(p.Department), Limit: pg.fetch()}
	if a := pg.after; a != nil {
		f.After = &whistle.Cursor{At: a.At, ID: a.ID}
	}
	list, err := s.whistles.Service.List(ctx, c.user.ID, f)
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(w whistle.Whistle) position { return position{At: w.RaisedAt, ID: w.ID} })
	out, err := convertAllErr(list, whistleOut)
	return openapi.ListWhistles200JSONResponse{Body: orEmpty(out), Headers: openapi.ListWhistles200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, err
}

// GetWhistle returns one whistle.
func (s *server) GetWhistle(ctx context.Context, req openapi.GetWhistleRequestObject) (openapi.GetWhistleResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	w, err := s.whistles.Service.Get(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := whistleOut(w)
	return openapi.GetWhistle200JSONResponse(out), err
}

// whistleAct runs an act on a whistle as the caller and returns the whistle after it.
func (s *server) whistleAct(ctx context.Context, act func(userID string) (whistle.Whistle, error)) (openapi.Whistle, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return openapi.Whistle{}, err
	}
	w, err := act(c.user.ID)
	if err != nil {
		return openapi.Whistle{}, err
	}
	return whistleOut(w)
}

// ReportWhistleStep records a called department's step.
func (s *server) ReportWhistleStep(ctx context.Context, req openapi.ReportWhistleStepRequestObject) (openapi.ReportWhistleStepResponseObject, error) {
	b := req.Body
	r := whistle.ReportRequest{DepartmentCode: b.DepartmentCode, Step: whistle.Step(b.Step), Location: whistleLocationIn(b.Location),
		Result: deref(b.Result), EvidenceIDs: uuids(b.EvidenceIds)}
	if b.At != nil {
		r.At = *b.At
	}
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Report(ctx, user, req.Id.String(), r)
	})
	return openapi.ReportWhistleStep200JSONResponse(out), err
}

// ObjectToWhistle records a called department's objection.
func (s *server) ObjectToWhistle(ctx context.Context, req openapi.ObjectToWhistleRequestObject) (openapi.ObjectToWhistleResponseObject, error) {
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Object(ctx, user, req.Id.String(), req.Body.DepartmentCode, req.Body.Reasons)
	})
	return openapi.ObjectToWhistle200JSONResponse(out), err
}

// RuleOnWhistleObjection is the street's ruling on an objection.
func (s *server) RuleOnWhistleObjection(ctx context.Context, req openapi.RuleOnWhistleObjectionRequestObject) (openapi.RuleOnWhistleObjectionResponseObject, error) {
	b := req.Body
	r := whistle.RulingRequest{DepartmentCode: b.DepartmentCode, Outcome: whistle.Outcome(b.Outcome), Departments: deref(b.Departments), Reason: deref(b.Reason)}
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Rule(ctx, user, req.Id.String(), r)
	})
	return openapi.RuleOnWhistleObjection200JSONResponse(out), err
}

// AddWhistleProgress adds a progress note.
func (s *server) AddWhistleProgress(ctx context.Context, req openapi.AddWhistleProgressRequestObject) (openapi.AddWhistleProgressResponseObject, error) {
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Note(ctx, user, req.Id.String(), req.Body.Text)
	})
	return openapi.AddWhistleProgress200JSONResponse(out), err
}

// CloseWhistle closes a whistle.
func (s *server) CloseWhistle(ctx context.Context, req openapi.CloseWhistleRequestObject) (openapi.CloseWhistleResponseObject, error) {
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Close(ctx, user, req.Id.String(), req.Body.Result, deref(req.Body.Reason))
	})
	return openapi.CloseWhistle200JSONResponse(out), err
}

// RateWhistle rates a closed whistle.
func (s *server) RateWhistle(ctx context.Context, req openapi.RateWhistleRequestObject) (openapi.RateWhistleResponseObject, error) {
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Rate(ctx, user, req.Id.String(), whistle.Rating(req.Body.Rating), deref(req.Body.Comment))
	})
	return openapi.RateWhistle200JSONResponse(out), err
}

// RecordWhistleSatisfaction records a hotline resident's answer.
func (s *server) RecordWhistleSatisfaction(ctx context.Context, req openapi.RecordWhistleSatisfactionRequestObject) (openapi.RecordWhistleSatisfactionResponseObject, error) {
	var at time.Time
	if req.Body.At != nil {
		at = *req.Body.At
	}
	out, err := s.whistleAct(ctx, func(user string) (whistle.Whistle, error) {
		return s.whistles.Service.Satisfaction(ctx, user, req.Id.String(), whistle.Answer(req.Body.Answer), at)
	})
	return openapi.RecordWhistleSatisfaction200JSONResponse(out), err
}
