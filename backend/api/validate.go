package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
)

// routeKey is the c.Locals key of the contract's path template of a request,
// for metrics and logs.
const routeKey = "whistle.route"

// streamedTag marks operations whose handlers read a streamed body and check
// their protocol themselves (tus uploads); they authenticate with the same
// identity service.
const streamedTag = "evidence-upload"

// validateRequest checks every request against the contract before any
// handler sees it: the operation must exist, its security requirement is
// enforced (default deny: an operation without `security: []` needs a valid
// bearer token), then text that cannot be stored as sent is refused in any
// parameter or body string (requestText), and then path, query, headers and
// body must match openapi.yaml. Authentication comes first, so that a caller without a
// token learns nothing about parameters. The authenticated user is put in
// the request's context.
func validateRequest(doc *openapi3.T, router routers.Router, ids *identity.Service) fiber.Handler {
	routes := newContractRoutes(doc, router)
	return func(c *fiber.Ctx) error {
		if streamsBody(c.Path()) {
			// Converting the request would read its whole body: the tus
			// handlers stream it and check it themselves (registerTus).
			// Only a method the path lacks is answered here.
			bodiless, err := http.NewRequestWithContext(c.UserContext(), c.Method(), c.OriginalURL(), nil)
			if err == nil {
				if _, _, err := router.FindRoute(bodiless); errors.Is(err, routers.ErrMethodNotAllowed) {
					c.Set(fiber.HeaderAllow, strings.Join(allowedMethods(router, bodiless), ", "))
					return derrors.New(derrors.MethodNotAllowed, "method %s is not allowed on %s", c.Method(), c.Path())
				}
			}
			return c.Next()
		}
		// The operation is found from the request's URI alone; the whole
		// request is converted for kin-openapi only if the operation has
		// something left for it to validate (fasthttpadaptor copies every
		// header and the body).
		uri, err := url.ParseRequestURI(string(c.Context().RequestURI()))
		if err != nil {
			return derrors.Wrap(err, derrors.BadRequest, "malformed request")
		}
		ctx := c.UserContext()
		req := (&http.Request{Method: string([]byte(c.Method())), URL: uri, Header: http.Header{}}).WithContext(ctx)
		op, params, err := routes.find(req)
		if err != nil {
			c.Locals(routeKey, "unmatched")
			var rerr *routers.RouteError
			if errors.As(err, &rerr) && errors.Is(err, routers.ErrMethodNotAllowed) {
				c.Set(fiber.HeaderAllow, strings.Join(allowedMethods(router, req), ", "))
				return derrors.New(derrors.MethodNotAllowed, "method %s is not allowed on %s", c.Method(), c.Path())
			}
			return derrors.New(derrors.NotFound, "no such route: %s %s", c.Method(), c.Path())
		}
		if op.validated != nil || !(op.public || op.bearer) {
			var full http.Request
			if err := fasthttpadaptor.ConvertRequest(c.Context(), &full, false); err != nil {
				return derrors.Wrap(err, derrors.BadRequest, "malformed request")
			}
			req = full.WithContext(ctx)
		}
		route := op.route
		c.Locals(routeKey, route.Path)
		if op.streamed {
			return c.Next()
		}
		var (
			user   identity.User
			claims identity.Claims
			// Copied: the token outlives Fiber's buffer in the session cache.
			authorization = string([]byte(c.Get(fiber.HeaderAuthorization)))
		)
		in := &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options: &openapi3filter.Options{
				MultiError:              true,
				SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidator("uuid", uuidFormat)},
				AuthenticationFunc: func(ctx context.Context, ai *openapi3filter.AuthenticationInput) error {
					u, c, err := authenticate(ctx, ids, ai, authorization)
					if err == nil {
						user, claims = u, c
					}
					return err
				},
			},
		}
		// Security first: nothing about the request is judged for a caller
		// who is not allowed to make it.
		if err := op.checkSecurity(ctx, in); err != nil {
			return requestProblem(err)
		}
		if err := requestText(c, route, params, req); err != nil {
			return err
		}
		if op.validated != nil {
			// The security requirement is met (above): op.validated is the
			// operation without it, so that it is not checked twice.
			in.Route = op.validated
			in.Options.AuthenticationFunc = openapi3filter.NoopAuthenticationFunc
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				return requestProblem(err)
			}
		}
		if user.ID != "" {
			ctx = context.WithValue(ctx, userKey, caller{user: user, claims: claims})
			c.SetUserContext(audit.WithActor(ctx, audit.Actor{UserID: user.ID, DeviceID: claims.DeviceID, RequestID: requestIDFrom(ctx)}))
		}
		return c.Next()
	}
}

// allowedMethods lists the methods the contract has for the path of req,
// for the Allow header of a 405. Another method may route the same path to
// a template with parameters (/v1/evidence/{id} for /v1/evidence/uploads):
// the template with the fewest parameters is the path's own.
func allowedMethods(router routers.Router, req *http.Request) []string {
	var own *routers.Route
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		r := req.Clone(req.Context())
		r.Method = m
		route, _, err := router.FindRoute(r)
		if err == nil && (own == nil || strings.Count(route.Path, "{") < strings.Count(own.Path, "{")) {
			own = route
		}
	}
	if own == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(own.PathItem.Operations()))
}

// uuidFormat checks `format: uuid` (kin-openapi leaves it unchecked): the
// hyphenated form of 36 characters, which is what the API sends.
var uuidFormat = openapi3.NewCallbackValidator(func(s string) error {
	if len(s) != 36 || uuid.Validate(s) != nil {
		return errors.New("not a UUID (8-4-4-4-12 hexadecimal digits)")
	}
	return nil
})

// authenticate checks the bearer token of a request for a secured
// operation; h is the request's Authorization header.
func authenticate(ctx context.Context, ids *identity.Service, ai *openapi3filter.AuthenticationInput, h string) (identity.User, identity.Claims, error) {
	if ai.SecurityScheme == nil || ai.SecurityScheme.Type != "http" || ai.SecurityScheme.Scheme != "bearer" {
		return identity.User{}, identity.Claims{}, derrors.New(derrors.Unauthenticated, "unsupported security scheme %q", ai.SecuritySchemeName)
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return identity.User{}, identity.Claims{}, derrors.New(derrors.Unauthenticated, "an Authorization: Bearer <access token> header is required")
	}
	return ids.AuthenticateClaims(ctx, strings.TrimSpace(token))
}

// caller is the authenticated user of a request and the claims of its token.
type caller struct {
	user   identity.User
	claims identity.Claims
}

// callerFrom returns the authenticated caller of the request. Handlers of
// secured operations can rely on it: validateRequest refused the request
// otherwise; its absence is a bug, reported as an internal error.
func callerFrom(ctx context.Context) (caller, error) {
	c, ok := ctx.Value(userKey).(caller)
	if !ok {
		return caller{}, errors.New("secured operation reached without an authenticated caller")
	}
	return c, nil
}

// requestProblem turns kin-openapi's validation errors into one problem: the
// security failure if there is one, otherwise a bad_request naming each field.
func requestProblem(err error) error {
	var errs []error
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		errs = multi
	} else {
		errs = []error{err}
	}
	var fields []derrors.FieldError
	for _, e := range errs {
		var sec *openapi3filter.SecurityRequirementsError
		if errors.As(e, &sec) {
			for _, se := range sec.Errors {
				var de *derrors.Error
				if errors.As(se, &de) {
					return de
				}
			}
			return derrors.Wrap(e, derrors.Unauthenticated, "authentication required")
		}
		fields = append(fields, fieldErrors(e)...)
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.RequestBody != nil && strings.HasPrefix(re.Reason, unexpectedContentType) {
		return derrors.Wrap(err, derrors.UnsupportedMediaType, fmt.Sprintf("the body's Content-Type %q is not accepted: send %s",
			re.Input.Request.Header.Get("Content-Type"), strings.Join(slices.Sorted(maps.Keys(re.RequestBody.Content)), " or ")))
	}
	p := derrors.New(derrors.BadRequest, "the request does not match the API contract")
	p.Fields = fields
	p.Err = err
	return p
}

// unexpectedContentType begins kin-openapi's reason for a body whose
// Content-Type the operation does not accept.
const unexpectedContentType = "header Content-Type has unexpected value"

// fieldErrors names the fields of one validation error.
func fieldErrors(err error) []derrors.FieldError {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return []derrors.FieldError{{Field: "", Message: err.Error()}}
	}
	field := "body" // the body as a whole (not JSON, wrong content type)
	if re.Parameter != nil {
		field = re.Parameter.Name
	}
	var multi openapi3.MultiError
	var out []derrors.FieldError
	if errors.As(re.Err, &multi) {
		for _, e := range multi {
			out = append(out, schemaField(field, e))
		}
		return out
	}
	if re.Err == nil {
		return []derrors.FieldError{{Field: field, Message: re.Reason}}
	}
	return []derrors.FieldError{schemaField(field, re.Err)}
}

func schemaField(param string, err error) derrors.FieldError {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		ptr := se.JSONPointer()
		var name string
		if _, err := fmt.Sscanf(se.Reason, "property %q is unsupported", &name); err == nil {
			ptr = append(ptr, name) // the unknown field itself, not the object holding it
		}
		field := param
		if len(ptr) > 0 {
			field = jsonPointer(ptr)
		}
		return derrors.FieldError{Field: field, Message: se.Reason}
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return derrors.FieldError{Field: param, Message: "cannot parse: " + pe.Error()}
	}
	return derrors.FieldError{Field: param, Message: err.Error()}
}

// jsonPointer is the RFC 6901 pointer of a path of keys.
func jsonPointer(keys []string) string {
	escape := strings.NewReplacer("~", "~0", "/", "~1")
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("/" + escape.Replace(k))
	}
	return b.String()
}
