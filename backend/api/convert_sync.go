package api

import (
	"encoding/json"
	"fmt"

	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// Offline sync: the results of a push, the pages of a pull and the devices'
// sync status. An entity's state travels as the JSON object the domain
// stored; the API passes it on as a free-form object.

func pushResponseOut(r wsync.PushResponse) (openapi.PushResponse, error) {
	results, err := convertAllErr(r.Results, mutationResultOut)
	return openapi.PushResponse{Results: results, LastAppliedSeq: r.LastAppliedSeq}, err
}

func mutationResultOut(r wsync.Result) (openapi.MutationResult, error) {
	state, err := stateOut(r.State)
	if err != nil {
		return openapi.MutationResult{}, fmt.Errorf("result of mutation %d: %w", r.Seq, err)
	}
	out := openapi.MutationResult{
		Seq:        r.Seq,
		EntityId:   r.EntityID,
		Verdict:    openapi.MutationResultVerdict(r.Verdict),
		Exceptions: optionalList(r.Exceptions, syncExceptionOut),
		State:      state,
	}
	if p := r.Problem; p != nil {
		out.Problem = &openapi.SyncProblem{Code: p.Code, Message: p.Message}
		if len(p.Fields) > 0 {
			fields := makeIn(newIn(&out.Problem.Fields), len(p.Fields))
			for i, f := range p.Fields {
				fields[i].Field, fields[i].Message = f.Field, f.Message
			}
		}
	}
	return out, nil
}

func syncExceptionOut(e wsync.Exception) openapi.SyncException {
	return openapi.SyncException{Code: e.Code, Subject: optional(e.Subject), Zh: e.ZH, En: e.EN}
}

func pullResponseOut(r wsync.PullResponse) (openapi.PullResponse, error) {
	scopes, err := convertAllErr(r.Scopes, scopePageOut)
	return openapi.PullResponse{Scopes: scopes, Evicted: r.Evicted, LastAppliedSeq: r.LastAppliedSeq, Complete: r.Complete}, err
}

func scopePageOut(p wsync.ScopePage) (openapi.ScopePage, error) {
	changes, err := convertAllErr(p.Changes, changeOut)
	return openapi.ScopePage{Scope: p.Scope, Cursor: p.Cursor, Complete: p.Complete, Changes: changes}, err
}

func changeOut(c wsync.Change) (openapi.Change, error) {
	state, err := stateOut(c.State)
	if err != nil {
		return openapi.Change{}, fmt.Errorf("change %s/%s: %w", c.EntityType, c.EntityID, err)
	}
	return openapi.Change{
		Scope:        c.Scope,
		Version:      c.Version,
		EntityType:   c.EntityType,
		EntityId:     c.EntityID,
		Op:           openapi.ChangeOp(c.Op),
		State:        state,
		OriginDevice: optional(c.OriginDevice),
		OriginSeq:    optional(c.OriginSeq),
		ChangedAt:    c.ChangedAt,
	}, nil
}

// stateOut reads an entity's stored state as the free-form object the API
// passes on: absent when there is none (a tombstone) or it is null.
func stateOut(raw json.RawMessage) (*map[string]any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var state *map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		return nil, fmt.Errorf("state is not a JSON object: %w", err)
	}
	return state, nil
}

func deviceStatusOut(d wsync.DeviceStatus) (openapi.DeviceStatus, error) {
	device, err := idOut("device_id", d.DeviceID)
	if err != nil {
		return openapi.DeviceStatus{}, err
	}
	user, err := idOut("user_id", d.UserID)
	if err != nil {
		return openapi.DeviceStatus{}, err
	}
	return openapi.DeviceStatus{
		DeviceId:       device,
		UserId:         user,
		Username:       d.Username,
		Name:           d.Name,
		RevokedAt:      d.RevokedAt,
		LastPushAt:     d.LastPushAt,
		LastPullAt:     d.LastPullAt,
		LastAppliedSeq: d.LastAppliedSeq,
		QueueDepth:     d.QueueDepth,
		OldestUnsentAt: d.OldestUnsentAt,
		ClockSkewMs:    d.ClockSkewMS,
		AppVersion:     ptr(d.AppVersion),
		Flagged:        d.Flagged,
		Rejected:       d.Rejected,
	}, nil
}
