package api

import (
	"context"
	"fmt"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// DecideAuthority runs the authority engine for a matter, a crew and a moment,
// on the data as it stood at that moment.
func (s *server) DecideAuthority(ctx context.Context, req openapi.DecideAuthorityRequestObject) (openapi.DecideAuthorityResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if !access.AuthorityEngine(sc) {
		return nil, derrors.New(derrors.Forbidden, "only officers, team leaders and administrators may ask the authority engine")
	}
	at := req.Body.At.UTC()
	matter, err := s.org.MatterAt(ctx, req.Body.MatterCode, at)
	if derrors.CodeOf(err) == derrors.NotFound {
		return nil, derrors.Invalidf("/matter_code", "no matter %q in force at %s", req.Body.MatterCode, at.Format(time.RFC3339))
	}
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(req.Body.Crew))
	for i, c := range req.Body.Crew {
		codes[i] = c.OfficerCode
	}
	members, err := s.org.Officers(ctx, codes)
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]org.Member, len(members))
	for _, m := range members {
		byCode[m.Officer.Code] = m
	}
	in := authority.Input{Matter: matter.AuthorityMatter(), At: at, Policies: map[string]authority.Policy{}}
	var fields []derrors.FieldError
	var crewStreets []string
	for i, c := range req.Body.Crew {
		m, ok := byCode[c.OfficerCode]
		if !ok {
			fields = append(fields, derrors.FieldError{Field: fmt.Sprintf("/crew/%d/officer_code", i), Message: fmt.Sprintf("no officer %q", c.OfficerCode)})
			continue
		}
		streets, err := s.streetsAt(ctx, m, at)
		if err != nil {
			return nil, err
		}
		if len(streets) == 0 {
			streets = []string{""} // in no team at that moment: only an administrator may ask
		}
		crewStreets = append(crewStreets, streets...)
		in.Crew = append(in.Crew, m.CrewMember(c.CheckedInAt, at))
	}
	if len(fields) > 0 {
		return nil, &derrors.Error{Code: derrors.Invalid, Message: fields[0].Message, Fields: fields}
	}
	if !access.AskAuthority(sc, crewStreets) {
		return nil, derrors.New(derrors.Forbidden, "the crew includes officers outside your street")
	}
	policies, err := s.org.PoliciesAt(ctx, at)
	if err != nil {
		return nil, err
	}
	for code, p := range policies {
		in.Policies[code] = p.Policy
	}
	d := authority.Decide(in)
	return openapi.DecideAuthority200JSONResponse(decisionOut(d, matter)), nil
}
