package assess

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Query is what the store measures: the period, optionally one street's cases and one
// department, the figures asked for, and the parameters of their selections.
type Query struct {
	Period Period
	// StreetCode keeps the items of one street's cases; "" the district's.
	StreetCode string
	// DepartmentCode keeps one department; "" every one with items.
	DepartmentCode string
	Figures        []string
	ResponseWithin time.Duration
}

// Item is one thing a figure counts, so that a department can contest it: a routing decision,
// an objection, an evidence review, a case, a work order; a whistle's call, report, step,
// objection or rating; with the case it belongs to ("" for a whistle raised on its own) and the
// whistle of a whistle item.
type Item struct {
	Kind      string
	ID        string
	CaseID    string
	WhistleID string
	At        time.Time
	// Seconds is the duration a median or percentile figure measures; nil for counts.
	Seconds *float64
	// Ref is what names the item to people: a work order's number, a review's verdict.
	Ref string
}

// ItemQuery is one page of the items of one measured figure of one department.
type ItemQuery struct {
	Query
	Figure  string
	AfterAt time.Time
	AfterID string
	Limit   int
}

// Store measures figures by what was recorded at the time. The consumer owns it;
// backend/postgres implements it (one SQL selection per figure).
type Store interface {
	// Measure returns, by department code, the value of each figure of q that has items.
	Measure(ctx context.Context, q Query) (map[string]map[string]float64, error)
	// Items returns the items of q.Figure of q.DepartmentCode, by time then id, after
	// (AfterAt, AfterID), at most Limit.
	Items(ctx context.Context, q ItemQuery) ([]Item, error)
	// Measures names the figures the store has a selection for.
	Measures() []string
}

// Org is what the service reads of the organization: the caller's scope, and the catalogue of
// departments (to tell an unknown code; the figures never read it).
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	Departments(ctx context.Context) ([]org.Department, error)
}

// Service answers the assessment reports.
type Service struct {
	store Store
	org   Org
	cfg   Config
	now   func() time.Time
}

// NewService returns a Service over store and o with cfg, reading the time from now. It fails
// unless the store measures exactly the available measured figures of the table: adding a
// figure is one selection in the store and one row of the table.
func NewService(store Store, o Org, cfg Config, now func() time.Time) (*Service, error) {
	has := store.Measures()
	want := cfg.Measured()
	for _, code := range want {
		if !slices.Contains(has, code) {
			return nil, fmt.Errorf("assessment: figure %s is available but the store does not measure it", code)
		}
	}
	for _, code := range has {
		if !slices.Contains(want, code) {
			return nil, fmt.Errorf("assessment: the store measures %s, which is no available measured figure of the table", code)
		}
	}
	return &Service{store: store, org: o, cfg: cfg, now: now}, nil
}

// Config is the service's configuration (the figure table, the score).
func (s *Service) Config() Config { return s.cfg }

// Report is the assessment of a period: each department's figures and score, for one street
// or the district.
type Report struct {
	Period Period
	// StreetCode is the street whose cases were counted; "" the whole district.
	StreetCode  string
	Departments []DepartmentReport
}

// Lens is what a caller may see of the assessment: one street's cases, or the district's; one
// department, or all.
type Lens struct {
	StreetCode, DepartmentCode string
}

// LensOf is what sc may see: administrators the district, the street's team leader and grid
// operators their street's cases of every department, a department reviewer their department
// in the district. Errors: derrors.Forbidden for anyone else.
func LensOf(sc org.Scope) (Lens, error) {
	switch {
	case sc.Role == org.RoleAdmin:
		return Lens{}, nil
	case (sc.Role == org.RoleTeamLeader || sc.Role == org.RoleGridOperator) && sc.StreetCode != "":
		return Lens{StreetCode: sc.StreetCode}, nil
	case sc.Role == org.RoleDeptReviewer && sc.DepartmentCode != "":
		return Lens{DepartmentCode: sc.DepartmentCode}, nil
	}
	return Lens{}, derrors.New(derrors.Forbidden, "the assessment is for administrators, the street's team leader and grid operators, and a department's reviewers")
}

// lens reads the caller's lens narrowed to department ("" every one it may see): an unknown
// department is derrors.NotFound, another department for a reviewer derrors.Forbidden.
func (s *Service) lens(ctx context.Context, userID, department string) (Lens, error) {
	sc, err := s.org.Scope(ctx, userID, s.now())
	if err != nil {
		return Lens{}, err
	}
	l, err := LensOf(sc)
	if err != nil || department == "" {
		return l, err
	}
	deps, err := s.org.Departments(ctx)
	if err != nil {
		return Lens{}, err
	}
	if !slices.ContainsFunc(deps, func(d org.Department) bool { return d.Code == department }) {
		return Lens{}, derrors.New(derrors.NotFound, "no department %s", department)
	}
	if l.DepartmentCode != "" && l.DepartmentCode != department {
		return Lens{}, derrors.New(derrors.Forbidden, "a department's reviewers see their own department's figures")
	}
	l.DepartmentCode = department
	return l, nil
}

// Report is the assessment of period p as userID may see it: of department ("" every
// department with items in the period, by code). A department asked for by code is reported
// even without items (its counts 0). Errors: derrors.Forbidden, derrors.NotFound.
func (s *Service) Report(ctx context.Context, userID string, p Period, department string) (Report, error) {
	l, err := s.lens(ctx, userID, department)
	if err != nil {
		return Report{}, err
	}
	m, err := s.store.Measure(ctx, Query{Period: p, StreetCode: l.StreetCode, DepartmentCode: l.DepartmentCode,
		Figures: s.cfg.Measured(), ResponseWithin: s.cfg.ResponseWithin})
	if err != nil {
		return Report{}, err
	}
	if l.DepartmentCode != "" && m[l.DepartmentCode] == nil {
		m[l.DepartmentCode] = map[string]float64{}
	}
	r := Report{Period: p, StreetCode: l.StreetCode}
	for _, d := range Departments(m) {
		r.Departments = append(r.Departments, s.cfg.Evaluate(d, m[d]))
	}
	return r, nil
}

// Items is a page of the items figure counts for department in p, as userID may see them (the
// street's cases for a street's roles). A rate or composite lists nothing of its own: it names
// the figures whose items it is formed from; an unavailable figure has no items yet.
// Errors: derrors.BadRequest (naming figure), derrors.Forbidden, derrors.NotFound.
func (s *Service) Items(ctx context.Context, userID, department, figure string, p Period, afterAt time.Time, afterID string, limit int) ([]Item, error) {
	fg, ok := s.cfg.Figure(figure)
	switch {
	case !ok:
		return nil, badFigure("no figure %q", figure)
	case !fg.Kind.Measured():
		return nil, badFigure("%s is formed from %s: list their items", figure, strings.Join(Inputs(fg), ", "))
	}
	l, err := s.lens(ctx, userID, department)
	if err != nil {
		return nil, err
	}
	if !fg.Available {
		return []Item{}, nil
	}
	return s.store.Items(ctx, ItemQuery{Query: Query{Period: p, StreetCode: l.StreetCode, DepartmentCode: l.DepartmentCode,
		Figures: []string{figure}, ResponseWithin: s.cfg.ResponseWithin}, Figure: figure, AfterAt: afterAt, AfterID: afterID, Limit: limit})
}

func badFigure(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &derrors.Error{Code: derrors.BadRequest, Message: msg, Fields: []derrors.FieldError{{Field: "figure", Message: msg}}}
}

// Inputs are the figures fg is formed from (a measured figure: itself).
func Inputs(fg Figure) []string {
	switch fg.Kind {
	case KindRate:
		out := []string{}
		for _, t := range fg.Numerator {
			out = append(out, t.Figure)
		}
		return append(out, fg.Denominator)
	case KindComposite:
		out := []string{}
		for _, t := range fg.Parts {
			out = append(out, t.Figure)
		}
		return out
	}
	return []string{fg.Code}
}
