package inspection

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/org"
)

// Status is how far a record's evidence has arrived.
type Status string

// The statuses.
const (
	EvidencePending Status = "evidence_pending" // some expected evidence is not verified yet
	Complete        Status = "complete"         // every expected file arrived and its hash matched
)

// Review is where a record stands with the team leader.
type Review string

// The review states.
const (
	ReviewNone     Review = "none"     // nothing to review
	ReviewPending  Review = "pending"  // flagged (exceptions) or resubmitted: in the review queue
	ReviewReturned Review = "returned" // returned to the officers for correction
	ReviewApproved Review = "approved" // approved by the team leader
)

// State is a record as the server holds it: the current version and what
// the server made of it.
type State struct {
	Record     Record     `json:"record"`
	Version    int        `json:"version"`
	StreetCode string     `json:"street_code"`
	ActAt      time.Time  `json:"act_at"`
	ReceivedAt time.Time  `json:"received_at"`
	RecordedBy string     `json:"recorded_by"` // officer code of the recording officer
	DeviceID   string     `json:"device_id,omitempty"`
	Assessment Assessment `json:"assessment"`
	Status     Status     `json:"status"`
	Review     Review     `json:"review"`
	// ReturnReasons are the team leader's reasons of the last return.
	ReturnReasons []string `json:"return_reasons,omitempty"`
	// EvidenceVerified are the client ids of the expected files verified so far.
	EvidenceVerified []string `json:"evidence_verified"`
	Masked           bool     `json:"masked"` // personal data hidden for this viewer
}

// Version is one version of a record with who made it and why.
type Version struct {
	Version  int       `json:"version"`
	Author   string    `json:"author"` // username
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Record   Record    `json:"record"`
	Review   Review    `json:"review"`
	Excepted int       `json:"exceptions"`
}

// ReviewAct is one step of the review loop.
type ReviewAct struct {
	Version  int       `json:"version"`
	Decision string    `json:"decision"` // approve or return
	Reasons  []string  `json:"reasons,omitempty"`
	Reviewer string    `json:"reviewer"`
	At       time.Time `json:"at"`
}

// Filter selects records for a list.
type Filter struct {
	StreetCode  string
	TeamCode    string
	Status      Status
	Review      Review
	MatterCode  string
	OfficerCode string
	From, To    time.Time
	Limit       int // at most MaxPage; 0: DefaultPage
	// OldestFirst orders by act ascending (the review queue: the longest
	// waiting first); otherwise newest act first. Ties go by id.
	OldestFirst bool
	// After, when set, starts the page after this record in the order
	// (keyset paging: stable while records are added).
	After *Cursor
}

// Page sizes of lists.
const (
	DefaultPage = 100
	MaxPage     = 500
)

// Cursor is a position in a list of records: the last record of a page.
type Cursor struct {
	ActAt time.Time
	ID    string
}

// Store persists records. Save and AddVersion also publish the record to
// the sync feed (feed maps a scope to the state devices of that scope get).
type Store interface {
	// Create stores a new record; derrors.Conflict when its id is taken,
	// without failing the transaction of ctx.
	Create(ctx context.Context, st State, author, reason string, feed map[string]State) error
	AddVersion(ctx context.Context, st State, base int, author, reason string, feed map[string]State) error
	SetReview(ctx context.Context, st State, act ReviewAct, feed map[string]State) error
	Get(ctx context.Context, id string) (State, error)
	Versions(ctx context.Context, id string) ([]Version, []ReviewAct, error)
	List(ctx context.Context, f Filter) ([]State, error)
	// VerifiedEvidence returns the client ids of st's expected files that a
	// stored item satisfies (evidence.Satisfied over st.EvidenceRef()).
	VerifiedEvidence(ctx context.Context, st State) ([]string, error)
	// UsedFormNumber reports whether a decision form number is used by another record.
	UsedFormNumber(ctx context.Context, number, recordID string) (bool, error)
	// FormNumberHolder reports whose number block number lies in: the
	// device's own, another device's, or none. Only a number of the
	// recording device's own blocks enters the ledger (Create, AddVersion).
	FormNumberHolder(ctx context.Context, number, deviceID string) (BlockHolder, error)
	// UpdateEvidence stores which expected files of version are verified
	// (with the status and review that follow from it).
	UpdateEvidence(ctx context.Context, st State, version int, feed map[string]State) error
	// Expecting returns the stored records that expect the evidence client
	// id clientID, and the record recordID if stored ("" for none).
	Expecting(ctx context.Context, clientID, recordID string) ([]State, error)
	// Archived reports whether record id is a source of an archived case
	// (案件归档): such a record is read-only. AddVersion and SetReview check
	// it again under the record's lock, answering derrors.CaseArchived.
	Archived(ctx context.Context, id string) (bool, error)
}

// sealed refuses a change of record id when it is a source of an archived
// case: derrors.CaseArchived (a later correction is an annex of the case's
// archive).
func (s *Service) sealed(ctx context.Context, id string) error {
	archived, err := s.store.Archived(ctx, id)
	if err != nil {
		return err
	}
	if archived {
		return derrors.New(derrors.CaseArchived, "inspection %s is a record of an archived case: a later correction is an annex of its archive", id)
	}
	return nil
}

// BlockHolder is whose number block a decision-form number lies in, as
// seen from the device that records it.
type BlockHolder int

// The holders.
const (
	NoBlock      BlockHolder = iota // in no block issued to any device
	OwnBlock                        // in a block issued to the recording device
	ForeignBlock                    // in a block issued to another device
)

// Org is what the service reads of the organization.
type Org interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
	org.FactReader
}

// Service records, amends, reviews and reads inspection records.
type Service struct {
	store    Store
	org      Org
	calendar Calendar
	now      func() time.Time
	batches  BatchStore // nil: records are created one at a time (SetWise)
	// onApproved runs in the transaction of an approval (OnApproved); nil: nothing follows.
	onApproved func(ctx context.Context, userID string, st State) error
	inTx       func(ctx context.Context, fn func(ctx context.Context) error) error
	grants     GrantReader // nil: department reviewers see no record
}

// NewService returns a Service.
func NewService(store Store, o Org, cal Calendar, now func() time.Time) *Service {
	return &Service{store: store, org: o, calendar: cal, now: now}
}

// Actor is who records: the user, and the device for acts synced from a phone.
type Actor struct {
	UserID   string
	DeviceID string
}

// Record stores a new record and judges it as of its act's moment. It
// returns the state; a record with exceptions is kept and queued for review,
// also when the recording officer is not in the crew (RECORDER_NOT_IN_CREW):
// an act that happened is never dropped. Errors: derrors.Invalid (shape,
// unknown matter/officer/team, naming the field), derrors.Forbidden (the
// recording officer was not in the record's team at the act),
// derrors.Conflict (the id is taken).
func (s *Service) Record(ctx context.Context, who Actor, r Record) (State, error) {
	if err := Validate(r); err != nil {
		return State{}, err
	}
	sc, err := s.org.Scope(ctx, who.UserID, s.now())
	if err != nil {
		return State{}, err
	}
	if !access.RecordInspection(sc) {
		return State{}, derrors.New(derrors.Forbidden, "only officers and team leaders record inspections")
	}
	st, err := s.judge(ctx, r, sc.OfficerCode, who.DeviceID)
	if err != nil {
		return State{}, err
	}
	st.Version = 1
	feed, err := s.feed(ctx, st)
	if err != nil {
		return State{}, err
	}
	if err := s.store.Create(ctx, st, sc.UserID, "recorded", feed); err != nil {
		return State{}, err
	}
	return st, nil
}

// judge resolves r's references as of the act and assesses it, as recorded
// by the officer recorder on device (the recording device's number blocks).
// The crew is judged against the record's team at the act: an officer of
// another team is an exception (CREW_OUTSIDE_TEAM) and does not count; a
// recorder outside the crew is an exception (RECORDER_NOT_IN_CREW); a
// recorder outside the team is refused, as writing into another street.
func (s *Service) judge(ctx context.Context, r Record, recorder, device string) (State, error) {
	at := r.ActAt()
	teams, err := s.org.TeamStreets(ctx)
	if err != nil {
		return State{}, err
	}
	street, ok := teams[r.TeamCode]
	if !ok {
		return State{}, derrors.Invalidf("/team_code", "no team %q", r.TeamCode)
	}
	crew := make([]org.CheckIn, len(r.Crew))
	for i, c := range r.Crew {
		crew[i] = org.CheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
	}
	facts, err := org.ReadAuthorityFacts(ctx, s.org, r.MatterCodes, crew, at)
	if err != nil {
		return State{}, err
	}
	var fields []derrors.FieldError
	for _, f := range facts.MatterFaults() {
		fields = append(fields, derrors.FieldError{Field: fmt.Sprintf("/matter_codes/%d", f.Index), Message: f.Message})
	}
	for _, f := range facts.CrewFaults() {
		fields = append(fields, derrors.FieldError{Field: fmt.Sprintf("/crew/%d/officer_code", f.Index), Message: f.Message})
	}
	if len(fields) > 0 {
		return State{}, &derrors.Error{Code: derrors.Invalid, Message: fields[0].Message, Fields: fields}
	}
	// The recorder's teams were read with the crew when he is in it; only
	// a recorder outside the crew costs another read.
	teamsOf, inCrewFacts := facts.TeamsOf(recorder)
	inTeam := slices.Contains(teamsOf, r.TeamCode)
	if !inCrewFacts {
		if inTeam, err = s.inTeamAt(ctx, recorder, r.TeamCode, at); err != nil {
			return State{}, err
		}
	}
	if !inTeam {
		// A device pushing for another team: another street's record.
		return State{}, derrors.New(derrors.Forbidden, "the recording officer %s must be in team %s at the act", recorder, r.TeamCode)
	}
	crewExceptions := []Exception{}
	if !inCrew(r, recorder) {
		crewExceptions = append(crewExceptions, exception(ExRecorderNotInCrew, recorder))
	}
	within, outside := facts.WithinTeam(r.TeamCode)
	for _, c := range outside {
		crewExceptions = append(crewExceptions, exception(ExCrewOutsideTeam, c.OfficerCode))
	}
	a := Assess(&r, Facts{Authority: within, Calendar: s.calendar})
	a.Exceptions = append(crewExceptions, a.Exceptions...)
	for _, m := range r.Measures {
		if m.Kind != authority.MeasureFineSimple || m.Fine == nil {
			continue
		}
		ex, err := s.formNumberException(ctx, m.Fine.FormNumber, r.ID, device)
		if err != nil {
			return State{}, err
		}
		if ex != nil {
			a.Exceptions = append(a.Exceptions, *ex)
		}
	}
	st := State{Record: r, StreetCode: street, ActAt: at, ReceivedAt: s.now().UTC(), RecordedBy: recorder,
		DeviceID: device, Assessment: a, Review: ReviewNone}
	verified, err := s.store.VerifiedEvidence(ctx, st)
	if err != nil {
		return State{}, err
	}
	st.EvidenceVerified = verified
	if st.EvidenceVerified == nil {
		st.EvidenceVerified = []string{}
	}
	if len(a.Exceptions) > 0 {
		st.Review = ReviewPending
	}
	st.Status = statusOf(st)
	return st, nil
}

// inTeamAt reports whether officer was in team at moment at.
func (s *Service) inTeamAt(ctx context.Context, officer, team string, at time.Time) (bool, error) {
	members, err := s.org.Officers(ctx, []string{officer})
	if err != nil {
		return false, err
	}
	for _, m := range members {
		if m.Officer.Code == officer && slices.Contains(m.TeamsAt(at), team) {
			return true, nil
		}
	}
	return false, nil
}

// formNumberException is what is wrong with a decision-form number used by
// record recordID on device, if anything. A number of another device's
// block is foreign: the act is flagged, and the number stays that block's
// (the ledger takes only the recording device's own numbers). A number of
// no block is outside the blocks. Only an own number can be used twice.
func (s *Service) formNumberException(ctx context.Context, number, recordID, device string) (*Exception, error) {
	holder, err := s.store.FormNumberHolder(ctx, number, device)
	if err != nil {
		return nil, err
	}
	switch holder {
	case ForeignBlock:
		ex := exception(ExFormNumberForeign, number)
		return &ex, nil
	case NoBlock:
		ex := exception(ExFormNumberOutsideBlock, number)
		return &ex, nil
	}
	used, err := s.store.UsedFormNumber(ctx, number, recordID)
	if err != nil || !used {
		return nil, err
	}
	ex := exception(ExFormNumberReused, number)
	return &ex, nil
}

func evidenceIDs(r Record) []string {
	ids := make([]string, len(r.Evidence))
	for i, e := range r.Evidence {
		ids[i] = e.ClientID
	}
	return ids
}

// EvidenceRef is the record as evidence sees it: its id, its street and
// the files it expects (which items belong to it and satisfy it is
// evidence.LinksTo and evidence.Satisfies).
func (st State) EvidenceRef() evidence.RecordRef {
	r := evidence.RecordRef{ID: st.Record.ID, StreetCode: st.StreetCode, Expected: make([]evidence.Expected, len(st.Record.Evidence))}
	for i, e := range st.Record.Evidence {
		r.Expected[i] = evidence.Expected{ClientID: e.ClientID, SHA256: e.SHA256, Size: e.Size}
	}
	return r
}

func statusOf(st State) Status {
	for _, id := range evidenceIDs(st.Record) {
		if !slices.Contains(st.EvidenceVerified, id) {
			return EvidencePending
		}
	}
	return Complete
}

// feed is what each sync scope gets of st: the team sees it masked; each
// officer of the crew gets it as he may see it online (visible, for an
// officer account of the street his team is in now): an officer of the
// record's street in full (the case team), an officer of another street
// (a joint operation) nothing.
func (s *Service) feed(ctx context.Context, st State) (map[string]State, error) {
	out := map[string]State{"team:" + st.Record.TeamCode: Mask(st)}
	codes := make([]string, len(st.Record.Crew))
	for i, c := range st.Record.Crew {
		codes[i] = c.OfficerCode
	}
	members, err := s.org.Officers(ctx, codes)
	if err != nil {
		return nil, err
	}
	teams, err := s.org.TeamStreets(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, m := range members {
		for _, street := range m.StreetsAt(teams, now) {
			// Officers and team leaders are alike to access.Inspection on the crew.
			sc := org.Scope{Role: org.RoleOfficer, OfficerCode: m.Officer.Code, StreetCode: street}
			if v, err := visible(sc, st, nil); err == nil {
				out["officer:"+m.Officer.Code] = v
				break
			}
		}
	}
	return out, nil
}

// Amend makes a correction: a new version of the record with its reason,
// judged again as recorded (by its recording officer and device). Only the
// crew's officers and the recording officer may amend, and not an approved
// record. Errors: derrors.NotFound (also for a record the caller may not
// see, as Get answers), derrors.Forbidden, derrors.Conflict (base is not
// the current version, or the record is approved), derrors.Invalid,
// derrors.CaseArchived (the record is a source of an archived case).
func (s *Service) Amend(ctx context.Context, who Actor, id string, base int, reason string, r Record) (State, error) {
	if reason == "" {
		return State{}, derrors.Invalidf("/reason", "a correction says why")
	}
	r.ID = id
	if err := Validate(r); err != nil {
		return State{}, err
	}
	cur, err := s.store.Get(ctx, id)
	if err != nil {
		return State{}, err
	}
	sc, err := s.org.Scope(ctx, who.UserID, s.now())
	if err != nil {
		return State{}, err
	}
	if _, err := visible(sc, cur, nil); err != nil {
		return State{}, err
	}
	if !inCrew(cur.Record, sc.OfficerCode) && (sc.OfficerCode == "" || sc.OfficerCode != cur.RecordedBy) {
		return State{}, derrors.New(derrors.Forbidden, "only the record's crew or its recording officer may correct it")
	}
	if err := s.sealed(ctx, id); err != nil {
		return State{}, err
	}
	if cur.Review == ReviewApproved {
		return State{}, derrors.New(derrors.Conflict, "version %d was approved: the record is closed", cur.Version)
	}
	if base != cur.Version {
		return State{}, derrors.New(derrors.Conflict, "the correction is based on version %d, but the record is at version %d", base, cur.Version)
	}
	if r.TeamCode != cur.Record.TeamCode {
		return State{}, derrors.Invalidf("/team_code", "a correction cannot move the record to another team")
	}
	st, err := s.judge(ctx, r, cur.RecordedBy, cur.DeviceID)
	if err != nil {
		return State{}, err
	}
	st.Version = cur.Version + 1
	st.ReceivedAt, st.RecordedBy, st.DeviceID = cur.ReceivedAt, cur.RecordedBy, cur.DeviceID
	// A corrected record goes back to the team leader when it was flagged or returned.
	if cur.Review != ReviewNone || len(st.Assessment.Exceptions) > 0 {
		st.Review = ReviewPending
	}
	feed, err := s.feed(ctx, st)
	if err != nil {
		return State{}, err
	}
	if err := s.store.AddVersion(ctx, st, base, sc.UserID, reason, feed); err != nil {
		return State{}, err
	}
	return st, nil
}

func inCrew(r Record, officer string) bool {
	if officer == "" {
		return false
	}
	for _, c := range r.Crew {
		if c.OfficerCode == officer {
			return true
		}
	}
	return false
}

// Decide is the team leader's review: approve the current version, or
// return it for correction with reasons. Errors: derrors.NotFound,
// derrors.Forbidden (not the record's street's team leader), derrors.Conflict
// (not pending, or version is not the current one), derrors.Invalid,
// derrors.CaseArchived (the record is a source of an archived case).
func (s *Service) Decide(ctx context.Context, who Actor, id string, version int, decision string, reasons []string) (State, error) {
	if decision != "approve" && decision != "return" {
		return State{}, derrors.Invalidf("/decision", "decision is approve or return")
	}
	if decision == "return" && len(reasons) == 0 {
		return State{}, derrors.Invalidf("/reasons", "a return says what to correct")
	}
	cur, err := s.store.Get(ctx, id)
	if err != nil {
		return State{}, err
	}
	sc, err := s.org.Scope(ctx, who.UserID, s.now())
	if err != nil {
		return State{}, err
	}
	known, may := access.ReviewInspection(sc, cur.StreetCode)
	if !known {
		return State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
	}
	if !may {
		return State{}, derrors.New(derrors.Forbidden, "only the team leader reviews inspections")
	}
	if err := s.sealed(ctx, id); err != nil {
		return State{}, err
	}
	if cur.Review != ReviewPending {
		return State{}, derrors.New(derrors.Conflict, "the record is %s, not awaiting review", cur.Review)
	}
	if version != cur.Version {
		return State{}, derrors.New(derrors.Conflict, "version %d was reviewed, but the record is at version %d", version, cur.Version)
	}
	act := ReviewAct{Version: version, Decision: decision, Reasons: reasons, Reviewer: sc.UserID, At: s.now().UTC()}
	cur.Review, cur.ReturnReasons = ReviewApproved, nil
	if decision == "return" {
		cur.Review, cur.ReturnReasons = ReviewReturned, reasons
	}
	feed, err := s.feed(ctx, cur)
	if err != nil {
		return State{}, err
	}
	store := func(ctx context.Context) error { return s.store.SetReview(ctx, cur, act, feed) }
	if decision == "approve" && s.onApproved != nil {
		// The approval and what follows from it (a case opened) commit together.
		store = func(ctx context.Context) error {
			return s.inTx(ctx, func(ctx context.Context) error {
				if err := s.store.SetReview(ctx, cur, act, feed); err != nil {
					return err
				}
				return s.onApproved(ctx, sc.UserID, cur)
			})
		}
	}
	if err := store(ctx); err != nil {
		return State{}, err
	}
	return cur, nil
}

// OnApproved makes fn run when the team leader approves a record, in the approval's
// transaction (inTx opens it, or joins the one of ctx), as the approving user: case handling
// opens the clue of a record that needs follow-up there (casework.Service.ApprovalHook). An
// error of fn undoes the approval.
func (s *Service) OnApproved(inTx func(ctx context.Context, fn func(ctx context.Context) error) error,
	fn func(ctx context.Context, userID string, st State) error) {
	s.inTx, s.onApproved = inTx, fn
}

// GrantReader reads the live review grant that lets a department's reviewers see a record, a
// source of a case routed to the department (grant.Service).
type GrantReader interface {
	// LiveGrantOnRecord returns department's grant live at at on a case recordID is a source
	// of, nil if none.
	LiveGrantOnRecord(ctx context.Context, department, recordID string, at time.Time) (*access.Grant, error)
}

// ReviewedUnder makes department reviewers see (Get, History) the records that are sources of
// cases their department's live review grants cover, read from g only when the caller is a
// reviewer. Without it they see none.
func (s *Service) ReviewedUnder(g GrantReader) { s.grants = g }

// visible returns st as viewer sc may see it (access.Inspection) under grant (a reviewer's live
// grant on the record, nil: none), or NotFound.
func visible(sc org.Scope, st State, grant *access.Grant) (State, error) {
	ok, masked := access.Inspection(sc, st.StreetCode, inCrew(st.Record, sc.OfficerCode), grant)
	switch {
	case !ok:
		return State{}, derrors.New(derrors.NotFound, "no inspection %s", st.Record.ID)
	case masked:
		return Mask(st), nil
	}
	return st, nil
}

// Get returns a record as the viewer may see it. It only reads: the
// evidence status is kept up to date where evidence is verified
// (EvidenceVerified) and where the record is written. Errors:
// derrors.NotFound.
func (s *Service) Get(ctx context.Context, viewer string, id string) (State, error) {
	st, err := s.store.Get(ctx, id)
	if err != nil {
		return State{}, err
	}
	sc, err := s.org.Scope(ctx, viewer, s.now())
	if err != nil {
		return State{}, err
	}
	var grant *access.Grant
	if sc.Role == org.RoleDeptReviewer && s.grants != nil {
		if grant, err = s.grants.LiveGrantOnRecord(ctx, sc.DepartmentCode, st.Record.ID, s.now()); err != nil {
			return State{}, err
		}
	}
	return visible(sc, st, grant)
}

// History returns every version of a record and the review loop, if the
// viewer may see the record.
func (s *Service) History(ctx context.Context, viewer string, id string) ([]Version, []ReviewAct, error) {
	st, err := s.Get(ctx, viewer, id)
	if err != nil {
		return nil, nil, err
	}
	vs, acts, err := s.store.Versions(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if st.Masked {
		for i := range vs {
			vs[i].Record = maskRecord(vs[i].Record)
		}
	}
	return vs, acts, nil
}

// List returns the records of the viewer's street matching f, personal data
// always masked (lists leave the case team's screen).
func (s *Service) List(ctx context.Context, viewer string, f Filter) ([]State, error) {
	sc, err := s.org.Scope(ctx, viewer, s.now())
	if err != nil {
		return nil, err
	}
	street, ok := access.ListInspections(sc)
	if !ok {
		return nil, derrors.New(derrors.Forbidden, "this account does not list inspections")
	}
	if street != "" {
		f.StreetCode = street
	}
	list, err := s.store.List(ctx, f)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = Mask(list[i])
	}
	return list, nil
}

// Mask hides the party's personal data: a person's name (the surname
// kept), the ID number, the phone number and a person's address.
func Mask(st State) State {
	st.Record = maskRecord(st.Record)
	st.Masked = true
	return st
}

func maskRecord(r Record) Record {
	if r.Party == nil {
		return r
	}
	p := *r.Party
	if p.Kind != PartyOrganisation {
		p.Name = access.MaskName(p.Name) // a person's name is personal data; an organisation's is public
	}
	if p.IDNumber != "" {
		p.IDNumber = MaskedID(p.IDNumber)
	}
	if p.Phone != "" {
		p.Phone = access.MaskPhone(p.Phone)
	}
	if p.Kind == PartyPerson && p.Address != "" {
		p.Address = "***"
	}
	r.Party = &p
	return r
}

// NumberBlock is a block of document numbers issued to a device, to be used
// offline: prefix + a number from First to Last.
type NumberBlock struct {
	ID       string    `json:"id"`
	DocType  string    `json:"doc_type"`
	Prefix   string    `json:"prefix"`
	First    int64     `json:"first"`
	Last     int64     `json:"last"`
	IssuedAt time.Time `json:"issued_at"`
}

// BlockStore issues number blocks.
type BlockStore interface {
	// IssueBlock reserves the next count numbers of prefix for device.
	IssueBlock(ctx context.Context, deviceID, docType, prefix string, count int, at time.Time) (NumberBlock, error)
}

// IssueBlock gives the caller's device a block of count numbers of docType.
// Numbers are never issued twice. Errors: derrors.Forbidden (no device
// session, or not an officer), derrors.Invalid.
func (s *Service) IssueBlock(ctx context.Context, blocks BlockStore, who Actor, docType string, count int) (NumberBlock, error) {
	if who.DeviceID == "" {
		return NumberBlock{}, derrors.New(derrors.Forbidden, "number blocks are issued to devices: log in with device_id")
	}
	if docType != "penalty_decision" {
		return NumberBlock{}, derrors.Invalidf("/doc_type", "unknown document type %q", docType)
	}
	if count < 1 || count > 200 {
		return NumberBlock{}, derrors.Invalidf("/count", "a block has 1 to 200 numbers")
	}
	sc, err := s.org.Scope(ctx, who.UserID, s.now())
	if err != nil {
		return NumberBlock{}, err
	}
	if !access.TakeNumberBlock(sc) {
		return NumberBlock{}, derrors.New(derrors.Forbidden, "only officers and team leaders take number blocks")
	}
	now := s.now().UTC()
	// 简易程序处罚决定书: one series per year.
	prefix := fmt.Sprintf("JYCF-%d-", now.In(s.calendar.loc()).Year())
	return blocks.IssueBlock(ctx, who.DeviceID, docType, prefix, count, now)
}

// BlockReport is the reconciliation of a number block: which numbers acts
// used, which were voided and why, and which are still unused (the gaps the
// team leader follows up).
type BlockReport struct {
	Block  NumberBlock    `json:"block"`
	Owner  string         `json:"owner"` // username of the device's user
	Used   []UsedNumber   `json:"used"`
	Voided []VoidedNumber `json:"voided"`
	Unused []int64        `json:"unused"`
}

// UsedNumber is a number used by an inspection record.
type UsedNumber struct {
	Number       int64  `json:"number"`
	InspectionID string `json:"inspection_id"`
}

// VoidedNumber is a number voided (a spoiled or lost form) with its reason.
type VoidedNumber struct {
	Number int64  `json:"number"`
	Reason string `json:"reason"`
}

// BlockLedger reads and voids the numbers of blocks.
type BlockLedger interface {
	BlockStore
	// Block returns a block, the user id and street code of its device's
	// user, and what became of its numbers.
	Block(ctx context.Context, id string) (BlockReport, string, string, error)
	// Void marks unused numbers of a block voided with reason; it returns
	// derrors.Conflict for a number already used or voided.
	Void(ctx context.Context, block NumberBlock, numbers []int64, reason string) error
}

// Report reconciles a block for its device's user or their team leader.
// Errors: derrors.NotFound (no such block, or not the caller's to see).
func (s *Service) Report(ctx context.Context, ledger BlockLedger, viewer, id string) (BlockReport, error) {
	rep, owner, street, err := ledger.Block(ctx, id)
	if err != nil {
		return BlockReport{}, err
	}
	sc, err := s.org.Scope(ctx, viewer, s.now())
	if err != nil {
		return BlockReport{}, err
	}
	if !access.NumberBlock(sc, owner, street) {
		return BlockReport{}, derrors.New(derrors.NotFound, "no number block %s", id)
	}
	return rep, nil
}

// Void voids unused numbers of a block, with the reason (e.g. a form spoiled
// in the rain). Only the block's user may. Errors: derrors.NotFound,
// derrors.Invalid (a number outside the block, no reason), derrors.Conflict.
func (s *Service) Void(ctx context.Context, ledger BlockLedger, who Actor, id string, numbers []int64, reason string) (BlockReport, error) {
	if reason == "" {
		return BlockReport{}, derrors.Invalidf("/reason", "a voided number says why")
	}
	rep, owner, _, err := ledger.Block(ctx, id)
	if err != nil {
		return BlockReport{}, err
	}
	if owner != who.UserID {
		return BlockReport{}, derrors.New(derrors.NotFound, "no number block %s", id)
	}
	for i, n := range numbers {
		if n < rep.Block.First || n > rep.Block.Last {
			return BlockReport{}, derrors.Invalidf(fmt.Sprintf("/numbers/%d", i), "%d is outside the block (%d-%d)", n, rep.Block.First, rep.Block.Last)
		}
	}
	if err := ledger.Void(ctx, rep.Block, numbers, reason); err != nil {
		return BlockReport{}, err
	}
	rep, _, _, err = ledger.Block(ctx, id)
	return rep, err
}

// Refresh returns st with the expected files that are verified now and
// its status recomputed, and whether anything changed.
func Refresh(st State, verified []string) (State, bool) {
	slices.Sort(verified)
	old := slices.Clone(st.EvidenceVerified)
	slices.Sort(old)
	st.EvidenceVerified = verified
	st.Status = statusOf(st)
	return st, !slices.Equal(old, verified)
}

var _ evidence.RecordIndex = (*Service)(nil)

// Expecting returns, as evidence sees them, the stored records that expect
// a file with client id clientID, and the record recordID if it is stored,
// so that evidence verified after its record is linked at once (the
// evidence side asks, in the transaction that finishes the item).
func (s *Service) Expecting(ctx context.Context, clientID, recordID string) ([]evidence.RecordRef, error) {
	states, err := s.store.Expecting(ctx, clientID, recordID)
	if err != nil {
		return nil, err
	}
	out := make([]evidence.RecordRef, len(states))
	for i, st := range states {
		out[i] = st.EvidenceRef()
	}
	return out, nil
}

// EvidenceVerified brings a record up to date when one of its files is
// linked to it: when every expected file is satisfied, the record is
// complete. The evidence
// side calls it with the context of the transaction that verifies the
// file, so that both change together. Errors: derrors.NotFound for an
// unknown record.
func (s *Service) EvidenceVerified(ctx context.Context, recordID string) error {
	_, err := s.refresh(ctx, recordID)
	return err
}

// EvidenceIntegrityFailed brings a record up to date when one of its
// verified files was found, served or re-hashed, with other bytes than
// verified (or gone): the file no longer counts, so a complete record is
// evidence_pending again, and the record goes to the team leader's review
// queue with EVIDENCE_INTEGRITY_FAILED naming the file's client id. The
// evidence side calls it in the transaction that records the failure.
func (s *Service) EvidenceIntegrityFailed(ctx context.Context, recordID, clientID string) error {
	st, err := s.store.Get(ctx, recordID)
	if err != nil {
		return err
	}
	verified, err := s.store.VerifiedEvidence(ctx, st)
	if err != nil {
		return err
	}
	next, _ := Refresh(st, verified)
	ex := exception(ExEvidenceIntegrity, clientID)
	if slices.Contains(next.Assessment.Exceptions, ex) {
		return nil
	}
	next.Assessment.Exceptions = append(slices.Clone(next.Assessment.Exceptions), ex)
	next.Review = ReviewPending
	feed, err := s.feed(ctx, next)
	if err != nil {
		return err
	}
	return s.store.UpdateEvidence(ctx, next, st.Version, feed)
}

// refresh recomputes which expected files of a record are verified, and
// stores the record if that changed.
func (s *Service) refresh(ctx context.Context, recordID string) (State, error) {
	st, err := s.store.Get(ctx, recordID)
	if err != nil {
		return State{}, err
	}
	if st.Status == Complete {
		return st, nil
	}
	verified, err := s.store.VerifiedEvidence(ctx, st)
	if err != nil {
		return State{}, err
	}
	next, changed := Refresh(st, verified)
	if !changed {
		return st, nil
	}
	feed, err := s.feed(ctx, next)
	if err != nil {
		return State{}, err
	}
	if err := s.store.UpdateEvidence(ctx, next, st.Version, feed); err != nil {
		return State{}, err
	}
	return next, nil
}
