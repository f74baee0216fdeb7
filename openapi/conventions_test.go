package openapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/openapi"
)

// isList reports whether a GET answers a list: its 200 JSON body is an
// array, or an object holding an array (an envelope such as the roster's
// members or the audit page's entries).
func isList(op *openapi3.Operation) bool {
	res := op.Responses.Status(http.StatusOK)
	if res == nil || res.Value == nil || res.Value.Content["application/json"] == nil {
		return false
	}
	s := res.Value.Content["application/json"].Schema
	if s == nil || s.Value == nil {
		return false
	}
	if s.Value.Type.Is("array") {
		return true
	}
	for _, p := range s.Value.Properties {
		if p.Value != nil && p.Value.Type.Is("array") {
			return true
		}
	}
	return false
}

// reason returns the string value of an operation's x- extension, "" when
// absent or empty.
func reason(op *openapi3.Operation, name string) string {
	r, _ := op.Extensions[name].(string)
	return strings.TrimSpace(r)
}

func params(op *openapi3.Operation) []string {
	var out []string
	for _, p := range op.Parameters {
		out = append(out, p.Ref)
	}
	return out
}

// TestEveryListPages: every operation answering a list takes the shared
// `cursor` and `limit` parameters and declares the `Link` header of its
// next page, unless it says why it answers no list (`x-not-paged`: one
// resource whose arrays are bounded parts of it). A new list without
// paging fails here.
func TestEveryListPages(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	lists := 0
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || !isList(op) {
			continue
		}
		if r := reason(op, "x-not-paged"); r != "" {
			if slices.Contains(params(op), "#/components/parameters/Cursor") {
				t.Errorf("GET %s pages and says x-not-paged", path)
			}
			continue
		}
		lists++
		ps := params(op)
		if !slices.Contains(ps, "#/components/parameters/Cursor") || !slices.Contains(ps, "#/components/parameters/Limit") {
			t.Errorf("GET %s (%s) answers a list without the shared cursor and limit parameters (or x-not-paged: why)", path, op.OperationID)
		}
		if h := op.Responses.Status(http.StatusOK).Value.Headers["Link"]; h == nil || h.Ref != "#/components/headers/LinkNext" {
			t.Errorf("GET %s (%s) declares no Link header to its next page", path, op.OperationID)
		}
		order := op.Description
		if d := op.Responses.Status(http.StatusOK).Value.Description; d != nil {
			order += *d
		}
		if !strings.Contains(order, "unique") && !strings.Contains(order, "ties by id") {
			t.Errorf("GET %s (%s) documents no order ending in a unique key", path, op.OperationID)
		}
	}
	if lists < 12 {
		t.Fatalf("%d paged lists: the test does not see the spec's lists", lists)
	}
}

// TestEveryUpdateSaysIfMatch: every operation that may change a resource
// (POST, PUT, PATCH, DELETE) either takes the shared If-Match parameter
// (412 when stale) or says why it needs none (`x-no-if-match`: a create,
// an append-only act, a command idempotent by nature, a protocol with its
// own precondition), so that no update forgets optimistic concurrency
// silently.
func TestEveryUpdateSaysIfMatch(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	guarded := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions {
				continue
			}
			ifMatch := slices.Contains(params(op), "#/components/parameters/IfMatch")
			why := reason(op, "x-no-if-match")
			switch {
			case ifMatch && why != "":
				t.Errorf("%s %s takes If-Match and says x-no-if-match", method, path)
			case ifMatch:
				guarded++
				if op.Responses.Status(http.StatusPreconditionFailed) == nil {
					t.Errorf("%s %s takes If-Match but declares no 412", method, path)
				}
			case why == "":
				t.Errorf("%s %s (%s) changes state without If-Match and says not why (x-no-if-match)", method, path, op.OperationID)
			}
		}
	}
	if guarded < 2 {
		t.Fatalf("%d operations take If-Match: the test does not see the spec's", guarded)
	}
}
