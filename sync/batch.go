package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// The set-wise path of a push (issue 13). A push is applied by default one
// act at a time, each in its own transaction (pushOne). With a Batcher and
// a BatchStore, the service first tries the whole push in one transaction:
// it reads the device's state and the stored verdicts of the batch's
// sequence numbers once, lets the Batcher read what its acts need once and
// judge each act in memory with the same commands as a handler, then writes
// each table once (the Batcher's records, the verdicts, the device's last
// number). Acts a Batcher cannot judge in memory (ErrNotBatchable), or a
// transient failure, end the set-wise run: the acts from there on go
// through the act-by-act path, in order. When the set-wise write itself
// fails (a constraint the up-front read could not foresee, a concurrent
// writer), its transaction is undone whole and the batch is applied act
// by act: correctness never depends on the set-wise path.

// ErrNotBatchable is what Batch.Apply returns for an act it cannot judge in
// memory (another kind of mutation, a record whose evidence or history
// must be read under locks): that act and the ones after it are applied
// one at a time.
var ErrNotBatchable = errors.New("the act is applied on its own")

// NamedAct is an act with the name of its mutation.
type NamedAct struct {
	Name string
	Act  Act
}

// Batcher applies a run of a push's acts set-wise.
type Batcher interface {
	// Begin reads, in the transaction carried by ctx, what judging acts
	// needs, and returns the batch that judges them.
	Begin(ctx context.Context, acts []NamedAct) (Batch, error)
}

// Batch judges the acts of one push in memory and writes them set-wise.
type Batch interface {
	// Apply judges act as its handler would and stages its writes; nothing
	// is written before Flush. Errors are a handler's (a transient code
	// means retry, any other rejected; nothing is staged for a failed
	// act), or ErrNotBatchable. ctx carries the act's Origin.
	Apply(ctx context.Context, name string, act Act) (Outcome, error)
	// Flush writes what the applied acts staged, each table once, in the
	// transaction carried by ctx.
	Flush(ctx context.Context) error
}

// Deferred is the state of an outcome that its Batch encodes in Flush: the
// batch writes the same bytes to the record, the trail's digest and the
// feed, so each state is encoded once (on every CPU) rather than once per
// use. A Batch's Apply may answer Outcome{State: &Deferred{}}; its Flush
// sets JSON, the state as json.Marshal encodes it.
type Deferred struct {
	JSON json.RawMessage
}

// Recording is a processed mutation to store: its payload hash and result.
type Recording struct {
	Mutation Mutation
	Hash     []byte
	Result   Result
	At       time.Time
}

// Stored is the payload hash and result stored for a sequence number.
type Stored struct {
	Hash   []byte
	Result Result
}

// BatchStore is what the set-wise path needs of storage besides Store.
type BatchStore interface {
	Store
	// RecordedSeqs returns what is stored for each of seqs that was
	// processed, in the transaction of ctx.
	RecordedSeqs(ctx context.Context, deviceID string, seqs []int64) (map[int64]Stored, error)
	// RecordAll stores the outcomes of recs (in increasing sequence order),
	// makes the last one the device's last applied number and forgets the
	// failures counted by CountFailure, in the transaction of ctx.
	RecordAll(ctx context.Context, deviceID string, recs []Recording) error
}

// SetWise makes Push try each batch set-wise first, judging acts with b;
// the store must be a BatchStore, or nothing changes.
func (s *Service) SetWise(b Batcher) {
	s.batcher = b
}

// setWise is what the set-wise path made of a push: the results of the
// acts it processed (a prefix of the batch), the device's last applied
// number, and whether the push ends there (a gap).
type setWise struct {
	results []Result
	last    int64
	stop    bool
}

// pushSetWise applies the longest prefix of batch it can in one
// transaction (see the package comment above). Any error means nothing
// was written: the caller applies the batch act by act.
func (s *Service) pushSetWise(ctx context.Context, store BatchStore, dev Device, batch []Mutation) (setWise, error) {
	var out setWise
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		out = setWise{} // the store may run this again
		last, err := store.LockDevice(ctx, dev.ID)
		if err != nil {
			return err
		}
		out.last = last
		// Replays: the numbers already applied form a prefix.
		var seen []int64
		for _, m := range batch {
			if m.Seq <= last {
				seen = append(seen, m.Seq)
			}
		}
		stored := map[int64]Stored{}
		if len(seen) > 0 {
			if stored, err = store.RecordedSeqs(ctx, dev.ID, seen); err != nil {
				return err
			}
		}
		fresh := batch[len(seen):]
		for _, m := range batch[:len(seen)] {
			out.results = append(out.results, replayed(dev, m, stored))
		}
		if len(fresh) == 0 {
			return nil
		}
		if fresh[0].Seq != last+1 {
			out.results = append(out.results, gap(fresh[0], last))
			out.stop = true
			return nil
		}
		// Only a run of consecutive numbers is applied; a gap ends it.
		run := fresh[:1]
		for i := 1; i < len(fresh) && fresh[i].Seq == fresh[i-1].Seq+1; i++ {
			run = fresh[:i+1]
		}
		acts := make([]NamedAct, len(run))
		for i, m := range run {
			acts[i] = NamedAct{Name: m.Name, Act: s.act(dev, m)}
		}
		b, err := s.batcher.Begin(ctx, acts)
		if err != nil {
			return err
		}
		var recs []Recording
		deferred := map[int]*Deferred{} // by index in recs
		for i, m := range run {
			res, d, ok, err := s.judge(ctx, b, dev, m, acts[i].Act)
			if err != nil {
				return err
			}
			if !ok {
				break // applied one at a time from here
			}
			if d != nil {
				deferred[len(recs)] = d
			}
			recs = append(recs, Recording{Mutation: m, Hash: PayloadHash(dev.ID, m), Result: res, At: acts[i].Act.ReceivedAt})
		}
		if len(recs) == 0 {
			return nil
		}
		if err := b.Flush(ctx); err != nil {
			return err
		}
		for i, d := range deferred {
			if d.JSON == nil {
				return derrors.New(derrors.Internal, "sync: the batch left the state of sequence number %d unencoded", recs[i].Mutation.Seq)
			}
			recs[i].Result.State = d.JSON
		}
		if err := store.RecordAll(ctx, dev.ID, recs); err != nil {
			return err
		}
		for _, r := range recs {
			out.results = append(out.results, r.Result)
		}
		out.last = recs[len(recs)-1].Mutation.Seq
		if len(recs) == len(run) && len(run) < len(fresh) {
			// A gap inside the batch: answered as pushOne would.
			out.results = append(out.results, gap(fresh[len(run)], out.last))
			out.stop = true
		}
		return nil
	})
	if err != nil {
		return setWise{}, err
	}
	return out, nil
}

// judge is what the set-wise path makes of one new act: its result, or
// ok false when the act must be applied on its own (not batchable, or a
// transient failure that the act-by-act path answers and counts). d is the
// outcome's state when the batch encodes it in Flush (the result's State
// is then to be set from it).
func (s *Service) judge(ctx context.Context, b Batch, dev Device, m Mutation, act Act) (res Result, d *Deferred, ok bool, err error) {
	res = Result{Seq: m.Seq, EntityID: m.EntityID}
	if _, ok := s.handlers[m.Name]; !ok {
		res.Verdict, res.Problem = Rejected, unknownMutation(m.Name)
		return res, nil, true, nil
	}
	out, err := Outcome{}, s.admit(m)
	if err == nil {
		out, err = b.Apply(WithOrigin(ctx, Origin{DeviceID: dev.ID, Seq: m.Seq}), m.Name, act)
	}
	switch {
	case errors.Is(err, ErrNotBatchable), err != nil && (derrors.CodeOf(err).Transient() || ctx.Err() != nil):
		return Result{}, nil, false, nil
	case err != nil:
		res.Verdict, res.Problem = Rejected, problemOf(err)
		return res, nil, true, nil
	}
	if deferred, isDeferred := out.State.(*Deferred); isDeferred {
		d, out.State = deferred, nil
	}
	if err := settle(&res, out); err != nil {
		return Result{}, nil, false, err
	}
	return res, d, true, nil
}

// replayed answers a number already applied, from what is stored for it.
func replayed(dev Device, m Mutation, stored map[int64]Stored) Result {
	st, found := stored[m.Seq]
	if !found || !slices.Equal(st.Hash, PayloadHash(dev.ID, m)) {
		return conflict(m)
	}
	res := st.Result
	res.Verdict = Duplicate
	return res
}

// gap answers a number beyond the next one the device may push.
func gap(m Mutation, last int64) Result {
	return Result{Seq: m.Seq, EntityID: m.EntityID, Verdict: Retry, Problem: &Problem{Code: "sequence_gap",
		Message: fmt.Sprintf("the server has applied up to %d; push %d first", last, last+1)}}
}

// conflict answers a number already used by another mutation.
func conflict(m Mutation) Result {
	return Result{Seq: m.Seq, EntityID: m.EntityID, Verdict: Rejected, Problem: &Problem{Code: "sequence_conflict",
		Message: fmt.Sprintf("sequence number %d was already used by another mutation of this device; the first one is kept", m.Seq)}}
}

func unknownMutation(name string) *Problem {
	return &Problem{Code: "unknown_mutation",
		Message: fmt.Sprintf("this server has no handler for %q: update the server, or the app if the version was withdrawn", name)}
}
