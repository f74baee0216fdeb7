package inspection

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	wsync "github.com/whistle/whistle/sync"
)

// The sync mutations of inspections, by name@version. Keep every version
// that phones in the field may still push.
const (
	MutationRecord = "inspection.record@1"
	MutationAmend  = "inspection.amend@1"
)

// AmendArgs are the args of inspection.amend@1 and the body of a correction.
type AmendArgs struct {
	BaseVersion int    `json:"base_version"`
	Reason      string `json:"reason"`
	Record      Record `json:"record"`
}

// SyncHandlers are the inspection mutations as sync handlers: the same
// commands as the online API.
func SyncHandlers(s *Service) map[string]wsync.Handler {
	return map[string]wsync.Handler{
		MutationRecord: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var r Record
			if err := DecodeArgs(act.Args, &r); err != nil {
				return wsync.Outcome{}, err
			}
			if r.ID != act.EntityID {
				return wsync.Outcome{}, derrors.Invalidf("/id", "the record's id must be the mutation's entity_id")
			}
			st, dup, err := s.recordOnce(ctx, Actor{UserID: act.UserID, DeviceID: act.DeviceID}, r)
			if dup {
				return wsync.Outcome{Duplicate: true, State: st}, err
			}
			return outcome(st), err
		},
		MutationAmend: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a AmendArgs
			if err := DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			st, err := s.Amend(ctx, Actor{UserID: act.UserID, DeviceID: act.DeviceID}, act.EntityID, a.BaseVersion, a.Reason, a.Record)
			return outcome(st), err
		},
	}
}

// RecordOnce is Record for an act that may be sent again: online (a retry
// of POST /v1/inspections) and offline (inspection.record@1) alike. A
// record whose id is taken is answered as recordedBefore does: the same
// record again is a duplicate (the stored state as the caller may see it,
// and duplicate true; nothing changes), another record is refused with
// derrors.EntityConflict naming the fields that differ. With a BatchStore
// (SetWise), the online create is a batch of one through the code of a
// set-wise push (recordSetWise), and otherwise as here.
func (s *Service) RecordOnce(ctx context.Context, who Actor, r Record) (State, bool, error) {
	if s.batches != nil {
		if st, dup, ok, err := s.recordSetWise(ctx, who, r); ok {
			return st, dup, err
		}
	}
	return s.recordOnce(ctx, who, r)
}

// recordOnce is RecordOnce one record at a time: the sync handler's, the
// act-by-act path of a push.
func (s *Service) recordOnce(ctx context.Context, who Actor, r Record) (State, bool, error) {
	st, err := s.Record(ctx, who, r)
	if derrors.CodeOf(err) != derrors.Conflict {
		return st, false, err
	}
	seen, err := s.recordedBefore(ctx, who, r, err)
	if err != nil {
		return State{}, false, err
	}
	return seen, true, nil
}

// recordedBefore answers a record whose id is taken. The same
// record sent again (recorded online first, then pushed from the phone) is
// a duplicate: nothing changes. Another record under that id is refused
// with derrors.EntityConflict, naming the fields that differ; both versions
// stay for the team leader: the stored record, and the refused act in the
// device's sync log with its args. The stored record is resolved in the
// caller's scope first: one the caller may not see (another street's) is
// compared with nothing, and the id is refused as taken without a field,
// a state or a duplicate verdict that would confirm its content. taken is
// returned when no record has the id (the conflict was another one).
func (s *Service) recordedBefore(ctx context.Context, who Actor, r Record, taken error) (State, error) {
	vs, _, err := s.store.Versions(ctx, r.ID)
	if err != nil {
		return State{}, err
	}
	if len(vs) == 0 {
		return State{}, taken
	}
	st, err := s.store.Get(ctx, r.ID)
	if err != nil {
		return State{}, err
	}
	sc, err := s.org.Scope(ctx, who.UserID, s.now())
	if err != nil {
		return State{}, err
	}
	seen, err := visible(sc, st, nil)
	if derrors.CodeOf(err) == derrors.NotFound {
		return State{}, derrors.New(derrors.EntityConflict, "the id %s is taken: this act is kept, rejected", r.ID)
	}
	if err != nil {
		return State{}, err
	}
	changes, err := Diff(asActed(vs[0].Record), asActed(r))
	if err != nil {
		return State{}, err
	}
	var fields []derrors.FieldError
	for _, c := range changes {
		if c.From != nil || c.To != nil { // null and absent are the same
			fields = append(fields, derrors.FieldError{Field: c.Field, Message: "differs from the record stored under this id"})
		}
	}
	if len(fields) > 0 {
		return State{}, &derrors.Error{Code: derrors.EntityConflict, Fields: fields, Message: fmt.Sprintf(
			"inspection %s was already recorded with other content (%s...): this act is kept, rejected, beside the stored record", r.ID, fields[0].Field)}
	}
	return seen, nil
}

// asActed is r as the device recorded it, to compare two encodings of one
// act: its times in UTC, without what the server computes (seizure
// deadlines).
func asActed(r Record) Record {
	r.StartedAt.Wall = r.StartedAt.Wall.UTC()
	if r.EndedAt != nil {
		end := *r.EndedAt
		end.Wall = end.Wall.UTC()
		r.EndedAt = &end
	}
	r.Crew = slices.Clone(r.Crew)
	for i := range r.Crew {
		r.Crew[i].CheckedInAt = r.Crew[i].CheckedInAt.UTC()
	}
	r.Measures = slices.Clone(r.Measures)
	for i, m := range r.Measures {
		if m.Seizure != nil {
			sz := *m.Seizure
			sz.Deadline = time.Time{}
			r.Measures[i].Seizure = &sz
		}
		if m.Summons != nil {
			sm := *m.Summons
			sm.At = sm.At.UTC()
			r.Measures[i].Summons = &sm
		}
	}
	return r
}

// DecodeArgs decodes args strictly: an unknown field is a mistake to report
// (derrors.Invalid), not something to drop silently. The case mutations
// (backend/casework) read their args with it too.
func DecodeArgs(args json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return derrors.Wrap(err, derrors.Invalid, "the mutation's args do not match its schema: "+err.Error())
	}
	return nil
}

func outcome(st State) wsync.Outcome {
	out := wsync.Outcome{State: st}
	for _, e := range st.Assessment.Exceptions {
		out.Exceptions = append(out.Exceptions, wsync.Exception(e))
	}
	return out
}
