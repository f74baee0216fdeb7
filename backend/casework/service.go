package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/org"
)

// Change is one change of a case as the store writes it, in one transaction: the record's new
// state, the events of its history, the routing decided (nil: none), and what each sync scope gets.
type Change struct {
	Record  Record
	Action  string // the trail action, e.g. case.intake, case.transition.filed
	Events  []Event
	Routing *Routing
	Feed    map[string]Record
	// MergedFrom, for a merge, is the case merged into Record (at its next version): its sources
	// move to Record; MergedEvents and MergedFeed are its history entries and feed.
	MergedFrom   *Record
	MergedEvents []Event
	MergedFeed   map[string]Record
	// Clocks are the changes of deadlines the change makes (ClocksOf), MergedClocks those of
	// the merged case: the store applies them in the change's transaction.
	Clocks       ClockOps
	MergedClocks ClockOps
	// Grant is the review grant the change opens, when it routes the case to a department not
	// routed to before (newlyRouted): the store opens it in the change's transaction.
	Grant *grant.Grant
}

// Store persists cases. The consumer owns it; backend/postgres implements it. Every write adds
// its trail entry, applies the change's ClockOps to the deadlines and publishes the case to the
// sync feed in the same transaction.
type Store interface {
	// Create stores a new case; derrors.Conflict when its id is taken.
	Create(ctx context.Context, c Change) error
	// Update stores the case's next version if it is still at version base, else
	// derrors.Conflict.
	Update(ctx context.Context, c Change, base int) error
	// Get returns a case, or derrors.NotFound.
	Get(ctx context.Context, id string) (Record, error)
	// Events returns a case's history, oldest first, actors as usernames.
	Events(ctx context.Context, id string) ([]Event, error)
	// List returns the cases f selects, newest first, ties by id.
	List(ctx context.Context, f Filter) ([]Record, error)
	// OpenCases counts, for each officer code given, the open cases (not concluded, withdrawn
	// or merged) held by that officer.
	OpenCases(ctx context.Context, officers []string) (map[string]int, error)
	// OpenSimilar returns the open cases (not concluded, withdrawn or merged) of street and
	// matter taken in since since, newest first.
	OpenSimilar(ctx context.Context, street, matter string, since time.Time) ([]Record, error)
	// CaseOfInspection returns the id of the case opened from an inspection record, "" if none.
	CaseOfInspection(ctx context.Context, inspectionID string) (string, error)
	// MeetInspectionDeadlines meets an inspection record's open deadlines of the given kinds.
	MeetInspectionDeadlines(ctx context.Context, inspectionID string, kinds []DeadlineKind) error
	// Satisfactions returns the return call answers recorded for case id, oldest first.
	Satisfactions(ctx context.Context, id string) ([]Satisfaction, error)
	// AddSatisfaction stores a return call's answer with its trail entry in the street's chain,
	// leaving the case as it is; derrors.Conflict when the case has an answer other than
	// unreachable already.
	AddSatisfaction(ctx context.Context, s Satisfaction, street string) error
}

// Org is what the service reads of the organization.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	MatterAt(ctx context.Context, code string, at time.Time) (org.MatterInForce, error)
	Roster(ctx context.Context, team string, at time.Time, after *org.RosterKey, limit int) (org.Roster, error)
	TeamOfStreet(ctx context.Context, street string) (string, error)
	// AbsencesAt returns the absences, not withdrawn, covering at of the officers given.
	AbsencesAt(ctx context.Context, officers []string, at time.Time) ([]org.Absence, error)
}

// Config is the configuration of case handling.
type Config struct {
	// MaxOpenCases is the load at which an officer takes no more cases; 0: no limit.
	MaxOpenCases int
	// DuplicateRadiusM and DuplicateWindow say when an intake is the same problem as an open
	// case: the same matter, a place within the radius (metres), taken in within the window;
	// zero: DefaultDuplicateRadiusM, DefaultDuplicateWindow.
	DuplicateRadiusM float64
	DuplicateWindow  time.Duration
	// UnavailableKinds are the kinds of absence that keep an officer from being routed cases
	// (CandidateOnLeave); nil: every kind.
	UnavailableKinds []org.AbsenceKind
	// ReviewGrants are how long the grant of a department routed a case lasts (grant.Open).
	ReviewGrants grant.Periods
}

// GrantReader reads the live review grants that let a department's reviewers see cases
// (grant.Service).
type GrantReader interface {
	// LiveGrants returns, of the cases given, department's grant live at at on each that has one.
	LiveGrants(ctx context.Context, department string, caseIDs []string, at time.Time) (map[string]access.Grant, error)
}

// Service takes cases in, routes them by legal authority and moves them through their states.
type Service struct {
	store  Store
	org    Org
	now    func() time.Time
	cfg    Config
	grants GrantReader // nil: department reviewers see no case
}

// NewService returns a Service over store and o, reading the time from now.
func NewService(store Store, o Org, now func() time.Time, cfg Config) *Service {
	return &Service{store: store, org: o, now: now, cfg: cfg}
}

// ReviewedUnder makes department reviewers see the cases their department's live review grants
// cover, read from g (only when the caller is a reviewer). Without it they see none.
func (s *Service) ReviewedUnder(g GrantReader) { s.grants = g }

// grantsOf reads, when sc is a department reviewer, the department's live grants on the cases
// given; nil for anyone else, at no cost.
func (s *Service) grantsOf(ctx context.Context, sc org.Scope, ids ...string) (map[string]access.Grant, error) {
	if sc.Role != org.RoleDeptReviewer || s.grants == nil || sc.DepartmentCode == "" {
		return nil, nil
	}
	return s.grants.LiveGrants(ctx, sc.DepartmentCode, ids, s.now())
}

// newlyRouted reports whether r is routed to a department before was not (before nil: a new
// case): that department's reviewers get a grant on the case, on review's terms.
func newlyRouted(before *Record, r Record) bool {
	return r.DepartmentCode != "" && (before == nil || before.DepartmentCode != r.DepartmentCode)
}

// grantOf is the grant change c opens, if it newly routes the case (newlyRouted), by user by at
// at.
func (s *Service) grantOf(before *Record, r Record, by string, at time.Time) *grant.Grant {
	if !newlyRouted(before, r) {
		return nil
	}
	g := grant.Open(r.ID, r.DepartmentCode, at, by, s.cfg.ReviewGrants)
	return &g
}

// instant is the time of an act as stored: UTC, to the microsecond PostgreSQL keeps, so that
// the case served equals the case read back (and a list's cursor names a stored moment).
func (s *Service) instant() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Intake is a problem taken in: the case's id (chosen by the caller, so that a retry or an
// offline act names the same case), its matter, and its first source.
type Intake struct {
	ID          string
	MatterCode  string
	Source      Source
	Location    Location
	Description string
	// ConfirmNew opens a new case although it looks like open ones (a *DuplicatesError
	// otherwise).
	ConfirmNew bool
}

// Intake opens a case (a clue) from a grid source and routes it. Work orders, community reports
// and supervision notices are taken in by the street's grid operators and team leader (a
// community's own reports by the community too); an inspection record becomes a case through
// OpenFromInspection. Errors: derrors.Invalid (naming the field), derrors.Forbidden,
// derrors.Conflict (the id is taken).
func (s *Service) Intake(ctx context.Context, userID string, in Intake) (Record, error) {
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Record{}, err
	}
	ok := access.IntakeCase(sc) || (sc.Role == org.RoleCommunity && in.Source.Kind == SourceCommunityReport && sc.StreetCode != "")
	if !ok {
		return Record{}, derrors.New(derrors.Forbidden, "only the street's grid operators and team leader take problems in")
	}
	if err := validateIntake(in); err != nil {
		return Record{}, err
	}
	if !in.ConfirmNew {
		dups, err := s.duplicatesOf(ctx, sc.StreetCode, in.MatterCode, in.Location, now)
		if err != nil {
			return Record{}, err
		}
		if len(dups) > 0 {
			return Record{}, &DuplicatesError{Err: derrors.New(derrors.CaseDuplicates,
				"%d open case(s) of matter %s at this place: merge the source into one (merge_into) or confirm a new case (confirm_new)",
				len(dups), in.MatterCode), Duplicates: dups}
		}
	}
	in.Source.TakenBy = userID
	return s.openWith(ctx, sc, now, in, "case.intake", nil)
}

func validateIntake(in Intake) error {
	src := in.Source
	switch src.Kind {
	case SourceWorkOrder:
		if strings.TrimSpace(src.WorkOrderNumber) == "" {
			return derrors.Invalidf("/source/work_order_number", "a work order has its number")
		}
		if strings.TrimSpace(src.Channel) == "" {
			return derrors.Invalidf("/source/channel", "a work order names its channel (12345, ...)")
		}
	case SourceCommunityReport, SourceSupervisionNotice:
	case SourceInspection:
		return derrors.Invalidf("/source/kind", "a case opens from an inspection record with inspection_id")
	default:
		return derrors.Invalidf("/source/kind", "unknown source kind %q", src.Kind)
	}
	if src.Nature != "" && src.Nature != NatureSingle && src.Nature != NatureComprehensive {
		return derrors.Invalidf("/source/nature", "nature is single or comprehensive")
	}
	if src.ReceivedAt.IsZero() {
		return derrors.Invalidf("/source/received_at", "the source says when it was received")
	}
	if src.TimeLimit != nil && src.TimeLimit.Before(src.ReceivedAt) {
		return derrors.Invalidf("/source/time_limit", "the time limit is before the order was received")
	}
	if strings.TrimSpace(in.Description) == "" {
		return derrors.Invalidf("/description", "a case describes the problem")
	}
	return nil
}

func setMatter(r *Record, m org.MatterInForce) {
	r.MatterCode, r.MatterVersion, r.DepartmentCode = m.Code, m.Version, m.DepartmentCode
}

// route decides who holds r and sets r.Assignee and r.Routing. A single-nature problem from the
// district grid center goes straight to the competent department's queue (接诉即办条例 art. 11);
// anything else is routed by legal authority within the street's team (Route).
func (s *Service) route(ctx context.Context, r *Record, matter org.MatterInForce, now time.Time, single bool) (Routing, error) {
	var routing Routing
	if single && matter.DepartmentCode != "" {
		routing = Routing{CaseID: r.ID, At: now, MatterCode: matter.Code, MatterVersion: matter.Version,
			DepartmentCode: matter.DepartmentCode, Destination: DestDistrictQueue, Reason: routeReason(RouteSingleNature),
			Candidates: []Candidate{}}
	} else {
		roster, err := s.org.Roster(ctx, r.TeamCode, now, nil, 10_000)
		if err != nil {
			return Routing{}, err
		}
		var codes []string
		for _, m := range roster.Members {
			if m.Officer.DepartmentCode == matter.DepartmentCode {
				codes = append(codes, m.Officer.Code)
			}
		}
		open, err := s.store.OpenCases(ctx, codes)
		if err != nil {
			return Routing{}, err
		}
		absences, err := s.org.AbsencesAt(ctx, codes, now)
		if err != nil {
			return Routing{}, err
		}
		routing = Route(RouteInput{CaseID: r.ID, Matter: matter, At: now, Team: roster, OpenCases: open,
			OnLeave: org.Unavailable(absences, now, s.cfg.UnavailableKinds), MaxOpenCases: s.cfg.MaxOpenCases, Objectors: r.Objectors})
		if routing.Candidates == nil {
			routing.Candidates = []Candidate{}
		}
	}
	switch routing.Destination {
	case DestOfficer:
		r.Assignee = Receiver{Kind: ReceiverOfficer, Code: routing.OfficerCode}
	case DestDistrictQueue:
		r.Assignee = Receiver{Kind: ReceiverDepartment, Code: routing.DepartmentCode}
	default:
		r.Assignee = Receiver{Kind: ReceiverTeamLeader, Code: r.TeamCode}
	}
	r.Routing = &routing
	return routing, nil
}

// OpenFromInspection opens a clue from an inspection record of the street (the team leader may
// open one from any record of the street; an approval opens one automatically, see
// InspectionApproved). The matter is the record's first matter unless matterCode names another
// of it. Errors: derrors.Invalid, derrors.Forbidden, derrors.NotFound (no such record in the
// caller's street), derrors.Conflict (the record already has its case, or the id is taken).
func (s *Service) OpenFromInspection(ctx context.Context, userID, id string, rec InspectionFacts, matterCode string) (Record, error) {
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Record{}, err
	}
	if !access.KnowsStreet(sc, rec.StreetCode) || sc.StreetCode == "" {
		return Record{}, derrors.New(derrors.NotFound, "no inspection %s", rec.ID)
	}
	if sc.Role != org.RoleTeamLeader {
		return Record{}, derrors.New(derrors.Forbidden, "only the team leader opens a case from an inspection record")
	}
	if existing, err := s.store.CaseOfInspection(ctx, rec.ID); err != nil {
		return Record{}, err
	} else if existing != "" {
		return Record{}, derrors.New(derrors.Conflict, "inspection %s already has case %s", rec.ID, existing)
	}
	return s.openFromInspection(ctx, sc, now, id, rec, matterCode, "case.intake.inspection")
}

// InspectionFacts is what a case takes from an inspection record.
type InspectionFacts struct {
	ID          string
	StreetCode  string
	MatterCodes []string
	ActAt       time.Time
	Location    Location
	Description string
	// Seizure: the record seized goods (a seizure to be resolved before the case concludes).
	Seizure bool
	// FollowUp: the record needs a case (any procedure but a closed warning on the spot, a
	// seizure, or a referral); see inspection.NeedsFollowUp.
	FollowUp bool
}

func (s *Service) openFromInspection(ctx context.Context, sc org.Scope, now time.Time, id string, rec InspectionFacts, matterCode, action string) (Record, error) {
	if len(rec.MatterCodes) == 0 {
		return Record{}, derrors.Invalidf("/inspection_id", "the record names no matter")
	}
	if matterCode == "" {
		matterCode = rec.MatterCodes[0]
	} else if !slices.Contains(rec.MatterCodes, matterCode) {
		return Record{}, derrors.Invalidf("/matter_code", "matter %s is not one of the record's", matterCode)
	}
	desc := rec.Description
	if strings.TrimSpace(desc) == "" {
		desc = "现场检查发现的问题 / problem found on inspection"
	}
	in := Intake{ID: id, MatterCode: matterCode, Location: rec.Location, Description: desc,
		Source: Source{Kind: SourceInspection, InspectionID: rec.ID, ReceivedAt: rec.ActAt, Location: rec.Location,
			Description: desc, TakenBy: sc.UserID}}
	sc.StreetCode = rec.StreetCode
	r, err := s.openWith(ctx, sc, now, in, action, func(r *Record) { r.Facts.SeizureUnresolved = rec.Seizure })
	return r, err
}

// openWith stores a new clue for sc's street with its first routing; edit, if not nil, changes
// the record before it is routed.
func (s *Service) openWith(ctx context.Context, sc org.Scope, now time.Time, in Intake, action string, edit func(*Record)) (Record, error) {
	matter, err := s.org.MatterAt(ctx, in.MatterCode, now)
	if derrors.CodeOf(err) == derrors.NotFound && in.Source.Kind == SourceInspection {
		// A record's matter withdrawn from the catalogue since the act: the version of the act,
		// so that approving the record never fails for it.
		matter, err = s.org.MatterAt(ctx, in.MatterCode, in.Source.ReceivedAt)
	}
	if derrors.CodeOf(err) == derrors.NotFound {
		return Record{}, derrors.Invalidf("/matter_code", "no matter %q in force", in.MatterCode)
	}
	if err != nil {
		return Record{}, err
	}
	team, err := s.org.TeamOfStreet(ctx, sc.StreetCode)
	if err != nil {
		return Record{}, err
	}
	r := Record{ID: in.ID, StreetCode: sc.StreetCode, TeamCode: team, State: StateClue,
		Location: in.Location, Description: in.Description, Sources: []Source{in.Source}, Version: 1,
		CreatedAt: now, UpdatedAt: now}
	setMatter(&r, matter)
	if edit != nil {
		edit(&r)
	}
	routing, err := s.route(ctx, &r, matter, now, in.Source.Nature == NatureSingle)
	if err != nil {
		return Record{}, err
	}
	r.FirstReceiver = r.Assignee
	evs := []Event{{Kind: EventIntake, At: now, Actor: sc.UserID, To: StateClue},
		{Kind: EventRouted, At: now, Actor: sc.UserID, Reason: routing.Reason.EN, Assignee: &r.Assignee}}
	c := Change{Record: r, Action: action, Events: evs, Routing: &routing, Feed: Feed(r), Clocks: ClocksOf(nil, r, now),
		Grant: s.grantOf(nil, r, sc.UserID, now)}
	if err := s.store.Create(ctx, c); err != nil {
		return Record{}, err
	}
	return s.visible(ctx, sc, r)
}

// InspectionApproved opens the clue of an approved inspection record that needs follow-up, in
// the transaction of the approval (ctx), as the approving team leader. Approving again never
// opens a second: a record that has its case is left alone. It returns the case opened, if any.
func (s *Service) InspectionApproved(ctx context.Context, userID, caseID string, rec InspectionFacts) (*Record, error) {
	if !rec.FollowUp {
		return nil, nil
	}
	if existing, err := s.store.CaseOfInspection(ctx, rec.ID); err != nil || existing != "" {
		return nil, err
	}
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	r, err := s.openFromInspection(ctx, sc, now, caseID, rec, "", "case.intake.approval")
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// visible returns r as sc may see it, or derrors.NotFound; a department reviewer's grant on r is
// read for it.
func (s *Service) visible(ctx context.Context, sc org.Scope, r Record) (Record, error) {
	grants, err := s.grantsOf(ctx, sc, r.ID)
	if err != nil {
		return Record{}, err
	}
	return visibleUnder(sc, r, grants)
}

// visibleUnder returns r as sc may see it under the live grants given (by case id), or
// derrors.NotFound.
func visibleUnder(sc org.Scope, r Record, grants map[string]access.Grant) (Record, error) {
	v := View(r)
	if g, ok := grants[r.ID]; ok {
		v.Grant = &g
	}
	ok, masked := access.Case(sc, v)
	switch {
	case !ok:
		return Record{}, derrors.New(derrors.NotFound, "no case %s", r.ID)
	case masked:
		return Mask(r), nil
	}
	return r, nil
}

// View is r as access judges it.
func View(r Record) access.CaseView {
	v := access.CaseView{StreetCode: r.StreetCode, DepartmentCode: r.DepartmentCode}
	for _, rc := range []Receiver{r.Assignee, r.FirstReceiver} {
		if rc.Kind == ReceiverOfficer {
			v.Officers = append(v.Officers, rc.Code)
		}
	}
	for _, src := range r.Sources {
		v.TakenBy = append(v.TakenBy, src.TakenBy)
	}
	return v
}

// Mask hides the contacts of r's sources: the name but the surname, the middle of the phone.
func Mask(r Record) Record {
	srcs := make([]Source, len(r.Sources))
	for i, src := range r.Sources {
		if src.Contact != nil {
			c := Contact{Name: access.MaskName(src.Contact.Name), Phone: access.MaskPhone(src.Contact.Phone)}
			if src.Contact.Phone == "" {
				c.Phone = ""
			}
			src.Contact = &c
		}
		srcs[i] = src
	}
	r.Sources, r.Masked = srcs, true
	return r
}

// Feed is what each sync scope gets of r: the team the case masked, the officer holding it and
// the first receiver (the case team) in full.
func Feed(r Record) map[string]Record {
	out := map[string]Record{"team:" + r.TeamCode: Mask(r)}
	for _, rc := range []Receiver{r.Assignee, r.FirstReceiver} {
		if rc.Kind == ReceiverOfficer {
			out["officer:"+rc.Code] = r
		}
	}
	return out
}

// Get returns a case as the viewer may see it. Errors: derrors.NotFound.
func (s *Service) Get(ctx context.Context, viewer, id string) (Record, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Record{}, err
	}
	sc, err := s.org.Scope(ctx, viewer, s.now())
	if err != nil {
		return Record{}, err
	}
	return s.visible(ctx, sc, r)
}

// History returns a case as the viewer may see it with its history. Errors: derrors.NotFound.
func (s *Service) History(ctx context.Context, viewer, id string) (Record, []Event, error) {
	r, err := s.Get(ctx, viewer, id)
	if err != nil {
		return Record{}, nil, err
	}
	evs, err := s.store.Events(ctx, id)
	return r, evs, err
}

// ListQuery is what a caller asks of a list.
type ListQuery struct {
	State          State
	AssignedToMe   bool
	DepartmentCode string
	Limit          int
	After          *Cursor
}

// List returns the cases the viewer may see that q selects, newest first (ties by id): an
// officer's and team leader's their street's, a department reviewer's those of the department, a
// grid operator's those of a source they took in, an administrator's all; a department reviewer's
// those the department's live review grants cover. Lists are masked but
// for the case team, as Get. Errors: derrors.Forbidden.
func (s *Service) List(ctx context.Context, viewer string, q ListQuery) ([]Record, error) {
	sc, err := s.org.Scope(ctx, viewer, s.now())
	if err != nil {
		return nil, err
	}
	if !access.ListCases(sc) {
		return nil, derrors.New(derrors.Forbidden, "this account does not list cases")
	}
	f := Filter{State: q.State, DepartmentCode: q.DepartmentCode, Limit: q.Limit, After: q.After}
	switch sc.Role {
	case org.RoleOfficer, org.RoleTeamLeader:
		f.StreetCode = sc.StreetCode
	case org.RoleDeptReviewer:
		f.GrantedTo, f.GrantedAt = sc.DepartmentCode, s.now()
	case org.RoleGridOperator:
		f.TakenBy = sc.UserID
	}
	if q.AssignedToMe {
		switch {
		case sc.OfficerCode != "" && sc.Role == org.RoleOfficer:
			f.Assignee = &Receiver{Kind: ReceiverOfficer, Code: sc.OfficerCode}
		case sc.Role == org.RoleDeptReviewer:
			f.Assignee = &Receiver{Kind: ReceiverDepartment, Code: sc.DepartmentCode}
		case sc.Role == org.RoleTeamLeader:
			team, err := s.org.TeamOfStreet(ctx, sc.StreetCode)
			if err != nil {
				return nil, err
			}
			f.Assignee = &Receiver{Kind: ReceiverTeamLeader, Code: team}
		default:
			return []Record{}, nil
		}
	}
	list, err := s.store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	grants, err := s.grantsOf(ctx, sc, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(list))
	for _, r := range list {
		if v, err := visibleUnder(sc, r, grants); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

// load reads a case for a change by userID: the case, the caller's scope, and the case as the
// caller sees it. A merged case takes no more acts, nor an archived one: every command of a case
// loads it here, so this is the one place the archive's read-only rule is kept (the closing moves
// the case's version, so a change loaded before it fails in the store). Errors:
// derrors.NotFound, derrors.Conflict, derrors.CaseArchived.
func (s *Service) load(ctx context.Context, userID, id string, base int) (Record, org.Scope, error) {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return Record{}, org.Scope{}, err
	}
	sc, err := s.org.Scope(ctx, userID, s.now())
	if err != nil {
		return Record{}, org.Scope{}, err
	}
	if _, err := s.visible(ctx, sc, r); err != nil {
		return Record{}, org.Scope{}, err
	}
	if r.MergedInto != "" {
		return Record{}, org.Scope{}, derrors.New(derrors.Conflict, "case %s was merged into %s", id, r.MergedInto)
	}
	if r.State == StateArchived {
		return Record{}, org.Scope{}, derrors.New(derrors.CaseArchived, "case %s is archived: a later correction is an annex of its archive", id)
	}
	if base != 0 && base != r.Version {
		return Record{}, org.Scope{}, derrors.New(derrors.Conflict, "the act is based on version %d, but the case is at version %d", base, r.Version)
	}
	return r, sc, nil
}

// handles reports whether sc handles case r: the officer holding it, or the team leader of its
// street.
func handles(sc org.Scope, r Record) bool {
	return leads(sc, r) || (sc.Role == org.RoleOfficer && sc.OfficerCode != "" && r.Assignee == Receiver{Kind: ReceiverOfficer, Code: sc.OfficerCode})
}

// leads reports whether sc is the team leader of r's street.
func leads(sc org.Scope, r Record) bool {
	return sc.Role == org.RoleTeamLeader && sc.StreetCode == r.StreetCode
}

// loadFor is load for an act that only callers may (handles, leads) make: derrors.Forbidden
// with refusal for anyone else who sees the case.
func (s *Service) loadFor(ctx context.Context, userID, id string, base int, may func(org.Scope, Record) bool, refusal string) (Record, org.Scope, error) {
	r, sc, err := s.load(ctx, userID, id, base)
	if err == nil && !may(sc, r) {
		err = derrors.New(derrors.Forbidden, "%s", refusal)
	}
	return r, sc, err
}

// save stores r, changed from before (the case as loaded), as its next version with its events
// and the changes of its deadlines (ClocksOf), in one transaction of the store.
func (s *Service) save(ctx context.Context, sc org.Scope, before, r Record, action string, routing *Routing, evs ...Event) (Record, error) {
	base := r.Version
	r.Version++
	r.UpdatedAt = s.instant()
	c := Change{Record: r, Action: action, Events: evs, Routing: routing, Feed: Feed(r), Clocks: ClocksOf(&before, r, r.UpdatedAt),
		Grant: s.grantOf(&before, r, sc.UserID, r.UpdatedAt)}
	if err := s.store.Update(ctx, c, base); err != nil {
		return Record{}, err
	}
	return s.visible(ctx, sc, r)
}

// MoveRequest is a transition asked for, with the facts it records.
type MoveRequest struct {
	To      State
	Base    int // the version the caller saw; 0: any
	Outcome Outcome
	// Facts recorded with the move (a decision's penalty, the proof of service...).
	Penalty             *Penalty
	LegalReviewRequired *bool
	LegalReviewDone     bool
	HearingOffered      bool
	ServiceRecorded     bool
	SeizureResolved     bool
	Reason              string
}

// Transition moves a case to another state, if the table of moves allows it for the caller's
// role and every gate is met on the case's facts with those the request records. Only the
// officer holding the case or the street's team leader may. A refusal is a *TransitionError
// (wrapped in a derrors.Error: Forbidden for the role, Conflict otherwise) listing every unmet
// gate. Errors: derrors.NotFound, derrors.Forbidden, derrors.Conflict.
func (s *Service) Transition(ctx context.Context, userID, id string, m MoveRequest) (Record, error) {
	r, sc, err := s.loadFor(ctx, userID, id, m.Base, handles, "only the officer holding the case or the team leader moves it")
	if err != nil {
		return Record{}, err
	}
	next := r
	if m.Outcome != "" {
		next.Outcome = m.Outcome
	}
	f := &next.Facts
	if m.Penalty != nil {
		f.Penalty = *m.Penalty
	}
	if m.LegalReviewRequired != nil {
		f.LegalReviewRequired = *m.LegalReviewRequired
	}
	f.LegalReviewDone = f.LegalReviewDone || m.LegalReviewDone
	f.HearingOffered = f.HearingOffered || m.HearingOffered
	f.ServiceRecorded = f.ServiceRecorded || m.ServiceRecorded
	if m.SeizureResolved {
		f.SeizureUnresolved = false
	}
	if m.To == StateWithdrawn {
		f.WithdrawReason = m.Reason
	}
	facts := GateFacts{RightsNotified: f.RightsNotified, RightsWaived: f.RightsWaived,
		LegalReviewRequired: f.LegalReviewRequired, LegalReviewDone: f.LegalReviewDone, Outcome: next.Outcome,
		Penalty: f.Penalty, HearingOffered: f.HearingOffered, ServiceRecorded: f.ServiceRecorded,
		SeizureUnresolved: f.SeizureUnresolved, Reason: m.Reason}
	if err := Transition(Case{ID: r.ID, State: r.State}, m.To, sc.Role, facts); err != nil {
		return Record{}, Refusal(err)
	}
	next.State = m.To
	ev := Event{Kind: EventTransition, At: s.instant(), Actor: sc.UserID, From: r.State, To: m.To, Reason: m.Reason}
	return s.save(ctx, sc, r, next, "case.transition."+string(m.To), nil, ev)
}

// RefusalError is a refused transition as the API answers it: the derrors code decides the
// status, the TransitionError says what is missing.
type RefusalError struct {
	Err     *derrors.Error
	Refusal *TransitionError
}

func (e *RefusalError) Error() string { return e.Err.Error() }

// Unwrap lets derrors.CodeOf and errors.As find the code.
func (e *RefusalError) Unwrap() error { return e.Err }

// Refusal wraps a *TransitionError in the error code the API answers: derrors.Forbidden when the
// role may not make the move, derrors.CaseTransitionRefused when the move does not exist or its
// gates are unmet.
func Refusal(err error) error {
	te, ok := err.(*TransitionError)
	if !ok {
		return err
	}
	code := derrors.CaseTransitionRefused
	if te.Code == RefusedRole {
		code = derrors.Forbidden
	}
	return &RefusalError{Err: derrors.New(code, "%s", te.Error()), Refusal: te}
}

// Reassign is the team leader's reassignment of a case to an officer of the team, with a reason.
// The officer must be a (non-auxiliary) member of the case's team now. Errors: derrors.NotFound,
// derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Reassign(ctx context.Context, userID, id string, base int, officer, reason string) (Record, error) {
	if strings.TrimSpace(reason) == "" {
		return Record{}, derrors.Invalidf("/reason", "a reassignment says why")
	}
	r, sc, err := s.loadFor(ctx, userID, id, base, leads, "only the team leader reassigns a case")
	if err != nil {
		return Record{}, err
	}
	before := r
	if closed(r.State) {
		return Record{}, derrors.New(derrors.Conflict, "the case is %s", r.State)
	}
	now := s.instant()
	roster, err := s.org.Roster(ctx, r.TeamCode, now, nil, 10_000)
	if err != nil {
		return Record{}, err
	}
	found := false
	for _, m := range roster.Members {
		if m.Officer.Code == officer && !m.Officer.Auxiliary {
			found = true
		}
	}
	if !found {
		return Record{}, derrors.Invalidf("/officer_code", "%s is no officer of team %s", officer, r.TeamCode)
	}
	r.Assignee = Receiver{Kind: ReceiverOfficer, Code: officer}
	routing := Routing{CaseID: r.ID, At: now, MatterCode: r.MatterCode, MatterVersion: r.MatterVersion,
		DepartmentCode: r.DepartmentCode, Destination: DestOfficer, OfficerCode: officer,
		Reason: routeReason(RouteReassigned), Candidates: []Candidate{}}
	r.Routing = &routing
	ev := Event{Kind: EventReassigned, At: now, Actor: sc.UserID, Reason: reason, Assignee: &r.Assignee}
	return s.save(ctx, sc, before, r, "case.reassign", &routing, ev)
}

// closed reports whether a case in state st is no longer handled.
func closed(st State) bool {
	return st == StateConcluded || st == StateWithdrawn || st == StateArchived
}

// Object is an objection (异议) by the receiving officer or department to a case, with a reason:
// the case goes back to routing with its history, and routing never picks the objector again.
// A department's objection sends the case to the street's team leader (the department disputes
// its competence: the matter is for the team leader to settle). Errors: derrors.NotFound,
// derrors.Forbidden (not the receiver), derrors.Invalid, derrors.Conflict.
func (s *Service) Object(ctx context.Context, userID, id string, base int, reason string) (Record, error) {
	if strings.TrimSpace(reason) == "" {
		return Record{}, derrors.Invalidf("/reason", "an objection says why")
	}
	r, sc, err := s.load(ctx, userID, id, base)
	if err != nil {
		return Record{}, err
	}
	before := r
	if r.State != StateClue {
		return Record{}, derrors.New(derrors.Conflict, "a %s case is no longer objected to: the team leader reassigns it", r.State)
	}
	now := s.instant()
	var routing Routing
	switch {
	case sc.Role == org.RoleOfficer && sc.OfficerCode != "" && r.Assignee == Receiver{Kind: ReceiverOfficer, Code: sc.OfficerCode}:
		r.Objectors = append(r.Objectors, sc.OfficerCode)
		matter, err := s.org.MatterAt(ctx, r.MatterCode, now)
		if err != nil {
			return Record{}, err
		}
		if matter.Version != r.MatterVersion {
			// Routing is as of the intake's version: the department it named decides.
			matter.Version, matter.DepartmentCode = r.MatterVersion, r.DepartmentCode
		}
		if routing, err = s.route(ctx, &r, matter, now, false); err != nil {
			return Record{}, err
		}
	case sc.Role == org.RoleDeptReviewer && r.Assignee == Receiver{Kind: ReceiverDepartment, Code: sc.DepartmentCode}:
		r.Assignee = Receiver{Kind: ReceiverTeamLeader, Code: r.TeamCode}
		routing = Routing{CaseID: r.ID, At: now, MatterCode: r.MatterCode, MatterVersion: r.MatterVersion,
			DepartmentCode: r.DepartmentCode, Destination: DestUnroutable, Reason: routeReason(RouteDepartmentObjected),
			Candidates: []Candidate{}}
		r.Routing = &routing
	default:
		return Record{}, derrors.New(derrors.Forbidden, "only the officer or department receiving the case objects to it")
	}
	ev := Event{Kind: EventObjection, At: now, Actor: sc.UserID, Reason: reason, Assignee: &r.Assignee}
	return s.save(ctx, sc, before, r, "case.objection", &routing, ev)
}

// ChangeMatter re-categorises a case (the team leader, or the officer holding it, with a reason):
// the version of the new matter in force now, and the case is routed again to its owner (the
// FixMyStreet failure: a re-categorised report must follow its new owner). Errors:
// derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) ChangeMatter(ctx context.Context, userID, id string, base int, matterCode, reason string) (Record, error) {
	if strings.TrimSpace(reason) == "" {
		return Record{}, derrors.Invalidf("/reason", "a matter change says why")
	}
	r, sc, err := s.loadFor(ctx, userID, id, base, handles, "only the officer holding the case or the team leader changes its matter")
	if err != nil {
		return Record{}, err
	}
	before := r
	if r.State != StateClue && r.State != StateFiled {
		return Record{}, derrors.New(derrors.Conflict, "the matter of a %s case is settled", r.State)
	}
	now := s.instant()
	matter, err := s.org.MatterAt(ctx, matterCode, now)
	if derrors.CodeOf(err) == derrors.NotFound {
		return Record{}, derrors.Invalidf("/matter_code", "no matter %q in force", matterCode)
	}
	if err != nil {
		return Record{}, err
	}
	if matter.Code == r.MatterCode && matter.Version == r.MatterVersion {
		return Record{}, derrors.Invalidf("/matter_code", "the case is of matter %s already", matterCode)
	}
	old := r.MatterCode
	setMatter(&r, matter)
	routing, err := s.route(ctx, &r, matter, now, false)
	if err != nil {
		return Record{}, err
	}
	ev := Event{Kind: EventMatterChange, At: now, Actor: sc.UserID, Reason: fmt.Sprintf("%s -> %s: %s", old, matter.Code, reason),
		Assignee: &r.Assignee}
	return s.save(ctx, sc, before, r, "case.matter", &routing, ev)
}

// Note adds a note to a case's history (an officer's progress, a call with the reporter): the
// officer holding it or the team leader. Errors: derrors.NotFound, derrors.Forbidden,
// derrors.Invalid.
func (s *Service) Note(ctx context.Context, userID, id, text string) (Record, error) {
	if strings.TrimSpace(text) == "" {
		return Record{}, derrors.Invalidf("/text", "a note says something")
	}
	r, sc, err := s.loadFor(ctx, userID, id, 0, handles, "only the officer holding the case or the team leader adds notes")
	if err != nil {
		return Record{}, err
	}
	before := r
	ev := Event{Kind: EventNote, At: s.instant(), Actor: sc.UserID, Reason: text}
	return s.save(ctx, sc, before, r, "case.note", nil, ev)
}

// Notify records that the party was told the facts, grounds and basis of the intended decision
// and their rights (处罚法 art. 44), or waived statement and defence on record; the fact the
// decision's gate looks for. Only for a filed case before its decision (filed or
// investigating), by the officer holding it or the team leader. Errors: derrors.NotFound, derrors.Forbidden, derrors.Conflict.
func (s *Service) Notify(ctx context.Context, userID, id string, base int, waived bool, note string) (Record, error) {
	r, sc, err := s.loadFor(ctx, userID, id, base, handles, "only the officer holding the case or the team leader notifies the party")
	if err != nil {
		return Record{}, err
	}
	before := r
	if r.State != StateInvestigating && r.State != StateFiled {
		return Record{}, derrors.New(derrors.Conflict, "the party is notified of a filed case before the decision, not of a %s one", r.State)
	}
	if waived {
		r.Facts.RightsWaived = true
	} else {
		r.Facts.RightsNotified = true
	}
	ev := Event{Kind: EventNotified, At: s.instant(), Actor: sc.UserID, Reason: note}
	return s.save(ctx, sc, before, r, "case.notify", nil, ev)
}
