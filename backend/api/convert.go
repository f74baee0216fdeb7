package api

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// The conversions between the domain's types and the generated API types
// live in convert_<area>.go, one named function per type and direction:
// fooOut makes the API's Foo of a domain value, fooIn the domain value of a
// request's Foo. They are written field by field so that the contract
// (openapi.yaml) and the domain's own encoding (its JSON tags, used for
// storage and sync) can change apart. The helpers below keep the JSON the API
// emits as it was: an optional field is absent exactly where the domain left
// it empty, and a list the domain left nil stays null.

// optional returns a pointer to v, or nil when v is its zero value: an
// optional field of the API that is absent when the domain leaves it empty.
func optional[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// ptr returns a pointer to v: an optional field of the API that the domain
// always fills, even when empty.
func ptr[T any](v T) *T { return &v }

// deref returns *p, or the zero value when p is nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// convertAll converts each element of in with f; a nil list stays nil.
func convertAll[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// convertAllErr is convertAll for a conversion that can fail.
func convertAllErr[A, B any](in []A, f func(A) (B, error)) ([]B, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]B, len(in))
	for i, v := range in {
		var err error
		if out[i], err = f(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// enums converts a list of one string type into another (an enum of the
// domain into the API's, or back); a nil list stays nil.
func enums[B, A ~string](in []A) []B {
	return convertAll(in, func(v A) B { return B(v) })
}

// orEmpty is list, or [] when it is nil.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// optionalList is a list the API makes optional and the domain omits when
// empty: absent then, converted with f otherwise.
func optionalList[A, B any](in []A, f func(A) B) *[]B {
	if len(in) == 0 {
		return nil
	}
	out := convertAll(in, f)
	return &out
}

// listIn converts an optional list of a request with f; absent is nil.
func listIn[A, B any](in *[]A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	return convertAll(*in, f)
}

// same is the conversion of a value whose type the API and the domain share.
func same[T any](v T) T { return v }

// newIn sets *p to a new zero T and returns it. The generated types nest
// anonymous structs that a conversion cannot name; this fills them in place.
func newIn[T any](p **T) *T {
	*p = new(T)
	return *p
}

// makeIn sets *s to a list of n zero elements and returns it, for the same reason.
func makeIn[S ~[]E, E any](s *S, n int) S {
	*s = make(S, n)
	return *s
}

// idOut parses a domain id the API types as a UUID; the error names the field.
func idOut(field, id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return u, fmt.Errorf("%s %q is not a UUID: %w", field, id, err)
	}
	return u, nil
}

// optionalIDOut is idOut for an optional id: absent when empty.
func optionalIDOut(field, id string) (*uuid.UUID, error) {
	if id == "" {
		return nil, nil
	}
	u, err := idOut(field, id)
	return &u, err
}

// float32In widens a number the API types as float to the domain's float64
// by its shortest decimal form, not its binary value: 39.9042 stays 39.9042,
// as when the request is decoded straight into the domain (a sync push does).
func float32In(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
}
