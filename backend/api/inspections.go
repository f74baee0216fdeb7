package api

import (
	"context"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// Inspections is what the API needs of inspection records.
type Inspections struct {
	Service *inspection.Service
	Blocks  inspection.BlockLedger
}

func (s *server) actor(ctx context.Context) (inspection.Actor, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return inspection.Actor{}, err
	}
	return inspection.Actor{UserID: c.user.ID, DeviceID: c.claims.DeviceID}, nil
}

// RecordInspection records an inspection online, answering a record sent
// again as a sync push does (inspection.Service.RecordOnce): the same
// record is 200 with the stored one, another under its id 409
// entity_conflict.
func (s *server) RecordInspection(ctx context.Context, req openapi.RecordInspectionRequestObject) (openapi.RecordInspectionResponseObject, error) {
	who, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	st, dup, err := s.inspections.Service.RecordOnce(ctx, who, recordIn(*req.Body))
	if err != nil {
		return nil, err
	}
	out, err := inspectionOut(st)
	if dup {
		return openapi.RecordInspection200JSONResponse(out), err
	}
	return openapi.RecordInspection201JSONResponse(out), err
}

// ListInspections lists the inspections of the caller's street.
func (s *server) ListInspections(ctx context.Context, req openapi.ListInspectionsRequestObject) (openapi.ListInspectionsResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := inspection.Filter{TeamCode: deref(p.Team), MatterCode: deref(p.Matter), OfficerCode: deref(p.Officer)}
	if p.Status != nil {
		f.Status = inspection.Status(*p.Status)
	}
	if p.Review != nil {
		f.Review = inspection.Review(*p.Review)
	}
	if p.From != nil {
		f.From = *p.From
	}
	if p.To != nil {
		f.To = *p.To
	}
	pg, list, next, err := s.listInspections(ctx, c.user.ID, "inspections", f, p.Cursor, p.Limit)
	if err != nil {
		return nil, err
	}
	out, err := inspectionsOut(list)
	return openapi.ListInspections200JSONResponse{Body: out, Headers: openapi.ListInspections200ResponseHeaders{
		Link: nextLink(ctx, pg, next)}}, err
}

// ReviewQueue lists the records of the team leader's street awaiting review.
func (s *server) ReviewQueue(ctx context.Context, req openapi.ReviewQueueRequestObject) (openapi.ReviewQueueResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if !access.ReviewQueue(sc) {
		return nil, derrors.New(derrors.Forbidden, "the review queue is the team leader's")
	}
	// Oldest act first: the longest waiting on top, a page at a time.
	f := inspection.Filter{Review: inspection.ReviewPending, OldestFirst: true}
	pg, list, next, err := s.listInspections(ctx, c.user.ID, "review-queue", f, req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	out, err := inspectionsOut(list)
	return openapi.ReviewQueue200JSONResponse{Body: out, Headers: openapi.ReviewQueue200ResponseHeaders{
		Link: nextLink(ctx, pg, next)}}, err
}

// listInspections reads one page of the records f selects, in f's order
// (by act, ties by id): the page, its records and the next page's cursor.
func (s *server) listInspections(ctx context.Context, userID, list string, f inspection.Filter, cursor *string, limit *int) (page, []inspection.State, string, error) {
	pg, err := pageOf(list, cursor, limit)
	if err != nil {
		return pg, nil, "", err
	}
	f.Limit = pg.fetch()
	if a := pg.after; a != nil {
		f.After = &inspection.Cursor{ActAt: a.At, ID: a.ID}
	}
	states, err := s.inspections.Service.List(ctx, userID, f)
	if err != nil {
		return pg, nil, "", err
	}
	states, next := cut(pg, states, func(st inspection.State) position { return position{At: st.ActAt, ID: st.Record.ID} })
	return pg, states, next, nil
}

// GetInspection returns one record as the caller may see it.
func (s *server) GetInspection(ctx context.Context, req openapi.GetInspectionRequestObject) (openapi.GetInspectionResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.inspections.Service.Get(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := inspectionOut(st)
	return openapi.GetInspection200JSONResponse{Body: out, Headers: openapi.GetInspection200ResponseHeaders{ETag: inspectionETag(st)}}, err
}

// AmendInspection corrects a record: a new version.
func (s *server) AmendInspection(ctx context.Context, req openapi.AmendInspectionRequestObject) (openapi.AmendInspectionResponseObject, error) {
	who, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.checkIfMatch(ctx, req.Params.IfMatch, req.Id.String()); err != nil {
		return nil, err
	}
	a := amendmentIn(*req.Body)
	st, err := s.inspections.Service.Amend(ctx, who, req.Id.String(), a.BaseVersion, a.Reason, a.Record)
	if err != nil {
		return nil, err
	}
	out, err := inspectionOut(st)
	return openapi.AmendInspection200JSONResponse{Body: out, Headers: openapi.AmendInspection200ResponseHeaders{ETag: inspectionETag(st)}}, err
}

// ReviewInspection approves or returns a record.
func (s *server) ReviewInspection(ctx context.Context, req openapi.ReviewInspectionRequestObject) (openapi.ReviewInspectionResponseObject, error) {
	who, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.checkIfMatch(ctx, req.Params.IfMatch, req.Id.String()); err != nil {
		return nil, err
	}
	var reasons []string
	if req.Body.Reasons != nil {
		reasons = *req.Body.Reasons
	}
	st, err := s.inspections.Service.Decide(ctx, who, req.Id.String(), req.Body.Version, string(req.Body.Decision), reasons)
	if err != nil {
		return nil, err
	}
	out, err := inspectionOut(st)
	return openapi.ReviewInspection200JSONResponse{Body: out, Headers: openapi.ReviewInspection200ResponseHeaders{ETag: inspectionETag(st)}}, err
}

// InspectionHistory returns every version and the review loop.
func (s *server) InspectionHistory(ctx context.Context, req openapi.InspectionHistoryRequestObject) (openapi.InspectionHistoryResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	versions, reviews, err := s.inspections.Service.History(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := historyOut(versions, reviews)
	return openapi.InspectionHistory200JSONResponse(out), err
}

// InspectionDiff lists the fields that differ between two versions.
func (s *server) InspectionDiff(ctx context.Context, req openapi.InspectionDiffRequestObject) (openapi.InspectionDiffResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	versions, _, err := s.inspections.Service.History(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	find := func(n int, field string) (inspection.Record, error) {
		for _, v := range versions {
			if v.Version == n {
				return v.Record, nil
			}
		}
		return inspection.Record{}, derrors.Invalidf(field, "the record has no version %d", n)
	}
	a, err := find(req.Params.From, "from")
	if err != nil {
		return nil, err
	}
	b, err := find(req.Params.To, "to")
	if err != nil {
		return nil, err
	}
	changes, err := inspection.Diff(a, b)
	if err != nil {
		return nil, err
	}
	return openapi.InspectionDiff200JSONResponse(convertAll(changes, fieldChangeOut)), nil
}

// IssueNumberBlock gives the caller's device a block of document numbers.
func (s *server) IssueNumberBlock(ctx context.Context, req openapi.IssueNumberBlockRequestObject) (openapi.IssueNumberBlockResponseObject, error) {
	who, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	b, err := s.inspections.Service.IssueBlock(ctx, s.inspections.Blocks, who, string(req.Body.DocType), req.Body.Count)
	if err != nil {
		return nil, err
	}
	out, err := numberBlockOut(b)
	return openapi.IssueNumberBlock201JSONResponse(out), err
}

// NumberBlockReport reconciles a number block.
func (s *server) NumberBlockReport(ctx context.Context, req openapi.NumberBlockReportRequestObject) (openapi.NumberBlockReportResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := s.inspections.Service.Report(ctx, s.inspections.Blocks, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := blockReportOut(rep)
	return openapi.NumberBlockReport200JSONResponse(out), err
}

// VoidNumbers voids unused numbers of the caller's block.
func (s *server) VoidNumbers(ctx context.Context, req openapi.VoidNumbersRequestObject) (openapi.VoidNumbersResponseObject, error) {
	who, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := s.inspections.Service.Void(ctx, s.inspections.Blocks, who, req.Id.String(), req.Body.Numbers, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	out, err := blockReportOut(rep)
	return openapi.VoidNumbers200JSONResponse(out), err
}
