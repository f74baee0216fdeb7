package whistle

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Change is a whistle raised or changed, as the store writes it in one transaction: the whistle,
// its trail entry's action (on the street's chain), the escalation jobs to schedule, and the
// whistle published to the street's team scope.
type Change struct {
	Whistle Whistle
	Action  string
	Timers  []Timer
}

// Filter narrows a list of whistles: the caller's visibility (Street, or Department for a
// department's reviewers, neither for administrators) and the filters asked for.
type Filter struct {
	Street     string // only this street's whistles
	Department string // only whistles calling this department (a reviewer's)
	Scope      Scope
	Type       Type
	State      State
	Calls      string // only whistles calling this department (the department filter)
	After      *Cursor
	Limit      int
}

// Cursor is a position in a list of whistles, newest first: the last whistle of a page.
type Cursor struct {
	At time.Time
	ID string
}

// Store persists whistles. The consumer owns it; backend/postgres implements it.
type Store interface {
	// Create stores a new whistle, numbering it: the store allocates the next seq of the
	// whistle's street in its Year (gapless: a rollback gives it back) and number names it.
	// derrors.Conflict when the id is taken.
	Create(ctx context.Context, c Change, number func(seq int) string) (Whistle, error)
	// Update stores the whistle's next version if it is still at version base, else
	// derrors.Conflict.
	Update(ctx context.Context, c Change, base int) error
	// Get returns a whistle, or derrors.NotFound.
	Get(ctx context.Context, id string) (Whistle, error)
	// List returns whistles newest first (raised_at, ties by id).
	List(ctx context.Context, f Filter) ([]Whistle, error)
	// CaseStreet returns the street of case id, or derrors.NotFound.
	CaseStreet(ctx context.Context, id string) (string, error)
	// OwnEvidence returns those of ids that are evidence items uploaded by user userID.
	OwnEvidence(ctx context.Context, userID string, ids []string) ([]string, error)
}

// Org is what whistles read of the organization.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	Streets(ctx context.Context) ([]org.Street, error)
	Departments(ctx context.Context) ([]org.Department, error)
	TeamOfStreet(ctx context.Context, street string) (string, error)
	Officers(ctx context.Context, codes []string) ([]org.Member, error)
}

// Service raises, reports on, rules on, closes, rates and reads whistles.
type Service struct {
	store     Store
	org       Org
	deadlines Deadlines
	format    NumberFormat
	year      YearOf
	now       func() time.Time
	newID     func() string
}

// NumberFormat names a whistle: its street (code and name) and its seq in the year
// (numbering.Format.Number).
type NumberFormat interface {
	Number(streetCode, streetName string, year, seq int) string
}

// YearOf is the numbering year of an instant (numbering.YearOf).
type YearOf func(time.Time) int

// NewService returns a Service over store, counting deadlines with d, numbering with format in
// the years of yearOf, reading the time from now and making ids with newID.
func NewService(store Store, o Org, d Deadlines, format NumberFormat, yearOf YearOf, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, org: o, deadlines: d, format: format, year: yearOf, now: now, newID: newID}
}

func (s *Service) instant() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// street roles see their street's whistles.
func streetRole(r org.Role) bool {
	return r == org.RoleOfficer || r == org.RoleTeamLeader || r == org.RoleGridOperator || r == org.RoleCommunity
}

// raiser: the street's grid operator or team leader raises, rules, notes and closes.
func raiser(sc org.Scope, street string) bool {
	return (sc.Role == org.RoleGridOperator || sc.Role == org.RoleTeamLeader) && sc.StreetCode != "" && sc.StreetCode == street
}

// Visible reports whether the caller of sc sees w: administrators all, the street's roles their
// street's, a department's reviewers the whistles calling their department.
func Visible(w Whistle, sc org.Scope) bool {
	switch {
	case sc.Role == org.RoleAdmin:
		return true
	case sc.Role == org.RoleDeptReviewer:
		return sc.DepartmentCode != "" && w.call(sc.DepartmentCode) != nil
	case streetRole(sc.Role):
		return sc.StreetCode != "" && sc.StreetCode == w.StreetCode
	}
	return false
}

// departments are the district's department codes.
func (s *Service) departments(ctx context.Context) (map[string]bool, error) {
	list, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(list))
	for _, d := range list {
		out[d.Code] = true
	}
	return out, nil
}

// Raise is a whistle raised by the street's grid operator or team leader, judged by CheckRaise;
// a case it comes from is resolved in the caller's street (another street's is unknown). Errors:
// derrors.Forbidden, derrors.NotFound (the case), derrors.Invalid, derrors.Conflict.
func (s *Service) Raise(ctx context.Context, userID string, r RaiseRequest) (Whistle, error) {
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Whistle{}, err
	}
	if !raiser(sc, sc.StreetCode) {
		return Whistle{}, derrors.New(derrors.Forbidden, "only the street's grid operator or team leader raises a whistle")
	}
	if r.CaseID != "" {
		street, err := s.store.CaseStreet(ctx, r.CaseID)
		if err == nil && street != sc.StreetCode {
			err = derrors.New(derrors.NotFound, "no case %s", r.CaseID)
		}
		if err != nil {
			return Whistle{}, err
		}
	}
	deps, err := s.departments(ctx)
	if err != nil {
		return Whistle{}, err
	}
	if err := CheckRaise(r, deps, now); err != nil {
		return Whistle{}, err
	}
	team, err := s.org.TeamOfStreet(ctx, sc.StreetCode)
	if err != nil {
		return Whistle{}, err
	}
	streets, err := s.org.Streets(ctx)
	if err != nil {
		return Whistle{}, err
	}
	name := sc.StreetCode
	for _, st := range streets {
		if st.Code == sc.StreetCode {
			name = st.NameZH
		}
	}
	w, ts := Raise(s.deadlines, s.newID(), userID, sc.StreetCode, team, r, now)
	w.Year = s.year(now)
	return s.store.Create(ctx, Change{Whistle: w, Action: "whistle.raise", Timers: ts}, func(seq int) string {
		return s.format.Number(w.StreetCode, name, w.Year, seq)
	})
}

// load returns whistle id and the caller's scope if the caller sees it, else derrors.NotFound.
func (s *Service) load(ctx context.Context, userID, id string) (Whistle, org.Scope, error) {
	sc, err := s.org.Scope(ctx, userID, s.instant())
	if err != nil {
		return Whistle{}, org.Scope{}, err
	}
	w, err := s.store.Get(ctx, id)
	if err != nil {
		return Whistle{}, org.Scope{}, err
	}
	if !Visible(w, sc) {
		return Whistle{}, org.Scope{}, derrors.New(derrors.NotFound, "no whistle %s", id)
	}
	return w, sc, nil
}

// Get returns a whistle the caller sees. Errors: derrors.NotFound.
func (s *Service) Get(ctx context.Context, viewer, id string) (Whistle, error) {
	w, _, err := s.load(ctx, viewer, id)
	return w, err
}

// List returns the whistles the caller sees, newest first, narrowed by f's filters (its
// visibility fields are set here). Errors: derrors.Forbidden for an account of no street,
// department or district.
func (s *Service) List(ctx context.Context, viewer string, f Filter) ([]Whistle, error) {
	sc, err := s.org.Scope(ctx, viewer, s.instant())
	if err != nil {
		return nil, err
	}
	f.Street, f.Department = "", ""
	switch {
	case sc.Role == org.RoleAdmin:
	case sc.Role == org.RoleDeptReviewer && sc.DepartmentCode != "":
		f.Department = sc.DepartmentCode
	case streetRole(sc.Role) && sc.StreetCode != "":
		f.Street = sc.StreetCode
	default:
		return []Whistle{}, nil
	}
	return s.store.List(ctx, f)
}

// attempts bounds how often an act is judged again when the whistle moved between its reading
// and its writing (a report racing an escalation): the act is judged on the new version.
const attempts = 3

// act judges apply on the whistle the caller sees, at the time of the act, and stores the result
// with the trail action apply returns; a whistle that moved meanwhile is read and judged again.
func (s *Service) act(ctx context.Context, userID, id string, apply func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error)) (Whistle, error) {
	for attempt := 1; ; attempt++ {
		w, sc, err := s.load(ctx, userID, id)
		if err != nil {
			return Whistle{}, err
		}
		action, ts, err := apply(&w, sc, s.instant())
		if err != nil {
			return Whistle{}, err
		}
		base := w.Version
		w.Version++
		err = s.store.Update(ctx, Change{Whistle: w, Action: action, Timers: ts}, base)
		if derrors.CodeOf(err) == derrors.Conflict && attempt < attempts {
			continue
		}
		if err != nil {
			return Whistle{}, err
		}
		return w, nil
	}
}

// reportsFor reports whether the caller of sc reports for department code of a whistle of street:
// the department's reviewers, and the department's officers in the street's team.
func (s *Service) reportsFor(ctx context.Context, sc org.Scope, code, street string) (bool, error) {
	switch sc.Role {
	case org.RoleDeptReviewer:
		return sc.DepartmentCode == code, nil
	case org.RoleOfficer, org.RoleTeamLeader:
		if sc.OfficerCode == "" || sc.StreetCode != street {
			return false, nil
		}
		ms, err := s.org.Officers(ctx, []string{sc.OfficerCode})
		if err != nil {
			return false, err
		}
		return len(ms) == 1 && ms[0].Officer.DepartmentCode == code, nil
	}
	return false, nil
}

// department checks that the caller of sc acts for department code of w.
func (s *Service) department(ctx context.Context, sc org.Scope, code string, w Whistle, what string) error {
	ok, err := s.reportsFor(ctx, sc, code, w.StreetCode)
	if err == nil && !ok {
		err = derrors.New(derrors.Forbidden, "only department %s's reviewers and its officers in the street's team %s for it", code, what)
	}
	return err
}

// street checks that the caller of sc is the grid operator or team leader of w's street.
func street(sc org.Scope, w Whistle, what string) error {
	if !raiser(sc, w.StreetCode) {
		return derrors.New(derrors.Forbidden, "only the street's grid operator or team leader %s", what)
	}
	return nil
}

// Report records a step of a called department, by the department's reviewer or one of its
// officers in the street's team, judged by ApplyReport at the act's time: online and offline
// (whistle.ack@1, whistle.arrive@1, whistle.finish@1) alike. Evidence named must be the
// reporter's own uploads. Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid,
// derrors.Conflict.
func (s *Service) Report(ctx context.Context, userID, id string, r ReportRequest) (Whistle, error) {
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := s.department(ctx, sc, r.DepartmentCode, *w, "report"); err != nil {
			return "", nil, err
		}
		if len(r.EvidenceIDs) > 0 {
			own, err := s.store.OwnEvidence(ctx, userID, r.EvidenceIDs)
			if err != nil {
				return "", nil, err
			}
			for i, e := range r.EvidenceIDs {
				if !slices.Contains(own, e) || slices.Index(r.EvidenceIDs, e) != i {
					return "", nil, derrors.Invalidf(fmt.Sprintf("/evidence_ids/%d", i), "no evidence item %s of yours (or named twice)", e)
				}
			}
		}
		return "whistle." + string(r.Step), nil, ApplyReport(w, r, userID, now)
	})
}

// Object records a called department's objection (not its remit) by its reviewers or officers.
// Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Object(ctx context.Context, userID, id, code, reasons string) (Whistle, error) {
	oid := s.newID()
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := s.department(ctx, sc, code, *w, "object"); err != nil {
			return "", nil, err
		}
		return "whistle.object", nil, ApplyObjection(w, oid, code, reasons, userID, now)
	})
}

// Rule is the street's ruling on a department's objection (ApplyRuling). Errors:
// derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Rule(ctx context.Context, userID, id string, r RulingRequest) (Whistle, error) {
	deps, err := s.departments(ctx)
	if err != nil {
		return Whistle{}, err
	}
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := street(sc, *w, "rules on an objection"); err != nil {
			return "", nil, err
		}
		ts, err := ApplyRuling(w, s.deadlines, r, deps, userID, now)
		return "whistle.rule", ts, err
	})
}

// Note adds a progress note by the street. Errors: derrors.NotFound, derrors.Forbidden,
// derrors.Invalid, derrors.Conflict.
func (s *Service) Note(ctx context.Context, userID, id, text string) (Whistle, error) {
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := street(sc, *w, "notes a whistle's progress"); err != nil {
			return "", nil, err
		}
		return "whistle.note", nil, ApplyNote(w, text, userID, now)
	})
}

// Close closes a whistle by the street (ApplyClose). Errors: derrors.NotFound,
// derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Close(ctx context.Context, userID, id, result, reason string) (Whistle, error) {
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := street(sc, *w, "closes a whistle"); err != nil {
			return "", nil, err
		}
		return "whistle.close", nil, ApplyClose(w, result, reason, userID, now)
	})
}

// Rate is a rating of a closed whistle by its source or a community of its street (MayRate),
// once each. Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Rate(ctx context.Context, userID, id string, rating Rating, comment string) (Whistle, error) {
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if !MayRate(*w, sc) {
			return "", nil, derrors.New(derrors.Forbidden, "the whistle's source and the street's communities rate it")
		}
		return "whistle.rate", nil, ApplyRating(w, sc, rating, comment, now)
	})
}

// Satisfaction records a hotline resident's answer, asked by the street (ApplySatisfaction).
// Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Satisfaction(ctx context.Context, userID, id string, answer Answer, at time.Time) (Whistle, error) {
	return s.act(ctx, userID, id, func(w *Whistle, sc org.Scope, now time.Time) (string, []Timer, error) {
		if err := street(sc, *w, "records the resident's satisfaction"); err != nil {
			return "", nil, err
		}
		return "whistle.satisfaction", nil, ApplySatisfaction(w, answer, at, userID, now)
	})
}
