package casework

import (
	"context"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
)

// The case mutations of the sync contract: acts an officer records on the phone, offline, applied
// through the same commands as the online API (with the same verdicts).
const (
	MutationFile   = "case.file@1"   // args: the body of POST /v1/cases/{id}/transitions, to filed
	MutationNote   = "case.note@1"   // args: the body of POST /v1/cases/{id}/notes
	MutationNotify = "case.notify@1" // args: the body of POST /v1/cases/{id}/notifications
)

// FileArgs are the args of case.file@1 (the contract's CaseTransition).
type FileArgs struct {
	To          State  `json:"to"`
	BaseVersion int    `json:"base_version,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// NoteArgs are the args of case.note@1.
type NoteArgs struct {
	Text string `json:"text"`
}

// NotifyArgs are the args of case.notify@1.
type NotifyArgs struct {
	Waived      bool   `json:"waived,omitempty"`
	Note        string `json:"note,omitempty"`
	BaseVersion int    `json:"base_version,omitempty"`
}

// SyncHandlers are the case mutations as sync handlers; the entity of each is the case. A
// refused move is the act's rejection with the refusal's code and message, as online.
func SyncHandlers(s *Service) map[string]wsync.Handler {
	return map[string]wsync.Handler{
		MutationFile: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a FileArgs
			if err := inspection.DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			if a.To != StateFiled {
				return wsync.Outcome{}, derrors.Invalidf("/args/to", "case.file@1 files a clue: to is filed")
			}
			r, err := s.Transition(ctx, act.UserID, act.EntityID, MoveRequest{To: StateFiled, Base: a.BaseVersion, Reason: a.Reason})
			return wsync.Outcome{State: r}, err
		},
		MutationNote: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a NoteArgs
			if err := inspection.DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			r, err := s.Note(ctx, act.UserID, act.EntityID, a.Text)
			return wsync.Outcome{State: r}, err
		},
		MutationNotify: func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a NotifyArgs
			if err := inspection.DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			r, err := s.Notify(ctx, act.UserID, act.EntityID, a.BaseVersion, a.Waived, a.Note)
			return wsync.Outcome{State: r}, err
		},
	}
}
