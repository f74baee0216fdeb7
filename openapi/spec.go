// Package openapi is Whistle's API contract: openapi.yaml, written by hand, is
// the source of truth; openapi.gen.go holds the Fiber strict-server interface
// and types generated from it (`make generate`; a test fails when stale).
//
// This file loads the contract for request validation in the server and
// response validation in tests.
package openapi

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml

// Spec is the contract as written, served at GET /openapi.yaml.
//
//go:embed openapi.yaml
var Spec []byte

// Load parses and validates the contract. Its servers are dropped so that
// routes match whatever host the API is reached on.
func Load() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(Spec)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	doc.Servers = nil
	return doc, nil
}

var registerDecoders sync.Once

// NewRouter returns a router that finds the operation of a request in the
// contract, for openapi3filter validation.
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	registerDecoders.Do(func() {
		// Non-JSON bodies in the contract are plain strings (HTML, YAML, CSV, JSON lines).
		for _, ct := range []string{"text/html", "application/yaml", "text/csv", "application/x-ndjson"} {
			openapi3filter.RegisterBodyDecoder(ct, stringDecoder)
		}
	})
	return gorillamux.NewRouter(doc)
}

func stringDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	return string(b), err
}
