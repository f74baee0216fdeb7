package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// Offline sync: the results of a push, the pages of a pull and the devices'
// sync status. An entity's state is stored as the domain's JSON; the API
// reads it back into the domain type its entity type names and converts it
// as the online routes do, so that pulled state is the contract's schema of
// that entity type (Change is discriminated by entity_type).

// pushResponseOut is the answer to a push whose mutations had names (by seq).
func pushResponseOut(r wsync.PushResponse, names map[int64]string) (openapi.PushResponse, error) {
	results, err := convertAllErr(r.Results, func(res wsync.Result) (openapi.MutationResult, error) {
		return mutationResultOut(res, names[res.Seq])
	})
	return openapi.PushResponse{Results: results, LastAppliedSeq: r.LastAppliedSeq}, err
}

// mutationResultOut is the result of the mutation named name. A mutation
// of the contract is on an inspection (its state), a case (its case), an
// evidence review (its evidence_review) or a whistle (its whistle); a mutation outside the contract (the sync protocol's own tests register
// one) has no state the contract could type, and none is sent.
func mutationResultOut(r wsync.Result, name string) (openapi.MutationResult, error) {
	var state *openapi.Inspection
	var cas *openapi.Case
	var rev *openapi.EvidenceReview
	var wh *openapi.Whistle
	var err error
	switch _, ok := mutationSchemas[name]; {
	case ok && strings.HasPrefix(name, "case."):
		cas, err = optionalStateOut(r.State, func(c casework.Record) (openapi.Case, error) { return caseOut(c, nil) })
	case ok && strings.HasPrefix(name, "evidence_review."):
		rev, err = optionalStateOut(r.State, evidenceReviewOut)
	case ok && strings.HasPrefix(name, "whistle."):
		wh, err = optionalStateOut(r.State, whistleOut)
	case ok:
		state, err = optionalStateOut(r.State, inspectionOut)
	}
	if err != nil {
		return openapi.MutationResult{}, fmt.Errorf("result of mutation %d: %w", r.Seq, err)
	}
	out := openapi.MutationResult{
		Seq:            r.Seq,
		EntityId:       r.EntityID,
		Verdict:        openapi.MutationResultVerdict(r.Verdict),
		Exceptions:     optionalList(r.Exceptions, syncExceptionOut),
		State:          state,
		Case:           cas,
		EvidenceReview: rev,
		Whistle:        wh,
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

// changeWire is a change as the contract's Change has it, whatever its
// entity type: changeOut encodes it and decodes that into the generated
// union (one struct per entity type, the same fields).
type changeWire struct {
	Scope        string    `json:"scope"`
	Version      int64     `json:"version"`
	EntityType   string    `json:"entity_type"`
	EntityID     string    `json:"entity_id"`
	Op           string    `json:"op"`
	State        any       `json:"state,omitempty"`
	OriginDevice string    `json:"origin_device,omitempty"`
	OriginSeq    int64     `json:"origin_seq,omitempty"`
	ChangedAt    time.Time `json:"changed_at"`
}

// entityStates converts the stored state of each entity type of the feed
// to its schema in the contract; nil means none (a tombstone).
var entityStates = map[string]func(json.RawMessage) (any, error){
	"inspection":      stateOf(inspectionOut),
	"number_block":    stateOf(numberBlockOut),
	"member":          stateOf(noError(memberOut)),
	"department":      stateOf(noError(departmentOut)),
	"matter":          stateOf(noError(matterOut)),
	"policy":          stateOf(noError(policyOut)),
	"case":            stateOf(func(r casework.Record) (openapi.Case, error) { return caseOut(r, nil) }),
	"evidence_review": stateOf(evidenceReviewOut),
	"whistle":         stateOf(whistleOut),
}

func changeOut(c wsync.Change) (openapi.Change, error) {
	var state any
	if convert, ok := entityStates[c.EntityType]; ok {
		var err error
		if state, err = convert(c.State); err != nil {
			return openapi.Change{}, fmt.Errorf("change %s/%s: %w", c.EntityType, c.EntityID, err)
		}
	} else if len(c.State) > 0 {
		// An entity type outside the contract (the sync protocol's own
		// tests publish one) passes as stored; the contract test fails
		// any such change an API test pulls.
		state = c.State
	}
	b, err := json.Marshal(changeWire{Scope: c.Scope, Version: c.Version, EntityType: c.EntityType, EntityID: c.EntityID,
		Op: string(c.Op), State: state, OriginDevice: c.OriginDevice, OriginSeq: c.OriginSeq, ChangedAt: c.ChangedAt})
	if err != nil {
		return openapi.Change{}, err
	}
	var out openapi.Change
	return out, out.UnmarshalJSON(b)
}

// stateOf reads a stored state as the domain type D and converts it with
// out; no state (a tombstone) or null is nil.
func stateOf[D, A any](out func(D) (A, error)) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) {
		a, err := optionalStateOut(raw, out)
		if a == nil || err != nil {
			return nil, err
		}
		return a, nil
	}
}

// optionalStateOut reads a stored state as the domain type D and converts
// it with out: nil when there is none or it is null.
func optionalStateOut[D, A any](raw json.RawMessage, out func(D) (A, error)) (*A, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var d D
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("state is not a %T: %w", d, err)
	}
	a, err := out(d)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// noError adapts a conversion that cannot fail.
func noError[D, A any](f func(D) A) func(D) (A, error) {
	return func(d D) (A, error) { return f(d), nil }
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
