package api

import (
	"context"
	"fmt"

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
	crew := make([]org.CheckIn, len(req.Body.Crew))
	for i, c := range req.Body.Crew {
		crew[i] = org.CheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
	}
	facts, err := org.ReadAuthorityFacts(ctx, s.org, []string{req.Body.MatterCode}, crew, at)
	if err != nil {
		return nil, err
	}
	if faults := facts.MatterFaults(); len(faults) > 0 {
		return nil, derrors.Invalidf("/matter_code", "%s", faults[0].Message)
	}
	var fields []derrors.FieldError
	for _, f := range facts.CrewFaults() {
		fields = append(fields, derrors.FieldError{Field: fmt.Sprintf("/crew/%d/officer_code", f.Index), Message: f.Message})
	}
	if len(fields) > 0 {
		return nil, &derrors.Error{Code: derrors.Invalid, Message: fields[0].Message, Fields: fields}
	}
	var crewStreets []string
	for _, c := range facts.Crew {
		if len(c.Streets) == 0 {
			crewStreets = append(crewStreets, "") // in no team at that moment: only an administrator may ask
		}
		crewStreets = append(crewStreets, c.Streets...)
	}
	if !access.AskAuthority(sc, crewStreets) {
		return nil, derrors.New(derrors.Forbidden, "the crew includes officers outside your street")
	}
	matter := facts.Matters[0].Matter
	in := facts.Input(matter)
	d := authority.Decide(in)
	return openapi.DecideAuthority200JSONResponse(decisionOut(d, matter)), nil
}
