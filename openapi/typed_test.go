package openapi_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/openapi"
)

// TestResponsesTyped: no response carries a bare `type: object` (no
// properties, no additionalProperties), which accepts anything and so
// checks nothing: pulled state was one, and `"phone_tier": ""` passed the
// contract test through it. A free-form object says so
// (`additionalProperties: true`).
func TestResponsesTyped(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	untyped := map[string]bool{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		if s.Ref != "" {
			where = s.Ref
		}
		v := s.Value
		seen[v] = true
		composed := len(v.OneOf)+len(v.AnyOf)+len(v.AllOf) > 0
		if v.Type.Is("object") && len(v.Properties) == 0 && !composed &&
			v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
			untyped[where] = true
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
		walk(where+"{}", v.AdditionalProperties.Schema)
		for _, l := range []openapi3.SchemaRefs{v.OneOf, v.AnyOf, v.AllOf} {
			for _, x := range l {
				walk(where, x)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for m, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				if r.Value == nil {
					continue
				}
				for ct, mt := range r.Value.Content {
					walk(fmt.Sprintf("%s %s %s %s", m, path, code, ct), mt.Schema)
				}
			}
		}
	}
	var list []string
	for w := range untyped {
		list = append(list, w)
	}
	sort.Strings(list)
	for _, w := range list {
		t.Errorf("%s is an untyped object in a response", w)
	}
}
