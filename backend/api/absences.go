package api

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// absenceETag is the strong entity tag of an absence: its id and whether it stands or was
// withdrawn, the only change it has.
func absenceETag(a org.Absence) string {
	if a.Withdrawn() {
		return `"` + a.ID + `.withdrawn"`
	}
	return `"` + a.ID + `.recorded"`
}

func absenceOut(a org.Absence) openapi.Absence {
	out := openapi.Absence{OfficerCode: a.OfficerCode, StreetCode: a.StreetCode, Kind: openapi.AbsenceKind(a.Kind),
		From: a.From, Until: a.Until, Reason: a.Reason, RecordedBy: a.RecordedBy, RecordedAt: a.RecordedAt,
		WithdrawnAt: a.WithdrawnAt, WithdrawnBy: optional(a.WithdrawnBy)}
	out.Id, _ = uuid.Parse(a.ID)
	return out
}

// officerScope returns the caller's scope and officer code's current streets, sorted, or
// derrors.NotFound for an unknown officer (not found to anyone).
func (s *server) officerScope(ctx context.Context, code string) (org.Scope, caller, []string, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return sc, c, nil, err
	}
	ms, err := s.org.Officers(ctx, []string{code})
	if err != nil {
		return sc, c, nil, err
	}
	if len(ms) == 0 {
		return sc, c, nil, derrors.New(derrors.NotFound, "no officer %q", code)
	}
	streets, err := s.currentStreets(ctx, ms[0])
	if err != nil {
		return sc, c, nil, err
	}
	return sc, c, slices.Compact(slices.Sorted(slices.Values(streets))), nil
}

// RecordOfficerAbsence records an absence of an officer for the officer's street: the team
// leader's own, or for an administrator the officer's current street (the first by code).
func (s *server) RecordOfficerAbsence(ctx context.Context, req openapi.RecordOfficerAbsenceRequestObject) (openapi.RecordOfficerAbsenceResponseObject, error) {
	sc, c, streets, err := s.officerScope(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	switch known, may := access.RecordAbsence(sc, req.Code, streets); {
	case !known:
		return nil, derrors.New(derrors.NotFound, "no officer %q", req.Code)
	case !may:
		return nil, derrors.New(derrors.Forbidden, "only the team leader of the officer's street and administrators record absences")
	}
	street := sc.StreetCode
	if access.Admin(sc) {
		if len(streets) == 0 {
			return nil, derrors.Invalidf("/", "officer %q is in no team now: an absence belongs to the officer's street", req.Code)
		}
		street = streets[0]
	}
	b := req.Body
	a := org.Absence{OfficerCode: req.Code, StreetCode: street, Kind: org.AbsenceKind(b.Kind), From: b.From.UTC(),
		Until: b.Until.UTC(), RecordedAt: s.now().UTC()}
	if b.Reason != nil {
		a.Reason = *b.Reason
	}
	if a, err = s.org.RecordAbsence(ctx, a, c.user.ID); err != nil {
		return nil, err
	}
	return openapi.RecordOfficerAbsence201JSONResponse{Body: absenceOut(a),
		Headers: openapi.RecordOfficerAbsence201ResponseHeaders{ETag: absenceETag(a)}}, nil
}

// ListOfficerAbsences lists an officer's absences the caller may read, the latest start first.
func (s *server) ListOfficerAbsences(ctx context.Context, req openapi.ListOfficerAbsencesRequestObject) (openapi.ListOfficerAbsencesResponseObject, error) {
	pg, err := pageOf("absences", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	sc, _, streets, err := s.officerScope(ctx, req.Code)
	if err != nil {
		return nil, err
	}
	of, known, may := access.ReadAbsences(sc, req.Code, streets)
	switch {
	case !known:
		return nil, derrors.New(derrors.NotFound, "no officer %q", req.Code)
	case !may:
		return nil, derrors.New(derrors.Forbidden, "absences are read by the officer, the team leader of the officer's street and administrators")
	}
	f := postgres.AbsenceFilter{OfficerCode: req.Code, Streets: of, Limit: pg.fetch()}
	if a := pg.after; a != nil {
		f.AfterFrom, f.AfterID = a.At, a.ID
	}
	list, err := s.org.Absences(ctx, f)
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(a org.Absence) position { return position{At: a.From, ID: a.ID} })
	return openapi.ListOfficerAbsences200JSONResponse{Body: convertAll(list, absenceOut),
		Headers: openapi.ListOfficerAbsences200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// WithdrawOfficerAbsence withdraws an absence of an officer, if it is as read (If-Match).
func (s *server) WithdrawOfficerAbsence(ctx context.Context, req openapi.WithdrawOfficerAbsenceRequestObject) (openapi.WithdrawOfficerAbsenceResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	notFound := derrors.New(derrors.NotFound, "no absence %s of officer %q", req.Id, req.Code)
	a, err := s.org.Absence(ctx, req.Id.String())
	if err != nil {
		return nil, err
	}
	if a.OfficerCode != req.Code {
		return nil, notFound
	}
	switch known, may := access.WithdrawAbsence(sc, a); {
	case !known:
		return nil, notFound
	case !may:
		return nil, derrors.New(derrors.Forbidden, "only the team leader of the absence's street and administrators withdraw absences")
	}
	if m := req.Params.IfMatch; m != nil && !etagMatches(*m, absenceETag(a)) {
		return nil, derrors.New(derrors.PreconditionFailed, "the absence changed since it was read (now %s)", absenceETag(a))
	}
	if a, err = s.org.WithdrawAbsence(ctx, a.ID, c.user.ID, s.now().UTC()); err != nil {
		return nil, err
	}
	return openapi.WithdrawOfficerAbsence200JSONResponse{Body: absenceOut(a),
		Headers: openapi.WithdrawOfficerAbsence200ResponseHeaders{ETag: absenceETag(a)}}, nil
}
