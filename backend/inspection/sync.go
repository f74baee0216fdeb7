package inspection

import (
	"bytes"
	"context"
	"encoding/json"

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
			if err := decodeArgs(act.Args, &r); err != nil {
				return wsync.Outcome{}, err
			}
			if r.ID != act.EntityID {
				return wsync.Outcome{}, derrors.Invalidf("/id", "the record's id must be the mutation's entity_id")
			}
			st, err := s.Record(ctx, Actor{UserID: act.UserID, DeviceID: act.DeviceID}, r)
			return outcome(st), err
		},
		MutationAmend: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a AmendArgs
			if err := decodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			st, err := s.Amend(ctx, Actor{UserID: act.UserID, DeviceID: act.DeviceID}, act.EntityID, a.BaseVersion, a.Reason, a.Record)
			return outcome(st), err
		},
	}
}

// decodeArgs decodes args strictly: an unknown field is a mistake to report,
// not something to drop silently.
func decodeArgs(args json.RawMessage, v any) error {
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
