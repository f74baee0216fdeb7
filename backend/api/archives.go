package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/openapi"
)

// archiveIncomplete is a refused closing answered with what is missing (`missing` of the
// problem).
type archiveIncomplete struct {
	*archive.IncompleteError
}

func (e archiveIncomplete) extendProblem(p map[string]any) {
	p["missing"] = e.Missing
}

// archiveError gives a refused closing its missing member.
func archiveError(err error) error {
	var ie *archive.IncompleteError
	if errors.As(err, &ie) {
		return archiveIncomplete{ie}
	}
	return err
}

// convertJSON converts a domain value to its contract type through their shared JSON form.
func convertJSON[T any](v any, what string) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "encode "+what)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "convert "+what)
	}
	return out, nil
}

// CheckCaseArchive runs the completeness check of a case's archive now.
func (s *server) CheckCaseArchive(ctx context.Context, req openapi.CheckCaseArchiveRequestObject) (openapi.CheckCaseArchiveResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, res, err := s.archives.Check(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	check, err := convertJSON[openapi.ArchiveCheckResult](res, "archive check")
	if err != nil {
		return nil, err
	}
	return openapi.CheckCaseArchive200JSONResponse{CaseId: req.Id, State: openapi.CaseState(r.State), Check: check}, nil
}

// CloseCaseArchive closes a case into its archive, by the team leader.
func (s *server) CloseCaseArchive(ctx context.Context, req openapi.CloseCaseArchiveRequestObject) (openapi.CloseCaseArchiveResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	id := req.Id.String()
	if err := s.checkCaseIfMatch(ctx, req.Params.IfMatch, id); err != nil {
		return nil, err
	}
	a, err := s.archives.Close(ctx, c.user.ID, id, req.Body.Version)
	if err != nil {
		return nil, archiveError(err)
	}
	out, err := convertJSON[openapi.Archive](a, "archive")
	return openapi.CloseCaseArchive201JSONResponse(out), err
}

// GetCaseArchive reads the archive of an archived case with its annexes.
func (s *server) GetCaseArchive(ctx context.Context, req openapi.GetCaseArchiveRequestObject) (openapi.GetCaseArchiveResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.archives.Get(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	out, err := convertJSON[openapi.Archive](a, "archive")
	return openapi.GetCaseArchive200JSONResponse(out), err
}

// AddCaseAnnex adds a correction or supplement to an archived case's archive.
func (s *server) AddCaseAnnex(ctx context.Context, req openapi.AddCaseAnnexRequestObject) (openapi.AddCaseAnnexResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	a := archive.Annex{ID: uuid.NewString(), Kind: archive.AnnexKind(b.Kind), Text: b.Text}
	for _, id := range deref(b.EvidenceIds) {
		a.EvidenceIDs = append(a.EvidenceIDs, id.String())
	}
	a, err = s.archives.AddAnnex(ctx, c.user.ID, req.Id.String(), a)
	if err != nil {
		return nil, err
	}
	out, err := convertJSON[openapi.Annex](a, "annex")
	return openapi.AddCaseAnnex201JSONResponse(out), err
}

// ExplainDeadline records why a deadline was late.
func (s *server) ExplainDeadline(ctx context.Context, req openapi.ExplainDeadlineRequestObject) (openapi.ExplainDeadlineResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.archives.Explain(ctx, c.user.ID, req.Id.String(), req.Body.Reason)
	if err != nil {
		return nil, err
	}
	out, err := convertJSON[openapi.DeadlineExplanation](e, "deadline explanation")
	return openapi.ExplainDeadline201JSONResponse(out), err
}
