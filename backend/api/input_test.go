package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// specOp is one operation of the contract with its parameters (the path's
// and the operation's own).
type specOp struct {
	method, path string
	op           *openapi3.Operation
	params       []*openapi3.Parameter
}

// specOperations lists every operation of the contract, sorted by path and
// method, so that walks over them are complete and repeatable.
func specOperations(t *testing.T) (*openapi3.T, []specOp) {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []specOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			so := specOp{method: method, path: path, op: op}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				so.params = append(so.params, p.Value)
			}
			out = append(out, so)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].method < out[j].method
	})
	return doc, out
}

// placeholder is a value matching parameter p's schema.
func placeholder(p *openapi3.Parameter) string {
	switch sc := p.Schema.Value; {
	case sc.Format == "uuid":
		return "00000000-0000-4000-8000-000000000001"
	case sc.Format == "date-time":
		return "2026-01-01T00:00:00Z"
	case sc.Type.Is("integer"):
		return "1"
	case len(sc.Enum) > 0:
		return fmt.Sprint(sc.Enum[0])
	}
	return "x"
}

// url is op's path with placeholder path parameters and required query
// parameters, and bad (already escaped) as the value of parameter name.
func (so specOp) url(name, bad string) string {
	url, query := so.path, []string{}
	for _, p := range so.params {
		v := neturl.PathEscape(placeholder(p))
		if p.In == "query" {
			v = neturl.QueryEscape(placeholder(p))
		}
		if p.Name == name {
			v = bad
		}
		switch {
		case p.In == "path":
			url = strings.ReplaceAll(url, "{"+p.Name+"}", v)
		case p.In == "query" && (p.Required || p.Name == name):
			query = append(query, p.Name+"="+v)
		}
	}
	if len(query) > 0 {
		url += "?" + strings.Join(query, "&")
	}
	return url
}

// stringFields returns the JSON pointer of every string field a document of
// schema s can carry: array items as /0, map values as /k. Recursion through
// a schema that contains itself stops at depth 8.
func stringFields(s *openapi3.SchemaRef, at string, depth int) []string {
	if s == nil || s.Value == nil || depth > 8 {
		return nil
	}
	v := s.Value
	var out []string
	for _, sub := range slices.Concat(v.AllOf, v.OneOf, v.AnyOf) {
		out = append(out, stringFields(sub, at, depth+1)...)
	}
	switch {
	case v.Type.Is("string"):
		out = append(out, at)
	case v.Type.Is("array"):
		out = append(out, stringFields(v.Items, at+"/0", depth+1)...)
	case v.Type.Is("object") || len(v.Properties) > 0:
		names := make([]string, 0, len(v.Properties))
		for name := range v.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			out = append(out, stringFields(v.Properties[name], at+"/"+name, depth+1)...)
		}
		if v.AdditionalProperties.Schema != nil {
			out = append(out, stringFields(v.AdditionalProperties.Schema, at+"/k", depth+1)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// badTexts are string values PostgreSQL cannot store or JSON decoding would
// silently rewrite, as they appear inside a JSON string literal.
var badTexts = []struct{ name, raw string }{
	{"NUL", `a\u0000b`},
	{"InvalidUTF8", "a\xff\xfeb"},
	{"LoneSurrogate", `a\ud800b`},
}

// withBadText is a JSON document holding only the field at pointer, whose
// value is the string literal raw.
func withBadText(pointer, raw string) []byte {
	const mark = "\x01MARK\x01"
	var doc any = mark
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] == "0" {
			doc = []any{doc}
		} else {
			doc = map[string]any{parts[i]: doc}
		}
	}
	b, _ := json.Marshal(doc)
	quotedMark, _ := json.Marshal(mark)
	return bytes.Replace(b, quotedMark, []byte(`"`+raw+`"`), 1)
}

// wantFieldProblem checks a 422 validation_failed naming field.
func wantFieldProblem(t *testing.T, res *apitest.Response, field string) {
	t.Helper()
	p := res.Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	for _, e := range p.Errors {
		if e.Field == field {
			return
		}
	}
	t.Fatalf("the problem does not name %s: %s", field, res.Body)
}

// TestInput_TextInEveryBodyField sends, in every string field of every JSON
// request body of the contract (found by walking its schema, so a field
// added later is covered), text the database cannot store (NUL), invalid
// UTF-8 and an unpaired surrogate. Each is refused before any handler with
// 422 validation_failed naming the field: never a 500, never rewritten.
func TestInput_TextInEveryBodyField(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	_, ops := specOperations(t)
	fields := 0
	for _, so := range ops {
		if so.op.RequestBody == nil || so.op.RequestBody.Value.Content.Get("application/json") == nil {
			continue
		}
		schema := so.op.RequestBody.Value.Content.Get("application/json").Schema
		for _, field := range stringFields(schema, "", 0) {
			if so.op.OperationID == "syncPush" && strings.Contains(field, "/args") {
				continue // a mutation's args are judged per act (TestInput_TextInEveryMutationField)
			}
			fields++
			for _, bad := range badTexts {
				t.Run(so.op.OperationID+field+"/"+bad.name, func(t *testing.T) {
					req := httptest.NewRequest(so.method, so.url("", ""), bytes.NewReader(withBadText(field, bad.raw)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+admin)
					wantFieldProblem(t, f.client.For(t).Do(req), field)
				})
			}
		}
	}
	t.Logf("%d string fields of JSON request bodies x %d bad texts", fields, len(badTexts))
	if fields < 50 {
		t.Fatalf("only %d string fields found in the contract's request bodies", fields)
	}
}

// TestInput_NULInInspectionOnline is the case: a whole, valid record
// whose party name holds U+0000 answered 500.
func TestInput_NULInInspectionOnline(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-NUL-1")
	r.Party.Name = "南锣\x00小吃店"
	body, _ := json.Marshal(r)
	wantFieldProblem(t, f.client.PostJSON("/v1/inspections", string(body), officer), "/party/name")
	var n int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM inspections`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d records stored (%v), want none", n, err)
	}
}

// TestInput_TextInEveryMutationField pushes, for every sync mutation with a
// schema, one act per string field of its args holding each bad text. Each
// act is rejected (never retry, which would stall the phone's queue) with
// validation_failed naming the field, and the queue drains: the act after
// them applies.
func TestInput_TextInEveryMutationField(t *testing.T) {
	f := newFixture(t, options{demo: true})
	p := newPhone(t, f, "officer.a")
	doc, _ := specOperations(t)

	t.Run("ErrNULInRecord", func(t *testing.T) {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-NUL-2")
		r.Party.Name = "南锣\x00小吃店"
		res := p.push(p.mutation(inspection.MutationRecord, r.ID, r))
		if len(res.Results) != 1 || res.Results[0].Verdict != "rejected" || res.Results[0].Problem == nil ||
			res.Results[0].Problem.Code != "validation_failed" || !problemNames(res.Results[0].Problem, "/args/party/name") {
			t.Fatalf("push of a record with NUL in the party name: %s %+v", res.Results[0].Verdict, res.Results[0].Problem)
		}
	})

	type sent struct{ field, bad string }
	var batch []wsync.Mutation
	var want []sent
	names := make([]string, 0, len(api.MutationSchemas))
	for name := range api.MutationSchemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		schema := doc.Components.Schemas[api.MutationSchemas[name]]
		for _, field := range stringFields(schema, "", 0) {
			for _, bad := range badTexts {
				args := json.RawMessage(withBadText(field, bad.raw))
				p.seq++
				m := wsync.Mutation{Seq: p.seq, EntityID: uuid.NewString(), Name: name, Args: args,
					Clock: wsync.Clock{Wall: wsync.WallAt(f.now()), SinceBootMS: 3600_000 + p.seq}}
				batch = append(batch, wsync.Sign(p.key, p.id, m))
				want = append(want, sent{name + " " + field, bad.name})
			}
		}
	}
	r := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-NUL-3")
	batch = append(batch, p.mutation(inspection.MutationRecord, r.ID, r))
	// In pushes of 40, under the fixture's body limit.
	var res openapi.PushResponse
	for chunk := range slices.Chunk(batch, 40) {
		out := p.push(chunk...)
		res.Results = append(res.Results, out.Results...)
		if len(out.Results) != len(chunk) {
			t.Fatalf("%d results for %d acts; the queue stalled at %+v", len(out.Results), len(chunk), out.Results[len(out.Results)-1])
		}
	}
	for i, w := range want {
		got := res.Results[i]
		field := "/args" + strings.SplitN(w.field, " ", 2)[1]
		if got.Verdict != "rejected" || got.Problem == nil || got.Problem.Code != "validation_failed" || !problemNames(got.Problem, field) {
			t.Errorf("%s with %s: verdict %s problem %+v, want rejected validation_failed naming %s", w.field, w.bad, got.Verdict, got.Problem, field)
		}
	}
	if last := res.Results[len(res.Results)-1]; last.Verdict == "retry" || last.Verdict == "rejected" {
		t.Errorf("the act after them: %s %+v", last.Verdict, last.Problem)
	}
	t.Logf("%d mutation string fields x %d bad texts", len(want)/len(badTexts), len(badTexts))
}

func problemNames(p *openapi.SyncProblem, field string) bool {
	if p.Fields == nil {
		return false
	}
	for _, f := range *p.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// badParams are parameter values no parameter of the contract takes, as
// they appear escaped in a URL.
var badParams = []struct{ name, escaped string }{
	{"NUL", "%00"},
	{"InvalidUTF8", "%ff%fe"},
	{"Control", "a%01b"},
	{"Escape", "%1b%5b2J"},
}

// TestInput_OddParameters walks every path and query parameter of every
// operation of the contract and gives it NUL, invalid UTF-8 and control
// characters: each answers 422 validation_failed naming the parameter
// (before, `?team=%00`, `/v1/officers/%00` and `/v1/matters/%ff%fe`
// answered 500).
func TestInput_OddParameters(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	_, ops := specOperations(t)
	cells := 0
	for _, so := range ops {
		for _, p := range so.params {
			if p.In != "path" && p.In != "query" {
				continue
			}
			for _, bad := range badParams {
				cells++
				t.Run(so.method+so.path+"/"+p.Name+"/"+bad.name, func(t *testing.T) {
					req := httptest.NewRequest(so.method, so.url(p.Name, bad.escaped), nil)
					req.Header.Set("Authorization", "Bearer "+admin)
					req.Header.Set("Tus-Resumable", "1.0.0")
					res := f.client.For(t).Do(req)
					if so.method == http.MethodHead {
						if res.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Header.Get("Tus-Problem"), "validation_failed") {
							t.Fatalf("HEAD %s: %d Tus-Problem %q, want 422 validation_failed", req.URL, res.Status, res.Header.Get("Tus-Problem"))
						}
						return
					}
					wantFieldProblem(t, res, p.Name)
				})
			}
		}
	}
	t.Logf("%d parameter cells (operations x parameters x bad values)", cells)
}
