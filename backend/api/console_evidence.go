package api

import (
	"context"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/console"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/openapi"
)

// consoleEvidence serves the console's evidence views through the API's own
// handlers (GET /v1/evidence/{id}/thumbnail, /content and /custody), so that
// a page reaches evidence by the same access rules and custody logging as
// the API, with no second path.
type consoleEvidence struct{ s *server }

// as is ctx with the console's signed-in user as the API's caller.
func as(ctx context.Context, u identity.User, cl identity.Claims) context.Context {
	return context.WithValue(ctx, userKey, caller{user: u, claims: cl})
}

// evidenceID parses an item id of a console URL: anything else is not found.
func evidenceID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return u, derrors.New(derrors.NotFound, "no evidence %s", id)
	}
	return u, nil
}

func (e consoleEvidence) Thumbnail(ctx context.Context, u identity.User, cl identity.Claims, id string) (console.Stream, error) {
	return e.stream(as(ctx, u, cl), id, func(ctx context.Context, eid uuid.UUID) (any, error) {
		return e.s.GetEvidenceThumbnail(ctx, openapi.GetEvidenceThumbnailRequestObject{EvidenceId: eid})
	})
}

func (e consoleEvidence) Content(ctx context.Context, u identity.User, cl identity.Claims, id string) (console.Stream, error) {
	return e.stream(as(ctx, u, cl), id, func(ctx context.Context, eid uuid.UUID) (any, error) {
		return e.s.GetEvidenceContent(ctx, openapi.GetEvidenceContentRequestObject{EvidenceId: eid})
	})
}

// stream is the stream a streaming handler h answers for item id.
func (e consoleEvidence) stream(ctx context.Context, id string, h func(context.Context, uuid.UUID) (any, error)) (console.Stream, error) {
	eid, err := evidenceID(id)
	if err != nil {
		return console.Stream{}, err
	}
	res, err := h(ctx, eid)
	if err != nil {
		return console.Stream{}, err
	}
	r, ok := res.(streamResponse)
	if !ok {
		return console.Stream{}, derrors.New(derrors.Internal, "evidence stream of type %T", res)
	}
	return console.Stream{Body: r.body, ContentType: r.contentType, Length: r.length}, nil
}

func (e consoleEvidence) Custody(ctx context.Context, u identity.User, cl identity.Claims, id string) ([]evidence.CustodyEntry, error) {
	eid, err := evidenceID(id)
	if err != nil {
		return nil, err
	}
	limit := console.CustodySize
	res, err := e.s.GetEvidenceCustody(as(ctx, u, cl), openapi.GetEvidenceCustodyRequestObject{EvidenceId: eid,
		Params: openapi.GetEvidenceCustodyParams{Limit: &limit}})
	if err != nil {
		return nil, err
	}
	r, ok := res.(openapi.GetEvidenceCustody200JSONResponse)
	if !ok {
		return nil, derrors.New(derrors.Internal, "custody of type %T", res)
	}
	out := make([]evidence.CustodyEntry, len(r.Body.Entries))
	for i, x := range r.Body.Entries {
		out[i] = evidence.CustodyEntry{ID: x.Id, EvidenceID: id, At: x.At, Event: string(x.Event), ActorUserID: deref(x.ActorUserId),
			DeviceID: deref(x.DeviceId), RequestID: deref(x.RequestId), Detail: x.Detail}
	}
	return out, nil
}
