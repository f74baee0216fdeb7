package inspection

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	wsync "github.com/whistle/whistle/sync"
)

// Set-wise recording (issue 13): the inspection.record@1 and
// inspection.amend@1 acts of a sync push are judged by the same commands
// as one at a time (RecordOnce and Amend, through SyncHandlers), but
// against one read of the organization and of the stored records (and
// what the push staged before each act), and their records are written
// set-wise. The commands run on a Service whose Org is that read
// (org.FactSet) and whose Store stages the records and amendments in
// memory (staged); Flush writes them in the order of the acts. An act that
// needs what the read does not hold (an id taken twice in the push, a file
// expected by two records of the push, an amendment involving files,
// another kind of mutation) is answered wsync.ErrNotBatchable: the sync
// service applies it, and the acts after it, one at a time.

// BatchNeed is what the record acts of a batch name.
type BatchNeed struct {
	RecordIDs    []string
	OfficerCodes []string
	MatterCodes  []string
}

// BatchRead is one read of what judging a batch needs.
type BatchRead struct {
	Scope  org.Scope        // of the pushing user, now
	Facts  *org.FactSet     // the officers (the user's included), matters, policies and teams named
	Stored map[string]State // the stored records among the batch's ids
}

// Created is a record a batch created, as the Store's Create takes it, and
// the device act it comes from.
type Created struct {
	State  State
	Author string
	Reason string
	Feed   map[string]State
	Origin wsync.Origin
	// Answer, when not nil, is to be set by WriteBatch to the encoding of
	// the state the act answers the device with (Answered), which is
	// mostly the stored state: encoded once for both.
	Answer   *wsync.Deferred
	Answered State
}

// BatchStore reads and writes a batch of records set-wise, in the
// transaction carried by ctx.
type BatchStore interface {
	// ReadBatch reads, in a few queries, the scope of user userID at at
	// and what need names.
	ReadBatch(ctx context.Context, userID string, at time.Time, need BatchNeed) (BatchRead, error)
	// WriteBatch stores the records created, in order, with one statement
	// per table: each as Store.Create would (version, form numbers,
	// evidence, trail entry, feed). It fails whole, writing nothing and
	// leaving the transaction of ctx usable, when any of them cannot be
	// stored, e.g. an id taken meanwhile.
	WriteBatch(ctx context.Context, created []Created) error
}

// SetWise makes the service write with store set-wise: a sync push's
// records (SyncBatcher) and the online create (RecordOnce, a batch of one).
func (s *Service) SetWise(store BatchStore) {
	s.batches = store
}

// SyncBatcher is the set-wise side of SyncHandlers, writing with store.
func (s *Service) SyncBatcher(store BatchStore) wsync.Batcher {
	return batcher{s: s, store: store}
}

type batcher struct {
	s     *Service
	store BatchStore
}

// add adds what r names to n.
func (n *BatchNeed) add(r Record) {
	for _, c := range r.Crew {
		n.OfficerCodes = append(n.OfficerCodes, c.OfficerCode)
	}
	n.MatterCodes = append(n.MatterCodes, r.MatterCodes...)
}

// Begin reads what the record acts of acts name, in one BatchStore read.
func (b batcher) Begin(ctx context.Context, acts []wsync.NamedAct) (wsync.Batch, error) {
	var need BatchNeed
	user := ""
	for _, a := range acts {
		switch a.Name {
		case MutationRecord:
			var r Record
			if DecodeArgs(a.Act.Args, &r) == nil { // else rejected by its handler
				need.add(r)
			}
		case MutationAmend:
			var am AmendArgs
			if DecodeArgs(a.Act.Args, &am) == nil {
				need.add(am.Record)
			}
		default:
			continue
		}
		user = a.Act.UserID
		need.RecordIDs = append(need.RecordIDs, a.Act.EntityID)
	}
	if user == "" {
		return &batch{}, nil
	}
	return b.open(ctx, user, need)
}

// open reads what need names for user, in one BatchStore read, and returns
// the batch that judges against it.
func (b batcher) open(ctx context.Context, user string, need BatchNeed) (*batch, error) {
	read, err := b.store.ReadBatch(ctx, user, b.s.now(), need)
	if err != nil {
		return nil, err
	}
	st := &staged{Store: b.s.store, stored: read.Stored, ids: map[string]bool{}, latest: map[string]State{}}
	judge := &Service{store: st, org: batchOrg{FactSet: read.Facts, scope: read.Scope}, calendar: b.s.calendar, now: b.s.now}
	return &batch{store: b.store, staged: st, judge: judge, handlers: SyncHandlers(judge)}, nil
}

// recordSetWise is RecordOnce as a batch of one: the same read, judgment
// and write as a set-wise push. ok is false when it could not decide (the
// record needs what a batch does not read, the read or the write failed,
// leaving nothing written): the caller records one at a time.
func (s *Service) recordSetWise(ctx context.Context, who Actor, r Record) (st State, dup, ok bool, err error) {
	var need BatchNeed
	need.RecordIDs = []string{r.ID}
	need.add(r)
	b, err := batcher{s: s, store: s.batches}.open(ctx, who.UserID, need)
	if err != nil {
		return State{}, false, false, nil
	}
	st, dup, err = b.judge.recordOnce(ctx, who, r)
	switch {
	case errors.Is(err, wsync.ErrNotBatchable), errors.Is(err, org.ErrNotRead):
		return State{}, false, false, nil
	case err != nil:
		return State{}, false, true, err
	}
	if err := b.Flush(ctx); err != nil {
		return State{}, false, false, nil
	}
	return st, dup, true, nil
}

type batch struct {
	store    BatchStore
	staged   *staged
	judge    *Service // the commands, on the batch's read and staged store
	handlers map[string]wsync.Handler
}

// Apply runs the act's handler against the batch's read; a failed act
// stages nothing.
func (b *batch) Apply(ctx context.Context, name string, act wsync.Act) (wsync.Outcome, error) {
	h, ok := b.handlers[name]
	if !ok || (name != MutationRecord && name != MutationAmend) {
		return wsync.Outcome{}, wsync.ErrNotBatchable
	}
	mark, amendMark := len(b.staged.created), len(b.staged.amended)
	out, err := h(ctx, act)
	if err != nil {
		b.staged.drop(mark, amendMark)
		if errors.Is(err, org.ErrNotRead) {
			return wsync.Outcome{}, wsync.ErrNotBatchable
		}
		return wsync.Outcome{}, err
	}
	if st, ok := out.State.(State); ok && len(b.staged.created) == mark+1 {
		// The answer is encoded by WriteBatch, with the record's state.
		c := &b.staged.created[mark]
		c.Answer, c.Answered = &wsync.Deferred{}, st
		out.State = c.Answer
	}
	return out, nil
}

// Flush writes the staged records and amendments in the order of their
// acts: each run of records with one WriteBatch, each amendment between
// them with the Store's AddVersion (a few statements), so that the trail
// chains and the feed read as act by act.
func (b *batch) Flush(ctx context.Context) error {
	if b.staged == nil {
		return nil
	}
	from := 0
	for _, a := range b.staged.amended {
		if a.after > from {
			if err := b.store.WriteBatch(ctx, b.staged.created[from:a.after]); err != nil {
				return err
			}
			from = a.after
		}
		ctx := wsync.WithOrigin(ctx, a.origin)
		if err := b.staged.Store.AddVersion(ctx, a.state, a.base, a.author, a.reason, a.feed); err != nil {
			return err
		}
	}
	if from == len(b.staged.created) {
		return nil
	}
	return b.store.WriteBatch(ctx, b.staged.created[from:])
}

// batchOrg is the organization as the batch read it.
type batchOrg struct {
	*org.FactSet
	scope org.Scope
}

func (o batchOrg) Scope(_ context.Context, userID string, _ time.Time) (org.Scope, error) {
	if userID != o.scope.UserID {
		return org.Scope{}, org.ErrNotRead
	}
	return o.scope, nil
}

// staged is the Store of a batch: records created are kept in memory, in
// order, for Flush; reads are answered from the batch's read and what it
// created, or by the Store underneath where the batch does not change the
// answer. What a batch cannot answer is wsync.ErrNotBatchable.
type staged struct {
	Store
	stored  map[string]State // stored before the batch
	created []Created
	ids     map[string]bool // ids created by the batch
	amended []amended
	latest  map[string]State // the last state the batch staged, by id
}

// amended is an amendment staged by a batch, for Store.AddVersion: its
// arguments, the device act it comes from, and how many of the batch's
// records were created before it.
type amended struct {
	state          State
	base           int
	author, reason string
	feed           map[string]State
	origin         wsync.Origin
	after          int
}

// drop forgets what the batch staged after mark records and amendMark
// amendments (what a failed act staged).
func (s *staged) drop(mark, amendMark int) {
	for _, c := range s.created[mark:] {
		delete(s.ids, c.State.Record.ID)
	}
	s.created = s.created[:mark]
	s.amended = s.amended[:amendMark]
	clear(s.latest)
	for _, c := range s.created {
		s.latest[c.State.Record.ID] = c.State
	}
	for _, a := range s.amended {
		s.latest[a.state.Record.ID] = a.state
	}
}

// numbers are the form numbers c marks used: those of the recording
// device's own blocks (see Store.FormNumberHolder), as Create stores them.
func (c Created) numbers() []string {
	var out []string
	if c.State.DeviceID == "" {
		return nil
	}
	for _, m := range c.State.Record.Measures {
		if m.Kind == authority.MeasureFineSimple && m.Fine != nil && !hasException(c.State, ExFormNumberForeign, m.Fine.FormNumber) &&
			!hasException(c.State, ExFormNumberOutsideBlock, m.Fine.FormNumber) {
			out = append(out, m.Fine.FormNumber)
		}
	}
	return out
}

func hasException(st State, code, subject string) bool {
	for _, e := range st.Assessment.Exceptions {
		if e.Code == code && e.Subject == subject {
			return true
		}
	}
	return false
}

func (s *staged) Create(ctx context.Context, st State, author, reason string, feed map[string]State) error {
	if s.sharesEvidence(st) {
		// An item links to one record only: which one depends on the
		// order of the links, which the batch's read cannot see.
		return wsync.ErrNotBatchable
	}
	if _, ok := s.stored[st.Record.ID]; ok || s.ids[st.Record.ID] {
		return derrors.New(derrors.Conflict, "inspection %s already exists", st.Record.ID)
	}
	c := Created{State: st, Author: author, Reason: reason, Feed: feed, Origin: wsync.OriginFrom(ctx)}
	s.created = append(s.created, c)
	s.ids[st.Record.ID] = true
	s.latest[st.Record.ID] = st
	return nil
}

// Get answers the record as the batch left it (created or amended by an
// earlier act of the push), or as stored before the batch.
func (s *staged) Get(ctx context.Context, id string) (State, error) {
	if st, ok := s.latest[id]; ok {
		return st, nil
	}
	if st, ok := s.stored[id]; ok {
		return st, nil
	}
	return State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
}

func (s *staged) Versions(ctx context.Context, id string) ([]Version, []ReviewAct, error) {
	if s.ids[id] {
		return nil, nil, wsync.ErrNotBatchable
	}
	if _, ok := s.stored[id]; !ok {
		return nil, nil, nil
	}
	return s.Store.Versions(ctx, id)
}

// sharesEvidence reports whether st expects a file that a record the batch
// created expects too.
func (s *staged) sharesEvidence(st State) bool {
	for _, c := range s.created {
		for _, e := range c.State.Record.Evidence {
			if slices.ContainsFunc(st.Record.Evidence, func(x ExpectedEvidence) bool { return x.ClientID == e.ClientID }) {
				return true
			}
		}
	}
	return false
}

// VerifiedEvidence reads the store: what the batch creates links no
// evidence before Flush, and records sharing expected files are not
// created by one batch (sharesEvidence).
func (s *staged) VerifiedEvidence(ctx context.Context, st State) ([]string, error) {
	if len(st.Record.Evidence) == 0 {
		return []string{}, nil
	}
	return s.Store.VerifiedEvidence(ctx, st)
}

func (s *staged) UsedFormNumber(ctx context.Context, number, recordID string) (bool, error) {
	for _, c := range s.created {
		if c.State.Record.ID != recordID && slices.Contains(c.numbers(), number) {
			return true, nil
		}
	}
	for _, a := range s.amended {
		if a.state.Record.ID != recordID && slices.Contains(Created{State: a.state}.numbers(), number) {
			return true, nil
		}
	}
	return s.Store.UsedFormNumber(ctx, number, recordID)
}

// AddVersion stages an amendment judged against what the batch read and
// staged before it (Get), for Flush to write in its place among the acts.
// An amendment expecting files, or of a record that expects some, is
// applied on its own: which files it finds verified and links depends on
// the writes before it, which the batch's read does not hold.
func (s *staged) AddVersion(ctx context.Context, st State, base int, author, reason string, feed map[string]State) error {
	cur, err := s.Get(ctx, st.Record.ID)
	if err != nil {
		return err
	}
	if len(st.Record.Evidence) > 0 || len(cur.Record.Evidence) > 0 {
		return wsync.ErrNotBatchable
	}
	if cur.Version != base { // as the Store checks under the record's lock
		return derrors.New(derrors.Conflict, "the record moved to version %d meanwhile", cur.Version)
	}
	s.amended = append(s.amended, amended{state: st, base: base, author: author, reason: reason, feed: feed,
		origin: wsync.OriginFrom(ctx), after: len(s.created)})
	s.latest[st.Record.ID] = st
	return nil
}

func (s *staged) SetReview(context.Context, State, ReviewAct, map[string]State) error {
	return wsync.ErrNotBatchable
}

func (s *staged) UpdateEvidence(context.Context, State, int, map[string]State) error {
	return wsync.ErrNotBatchable
}
