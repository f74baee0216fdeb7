package grant

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Grant is a department's access to a case for review: its reviewers see the case, its records
// (their versions) and their evidence from GrantedAt until ExpiresAt, unless revoked. A grant is
// view-only and masked when opened; DownloadAllowed lets the reviewers download originals,
// Unmasked shows them the party's personal data in full, on the LegalBasis recorded with it.
type Grant struct {
	ID             string    `json:"id"`
	CaseID         string    `json:"case_id"`
	DepartmentCode string    `json:"department_code"`
	GrantedAt      time.Time `json:"granted_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	// RevokedAt, RevokedBy (a user id) and RevokeReason are set once, by the revocation.
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	RevokedBy       string     `json:"revoked_by,omitempty"`
	RevokeReason    string     `json:"revoke_reason,omitempty"`
	DownloadAllowed bool       `json:"download_allowed"`
	Unmasked        bool       `json:"unmasked"`
	LegalBasis      string     `json:"legal_basis,omitempty"`
	// Version counts the changes of the grant: the ETag and If-Match name it.
	Version int `json:"version"`
	// CreatedBy is the user id of the account whose act routed the case (an intake, an approval,
	// a matter change).
	CreatedBy string `json:"created_by"`
}

// EventKind is what happened to a grant.
type EventKind string

// The events of a grant's history; each is a trail action review.grant.<kind>.
const (
	EventOpened   EventKind = "open"
	EventExtended EventKind = "extend"
	EventRevoked  EventKind = "revoke"
	EventTerms    EventKind = "terms"
)

// Event is one change of a grant, kept with it: who, when, why.
type Event struct {
	Kind   EventKind `json:"kind"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // user id
	Reason string    `json:"reason,omitempty"`
}

// DefaultPeriod is how long a grant lasts when configuration names no period for its
// department.
const DefaultPeriod = 30 * 24 * time.Hour

// Periods are how long a department's grants last when opened: ByDepartment by department code,
// Default for the others (DefaultPeriod when zero).
type Periods struct {
	Default      time.Duration
	ByDepartment map[string]time.Duration
}

// Of is the period of department's grants.
func (p Periods) Of(department string) time.Duration {
	if d, ok := p.ByDepartment[department]; ok && d > 0 {
		return d
	}
	if p.Default > 0 {
		return p.Default
	}
	return DefaultPeriod
}

// ParsePeriod reads a period: whole days ("30d") or a Go duration ("36h"), above zero.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not a number of days such as 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is neither days such as 30d nor a duration such as 36h", s)
	}
	return d, nil
}

// ParsePeriods reads the periods per department, comma-separated `department=period`
// (`cg=30d,sc=14d`); "" is none.
func ParsePeriods(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		dept, period, ok := strings.Cut(item, "=")
		dept = strings.TrimSpace(dept)
		if !ok || dept == "" {
			return nil, fmt.Errorf("%q is not department=period (e.g. cg=30d)", item)
		}
		if _, dup := out[dept]; dup {
			return nil, fmt.Errorf("department %s is given twice", dept)
		}
		d, err := ParsePeriod(period)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dept, err)
		}
		out[dept] = d
	}
	return out, nil
}

// NewID returns a new random grant id (a version 4 UUID).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Open is the grant a department gets on a case routed to it at at, by the act of user by: for
// the department's period, view-only and masked.
func Open(caseID, department string, at time.Time, by string, p Periods) Grant {
	return Grant{ID: NewID(), CaseID: caseID, DepartmentCode: department, GrantedAt: at, ExpiresAt: at.Add(p.Of(department)),
		Version: 1, CreatedBy: by}
}

// Revoked reports whether g was revoked.
func (g Grant) Revoked() bool { return g.RevokedAt != nil }

// Live reports whether g gives access at at: granted, not expired, not revoked.
func (g Grant) Live(at time.Time) bool {
	return !g.Revoked() && !at.Before(g.GrantedAt) && at.Before(g.ExpiresAt)
}

// Access is g as access judges it.
func (g Grant) Access() access.Grant {
	return access.Grant{ID: g.ID, DepartmentCode: g.DepartmentCode, Download: g.DownloadAllowed, Unmasked: g.Unmasked,
		ExpiresAt: g.ExpiresAt}
}

// LiveOf returns, of grants, the one of department live at at that lasts longest, nil if none.
func LiveOf(grants []Grant, department string, at time.Time) *Grant {
	var best *Grant
	for i, g := range grants {
		if g.DepartmentCode == department && g.Live(at) && (best == nil || g.ExpiresAt.After(best.ExpiresAt)) {
			best = &grants[i]
		}
	}
	return best
}

// changeable refuses a change of a revoked grant: derrors.Conflict. A revocation is final; the
// team leader asks for a new routing instead.
func changeable(g Grant) error {
	if g.Revoked() {
		return derrors.New(derrors.Conflict, "grant %s was revoked at %s", g.ID, g.RevokedAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Extend moves g's expiry to until, at at, with a reason. An expired grant may be extended (it
// is live again), a revoked one not. Errors: derrors.Conflict (revoked), derrors.Invalid (no
// reason; until not after at or not after the current expiry).
func Extend(g Grant, until, at time.Time, reason string) (Grant, error) {
	if err := changeable(g); err != nil {
		return Grant{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Grant{}, derrors.Invalidf("/reason", "an extension says why")
	}
	if !until.After(at) {
		return Grant{}, derrors.Invalidf("/until", "an extension ends in the future")
	}
	if !until.After(g.ExpiresAt) {
		return Grant{}, derrors.Invalidf("/until", "the grant runs until %s already", g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	g.ExpiresAt = until
	g.Version++
	return g, nil
}

// Revoke ends g at at, by user by, with a reason: the reviewers lose access at once. Errors:
// derrors.Conflict (revoked already), derrors.Invalid (no reason).
func Revoke(g Grant, by string, at time.Time, reason string) (Grant, error) {
	if err := changeable(g); err != nil {
		return Grant{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Grant{}, derrors.Invalidf("/reason", "a revocation says why")
	}
	g.RevokedAt, g.RevokedBy, g.RevokeReason = &at, by, reason
	g.Version++
	return g, nil
}

// Terms are what a grant lets its reviewers do beyond viewing.
type Terms struct {
	DownloadAllowed bool
	Unmasked        bool
	// LegalBasis is why the reviewers may see the party in full: required when Unmasked,
	// dropped otherwise.
	LegalBasis string
}

// SetTerms gives g the terms t. Errors: derrors.Conflict (revoked), derrors.Invalid (unmasked
// without a legal basis; the same terms again).
func SetTerms(g Grant, t Terms) (Grant, error) {
	if err := changeable(g); err != nil {
		return Grant{}, err
	}
	t.LegalBasis = strings.TrimSpace(t.LegalBasis)
	if t.Unmasked && t.LegalBasis == "" {
		return Grant{}, derrors.Invalidf("/legal_basis", "showing the party in full needs its legal basis")
	}
	if !t.Unmasked {
		t.LegalBasis = ""
	}
	if g.DownloadAllowed == t.DownloadAllowed && g.Unmasked == t.Unmasked && g.LegalBasis == t.LegalBasis {
		return Grant{}, derrors.Invalidf("/download_allowed", "the grant has these terms already")
	}
	g.DownloadAllowed, g.Unmasked, g.LegalBasis = t.DownloadAllowed, t.Unmasked, t.LegalBasis
	g.Version++
	return g, nil
}

// Store persists grants. The consumer owns it; backend/postgres implements it. Grants are opened
// in the case's transaction by the case store (casework.Change.Grant).
type Store interface {
	// Get returns a grant, or derrors.NotFound.
	Get(ctx context.Context, id string) (Grant, error)
	// OfCase returns the grants of a case, oldest first.
	OfCase(ctx context.Context, caseID string) ([]Grant, error)
	// OfCases returns department's grants on the cases given.
	OfCases(ctx context.Context, department string, caseIDs []string) ([]Grant, error)
	// OfRecord returns department's grants on the cases one of whose sources is the inspection
	// record recordID.
	OfRecord(ctx context.Context, department, recordID string) ([]Grant, error)
	// CaseStreet returns the street of a case, or derrors.NotFound.
	CaseStreet(ctx context.Context, caseID string) (string, error)
	// Update stores g's next version if the grant is still at version base (else
	// derrors.Conflict), with its event and trail entry, in one transaction.
	Update(ctx context.Context, g Grant, base int, ev Event) error
}

// Org is what the service reads of the organization.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
}

// Service reads grants for the access rules and lets the street's team leader manage them.
type Service struct {
	store Store
	org   Org
	now   func() time.Time
}

// NewService returns a Service over store and o, reading the time from now.
func NewService(store Store, o Org, now func() time.Time) *Service {
	return &Service{store: store, org: o, now: now}
}

// Now is the service's clock, to the microsecond PostgreSQL keeps.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// LiveGrants returns, for each of the cases given that has one, department's grant live at at,
// as access judges it.
func (s *Service) LiveGrants(ctx context.Context, department string, caseIDs []string, at time.Time) (map[string]access.Grant, error) {
	out := map[string]access.Grant{}
	if department == "" || len(caseIDs) == 0 {
		return out, nil
	}
	gs, err := s.store.OfCases(ctx, department, caseIDs)
	if err != nil {
		return nil, err
	}
	byCase := map[string][]Grant{}
	for _, g := range gs {
		byCase[g.CaseID] = append(byCase[g.CaseID], g)
	}
	for id, list := range byCase {
		if g := LiveOf(list, department, at); g != nil {
			out[id] = g.Access()
		}
	}
	return out, nil
}

// LiveGrantOnRecord returns department's grant live at at on a case the inspection record
// recordID is a source of, nil if none.
func (s *Service) LiveGrantOnRecord(ctx context.Context, department, recordID string, at time.Time) (*access.Grant, error) {
	if department == "" || recordID == "" {
		return nil, nil
	}
	gs, err := s.store.OfRecord(ctx, department, recordID)
	if err != nil {
		return nil, err
	}
	if g := LiveOf(gs, department, at); g != nil {
		a := g.Access()
		return &a, nil
	}
	return nil, nil
}

// Live returns grant id if it is live now; an expired, revoked or unknown grant is
// derrors.NotFound.
func (s *Service) Live(ctx context.Context, id string) (Grant, error) {
	g, err := s.store.Get(ctx, id)
	if err != nil {
		return Grant{}, err
	}
	if !g.Live(s.Now()) {
		return Grant{}, derrors.New(derrors.NotFound, "no live grant %s", id)
	}
	return g, nil
}

// LiveOnRecord returns grant id of department if it is live now and covers the inspection
// record recordID (a source of its case); anything else is derrors.NotFound. Each use of a
// reviewer's download link asks it again.
func (s *Service) LiveOnRecord(ctx context.Context, id, department, recordID string) (Grant, error) {
	g, err := s.Live(ctx, id)
	if err != nil {
		return Grant{}, err
	}
	gs, err := s.store.OfRecord(ctx, department, recordID)
	if err != nil {
		return Grant{}, err
	}
	for _, on := range gs {
		if on.ID == g.ID {
			return g, nil
		}
	}
	return Grant{}, derrors.New(derrors.NotFound, "no live grant %s on record %s", id, recordID)
}

// caseFor reads the scope of viewer and the grants of case caseID as viewer may see them: the
// team leader of its street and administrators all (manage true), a department's reviewer those
// of the department while one is live. Errors: derrors.NotFound (unknown case, or not visible),
// derrors.Forbidden (the street's other accounts).
func (s *Service) caseFor(ctx context.Context, viewer, caseID string) (sc org.Scope, grants []Grant, manage bool, err error) {
	street, err := s.store.CaseStreet(ctx, caseID)
	if err != nil {
		return sc, nil, false, err
	}
	now := s.Now()
	if sc, err = s.org.Scope(ctx, viewer, now); err != nil {
		return sc, nil, false, err
	}
	if grants, err = s.store.OfCase(ctx, caseID); err != nil {
		return sc, nil, false, err
	}
	known, may := access.ManageGrants(sc, street)
	switch {
	case may:
		return sc, grants, true, nil
	case sc.Role == org.RoleDeptReviewer && LiveOf(grants, sc.DepartmentCode, now) != nil:
		own := []Grant{}
		for _, g := range grants {
			if g.DepartmentCode == sc.DepartmentCode {
				own = append(own, g)
			}
		}
		return sc, own, false, nil
	case known:
		return sc, nil, false, derrors.New(derrors.Forbidden, "the grants of a case are the team leader's")
	}
	return sc, nil, false, derrors.New(derrors.NotFound, "no case %s", caseID)
}

// List returns the grants of case caseID the viewer may see, oldest first (see caseFor).
// Errors: derrors.NotFound, derrors.Forbidden.
func (s *Service) List(ctx context.Context, viewer, caseID string) ([]Grant, error) {
	_, grants, _, err := s.caseFor(ctx, viewer, caseID)
	sort.SliceStable(grants, func(i, j int) bool { return grants[i].GrantedAt.Before(grants[j].GrantedAt) })
	return grants, err
}

// Get returns grant id of case caseID as the viewer may see it (see caseFor). Errors:
// derrors.NotFound, derrors.Forbidden.
func (s *Service) Get(ctx context.Context, viewer, caseID, id string) (Grant, error) {
	_, grants, _, err := s.caseFor(ctx, viewer, caseID)
	if err != nil {
		return Grant{}, err
	}
	for _, g := range grants {
		if g.ID == id {
			return g, nil
		}
	}
	return Grant{}, derrors.New(derrors.NotFound, "no grant %s on case %s", id, caseID)
}

// change applies rule to grant id of case caseID, by the street's team leader or an
// administrator, if the grant is at version base, and stores it with its event. Errors:
// derrors.NotFound, derrors.Forbidden (a reviewer, the street's other accounts),
// derrors.Conflict (revoked, or another version), derrors.Invalid.
func (s *Service) change(ctx context.Context, viewer, caseID, id string, base int, kind EventKind, reason string,
	rule func(g Grant, sc org.Scope, at time.Time) (Grant, error)) (Grant, error) {
	sc, grants, manage, err := s.caseFor(ctx, viewer, caseID)
	if err != nil {
		return Grant{}, err
	}
	var g *Grant
	for i := range grants {
		if grants[i].ID == id {
			g = &grants[i]
		}
	}
	switch {
	case g == nil:
		return Grant{}, derrors.New(derrors.NotFound, "no grant %s on case %s", id, caseID)
	case !manage:
		return Grant{}, derrors.New(derrors.Forbidden, "only the team leader of the case's street manages its grants")
	case base != g.Version:
		return Grant{}, derrors.New(derrors.Conflict, "the change is based on version %d, but the grant is at version %d", base, g.Version)
	}
	at := s.Now()
	next, err := rule(*g, sc, at)
	if err != nil {
		return Grant{}, err
	}
	if err := s.store.Update(ctx, next, base, Event{Kind: kind, At: at, Actor: sc.UserID, Reason: reason}); err != nil {
		return Grant{}, err
	}
	return next, nil
}

// Extend moves the expiry of a grant (see the rule Extend). Errors: as change.
func (s *Service) Extend(ctx context.Context, viewer, caseID, id string, base int, until time.Time, reason string) (Grant, error) {
	return s.change(ctx, viewer, caseID, id, base, EventExtended, reason, func(g Grant, _ org.Scope, at time.Time) (Grant, error) {
		return Extend(g, until, at, reason)
	})
}

// Revoke ends a grant at once (see the rule Revoke). Errors: as change.
func (s *Service) Revoke(ctx context.Context, viewer, caseID, id string, base int, reason string) (Grant, error) {
	return s.change(ctx, viewer, caseID, id, base, EventRevoked, reason, func(g Grant, sc org.Scope, at time.Time) (Grant, error) {
		return Revoke(g, sc.UserID, at, reason)
	})
}

// SetTerms changes what a grant allows (see the rule SetTerms); the legal basis of an unmasked
// grant is the event's reason. Errors: as change.
func (s *Service) SetTerms(ctx context.Context, viewer, caseID, id string, base int, t Terms) (Grant, error) {
	return s.change(ctx, viewer, caseID, id, base, EventTerms, t.LegalBasis, func(g Grant, _ org.Scope, _ time.Time) (Grant, error) {
		return SetTerms(g, t)
	})
}
