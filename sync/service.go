package sync

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	gosync "sync"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/input"
)

// Act is a pushed mutation as a command handler sees it.
type Act struct {
	DeviceID   string
	UserID     string
	Seq        int64
	EntityID   string
	Args       json.RawMessage
	Clock      Clock
	ReceivedAt time.Time
}

// Outcome is what a command handler made of an act: the entity's state now,
// and the rules the act broke if it was accepted with exceptions. Duplicate
// says the act had already happened (its entity exists with the same
// content, e.g. recorded online first): nothing changed.
type Outcome struct {
	State      any
	Exceptions []Exception
	Duplicate  bool
}

// Handler applies one kind of mutation inside a savepoint of the push's
// transaction, carried by ctx: when it fails, its writes are undone and the
// failure is recorded. It returns derrors errors: a transient code
// (derrors.Code.Transient: the database was unreachable or busy, or the
// deadline passed) means "try again later" (verdict retry); any other code,
// Internal included, means the mutation is permanently invalid (rejected).
// The handler may run more than once for one act (a transaction undone by
// a concurrent one is run again), so it must not act outside the database.
type Handler func(ctx context.Context, act Act) (Outcome, error)

// Device is the pushing device, as authenticated by the API.
type Device struct {
	ID        string
	UserID    string
	PublicKey ed25519.PublicKey
}

// Store is what the protocol needs of storage.
type Store interface {
	// InTx runs fn in a transaction carried by the ctx it passes. Called
	// inside one, it makes a savepoint: a failing fn's writes are undone
	// and the transaction goes on. Outside one, fn may be run again when a
	// concurrent transaction undid it; a failure that may pass later has a
	// transient code (derrors.Code.Transient).
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// LockDevice locks the device's sync state for the transaction and
	// returns its last applied sequence number (0 for none).
	LockDevice(ctx context.Context, deviceID string) (int64, error)
	// Recorded returns the stored payload hash and result of a sequence number.
	Recorded(ctx context.Context, deviceID string, seq int64) (hash []byte, res Result, found bool, err error)
	// Record stores the outcome of m and makes m.Seq the device's last
	// applied number; it forgets the failures counted by CountFailure.
	Record(ctx context.Context, deviceID string, m Mutation, hash []byte, res Result, at time.Time) error
	// CountFailure notes, in a transaction of its own, that the device's act
	// seq failed transiently, and returns how many times in a row it has.
	CountFailure(ctx context.Context, deviceID string, seq int64) (int, error)
	// Pull reads, in one snapshot, the changes of each scope after its
	// cursor (at most limit in all), the device's last applied number, and
	// each scope's purge horizon.
	Pull(ctx context.Context, deviceID string, cursors map[string]int64, limit int) (Snapshot, error)
}

// DefaultRetryLimit is how many times in a row an act may fail transiently
// before it is rejected with retry_exhausted (Service.RetryLimit).
const DefaultRetryLimit = 5

// Service runs the protocol.
type Service struct {
	store      Store
	handlers   map[string]Handler
	now        func() time.Time
	validate   func(name string, args json.RawMessage) error
	retryLimit int
	batcher    Batcher // nil: every act on its own (SetWise)
}

// NewService returns a Service applying mutations with handlers, by name@version.
func NewService(store Store, handlers map[string]Handler, now func() time.Time) *Service {
	return &Service{store: store, handlers: handlers, now: now}
}

// ValidateArgs makes the service check each mutation's args with validate
// (the API contract's schema of the mutation) before its handler runs; a
// mutation whose args fail is rejected with the error, like one its handler
// refuses.
func (s *Service) ValidateArgs(validate func(name string, args json.RawMessage) error) {
	s.validate = validate
}

// RetryLimit sets how many times in a row one act may fail transiently
// (verdict retry) before it is rejected with retry_exhausted, naming the
// last cause: no act, whatever it holds, can keep a device's queue from
// draining. A gap (sequence_gap) is not a failure. n < 1 means
// DefaultRetryLimit.
func (s *Service) RetryLimit(n int) {
	s.retryLimit = n
}

// PushResponse is the answer to a push: a result per mutation processed, in
// order, and the device's last applied sequence number.
type PushResponse struct {
	Results        []Result `json:"results"`
	LastAppliedSeq int64    `json:"last_applied_seq"`
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Check validates a batch before anything is applied: its size, each
// mutation's shape, increasing sequence numbers, and every signature. It
// returns derrors.PayloadTooLarge or derrors.Invalid naming the field.
func Check(dev Device, batch []Mutation) error {
	if len(batch) == 0 {
		return derrors.Invalidf("/mutations", "a push carries at least one mutation")
	}
	if len(batch) > MaxBatch {
		return derrors.New(derrors.PayloadTooLarge, "a push carries at most %d mutations, this one %d", MaxBatch, len(batch))
	}
	signed := verifyAll(dev, batch)
	for i, m := range batch {
		at := fmt.Sprintf("/mutations/%d", i)
		switch {
		case m.Seq < 1:
			return derrors.Invalidf(at+"/seq", "sequence numbers start at 1")
		case i > 0 && m.Seq <= batch[i-1].Seq:
			return derrors.Invalidf(at+"/seq", "sequence numbers must increase within a push (%d after %d)", m.Seq, batch[i-1].Seq)
		case !uuidPattern.MatchString(m.EntityID):
			return derrors.Invalidf(at+"/entity_id", "entity_id must be a UUID")
		case !ValidName(m.Name):
			return derrors.Invalidf(at+"/name", "%q is not a versioned mutation name such as inspection.record@1", m.Name)
		case len(m.Args) == 0 || !json.Valid(m.Args):
			return derrors.Invalidf(at+"/args", "args must be JSON")
		case m.Clock.Wall.IsZero():
			return derrors.Invalidf(at+"/clock/wall", "the device's wall time is required")
		case !signed[i]:
			return &derrors.Error{Code: derrors.Invalid, Message: fmt.Sprintf("mutation %d: the signature does not verify with the device's key", m.Seq),
				Fields: []derrors.FieldError{{Field: at + "/signature", Message: "bad_signature"}}}
		}
	}
	return nil
}

// verifyAll reports whether each mutation of batch carries a valid
// signature of the device, verifying them on every CPU: a full push is
// 500 Ed25519 verifications, a good part of a re-push's time.
func verifyAll(dev Device, batch []Mutation) []bool {
	ok := make([]bool, len(batch))
	workers := min(runtime.GOMAXPROCS(0), len(batch))
	var wg gosync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(batch); i += workers {
				ok[i] = Verify(dev.PublicKey, dev.ID, batch[i])
			}
		})
	}
	wg.Wait()
	return ok
}

// Push applies batch in order and returns a result for every mutation
// processed. With a Batcher (SetWise), it first applies as much of the
// batch as it can set-wise, in one transaction (batch.go); the rest, or the
// whole batch when that transaction fails, is applied act by act, each
// mutation in its own transaction. It stops at a gap in the sequence or at
// a transient failure (verdict retry); the mutations after that are not
// processed and are not in the results. It returns an error only for a
// batch refused whole (see Check) or when storage fails.
func (s *Service) Push(ctx context.Context, dev Device, batch []Mutation) (PushResponse, error) {
	if err := Check(dev, batch); err != nil {
		return PushResponse{}, err
	}
	var out PushResponse
	if store, ok := s.store.(BatchStore); ok && s.batcher != nil {
		// On failure nothing was written: the batch goes act by act.
		if sw, err := s.pushSetWise(ctx, store, dev, batch); err == nil {
			out.Results, out.LastAppliedSeq = sw.results, sw.last
			if sw.stop {
				return out, nil
			}
			batch = batch[len(sw.results):]
		}
	}
	for _, m := range batch {
		res, last, err := s.pushOne(ctx, dev, m)
		if err != nil {
			return out, err
		}
		out.Results = append(out.Results, res)
		out.LastAppliedSeq = last
		if res.Verdict == Retry {
			break
		}
	}
	return out, nil
}

// pushOne processes one mutation in its own transaction: it locks the
// device's sync state, runs the handler in a savepoint and records the
// outcome. A handler that fails for good has its writes undone by the
// savepoint, and its failure is recorded (rejected). A transient failure,
// the handler's or the store's, undoes the whole transaction: the store
// runs it again a few times if a concurrent transaction was the cause, and
// if it still fails the mutation gets verdict retry, nothing recorded.
func (s *Service) pushOne(ctx context.Context, dev Device, m Mutation) (Result, int64, error) {
	hash := PayloadHash(dev.ID, m)
	var (
		res  Result
		last int64
	)
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if last, err = s.store.LockDevice(ctx, dev.ID); err != nil {
			return err
		}
		switch {
		case m.Seq <= last:
			res, err = s.replay(ctx, dev, m, hash)
			return err
		case m.Seq > last+1:
			res = gap(m, last)
			return nil
		}
		res = Result{Seq: m.Seq, EntityID: m.EntityID}
		handler, ok := s.handlers[m.Name]
		if !ok {
			res.Verdict, res.Problem = Rejected, unknownMutation(m.Name)
		} else {
			out, herr := s.apply(ctx, dev, m, handler)
			switch {
			case herr == nil:
				if err := settle(&res, out); err != nil {
					return err
				}
			case derrors.CodeOf(herr).Transient() || ctx.Err() != nil:
				return herr
			default:
				res.Verdict, res.Problem = Rejected, problemOf(herr)
			}
		}
		return s.store.Record(ctx, dev.ID, m, hash, res, s.now().UTC())
	})
	switch {
	case err == nil && res.Verdict == Retry: // a gap: nothing recorded
		return res, last, nil
	case err == nil:
		return res, max(last, m.Seq), nil
	case derrors.CodeOf(err).Transient():
		return s.failed(ctx, dev, m, hash, err)
	}
	return Result{}, 0, err
}

// failed answers an act that failed transiently: retry, until it has failed
// so RetryLimit times in a row; then it is recorded as rejected with
// retry_exhausted naming the last cause, counted with the device's rejected
// acts for the team leader, and the acts after it go on. When even that
// cannot be recorded (the database is down), the answer stays retry.
func (s *Service) failed(ctx context.Context, dev Device, m Mutation, hash []byte, cause error) (Result, int64, error) {
	retry := Result{Seq: m.Seq, EntityID: m.EntityID, Verdict: Retry, Problem: problemOf(cause)}
	limit := s.retryLimit
	if limit < 1 {
		limit = DefaultRetryLimit
	}
	n, err := s.store.CountFailure(ctx, dev.ID, m.Seq)
	if err != nil || n < limit {
		return retry, m.Seq - 1, nil
	}
	res := Result{Seq: m.Seq, EntityID: m.EntityID, Verdict: Rejected, Problem: &Problem{Code: "retry_exhausted",
		Message: fmt.Sprintf("the act failed %d times in a row, each time transiently (last: %s: %s); it is kept on the server, rejected, so that the acts after it can sync",
			n, retry.Problem.Code, retry.Problem.Message)}}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		last, err := s.store.LockDevice(ctx, dev.ID)
		if err != nil {
			return err
		}
		if m.Seq != last+1 {
			return errMoved
		}
		return s.store.Record(ctx, dev.ID, m, hash, res, s.now().UTC())
	})
	if err != nil {
		// Another push of the device recorded it meanwhile, or the
		// database failed again: the next push replays or decides.
		return retry, m.Seq - 1, nil
	}
	return res, m.Seq, nil
}

// errMoved says the device's last applied number moved while an exhausted
// act was being rejected.
var errMoved = errors.New("the device's last applied number moved")

// apply runs handler on m in a savepoint of the transaction carried by ctx,
// so that a failure undoes the handler's writes and nothing else.
func (s *Service) apply(ctx context.Context, dev Device, m Mutation, handler Handler) (Outcome, error) {
	act := s.act(dev, m)
	var out Outcome
	err := s.store.InTx(WithOrigin(ctx, Origin{DeviceID: dev.ID, Seq: m.Seq}), func(ctx context.Context) error {
		if err := s.admit(m); err != nil {
			return err
		}
		var err error
		out, err = handler(ctx, act)
		return err
	})
	return out, err
}

// act is m as a handler sees it, received now.
func (s *Service) act(dev Device, m Mutation) Act {
	return Act{DeviceID: dev.ID, UserID: dev.UserID, Seq: m.Seq, EntityID: m.EntityID, Args: m.Args, Clock: m.Clock, ReceivedAt: s.now().UTC()}
}

// admit checks m's args before any handler sees them: text the database
// cannot store (or JSON decoding would rewrite) is refused in any
// mutation's args, with or without a schema, naming the field; then the
// schema of the mutation, if the service has one (ValidateArgs).
func (s *Service) admit(m Mutation) error {
	if err := input.Refused(input.JSONText(m.Args, "/args", nil)); err != nil {
		return err
	}
	if s.validate != nil {
		return s.validate(m.Name, m.Args)
	}
	return nil
}

// settle fills in res from what a handler made of the act: applied,
// duplicate or accepted with exceptions, with the entity's state.
func settle(res *Result, out Outcome) error {
	res.Verdict, res.Exceptions = Applied, out.Exceptions
	switch {
	case out.Duplicate:
		res.Verdict = Duplicate
	case len(out.Exceptions) > 0:
		res.Verdict = AcceptedWithExceptions
	}
	if out.State != nil {
		state, err := json.Marshal(out.State)
		if err != nil {
			return err
		}
		res.State = state
	}
	return nil
}

// replay answers a sequence number already applied: the stored result if
// the payload is the same, a conflict otherwise. Nothing changes.
func (s *Service) replay(ctx context.Context, dev Device, m Mutation, hash []byte) (Result, error) {
	stored, res, found, err := s.store.Recorded(ctx, dev.ID, m.Seq)
	if err != nil {
		return Result{}, err
	}
	if !found || !slices.Equal(stored, hash) {
		return conflict(m), nil
	}
	res.Verdict = Duplicate
	return res, nil
}

// internalMessage is all a device is told of an internal error; the
// server's log has the rest.
const internalMessage = "internal error: the act is kept on the server, rejected, for the team leader and the administrators"

// problemOf turns a handler error into a stored problem.
func problemOf(err error) *Problem {
	var de *derrors.Error
	if !errors.As(err, &de) {
		return &Problem{Code: string(derrors.Internal), Message: internalMessage}
	}
	p := &Problem{Code: string(de.Code), Message: de.Message}
	if de.Code == derrors.Internal {
		p.Message = internalMessage
	}
	for _, f := range de.Fields {
		p.Fields = append(p.Fields, ProblemField{Field: f.Field, Message: f.Message})
	}
	return p
}

type originKey struct{}

// Origin is the device mutation a change comes from.
type Origin struct {
	DeviceID string
	Seq      int64
}

// WithOrigin returns ctx carrying the origin of the changes made under it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin carried by ctx (zero for online acts).
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}
