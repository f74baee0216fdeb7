package postgres

import (
	"encoding/json"

	"github.com/whistle/whistle/backend/derrors"
	wsync "github.com/whistle/whistle/sync"
)

// The jsonb columns of the sync tables.
//
// sync_mutations.result is a storedResult: the outcome of a mutation is
// kept for as long as the mutation row, and a retry of it long after is
// answered from it, so it must read whatever the protocol's Result became
// meanwhile. Its keys and shapes are those of wsync.Result when it was
// introduced (testdata/jsonb holds the rows).
//
// sync_changes.state is not mirrored: it is the entity's state exactly as
// devices pull it (the State of wsync.Change), the sync protocol's wire
// payload by definition. publish encodes it from the publisher's wire value
// and Pull hands the stored bytes to devices unchanged; a storage struct
// would only be a second copy of the wire format to keep in step.

// storedResult is the outcome of one processed mutation.
type storedResult struct {
	Seq        int64                   `json:"seq"`
	EntityID   string                  `json:"entity_id"`
	Verdict    string                  `json:"verdict"`
	Exceptions []storedResultException `json:"exceptions,omitempty"`
	Problem    *storedProblem          `json:"problem,omitempty"`
	// State is the entity as the server held it after the mutation, already
	// in the wire form devices pull (see sync_changes.state): a duplicate
	// push is answered with it unchanged.
	State json.RawMessage `json:"state,omitempty"`
}

type storedResultException struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

type storedProblem struct {
	Code    string               `json:"code"`
	Message string               `json:"message"`
	Fields  []storedProblemField `json:"fields,omitempty"`
}

type storedProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// resultJSON encodes res for sync_mutations.result.
func resultJSON(res wsync.Result) (string, error) { return jsonText(storedResultOf(res)) }

// resultFromJSON decodes sync_mutations.result.
func resultFromJSON(b []byte) (wsync.Result, error) {
	var s storedResult
	if err := json.Unmarshal(b, &s); err != nil {
		return wsync.Result{}, derrors.Wrap(err, derrors.Internal, "decode stored mutation result")
	}
	return s.result(), nil
}

func storedResultOf(r wsync.Result) storedResult {
	return storedResult{Seq: r.Seq, EntityID: r.EntityID, Verdict: string(r.Verdict),
		Exceptions: mapSlice(r.Exceptions, storedResultExceptionOf), Problem: mapPtr(r.Problem, storedProblemOf), State: r.State}
}

func (s storedResult) result() wsync.Result {
	return wsync.Result{Seq: s.Seq, EntityID: s.EntityID, Verdict: wsync.Verdict(s.Verdict),
		Exceptions: mapSlice(s.Exceptions, storedResultException.exception), Problem: mapPtr(s.Problem, storedProblem.problem),
		State: s.State}
}

func storedResultExceptionOf(e wsync.Exception) storedResultException {
	return storedResultException{Code: e.Code, Subject: e.Subject, ZH: e.ZH, EN: e.EN}
}

func (s storedResultException) exception() wsync.Exception {
	return wsync.Exception{Code: s.Code, Subject: s.Subject, ZH: s.ZH, EN: s.EN}
}

func storedProblemOf(p wsync.Problem) storedProblem {
	return storedProblem{Code: p.Code, Message: p.Message, Fields: mapSlice(p.Fields, storedProblemFieldOf)}
}

func (s storedProblem) problem() wsync.Problem {
	return wsync.Problem{Code: s.Code, Message: s.Message, Fields: mapSlice(s.Fields, storedProblemField.field)}
}

func storedProblemFieldOf(f wsync.ProblemField) storedProblemField {
	return storedProblemField{Field: f.Field, Message: f.Message}
}

func (s storedProblemField) field() wsync.ProblemField {
	return wsync.ProblemField{Field: s.Field, Message: s.Message}
}
