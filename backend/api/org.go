package api

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// OrgStore is what the API needs of the organization's storage.
type OrgStore interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	Streets(ctx context.Context) ([]org.Street, error)
	Departments(ctx context.Context) ([]org.Department, error)
	MattersAt(ctx context.Context, at time.Time, department, after string, limit int) ([]org.MatterInForce, error)
	MatterAt(ctx context.Context, code string, at time.Time) (org.MatterInForce, error)
	MatterVersions(ctx context.Context, code string) ([]org.MatterInForce, error)
	PoliciesAt(ctx context.Context, at time.Time) (map[string]org.Policy, error)
	Roster(ctx context.Context, team string, at time.Time, after *org.RosterKey, limit int) (org.Roster, error)
	Officers(ctx context.Context, codes []string) ([]org.Member, error)
	TeamStreets(ctx context.Context) (map[string]string, error)
	TeamOfStreet(ctx context.Context, street string) (string, error)
	Import(ctx context.Context, ds org.Dataset, hashes map[string]string) (org.Report, error)
	SetCertificateStatus(ctx context.Context, number, status string, since time.Time, reason string) (org.Certificate, error)
	Certificate(ctx context.Context, officerCode, number string) (org.Certificate, error)
	AddMatterVersion(ctx context.Context, m org.Matter) (org.MatterInForce, error)
	RecordAbsence(ctx context.Context, a org.Absence, userID string) (org.Absence, error)
	Absence(ctx context.Context, id string) (org.Absence, error)
	Absences(ctx context.Context, f postgres.AbsenceFilter) ([]org.Absence, error)
	WithdrawAbsence(ctx context.Context, id, userID string, at time.Time) (org.Absence, error)
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

// ListStreets lists the district's streets by code. A district has a
// dozen: they are read whole and paged in memory.
func (s *server) ListStreets(ctx context.Context, req openapi.ListStreetsRequestObject) (openapi.ListStreetsResponseObject, error) {
	pg, err := pageOf("streets", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	streets, err := s.org.Streets(ctx)
	if err != nil {
		return nil, err
	}
	streets, next := inMemory(pg, streets, func(x org.Street) position { return position{ID: x.Code} })
	return openapi.ListStreets200JSONResponse{Body: convertAll(streets, streetOut),
		Headers: openapi.ListStreets200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// ListDepartments lists the departments by kind, then code. They are a
// fixed catalogue of 26: read whole and paged in memory.
func (s *server) ListDepartments(ctx context.Context, req openapi.ListDepartmentsRequestObject) (openapi.ListDepartmentsResponseObject, error) {
	pg, err := pageOf("departments", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ds, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	ds, next := inMemory(pg, ds, func(x org.Department) position { return position{Keys: []string{string(x.Kind)}, ID: x.Code} })
	return openapi.ListDepartments200JSONResponse{Body: convertAll(ds, departmentOut),
		Headers: openapi.ListDepartments200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// ListMatters lists the catalogue in force at a moment by code, a page
// read from the database: the catalogue grows with every matter added.
func (s *server) ListMatters(ctx context.Context, req openapi.ListMattersRequestObject) (openapi.ListMattersResponseObject, error) {
	pg, err := pageOf("matters", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	dept, after := "", ""
	if req.Params.Department != nil {
		dept = *req.Params.Department
	}
	if pg.after != nil {
		after = pg.after.ID
	}
	ms, err := s.org.MattersAt(ctx, s.atOrNow(req.Params.At), dept, after, pg.fetch())
	if err != nil {
		return nil, err
	}
	ms, next := cut(pg, ms, func(m org.MatterInForce) position { return position{ID: m.Code} })
	return openapi.ListMatters200JSONResponse{Body: convertAll(ms, matterOut),
		Headers: openapi.ListMatters200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// GetMatter returns every version of a matter, oldest first. A matter has
// a handful (one per revision of the catalogue): read whole (a matter
// without versions is not found) and paged in memory.
func (s *server) GetMatter(ctx context.Context, req openapi.GetMatterRequestObject) (openapi.GetMatterResponseObject, error) {
	pg, err := pageOf("matter-versions", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ms, err := s.org.MatterVersions(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	ms, next := inMemory(pg, ms, func(m org.MatterInForce) position { return position{N: int64(m.Version)} })
	return openapi.GetMatter200JSONResponse{Body: convertAll(ms, matterOut),
		Headers: openapi.GetMatter200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// ListPolicies lists the policies in force at a moment by department
// code: at most one per department, read whole and paged in memory.
func (s *server) ListPolicies(ctx context.Context, req openapi.ListPoliciesRequestObject) (openapi.ListPoliciesResponseObject, error) {
	pg, err := pageOf("policies", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	if _, err := s.readScope(ctx); err != nil {
		return nil, err
	}
	ps, err := s.org.PoliciesAt(ctx, s.atOrNow(req.Params.At))
	if err != nil {
		return nil, err
	}
	list, next := inMemory(pg, slices.Collect(maps.Values(ps)), func(p org.Policy) position { return position{ID: p.DepartmentCode} })
	return openapi.ListPolicies200JSONResponse{Body: convertAll(list, policyOut),
		Headers: openapi.ListPolicies200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// GetRoster returns a page of a team's members at a moment, read from the
// database (teams grow); other streets' teams are not found.
func (s *server) GetRoster(ctx context.Context, req openapi.GetRosterRequestObject) (openapi.GetRosterResponseObject, error) {
	pg, err := pageOf("roster", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
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
	var after *org.RosterKey
	if a := pg.after; a != nil && len(a.Keys) == 2 {
		after = &org.RosterKey{DepartmentKind: a.Keys[0], DepartmentCode: a.Keys[1], OfficerCode: a.ID}
	}
	r, err := s.org.Roster(ctx, req.Code, s.atOrNow(req.Params.At), after, pg.fetch())
	if err != nil {
		return nil, err
	}
	var next string
	r.Members, next = cut(pg, r.Members, func(m org.Member) position {
		k := org.KeyOf(m)
		return position{Keys: []string{k.DepartmentKind, k.DepartmentCode}, ID: k.OfficerCode}
	})
	// A roster of the past names members who have left the street since:
	// their phone number is masked, as it is to anyone outside their street now.
	now := s.now()
	for i, m := range r.Members {
		if visible, masked := access.Officer(sc, m, m.StreetsAt(streets, now)); (!visible || masked) && m.Officer.Phone != "" {
			r.Members[i].Officer.Phone = access.MaskPhone(m.Officer.Phone)
		}
	}
	return openapi.GetRoster200JSONResponse{Body: rosterOut(r), Headers: openapi.GetRoster200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
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
