package api

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// mutationSchemas names, for each sync mutation, the schema of the contract
// its args follow: the same as the body of the online operation.
var mutationSchemas = map[string]string{
	inspection.MutationRecord: "InspectionRecord",
	inspection.MutationAmend:  "Amendment",
}

// MutationArgsValidator returns a function that checks a mutation's args
// against the contract, so that offline acts are validated exactly like
// online requests. A mutation without a schema passes to its handler.
func MutationArgsValidator() (func(name string, args json.RawMessage) error, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	schemas := map[string]*openapi3.Schema{}
	for name, ref := range mutationSchemas {
		s, ok := doc.Components.Schemas[ref]
		if !ok {
			return nil, fmt.Errorf("openapi.yaml has no schema %s for %s", ref, name)
		}
		schemas[name] = s.Value
	}
	return func(name string, args json.RawMessage) error {
		s, ok := schemas[name]
		if !ok {
			return nil
		}
		var v any
		if err := json.Unmarshal(args, &v); err != nil {
			return derrors.Invalidf("/args", "args are not JSON")
		}
		err := s.VisitJSON(v, openapi3.MultiErrors())
		if err == nil {
			return nil
		}
		var fields []derrors.FieldError
		var multi openapi3.MultiError
		if !errors.As(err, &multi) {
			multi = openapi3.MultiError{err}
		}
		for _, e := range multi {
			fields = append(fields, schemaField("/args", e))
		}
		return &derrors.Error{Code: derrors.Invalid, Message: fmt.Sprintf("the args of %s do not match the contract (%s)", name, mutationSchemas[name]), Fields: fields}
	}, nil
}
