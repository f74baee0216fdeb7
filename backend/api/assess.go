package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"strconv"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/openapi"
)

// assessed runs report with the caller's user id, refusing a server built without the
// assessment.
func (s *server) assessed(ctx context.Context) (string, error) {
	if s.assess == nil {
		return "", derrors.New(derrors.Unavailable, "the assessment is not configured")
	}
	c, err := callerFrom(ctx)
	return c.user.ID, err
}

// assessReport reads the period and answers the report of department ("" all) as the caller
// may see it.
func (s *server) assessReport(ctx context.Context, department string, period, from, to *string) (assess.Report, error) {
	user, err := s.assessed(ctx)
	if err != nil {
		return assess.Report{}, err
	}
	p, err := assess.ParsePeriod(deref(period), deref(from), deref(to))
	if err != nil {
		return assess.Report{}, err
	}
	return s.assess.Report(ctx, user, p, department)
}

// GetAssessment answers the departments' assessment of a period.
func (s *server) GetAssessment(ctx context.Context, req openapi.GetAssessmentRequestObject) (openapi.GetAssessmentResponseObject, error) {
	r, err := s.assessReport(ctx, "", req.Params.Period, req.Params.From, req.Params.To)
	if err != nil {
		return nil, err
	}
	return openapi.GetAssessment200JSONResponse(assessmentOut(s.assess.Config(), r)), nil
}

// GetDepartmentAssessment answers one department's assessment of a period.
func (s *server) GetDepartmentAssessment(ctx context.Context, req openapi.GetDepartmentAssessmentRequestObject) (openapi.GetDepartmentAssessmentResponseObject, error) {
	r, err := s.assessReport(ctx, req.Code, req.Params.Period, req.Params.From, req.Params.To)
	if err != nil {
		return nil, err
	}
	return openapi.GetDepartmentAssessment200JSONResponse(assessmentOut(s.assess.Config(), r)), nil
}

// ExportAssessment answers the report of GetAssessment as CSV.
func (s *server) ExportAssessment(ctx context.Context, req openapi.ExportAssessmentRequestObject) (openapi.ExportAssessmentResponseObject, error) {
	r, err := s.assessReport(ctx, "", req.Params.Period, req.Params.From, req.Params.To)
	if err != nil {
		return nil, err
	}
	b, err := AssessmentCSV(r)
	if err != nil {
		return nil, err
	}
	return openapi.ExportAssessment200TextcsvResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}, nil
}

// ListAssessmentItems answers a page of the items a figure of a department counts.
func (s *server) ListAssessmentItems(ctx context.Context, req openapi.ListAssessmentItemsRequestObject) (openapi.ListAssessmentItemsResponseObject, error) {
	user, err := s.assessed(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	p, err := assess.ParsePeriod(deref(q.Period), deref(q.From), deref(q.To))
	if err != nil {
		return nil, err
	}
	pg, err := pageOf("assessment-items", q.Cursor, q.Limit)
	if err != nil {
		return nil, err
	}
	var after position
	if pg.after != nil {
		after = *pg.after
	}
	items, err := s.assess.Items(ctx, user, req.Code, q.Figure, p, after.At, after.ID, pg.fetch())
	if err != nil {
		return nil, err
	}
	items, next := cut(pg, items, func(it assess.Item) position { return position{At: it.At, ID: it.ID} })
	out := make([]openapi.AssessmentItem, len(items))
	for i, it := range items {
		caseID, err := optionalIDOut("assessment item case id", it.CaseID)
		if err != nil {
			return nil, derrors.Wrap(err, derrors.Internal, "assessment item")
		}
		whistleID, err := optionalIDOut("assessment item whistle id", it.WhistleID)
		if err != nil {
			return nil, derrors.Wrap(err, derrors.Internal, "assessment item")
		}
		out[i] = openapi.AssessmentItem{Kind: openapi.AssessmentItemKind(it.Kind), Id: it.ID, CaseId: caseID, WhistleId: whistleID,
			At: it.At, Seconds: it.Seconds, Ref: optional(it.Ref)}
	}
	return openapi.ListAssessmentItems200JSONResponse{Body: out, Headers: openapi.ListAssessmentItems200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// assessmentItemsPath is the API path listing the items of figure of department in p.
func assessmentItemsPath(department, figure string, p assess.Period) string {
	q := url.Values{"figure": {figure}, "from": {p.FromDate()}, "to": {p.ToDate()}}
	return "/v1/assessment/departments/" + url.PathEscape(department) + "/items?" + q.Encode()
}

// assessmentOut converts a report, with the figure table it was formed by.
func assessmentOut(cfg assess.Config, r assess.Report) openapi.AssessmentReport {
	out := openapi.AssessmentReport{StreetCode: optional(r.StreetCode), ResponseWithinSeconds: cfg.ResponseWithin.Seconds(),
		ScoreBasis: cfg.Score.Basis, Figures: convertAll(cfg.Figures, figureOut), ScoreItems: convertAll(cfg.Score.Items, scoreItemOut),
		Departments: make([]openapi.DepartmentAssessment, len(r.Departments))}
	out.Period.Label = r.Period.Label
	out.Period.From, out.Period.To = openapi_types.Date{Time: r.Period.From}, openapi_types.Date{Time: r.Period.To}
	out.Period.FromInstant, out.Period.ToInstant = r.Period.From, r.Period.To
	for i, d := range r.Departments {
		dep := openapi.DepartmentAssessment{DepartmentCode: d.DepartmentCode, Values: make([]openapi.AssessmentValue, len(d.Values))}
		for j, v := range d.Values {
			fg, _ := cfg.Figure(v.Code)
			links := []string{}
			if fg.Available {
				for _, in := range assess.Inputs(fg) {
					if f, _ := cfg.Figure(in); f.Kind.Measured() {
						links = append(links, assessmentItemsPath(d.DepartmentCode, in, r.Period))
					} else {
						for _, m := range assess.Inputs(f) {
							links = append(links, assessmentItemsPath(d.DepartmentCode, m, r.Period))
						}
					}
				}
			}
			dep.Values[j] = openapi.AssessmentValue{Code: v.Code, Available: v.Available, Value: v.Value, Numerator: v.Numerator,
				Denominator: v.Denominator, Missing: optionalList(v.Missing, func(s string) string { return s }), Items: links}
		}
		sc := d.Score
		dep.Score = openapi.AssessmentScore{Points: sc.Points, OutOf: sc.OutOf, Partial: sc.Partial,
			Items: convertAll(sc.Items, func(it assess.ItemScore) openapi.AssessmentItemScore {
				return openapi.AssessmentItemScore{Code: it.Item.Code, Figure: it.Item.Figure, Weight: it.Item.Weight, Value: it.Value,
					Why: openapi.AssessmentItemScoreWhy(it.Why)}
			})}
		out.Departments[i] = dep
	}
	return out
}

func figureOut(f assess.Figure) openapi.AssessmentFigure {
	terms := func(ts []assess.Term) *[]openapi.AssessmentTerm {
		return optionalList(ts, func(t assess.Term) openapi.AssessmentTerm {
			return openapi.AssessmentTerm{Figure: t.Figure, Weight: t.Weight}
		})
	}
	return openapi.AssessmentFigure{Code: f.Code, Kind: openapi.AssessmentFigureKind(f.Kind), Available: f.Available,
		Title: openapi.AssessmentTitle{Zh: f.Title.ZH, En: f.Title.EN}, Counts: optional(f.Counts), Numerator: terms(f.Numerator),
		Denominator: optional(f.Denominator), Parts: terms(f.Parts), Definition: f.Definition, Source: f.Source}
}

func scoreItemOut(it assess.ScoreItem) openapi.AssessmentScoreItem {
	return openapi.AssessmentScoreItem{Code: it.Code, Title: openapi.AssessmentTitle{Zh: it.Title.ZH, En: it.Title.EN}, Figure: it.Figure,
		Weight: it.Weight, WhenNoData: openapi.AssessmentScoreItemWhenNoData(it.WhenNoData)}
}

// AssessmentCSV writes a report as the CSV of GET /v1/assessment/departments.csv: a line per
// department and figure, then its score and each score item.
func AssessmentCSV(r assess.Report) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	from, to := r.Period.FromDate(), r.Period.ToDate()
	rows := [][]string{{"period_from", "period_to", "street_code", "department_code", "figure", "available", "value", "numerator", "denominator"}}
	for _, d := range r.Departments {
		for _, v := range d.Values {
			rows = append(rows, []string{from, to, r.StreetCode, d.DepartmentCode, v.Code, strconv.FormatBool(v.Available),
				num(v.Value), num(v.Numerator), num(v.Denominator)})
		}
		rows = append(rows, []string{from, to, r.StreetCode, d.DepartmentCode, "service_score", "true", num(d.Score.Points), "", ""})
		for _, it := range d.Score.Items {
			rows = append(rows, []string{from, to, r.StreetCode, d.DepartmentCode, "service_score." + it.Item.Code,
				strconv.FormatBool(it.Why != assess.WhyUnavailable), num(it.Value), "", ""})
		}
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "write the assessment's CSV")
	}
	return buf.Bytes(), nil
}
