package api

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/routers"
	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/input"
)

// opaqueFields names, per operation, the parts of its JSON body that request
// validation leaves to the handler: a pushed mutation's args are judged act
// by act by the sync protocol (sync.Service), so that one bad act is
// rejected on its own and never refuses, or stalls, the whole push.
var opaqueFields = map[string]func(pointer string) bool{
	"syncPush": regexp.MustCompile(`^/mutations/[0-9]+/args$`).MatchString,
}

// requestText refuses, naming each field, the text of a request that cannot
// be stored as sent (see package input): in its path and query parameters
// and in every string of its JSON body, whatever the operation. It runs
// before the contract's own checks, so that no such text reaches a handler,
// the database, or a JSON decoder that would rewrite it.
func requestText(c *fiber.Ctx, route *routers.Route, params map[string]string, req *http.Request) error {
	var fields []derrors.FieldError
	for _, name := range sortedKeys(params) {
		v, err := url.PathUnescape(params[name]) // the router leaves path parameters escaped
		if err != nil {
			v = params[name]
		}
		if reason := input.Parameter(v); reason != "" {
			fields = append(fields, derrors.FieldError{Field: name, Message: reason})
		}
	}
	query := req.URL.Query()
	for _, name := range sortedKeys(query) {
		if reason := input.Parameter(name); reason != "" {
			fields = append(fields, derrors.FieldError{Field: "query", Message: "a parameter name: " + reason})
			continue
		}
		for _, v := range query[name] {
			if reason := input.Parameter(v); reason != "" {
				fields = append(fields, derrors.FieldError{Field: name, Message: reason})
				break
			}
		}
	}
	if isJSON(c.Get(fiber.HeaderContentType)) {
		fields = append(fields, input.JSONText(c.Body(), "", opaqueFields[route.Operation.OperationID])...)
	}
	return input.Refused(fields)
}

// tusParameterText is requestText for the tus routes, which validateRequest
// does not convert (they stream their bodies): their one path parameter.
func tusParameterText(c *fiber.Ctx) error {
	raw := c.Params("upload_id")
	if raw == "" {
		return nil
	}
	v, err := url.PathUnescape(raw)
	if err != nil {
		v = raw
	}
	if reason := input.Parameter(v); reason != "" {
		return input.Refused([]derrors.FieldError{{Field: "upload_id", Message: reason}})
	}
	return nil
}

// isJSON reports whether a Content-Type is JSON (application/json or a
// +json type such as application/merge-patch+json).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
