package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// PerformanceStore is what the performance record routes need (postgres.PerformanceStore).
type PerformanceStore interface {
	Officer(ctx context.Context, code string, p assess.Period) (postgres.PerformanceOfficer, error)
	StreetAt(ctx context.Context, code string, at time.Time) (string, error)
	Seconded(ctx context.Context, f postgres.SecondedFilter) ([]postgres.PerformanceOfficer, error)
	Events(ctx context.Context, codes, streets []string, p assess.Period) ([]assess.Event, error)
	Event(ctx context.Context, id string) (assess.Event, error)
	RecordEvent(ctx context.Context, e assess.Event, userID string) (assess.Event, error)
	WithdrawEvent(ctx context.Context, id string, version int, userID, reason string, at time.Time) (assess.Event, error)
}

// Performance is the performance records' store and configuration (WHISTLE_PERFORMANCE_POINTS,
// WHISTLE_PERFORMANCE_GRADES; zero values: the defaults). Without a store the routes answer 503.
type Performance struct {
	Store  PerformanceStore
	Points assess.Points
	Grades assess.Grades
}

// performance returns the configuration, defaults filled in, or derrors.Unavailable.
func (s *server) performance() (Performance, error) {
	p := s.perf
	if p.Store == nil {
		return p, derrors.New(derrors.Unavailable, "performance records are not configured")
	}
	if p.Points == nil {
		p.Points = assess.DefaultPoints()
	}
	if p.Grades == (assess.Grades{}) {
		p.Grades = assess.DefaultGrades()
	}
	return p, nil
}

// periodOf reads a record's period from its parameters: a year, or from and to (days), or
// neither (the current year by the clock). Errors: derrors.BadRequest naming the parameter,
// derrors.Invalid naming `to` (before from).
func (s *server) periodOf(year *int, from, to *openapi_types.Date) (assess.Period, error) {
	bad := func(param, msg string) error {
		return &derrors.Error{Code: derrors.BadRequest, Message: msg, Fields: []derrors.FieldError{{Field: param, Message: msg}}}
	}
	switch {
	case year != nil && (from != nil || to != nil):
		return assess.Period{}, bad("year", "give a year, or from and to, not both")
	case (from == nil) != (to == nil):
		return assess.Period{}, bad("to", "from and to go together")
	case year != nil:
		return assess.YearPeriod(*year), nil
	case from != nil:
		return assess.DaysPeriod(from.Time, to.Time)
	}
	return assess.YearPeriod(s.now().In(clock.Beijing).Year()), nil
}

// performanceEventETag is the strong entity tag of a manual event: its id and version.
func performanceEventETag(e assess.Event) string {
	return `"` + e.ID + "." + strconv.Itoa(e.Version) + `"`
}

// signedPoints is e's points with its polarity's sign, withdrawn or not.
func signedPoints(e assess.Event) int {
	if e.Polarity == assess.Negative {
		return -e.Points
	}
	return e.Points
}

func performanceEventOut(e assess.Event) openapi.PerformanceEvent {
	out := openapi.PerformanceEvent{Id: e.ID, OfficerCode: e.OfficerCode, StreetCode: e.StreetCode,
		Kind: openapi.PerformanceEventKind(e.Kind), Polarity: openapi.PerformanceEventPolarity(e.Polarity),
		Source: openapi.PerformanceEventSource(e.Source), At: e.At, Reference: e.Reference, Points: signedPoints(e),
		Counted: !e.Withdrawn(), Link: e.Link(), Reason: e.Reason, RecordedBy: optional(e.RecordedBy),
		Version: optional(e.Version), WithdrawnAt: e.WithdrawnAt, WithdrawnBy: optional(e.WithdrawnBy),
		WithdrawalReason: optional(e.WithdrawalReason)}
	if e.Source == assess.SourceManual {
		at := e.RecordedAt
		out.RecordedAt = &at
	}
	return out
}

func performanceTotalsOut(t assess.Totals) openapi.PerformanceTotals {
	return openapi.PerformanceTotals{Positive: t.Positive, Negative: t.Negative, Net: t.Net, Events: t.Events, Withdrawn: t.Withdrawn}
}

// officerRecord is officer code's record for the period of the parameters as the caller may read
// it, and the streets it is narrowed to (nil: all).
func (s *server) officerRecord(ctx context.Context, code string, year *int, from, to *openapi_types.Date) (assess.Record, []string, error) {
	cfg, err := s.performance()
	if err != nil {
		return assess.Record{}, nil, err
	}
	p, err := s.periodOf(year, from, to)
	if err != nil {
		return assess.Record{}, nil, err
	}
	sc, _, err := s.scope(ctx)
	if err != nil {
		return assess.Record{}, nil, err
	}
	o, err := cfg.Store.Officer(ctx, code, p)
	if err != nil {
		return assess.Record{}, nil, err
	}
	of, known, may := access.ReadPerformance(sc, code, o.DepartmentCode, o.Streets)
	switch {
	case !known:
		return assess.Record{}, nil, derrors.New(derrors.NotFound, "no officer %q", code)
	case !may:
		return assess.Record{}, nil, derrors.New(derrors.Forbidden, "performance records are read by the officer, the team leader of the officer's street, the home department's reviewers and administrators")
	}
	events, err := cfg.Store.Events(ctx, []string{code}, of, p)
	if err != nil {
		return assess.Record{}, nil, err
	}
	return assess.Summarize(code, o.DepartmentCode, p, events, cfg.Points, cfg.Grades), of, nil
}

// GetOfficerPerformance answers an officer's performance record for a period.
func (s *server) GetOfficerPerformance(ctx context.Context, req openapi.GetOfficerPerformanceRequestObject) (openapi.GetOfficerPerformanceResponseObject, error) {
	r, of, err := s.officerRecord(ctx, req.Code, req.Params.Year, req.Params.From, req.Params.To)
	if err != nil {
		return nil, err
	}
	out := openapi.GetOfficerPerformance200JSONResponse{OfficerCode: r.OfficerCode, HomeDepartment: r.HomeDepartment,
		From: r.Period.From.UTC(), To: r.Period.To.UTC(), Events: make([]openapi.PerformanceEvent, len(r.Events)),
		Totals: performanceTotalsOut(r.Totals), Proposal: openapi.PerformanceGrade(r.Proposal)}
	for i, e := range r.Events {
		out.Events[i] = performanceEventOut(e)
	}
	if of != nil {
		out.Streets = &of
	}
	return out, nil
}

// ExportOfficerPerformance answers the same record as CSV.
func (s *server) ExportOfficerPerformance(ctx context.Context, req openapi.ExportOfficerPerformanceRequestObject) (openapi.ExportOfficerPerformanceResponseObject, error) {
	r, _, err := s.officerRecord(ctx, req.Code, req.Params.Year, req.Params.From, req.Params.To)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows := [][]string{{"row", "id", "at", "kind", "polarity", "source", "street_code", "points", "counted", "link", "reason"}}
	for _, e := range r.Events {
		rows = append(rows, []string{"event", e.ID, e.At.UTC().Format(time.RFC3339), string(e.Kind), string(e.Polarity), string(e.Source),
			e.StreetCode, strconv.Itoa(signedPoints(e)), strconv.FormatBool(!e.Withdrawn()), e.Link(), e.Reason})
	}
	rows = append(rows, []string{"total", r.OfficerCode, r.Period.From.UTC().Format(time.RFC3339), string(r.Proposal), "", "", "",
		strconv.Itoa(r.Totals.Net), strconv.Itoa(r.Totals.Events), "/v1/officers/" + r.OfficerCode + "/performance",
		fmt.Sprintf("positive %d, negative %d, withdrawn %d; proposed to %s", r.Totals.Positive, r.Totals.Negative, r.Totals.Withdrawn, r.HomeDepartment)})
	if err := w.WriteAll(rows); err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "write CSV")
	}
	return openapi.ExportOfficerPerformance200TextcsvResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
}

// RecordPerformanceEvent records a manual event of an officer for the street of the officer's
// team at the event's time, by that street's team leader.
func (s *server) RecordPerformanceEvent(ctx context.Context, req openapi.RecordPerformanceEventRequestObject) (openapi.RecordPerformanceEventResponseObject, error) {
	cfg, err := s.performance()
	if err != nil {
		return nil, err
	}
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	at := b.At.UTC()
	o, err := cfg.Store.Officer(ctx, req.Code, assess.Period{From: at, To: at.Add(time.Microsecond)})
	if err != nil {
		return nil, err
	}
	street, err := cfg.Store.StreetAt(ctx, req.Code, at)
	if err != nil {
		return nil, err
	}
	switch known, may := access.RecordPerformanceEvent(sc, req.Code, o.DepartmentCode, street); {
	case !known:
		return nil, derrors.New(derrors.NotFound, "no officer %q", req.Code)
	case !may:
		return nil, derrors.New(derrors.Forbidden, "only the team leader of the street the officer served in at the event records it")
	}
	e := assess.Event{OfficerCode: req.Code, StreetCode: street, Kind: assess.EventKind(b.Kind), Polarity: assess.Polarity(b.Polarity),
		Source: assess.SourceManual, At: at, Points: cfg.Points[assess.EventKind(b.Kind)], Reason: b.Reason, RecordedAt: s.now().UTC()}
	if b.Points != nil {
		e.Points = *b.Points
	}
	if err := assess.CheckManual(e, s.now()); err != nil {
		return nil, err
	}
	if e, err = cfg.Store.RecordEvent(ctx, e, c.user.ID); err != nil {
		return nil, err
	}
	return openapi.RecordPerformanceEvent201JSONResponse{Body: performanceEventOut(e),
		Headers: openapi.RecordPerformanceEvent201ResponseHeaders{ETag: performanceEventETag(e)}}, nil
}

// manualEvent is manual event id of officer code, if judge lets the caller at it (judge being an
// access rule of access's performance events), with the configuration and the caller. Errors:
// derrors.NotFound (also for an event of another officer, or one the caller may not know of),
// derrors.Forbidden with refusal.
func (s *server) manualEvent(ctx context.Context, code, id string, judge func(sc org.Scope, code, dept, street string) (known, may bool),
	refusal string) (assess.Event, Performance, caller, error) {
	cfg, err := s.performance()
	if err != nil {
		return assess.Event{}, cfg, caller{}, err
	}
	sc, c, err := s.scope(ctx)
	if err != nil {
		return assess.Event{}, cfg, c, err
	}
	notFound := derrors.New(derrors.NotFound, "no performance event %s of officer %q", id, code)
	e, err := cfg.Store.Event(ctx, id)
	switch {
	case err != nil:
		return e, cfg, c, err
	case e.OfficerCode != code:
		return assess.Event{}, cfg, c, notFound
	}
	o, err := cfg.Store.Officer(ctx, code, assess.Period{From: e.At, To: e.At.Add(time.Microsecond)})
	if err != nil {
		return e, cfg, c, err
	}
	switch known, may := judge(sc, code, o.DepartmentCode, e.StreetCode); {
	case !known:
		return assess.Event{}, cfg, c, notFound
	case !may:
		return assess.Event{}, cfg, c, derrors.New(derrors.Forbidden, "%s", refusal)
	}
	return e, cfg, c, nil
}

// GetPerformanceEvent answers one manual event of an officer's record.
func (s *server) GetPerformanceEvent(ctx context.Context, req openapi.GetPerformanceEventRequestObject) (openapi.GetPerformanceEventResponseObject, error) {
	e, _, _, err := s.manualEvent(ctx, req.Code, req.Id.String(), access.ReadPerformanceEvent, "performance events are read as the officer's record is")
	if err != nil {
		return nil, err
	}
	return openapi.GetPerformanceEvent200JSONResponse{Body: performanceEventOut(e),
		Headers: openapi.GetPerformanceEvent200ResponseHeaders{ETag: performanceEventETag(e)}}, nil
}

// WithdrawPerformanceEvent withdraws a manual event, if it is as read (version, If-Match).
func (s *server) WithdrawPerformanceEvent(ctx context.Context, req openapi.WithdrawPerformanceEventRequestObject) (openapi.WithdrawPerformanceEventResponseObject, error) {
	e, cfg, c, err := s.manualEvent(ctx, req.Code, req.Id.String(), access.WithdrawPerformanceEvent, "only the team leader of the event's street withdraws it")
	if err != nil {
		return nil, err
	}
	if m := req.Params.IfMatch; m != nil && !etagMatches(*m, performanceEventETag(e)) {
		return nil, derrors.New(derrors.PreconditionFailed, "the event changed since it was read (now %s)", performanceEventETag(e))
	}
	if e, err = cfg.Store.WithdrawEvent(ctx, e.ID, req.Body.Version, c.user.ID, req.Body.Reason, s.now().UTC()); err != nil {
		return nil, err
	}
	return openapi.WithdrawPerformanceEvent200JSONResponse{Body: performanceEventOut(e),
		Headers: openapi.WithdrawPerformanceEvent200ResponseHeaders{ETag: performanceEventETag(e)}}, nil
}

// ListPerformance lists a street's seconded officers of the period with the totals and proposal
// of their record in that street, by code.
func (s *server) ListPerformance(ctx context.Context, req openapi.ListPerformanceRequestObject) (openapi.ListPerformanceResponseObject, error) {
	cfg, err := s.performance()
	if err != nil {
		return nil, err
	}
	q := req.Params
	pg, err := pageOf("performance", q.Cursor, q.Limit)
	if err != nil {
		return nil, err
	}
	p, err := s.periodOf(q.Year, q.From, q.To)
	if err != nil {
		return nil, err
	}
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	dept, known, may := access.ListPerformance(sc, q.Street)
	switch {
	case !known:
		return nil, derrors.New(derrors.NotFound, "no street %q", q.Street)
	case !may:
		return nil, derrors.New(derrors.Forbidden, "a street's performance records are listed to its team leader, the home departments' reviewers and administrators")
	}
	f := postgres.SecondedFilter{Street: q.Street, Department: dept, Period: p, Limit: pg.fetch()}
	if a := pg.after; a != nil {
		f.AfterCode = a.ID
	}
	officers, err := cfg.Store.Seconded(ctx, f)
	if err != nil {
		return nil, err
	}
	officers, next := cut(pg, officers, func(o postgres.PerformanceOfficer) position { return position{ID: o.Code} })
	codes := make([]string, len(officers))
	for i, o := range officers {
		codes[i] = o.Code
	}
	events, err := cfg.Store.Events(ctx, codes, []string{q.Street}, p)
	if err != nil {
		return nil, err
	}
	byOfficer := map[string][]assess.Event{}
	for _, e := range events {
		byOfficer[e.OfficerCode] = append(byOfficer[e.OfficerCode], e)
	}
	out := make([]openapi.PerformanceSummary, len(officers))
	for i, o := range officers {
		r := assess.Summarize(o.Code, o.DepartmentCode, p, byOfficer[o.Code], cfg.Points, cfg.Grades)
		out[i] = openapi.PerformanceSummary{OfficerCode: o.Code, HomeDepartment: o.DepartmentCode, StreetCode: q.Street,
			Totals: performanceTotalsOut(r.Totals), Proposal: openapi.PerformanceGrade(r.Proposal),
			Link: fmt.Sprintf("/v1/officers/%s/performance?from=%s&to=%s", o.Code, p.From.In(clock.Beijing).Format(time.DateOnly),
				p.To.In(clock.Beijing).AddDate(0, 0, -1).Format(time.DateOnly))}
	}
	return openapi.ListPerformance200JSONResponse{Body: out, Headers: openapi.ListPerformance200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}
