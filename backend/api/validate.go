package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/openapi"
)

// validateRequest checks every request against the contract before its
// operation's handler sees it: path, query, headers and body must match
// openapi.yaml, and the operation's security requirement is enforced (default
// deny: an operation without `security: []` needs a valid bearer token). The
// authenticated user is put in the request's context. It runs inside each
// route, so that metrics and logs carry the route template.
func validateRequest(router routers.Router, ids *identity.Service) openapi.HandlerMiddlewareFunc {
	return func(c *fiber.Ctx, next fiber.Handler) error {
		var req http.Request
		if err := fasthttpadaptor.ConvertRequest(c.Context(), &req, false); err != nil {
			return derrors.Wrap(err, derrors.BadRequest, "malformed request")
		}
		ctx := c.UserContext()
		req = *req.WithContext(ctx)
		route, params, err := router.FindRoute(&req)
		if err != nil {
			var rerr *routers.RouteError
			if errors.As(err, &rerr) && errors.Is(err, routers.ErrMethodNotAllowed) {
				return derrors.New(derrors.MethodNotAllowed, "method %s is not allowed on %s", c.Method(), c.Path())
			}
			return derrors.New(derrors.NotFound, "no such route: %s %s", c.Method(), c.Path())
		}
		var (
			user   identity.User
			claims identity.Claims
		)
		in := &openapi3filter.RequestValidationInput{
			Request:    &req,
			PathParams: params,
			Route:      route,
			Options: &openapi3filter.Options{
				MultiError: true,
				AuthenticationFunc: func(ctx context.Context, ai *openapi3filter.AuthenticationInput) error {
					u, c, err := authenticate(ctx, ids, ai)
					if err == nil {
						user, claims = u, c
					}
					return err
				},
			},
		}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return requestProblem(err)
		}
		if user.ID != "" {
			ctx = context.WithValue(ctx, userKey, caller{user: user, claims: claims})
			c.SetUserContext(audit.WithActor(ctx, audit.Actor{UserID: user.ID, DeviceID: claims.DeviceID, RequestID: requestIDFrom(ctx)}))
		}
		return next(c)
	}
}

// authenticate checks the bearer token of a request for a secured operation.
func authenticate(ctx context.Context, ids *identity.Service, ai *openapi3filter.AuthenticationInput) (identity.User, identity.Claims, error) {
	if ai.SecurityScheme == nil || ai.SecurityScheme.Type != "http" || ai.SecurityScheme.Scheme != "bearer" {
		return identity.User{}, identity.Claims{}, derrors.New(derrors.Unauthenticated, "unsupported security scheme %q", ai.SecuritySchemeName)
	}
	h := ai.RequestValidationInput.Request.Header.Get("Authorization")
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
	p := derrors.New(derrors.BadRequest, "the request does not match the API contract")
	p.Fields = fields
	p.Err = err
	return p
}

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
		field := param
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			field = "/" + strings.Join(ptr, "/")
		}
		return derrors.FieldError{Field: field, Message: se.Reason}
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return derrors.FieldError{Field: param, Message: "cannot parse: " + pe.Error()}
	}
	return derrors.FieldError{Field: param, Message: err.Error()}
}
