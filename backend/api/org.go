package api

import (
	"context"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// OrgStore is what the API needs of the organization's storage.
type OrgStore interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	Streets(ctx context.Context) ([]org.Street, error)
	Departments(ctx context.Context) ([]org.Department, error)
	MattersAt(ctx context.Context, at time.Time, department string) ([]org.MatterInForce, error)
	MatterAt(ctx context.Context, code string, at time.Time) (org.MatterInForce, error)
	MatterVersions(ctx context.Context, code string) ([]org.MatterInForce, error)
	PoliciesAt(ctx context.Context, at time.Time) (map[string]org.Policy, error)
	Roster(ctx context.Context, team string, at time.Time) (org.Roster, error)
	Officers(ctx context.Context, codes []string) ([]org.Member, error)
	TeamStreets(ctx context.Context) (map[string]string, error)
	TeamOfStreet(ctx context.Context, street string) (string, error)
	Import(ctx context.Context, ds org.Dataset, hashes map[string]string) (org.Report, error)
	SetCertificateStatus(ctx context.Context, number, status string, since time.Time, reason string) (org.Certificate, error)
	Certificate(ctx context.Context, officerCode, number string) (org.Certificate, error)
	AddMatterVersion(ctx context.Context, m org.Matter) (org.MatterInForce, error)
}

// readScope returns the caller's scope if it may read reference data.
func (s *server) readScope(ctx context.Context) (org.Scope, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return sc, err
	}
	if !access.ReferenceData(sc) {
		return sc, derrors.New(derrors.Forbidden, "this account may not read organization data")
	}
	return sc, nil
}

func (s *server) atOrNow(at *time.Time) time.Time {
	if at == nil {
		return s.now().UTC()
	}
	return at.UTC()
}

// ListStreets lists the district's streets.
func (s *server) ListStreets(ctx context.Context, _ openapi.ListStreetsRequestObject) (openapi.ListStreetsResponseObject, error) {
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	streets, err := s.org.Streets(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.ListStreets200JSONResponse(convertAll(streets, streetOut)), nil
}

// ListDepartments lists the departments.
func (s *server) ListDepartments(ctx context.Context, _ openapi.ListDepartmentsRequestObject) (openapi.ListDepartmentsResponseObject, error) {
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ds, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.ListDepartments200JSONResponse(convertAll(ds, departmentOut)), nil
}

// ListMatters lists the catalogue in force at a moment.
func (s *server) ListMatters(ctx context.Context, req openapi.ListMattersRequestObject) (openapi.ListMattersResponseObject, error) {
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	dept := ""
	if req.Params.Department != nil {
		dept = *req.Params.Department
	}
	ms, err := s.org.MattersAt(ctx, s.atOrNow(req.Params.At), dept)
	if err != nil {
		return nil, err
	}
	return openapi.ListMatters200JSONResponse(convertAll(ms, matterOut)), nil
}

// GetMatter returns every version of a matter.
func (s *server) GetMatter(ctx context.Context, req openapi.GetMatterRequestObject) (openapi.GetMatterResponseObject, error) {
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ms, err := s.org.MatterVersions(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	return openapi.GetMatter200JSONResponse(convertAll(ms, matterOut)), nil
}

// ListPolicies lists the policies in force at a moment.
func (s *server) ListPolicies(ctx context.Context, req openapi.ListPoliciesRequestObject) (openapi.ListPoliciesResponseObject, error) {
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ps, err := s.org.PoliciesAt(ctx, s.atOrNow(req.Params.At))
	if err != nil {
		return nil, err
	}
	list := make([]org.Policy, 0, len(ps))
	for _, p := range ps {
		list = append(list, p)
	}
	slices.SortFunc(list, func(a, b org.Policy) int {
		if a.DepartmentCode < b.DepartmentCode {
			return -1
		}
		return 1
	})
	return openapi.ListPolicies200JSONResponse(convertAll(list, policyOut)), nil
}

// GetRoster returns a team's members at a moment; other streets' teams are not found.
func (s *server) GetRoster(ctx context.Context, req openapi.GetRosterRequestObject) (openapi.GetRosterResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	streets, err := s.org.TeamStreets(ctx)
	if err != nil {
		return nil, err
	}
	street, ok := streets[req.Code]
	if !ok || !access.Roster(sc, street) {
		return nil, derrors.New(derrors.NotFound, "no team %q", req.Code)
	}
	r, err := s.org.Roster(ctx, req.Code, s.atOrNow(req.Params.At))
	if err != nil {
		return nil, err
	}
	// A roster of the past names members who have left the street since:
	// their phone number is masked, as it is to anyone outside their street now.
	now := s.now()
	for i, m := range r.Members {
		if visible, masked := access.Officer(sc, m, m.StreetsAt(streets, now)); (!visible || masked) && m.Officer.Phone != "" {
			r.Members[i].Officer.Phone = access.MaskPhone(m.Officer.Phone)
		}
	}
	return openapi.GetRoster200JSONResponse(rosterOut(r)), nil
}

// GetOfficer returns one officer if the caller may see them, masking the
// phone number for callers outside the officer's street.
func (s *server) GetOfficer(ctx context.Context, req openapi.GetOfficerRequestObject) (openapi.GetOfficerResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := s.org.Officers(ctx, []string{req.Code})
	if err != nil {
		return nil, err
	}
	notFound := derrors.New(derrors.NotFound, "no officer %q", req.Code)
	if len(ms) == 0 {
		return nil, notFound
	}
	m := ms[0]
	streets, err := s.currentStreets(ctx, m)
	if err != nil {
		return nil, err
	}
	visible, masked := access.Officer(sc, m, streets)
	if !visible {
		return nil, notFound
	}
	if masked && m.Officer.Phone != "" {
		m.Officer.Phone = access.MaskPhone(m.Officer.Phone)
	}
	return openapi.GetOfficer200JSONResponse(memberOut(m)), nil
}

// currentStreets returns the streets of m's memberships in force now.
func (s *server) currentStreets(ctx context.Context, m org.Member) ([]string, error) {
	return s.streetsAt(ctx, m, s.now())
}

// streetsAt returns the streets of m's memberships in force at t.
func (s *server) streetsAt(ctx context.Context, m org.Member, t time.Time) ([]string, error) {
	teams, err := s.org.TeamStreets(ctx)
	if err != nil {
		return nil, err
	}
	return m.StreetsAt(teams, t), nil
}
