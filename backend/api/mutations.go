package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/openapi"
)

// mutationSchemas names, for each sync mutation, the schema of the contract
// its args follow: the same as the body of the online operation. The
// contract's Mutation says the same (a oneOf discriminated by name);
// MutationArgsValidator refuses to start when they disagree.
var mutationSchemas = map[string]string{
	inspection.MutationRecord: "InspectionRecord",
	inspection.MutationAmend:  "Amendment",
	casework.MutationFile:     "CaseTransition",
	casework.MutationNote:     "CaseNote",
	casework.MutationNotify:   "CaseNotification",
	review.MutationAnswer:     "EvidenceReviewAnswer",
	whistle.MutationAck:       "WhistleStepReport",
	whistle.MutationArrive:    "WhistleStepReport",
	whistle.MutationFinish:    "WhistleStepReport",
}

// judgePushesApart makes the request validator check only the envelope of
// each mutation of a push (MutationEnvelope), so that args off their
// schema and unknown names are judged per mutation (MutationArgsValidator,
// the sync service) and one act never blocks a device's queue. It changes
// doc: call it after the documentation is rendered from doc.
func judgePushesApart(doc *openapi3.T) error {
	push, envelope := doc.Components.Schemas["PushRequest"], doc.Components.Schemas["MutationEnvelope"]
	if push == nil || envelope == nil || push.Value.Properties["mutations"] == nil {
		return errors.New("openapi.yaml has no PushRequest.mutations or MutationEnvelope")
	}
	items := *push.Value.Properties["mutations"].Value
	items.Items = envelope
	push.Value.Properties["mutations"] = &openapi3.SchemaRef{Value: &items}
	return nil
}

// checkMutationSchemas fails unless the contract's Mutation maps exactly
// the names of mutationSchemas to variants whose args are those schemas.
func checkMutationSchemas(doc *openapi3.T) error {
	m := doc.Components.Schemas["Mutation"]
	if m == nil || m.Value.Discriminator == nil {
		return errors.New("openapi.yaml: Mutation has no discriminator")
	}
	mapping := m.Value.Discriminator.Mapping
	if len(mapping) != len(mutationSchemas) {
		return fmt.Errorf("openapi.yaml: Mutation maps %d names, the server has %d", len(mapping), len(mutationSchemas))
	}
	for name, schema := range mutationSchemas {
		ref, ok := mapping[name]
		if !ok {
			return fmt.Errorf("openapi.yaml: Mutation does not map %s", name)
		}
		variant := doc.Components.Schemas[strings.TrimPrefix(ref.Ref, "#/components/schemas/")]
		if variant == nil || variant.Value.Properties["args"] == nil || variant.Value.Properties["args"].Ref != "#/components/schemas/"+schema {
			return fmt.Errorf("openapi.yaml: the args of %s (%s) are not %s", name, ref.Ref, schema)
		}
	}
	return nil
}

// MutationArgsValidator returns a function that checks a mutation's args
// against the contract, so that offline acts are validated exactly like
// online requests. A mutation without a schema passes to its handler.
func MutationArgsValidator() (func(name string, args json.RawMessage) error, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	if err := checkMutationSchemas(doc); err != nil {
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
