package api

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// admin returns an error unless the caller is an administrator.
func (s *server) admin(ctx context.Context) error {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return err
	}
	if !access.Admin(sc) {
		return errAdminOnly
	}
	return nil
}

// importRejected is the 422 of a rejected import: a problem carrying the report.
type importRejected struct {
	err    *derrors.Error
	report org.Report
}

func (e importRejected) Error() string                  { return e.err.Error() }
func (e importRejected) Unwrap() error                  { return e.err }
func (e importRejected) extendProblem(p map[string]any) { p["report"] = importReportOut(e.report) }

// ImportDataset imports organization data from JSON or CSV, whole or not at all.
func (s *server) ImportDataset(ctx context.Context, req openapi.ImportDatasetRequestObject) (openapi.ImportDatasetResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	var ds org.Dataset
	switch {
	case req.JSONBody != nil:
		ds = datasetIn(*req.JSONBody)
	case req.Body != nil:
		if req.Params.Section == nil {
			// The contract's 422 of an import is an ImportProblem: it carries the report.
			const msg = "a CSV import names its section: officers, certificates or matters"
			rep := org.Report{Counts: map[org.Section]int{}}
			rep.Reject("", 0, "", "section", string(derrors.Invalid), msg)
			e := rejected(rep).(importRejected)
			e.err.Fields = []derrors.FieldError{{Field: "section", Message: msg}}
			return nil, e
		}
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		var rep org.Report
		ds, rep = org.ParseCSV(org.Section(*req.Params.Section), bytes.NewReader(b))
		if len(rep.Rejected) > 0 {
			return nil, rejected(rep)
		}
	default:
		return nil, derrors.New(derrors.BadRequest, "no body")
	}
	rep, err := org.Import(ctx, s.org, s.passwords, ds)
	if err != nil {
		return nil, err
	}
	if !rep.Applied {
		return nil, rejected(rep)
	}
	return openapi.ImportDataset200JSONResponse(importReportOut(rep)), nil
}

func rejected(rep org.Report) error {
	if rep.Rejected == nil {
		rep.Rejected = []org.RowError{}
	}
	return importRejected{
		err:    derrors.New(derrors.Invalid, "import rejected: %d row(s) at fault, nothing was written", len(rep.Rejected)),
		report: rep,
	}
}

// CreateCertificate records one certificate.
func (s *server) CreateCertificate(ctx context.Context, req openapi.CreateCertificateRequestObject) (openapi.CreateCertificateResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	c := certificateIn(*req.Body)
	rep, err := org.Import(ctx, s.org, s.passwords, org.Dataset{Certificates: []org.Certificate{c}})
	if err != nil {
		return nil, err
	}
	if err := rep.Err(); err != nil {
		return nil, err
	}
	stored, err := s.org.Certificate(ctx, c.OfficerCode, c.Number)
	if err != nil {
		return nil, err
	}
	return openapi.CreateCertificate201JSONResponse(certificateOut(stored)), nil
}

// SetCertificateStatus suspends, revokes or reinstates a certificate.
func (s *server) SetCertificateStatus(ctx context.Context, req openapi.SetCertificateStatusRequestObject) (openapi.SetCertificateStatusResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	since := s.atOrNow(req.Body.Since)
	c, err := s.org.SetCertificateStatus(ctx, req.Number, string(req.Body.Status), since, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return openapi.SetCertificateStatus200JSONResponse(certificateOut(c)), nil
}

// AddMatterVersion adds a matter or its next version.
func (s *server) AddMatterVersion(ctx context.Context, req openapi.AddMatterVersionRequestObject) (openapi.AddMatterVersionResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	got, err := s.org.AddMatterVersion(ctx, matterIn(*req.Body))
	if err != nil {
		return nil, err
	}
	return openapi.AddMatterVersion201JSONResponse(matterOut(got)), nil
}

// SetPolicy sets a department's procedure policy from a moment on.
func (s *server) SetPolicy(ctx context.Context, req openapi.SetPolicyRequestObject) (openapi.SetPolicyResponseObject, error) {
	if err := s.admin(ctx); err != nil {
		return nil, err
	}
	p := policyIn(*req.Body)
	p.Policy.Department = p.DepartmentCode
	// Acts already judged keep the policy they were judged under: a change
	// takes effect from now on, never in the past.
	if p.ValidFrom.Before(s.now().Add(-time.Minute)) {
		return nil, derrors.Invalidf("/valid_from", "a policy change takes effect from now on; valid_from %s is in the past", p.ValidFrom.Format(time.RFC3339))
	}
	rep, err := org.Import(ctx, s.org, s.passwords, org.Dataset{Policies: []org.Policy{p}})
	if err != nil {
		return nil, err
	}
	if err := rep.Err(); err != nil {
		return nil, err
	}
	return openapi.SetPolicy201JSONResponse(policyOut(p)), nil
}
