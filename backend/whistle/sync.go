package whistle

import (
	"context"
	"time"

	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
)

// The report mutations of the sync contract: a department's officer reports on the phone,
// offline, through the same command as POST /v1/whistles/{id}/reports (Service.Report), with the
// same verdicts; the entity is the whistle, the args the route's body without its step.
const (
	MutationAck    = "whistle.ack@1"
	MutationArrive = "whistle.arrive@1"
	MutationFinish = "whistle.finish@1"
)

// ReportArgs are the args of the report mutations (the contract's WhistleStepReport).
type ReportArgs struct {
	DepartmentCode string     `json:"department_code"`
	At             *time.Time `json:"at,omitempty"`
	Location       *Location  `json:"location,omitempty"`
	Result         string     `json:"result,omitempty"`
	EvidenceIDs    []string   `json:"evidence_ids,omitempty"`
}

// SyncHandlers are the report mutations as sync handlers. An act without at is timed by the
// device's clock when it was recorded, so that it counts when it was done.
func SyncHandlers(s *Service) map[string]wsync.Handler {
	out := map[string]wsync.Handler{}
	for name, step := range map[string]Step{MutationAck: StepAck, MutationArrive: StepArrive, MutationFinish: StepFinish} {
		out[name] = func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
			var a ReportArgs
			if err := inspection.DecodeArgs(act.Args, &a); err != nil {
				return wsync.Outcome{}, err
			}
			at := act.Clock.Wall.Time()
			if a.At != nil {
				at = *a.At
			}
			w, err := s.Report(ctx, act.UserID, act.EntityID, ReportRequest{DepartmentCode: a.DepartmentCode, Step: step, At: at,
				Location: a.Location, Result: a.Result, EvidenceIDs: a.EvidenceIDs})
			return wsync.Outcome{State: w}, err
		}
	}
	return out
}
