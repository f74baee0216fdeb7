package inspection

import (
	"encoding/json"
	"fmt"
	"slices"
)

// FieldChange is one field that differs between two versions, named by its
// JSON pointer; From or To is absent when the field was added or removed.
type FieldChange struct {
	Field string `json:"field"`
	From  any    `json:"from,omitempty"`
	To    any    `json:"to,omitempty"`
}

// Diff lists the fields that differ between two records, in field order.
func Diff(a, b Record) ([]FieldChange, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range fa {
		keys = append(keys, k)
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := []FieldChange{}
	for _, k := range keys {
		va, inA := fa[k]
		vb, inB := fb[k]
		if inA && inB && fmt.Sprint(va) == fmt.Sprint(vb) {
			continue
		}
		c := FieldChange{Field: k}
		if inA {
			c.From = va
		}
		if inB {
			c.To = vb
		}
		out = append(out, c)
	}
	return out, nil
}

// flatten maps every leaf of v's JSON to its JSON pointer.
func flatten(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	out := map[string]any{}
	var walk func(prefix string, n any)
	walk = func(prefix string, n any) {
		switch x := n.(type) {
		case map[string]any:
			for k, v := range x {
				walk(prefix+"/"+k, v)
			}
		case []any:
			for i, v := range x {
				walk(fmt.Sprintf("%s/%d", prefix, i), v)
			}
		default:
			out[prefix] = x
		}
	}
	walk("", tree)
	return out, nil
}
