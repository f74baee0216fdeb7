package api

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/openapi"
)

// EvidenceReviews is what the API needs of the department reviews of cases' evidence.
type EvidenceReviews struct {
	Service *review.Service
}

// evidenceReviewETag is the strong entity tag of a review: its id and version.
func evidenceReviewETag(r review.Review) string {
	return `"` + r.ID + "." + strconv.Itoa(r.Version) + `"`
}

// evidenceReviewOut is a review in the contract's shape. The domain's JSON is the contract's
// (field for field, as the response validation of every API test checks), as it is for the
// review published to the phones.
func evidenceReviewOut(r review.Review) (openapi.EvidenceReview, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return openapi.EvidenceReview{}, err
	}
	var out openapi.EvidenceReview
	if err := json.Unmarshal(b, &out); err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "convert evidence review")
	}
	return out, nil
}

// evidenceReviewIn is a review asked for.
func evidenceReviewIn(b openapi.EvidenceReviewRequest) review.Request {
	req := review.Request{Verdict: review.Verdict(b.Verdict)}
	for _, it := range deref(b.Items) {
		item := review.Item{Reason: review.Reason(it.Reason), Note: deref(it.Note)}
		if it.EvidenceId != nil {
			item.EvidenceID = it.EvidenceId.String()
		}
		req.Items = append(req.Items, item)
	}
	return req
}

// CreateEvidenceReview is a department reviewer's review of a case's evidence.
func (s *server) CreateEvidenceReview(ctx context.Context, req openapi.CreateEvidenceReviewRequestObject) (openapi.CreateEvidenceReviewResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.reviews.Service.Create(ctx, c.user.ID, req.Id.String(), uuid.NewString(), evidenceReviewIn(*req.Body))
	if err != nil {
		return nil, err
	}
	out, err := evidenceReviewOut(r)
	return openapi.CreateEvidenceReview201JSONResponse{Body: out, Headers: openapi.CreateEvidenceReview201ResponseHeaders{ETag: evidenceReviewETag(r)}}, err
}

// ListEvidenceReviews lists the reviews of a case, newest first.
func (s *server) ListEvidenceReviews(ctx context.Context, req openapi.ListEvidenceReviewsRequestObject) (openapi.ListEvidenceReviewsResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf("evidence-reviews", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	var after *review.Cursor
	if a := pg.after; a != nil {
		after = &review.Cursor{At: a.At, ID: a.ID}
	}
	list, err := s.reviews.Service.List(ctx, c.user.ID, req.Id.String(), after, pg.fetch())
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(r review.Review) position { return position{At: r.At, ID: r.ID} })
	out, err := convertAllErr(list, evidenceReviewOut)
	return openapi.ListEvidenceReviews200JSONResponse{Body: orEmpty(out), Headers: openapi.ListEvidenceReviews200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, err
}

// GetEvidenceReview returns one review.
func (s *server) GetEvidenceReview(ctx context.Context, req openapi.GetEvidenceReviewRequestObject) (openapi.GetEvidenceReviewResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.reviews.Service.Get(ctx, c.user.ID, req.ReviewId.String())
	if err != nil {
		return nil, err
	}
	out, err := evidenceReviewOut(r)
	return openapi.GetEvidenceReview200JSONResponse{Body: out, Headers: openapi.GetEvidenceReview200ResponseHeaders{ETag: evidenceReviewETag(r)}}, err
}

// AnswerEvidenceReview is the answer to a return, after the If-Match check against the review
// as the caller may see it.
func (s *server) AnswerEvidenceReview(ctx context.Context, req openapi.AnswerEvidenceReviewRequestObject) (openapi.AnswerEvidenceReviewResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	id := req.ReviewId.String()
	if m := req.Params.IfMatch; m != nil {
		r, err := s.reviews.Service.Get(ctx, c.user.ID, id)
		if err != nil {
			return nil, err
		}
		if !etagMatches(*m, evidenceReviewETag(r)) {
			return nil, derrors.New(derrors.PreconditionFailed, "the evidence review changed since it was read (If-Match %s, now %s): read it again",
				*m, evidenceReviewETag(r))
		}
	}
	b := req.Body
	a := review.AnswerRequest{Note: b.Note, Version: deref(b.Version)}
	for _, e := range deref(b.EvidenceIds) {
		a.EvidenceIDs = append(a.EvidenceIDs, e.String())
	}
	r, err := s.reviews.Service.Answer(ctx, c.user.ID, id, a)
	if err != nil {
		return nil, err
	}
	out, err := evidenceReviewOut(r)
	return openapi.AnswerEvidenceReview200JSONResponse{Body: out, Headers: openapi.AnswerEvidenceReview200ResponseHeaders{ETag: evidenceReviewETag(r)}}, err
}
