package archive

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/org"
)

// Archive is a case closed into its archive: its number, who closed it when, and the
// completeness check as it stood at closing, with the annexes added since.
type Archive struct {
	CaseID     string    `json:"case_id"`
	StreetCode string    `json:"street_code"`
	Number     string    `json:"number"`
	Year       int       `json:"year"`
	Seq        int       `json:"seq"`
	ClosedAt   time.Time `json:"closed_at"`
	ClosedBy   string    `json:"closed_by"` // user id when stored; the store answers the username
	Score      int       `json:"score"`
	Check      Result    `json:"check"`
	Annexes    []Annex   `json:"annexes"`
}

// AnnexKind is what an annex adds to an archive.
type AnnexKind string

// The kinds of annex.
const (
	AnnexCorrection AnnexKind = "correction" // corrects something the archive holds (更正)
	AnnexSupplement AnnexKind = "supplement" // adds what came after the closing (补充)
)

// Annex is a later correction or supplement of an archived case, kept beside its archive: the
// case itself never changes again.
type Annex struct {
	ID          string    `json:"id"`
	CaseID      string    `json:"case_id"`
	Kind        AnnexKind `json:"kind"`
	Text        string    `json:"text"`
	EvidenceIDs []string  `json:"evidence_ids"`
	CreatedBy   string    `json:"created_by"` // user id when stored; the store answers the username
	CreatedAt   time.Time `json:"created_at"`
}

// Explanation is why a deadline was late, recorded by the officer answering for it or the team
// leader.
type Explanation struct {
	DeadlineID string    `json:"deadline_id"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"` // user id when stored; the store answers the username
	At         time.Time `json:"at"`
}

// DeadlineFacts is what an explanation's rules read of a deadline: the deadline as the check
// reads it, its street, the officer answering for it, and whether its case is archived.
type DeadlineFacts struct {
	Deadline   Deadline
	StreetCode string
	Officer    string
	Archived   bool
}

// Closing is what a closing stores: the archive, and the case archived (its next version) with
// the history entry of the closing.
type Closing struct {
	Archive Archive
	Case    casework.Record
	Event   casework.Event
}

// Sequencer allocates the next archive number of street in year, in the closing's transaction:
// given back if the closing rolls back.
type Sequencer func(street string, year int) (int, error)

// Store persists archives. The consumer owns it; backend/postgres implements it.
type Store interface {
	// Input reads what the check judges of case id: derrors.NotFound.
	Input(ctx context.Context, id string) (Input, error)
	// Close, in one transaction, locks case id, its inspection records and the deadlines of
	// both, reads their Input, and calls close with it: what close returns is stored (the
	// archive, the case archived with its history entry, trail entry and feed); an error of
	// close rolls the transaction back, the number allocated included.
	Close(ctx context.Context, id string, close func(in Input, next Sequencer) (Closing, error)) (Archive, error)
	// Archive returns the archive of case id with its annexes: derrors.NotFound when the case
	// is not archived.
	Archive(ctx context.Context, id string) (Archive, error)
	// AddAnnex stores an annex of an archived case with its trail entry (on the chain of
	// street): derrors.Invalid naming the evidence id that is not a verified item of street.
	AddAnnex(ctx context.Context, a Annex, street string) error
	// Deadline reads deadline id for an explanation: derrors.NotFound.
	Deadline(ctx context.Context, id string) (DeadlineFacts, error)
	// Explain stores e with its trail entry if the deadline's case is still not archived
	// (checked under the deadline's lock): derrors.CaseArchived otherwise.
	Explain(ctx context.Context, e Explanation) error
}

// Org is what the service reads of the organization.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
}

// Service checks cases for completeness, closes their archives and keeps their annexes.
type Service struct {
	store  Store
	org    Org
	rules  Rules
	format numbering.Format
	now    func() time.Time
}

// NewService returns a Service judging with rules, numbering with format, reading the time from
// now.
func NewService(store Store, o Org, rules Rules, format numbering.Format, now func() time.Time) *Service {
	if format.IsZero() {
		format = defaultFormat
	}
	return &Service{store: store, org: o, rules: rules, format: format, now: now}
}

// instant is the time of an act as stored (UTC, to the microsecond).
func (s *Service) instant() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// IncompleteError is a closing refused by the check: the mandatory items unmet, each with what
// is missing and its link.
type IncompleteError struct {
	Err     *derrors.Error
	Missing []Item
}

func (e *IncompleteError) Error() string { return e.Err.Error() }

// Unwrap lets derrors.CodeOf find derrors.ArchiveIncomplete.
func (e *IncompleteError) Unwrap() error { return e.Err }

// scopeFor is userID's scope if may allows it on case r: derrors.Forbidden for others who see the
// case (a department reviewer, a grid operator), derrors.NotFound for anyone else.
func (s *Service) scopeFor(ctx context.Context, userID string, r casework.Record, may func(org.Scope) bool, refusal string) (org.Scope, error) {
	sc, err := s.org.Scope(ctx, userID, s.now())
	if err != nil {
		return sc, err
	}
	if ok, _ := access.Case(sc, casework.View(r)); !ok {
		return sc, derrors.New(derrors.NotFound, "no case %s", r.ID)
	}
	if !may(sc) {
		return sc, derrors.New(derrors.Forbidden, "%s", refusal)
	}
	return sc, nil
}

// readsArchive: the street's team leader and officers, and administrators.
func readsArchive(street string) func(org.Scope) bool {
	return func(sc org.Scope) bool {
		return access.Admin(sc) || (sc.Role == org.RoleTeamLeader || sc.Role == org.RoleOfficer) && sc.StreetCode == street
	}
}

// leads: the street's team leader.
func leads(street string) func(org.Scope) bool {
	return func(sc org.Scope) bool { return sc.Role == org.RoleTeamLeader && sc.StreetCode == street }
}

// Check runs the completeness check of case id for viewer (the street's team leader and
// officers, administrators) and returns the case with the result. Errors: derrors.NotFound,
// derrors.Forbidden.
func (s *Service) Check(ctx context.Context, viewer, id string) (casework.Record, Result, error) {
	in, err := s.store.Input(ctx, id)
	if err != nil {
		return casework.Record{}, Result{}, err
	}
	if _, err := s.scopeFor(ctx, viewer, in.Case, readsArchive(in.Case.StreetCode),
		"the completeness check is for the street's team leader and officers"); err != nil {
		return casework.Record{}, Result{}, err
	}
	return in.Case, s.rules.Check(in), nil
}

// Close closes case id into its archive, by the street's team leader, if it is still at version
// base (0: any): the check runs in the closing's transaction on the locked rows; a complete case
// gets the next archive number of its street's year and becomes archived. Errors:
// derrors.NotFound, derrors.Forbidden, derrors.Conflict (not concluded or withdrawn, or moved on
// from base), derrors.CaseArchived, derrors.ArchiveIncomplete (an *IncompleteError naming the
// unmet mandatory items).
func (s *Service) Close(ctx context.Context, userID, id string, base int) (Archive, error) {
	in, err := s.store.Input(ctx, id)
	if err != nil {
		return Archive{}, err
	}
	if _, err := s.scopeFor(ctx, userID, in.Case, leads(in.Case.StreetCode), "only the street's team leader closes a case's archive"); err != nil {
		return Archive{}, err
	}
	return s.store.Close(ctx, id, func(in Input, next Sequencer) (Closing, error) {
		r := in.Case
		switch {
		case r.State == casework.StateArchived:
			return Closing{}, derrors.New(derrors.CaseArchived, "case %s is archived already", id)
		case r.State != casework.StateConcluded && r.State != casework.StateWithdrawn:
			return Closing{}, derrors.New(derrors.Conflict, "a %s case is not archived: only a concluded or withdrawn one", r.State)
		case base != 0 && base != r.Version:
			return Closing{}, derrors.New(derrors.Conflict, "the closing is based on version %d, but the case is at version %d", base, r.Version)
		}
		res := s.rules.Check(in)
		if unmet := res.Unmet(); len(unmet) > 0 {
			codes := make([]string, len(unmet))
			for i, it := range unmet {
				codes[i] = it.Code
			}
			return Closing{}, &IncompleteError{Err: derrors.New(derrors.ArchiveIncomplete,
				"the archive is incomplete: %s", strings.Join(codes, ", ")), Missing: unmet}
		}
		now := s.instant()
		year := numbering.YearOf(now)
		seq, err := next(r.StreetCode, year)
		if err != nil {
			return Closing{}, err
		}
		a := Archive{CaseID: r.ID, StreetCode: r.StreetCode, Number: s.format.Number(r.StreetCode, in.StreetName, year, seq),
			Year: year, Seq: seq, ClosedAt: now, ClosedBy: userID, Score: res.Score, Check: res, Annexes: []Annex{}}
		from := r.State
		r.State, r.Version, r.UpdatedAt = casework.StateArchived, r.Version+1, now
		ev := casework.Event{Kind: casework.EventArchived, At: now, Actor: userID, From: from, To: casework.StateArchived, Reason: a.Number}
		return Closing{Archive: a, Case: r, Event: ev}, nil
	})
}

// Get returns the archive of case id with its annexes, for the street's team leader and officers
// and administrators. Errors: derrors.NotFound (also for a case not archived), derrors.Forbidden.
func (s *Service) Get(ctx context.Context, viewer, id string) (Archive, error) {
	in, err := s.store.Input(ctx, id)
	if err != nil {
		return Archive{}, err
	}
	if _, err := s.scopeFor(ctx, viewer, in.Case, readsArchive(in.Case.StreetCode), "the archive is for the street's team leader and officers"); err != nil {
		return Archive{}, err
	}
	return s.store.Archive(ctx, id)
}

// AddAnnex adds a correction or supplement to the archive of case id, by the street's team
// leader; the case does not change. Evidence ids name verified items of the street. Errors:
// derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict (the case is not
// archived).
func (s *Service) AddAnnex(ctx context.Context, userID, id string, a Annex) (Annex, error) {
	if a.Kind != AnnexCorrection && a.Kind != AnnexSupplement {
		return Annex{}, derrors.Invalidf("/kind", "an annex is a correction or a supplement")
	}
	if strings.TrimSpace(a.Text) == "" {
		return Annex{}, derrors.Invalidf("/text", "an annex says what it corrects or adds")
	}
	in, err := s.store.Input(ctx, id)
	if err != nil {
		return Annex{}, err
	}
	if _, err := s.scopeFor(ctx, userID, in.Case, leads(in.Case.StreetCode), "only the street's team leader adds an annex"); err != nil {
		return Annex{}, err
	}
	if in.Case.State != casework.StateArchived {
		return Annex{}, derrors.New(derrors.Conflict, "case %s is %s, not archived: change the case itself", id, in.Case.State)
	}
	a.EvidenceIDs = append([]string{}, slices.Compact(slices.Sorted(slices.Values(a.EvidenceIDs)))...)
	a.CaseID, a.CreatedBy, a.CreatedAt = id, userID, s.instant()
	if err := s.store.AddAnnex(ctx, a, in.Case.StreetCode); err != nil {
		return Annex{}, err
	}
	// Read back, as the archive lists it (its author by username).
	stored, err := s.store.Archive(ctx, id)
	if err != nil {
		return Annex{}, err
	}
	for _, x := range stored.Annexes {
		if x.ID == a.ID {
			return x, nil
		}
	}
	return Annex{}, derrors.New(derrors.Internal, "annex %s not read back", a.ID)
}

// Explain records why deadline id was late, by the officer answering for it or the street's team
// leader. Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict (the
// deadline was not late), derrors.CaseArchived.
func (s *Service) Explain(ctx context.Context, userID, id, reason string) (Explanation, error) {
	if strings.TrimSpace(reason) == "" {
		return Explanation{}, derrors.Invalidf("/reason", "an explanation says why the deadline was late")
	}
	d, err := s.store.Deadline(ctx, id)
	if err != nil {
		return Explanation{}, err
	}
	sc, err := s.org.Scope(ctx, userID, s.now())
	if err != nil {
		return Explanation{}, err
	}
	if !access.Deadline(sc, d.StreetCode) {
		return Explanation{}, derrors.New(derrors.NotFound, "no deadline %s", id)
	}
	answers := sc.Role == org.RoleOfficer && sc.OfficerCode != "" && sc.OfficerCode == d.Officer
	if !answers && !leads(d.StreetCode)(sc) {
		return Explanation{}, derrors.New(derrors.Forbidden, "only the officer answering for the deadline or the team leader explains its delay")
	}
	if d.Archived {
		return Explanation{}, derrors.New(derrors.CaseArchived, "the case of deadline %s is archived", id)
	}
	if !d.Deadline.Late() {
		return Explanation{}, derrors.New(derrors.Conflict, "the %s deadline is %s and was not late: nothing to explain", d.Deadline.Kind, d.Deadline.State)
	}
	e := Explanation{DeadlineID: id, Reason: reason, By: userID, At: s.instant()}
	if err := s.store.Explain(ctx, e); err != nil {
		return Explanation{}, err
	}
	return e, nil
}
