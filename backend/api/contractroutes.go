package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// bearerScheme is the name of the contract's one security scheme.
const bearerScheme = "bearer"

// contractRoutes finds the contract's operation of a request from a table
// built once at start, instead of asking kin-openapi's gorilla/mux router
// per request (a regular expression per path template, a fresh route and
// operation lookup each time). It gives the same answer as the router: the
// router tries the contract's paths in openapi3.Paths.InMatchingOrder, takes
// the first whose template matches the escaped path (a variable is one
// non-empty segment), and answers 405 if that path lacks the method. A path
// the table does not know is asked of the router itself, so that a template
// the table cannot read never changes an answer.
//
// validateRequest cannot key the table by Fiber's matched route: it runs as
// app.Use middleware, before Fiber has matched the operation's handler, and
// there c.Route() is the middleware's own route.
type contractRoutes struct {
	router routers.Router
	// exact holds, by path, the answer for a path equal to a template
	// without variables (computed at start in matching order).
	exact map[string]*contractPath
	// templated holds the templates with variables, in matching order.
	templated []*contractPath
}

// contractPath is one path template of the contract and its operations.
type contractPath struct {
	path     string
	segments []string // the template split at "/"; a variable is "{name}"
	opaque   bool     // a segment mixes text and a variable: ask the router
	ops      map[string]*contractOp
}

// contractOp is one operation and what validateRequest needs of it,
// worked out once.
type contractOp struct {
	route *routers.Route
	// streamed: the handler reads a streamed body and checks it itself.
	streamed bool
	// security is the operation's requirement (the document's if it has
	// none); public means it needs nothing, bearer that it needs exactly
	// the bearer token, which checkSecurity then checks without
	// kin-openapi; otherwise kin-openapi judges it.
	security       openapi3.SecurityRequirements
	public, bearer bool
	// validated is route with its operation's security requirement
	// removed (checkSecurity has met it), for openapi3filter.ValidateRequest;
	// nil if the operation has no parameters and no body, so that there is
	// nothing left to validate.
	validated *routers.Route
}

// newContractRoutes builds the table of every path and operation of the
// router's contract.
func newContractRoutes(doc *openapi3.T, router routers.Router) *contractRoutes {
	t := &contractRoutes{router: router, exact: map[string]*contractPath{}}
	var order []*contractPath
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		p := &contractPath{path: path, segments: strings.Split(path, "/"), ops: map[string]*contractOp{}}
		for _, s := range p.segments {
			if strings.ContainsAny(s, "{}") && !isVariable(s) {
				p.opaque = true
			}
		}
		for method, op := range item.Operations() {
			p.ops[method] = newContractOp(doc, path, item, method, op)
		}
		order = append(order, p)
		if strings.Contains(path, "{") {
			t.templated = append(t.templated, p)
		}
	}
	for _, p := range order {
		if strings.Contains(p.path, "{") {
			continue
		}
		for _, q := range order { // the first in matching order, as the router takes it
			if q.opaque || q.matches(p.segments, nil) {
				if !q.opaque {
					t.exact[p.path] = q
				}
				break
			}
		}
	}
	return t
}

func newContractOp(doc *openapi3.T, path string, item *openapi3.PathItem, method string, op *openapi3.Operation) *contractOp {
	o := &contractOp{
		route:    &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
		streamed: slices.Contains(op.Tags, streamedTag),
		security: doc.Security,
	}
	if op.Security != nil {
		o.security = *op.Security
	}
	_, declared := doc.Components.SecuritySchemes[bearerScheme]
	o.public = len(o.security) == 0
	o.bearer = declared && len(o.security) == 1 && len(o.security[0]) == 1 && o.security[0][bearerScheme] != nil
	if len(op.Parameters) > 0 || len(item.Parameters) > 0 || op.RequestBody != nil {
		unsecured := *op
		unsecured.Security = &openapi3.SecurityRequirements{}
		route := *o.route
		route.Operation = &unsecured
		o.validated = &route
	}
	return o
}

// isVariable reports whether a template segment is one whole variable.
func isVariable(segment string) bool {
	return len(segment) > 2 && segment[0] == '{' && segment[len(segment)-1] == '}' &&
		!strings.ContainsAny(segment[1:len(segment)-1], "{}")
}

// matches reports whether the segments of an escaped request path match
// the template, and if vars is not nil, puts the variables' values (still
// escaped, as the router leaves them) in it.
func (p *contractPath) matches(segments []string, vars map[string]string) bool {
	if len(segments) != len(p.segments) {
		return false
	}
	for i, s := range p.segments {
		if isVariable(s) {
			if segments[i] == "" {
				return false
			}
			continue
		}
		if segments[i] != s {
			return false
		}
	}
	if vars != nil {
		for i, s := range p.segments {
			if isVariable(s) {
				vars[s[1:len(s)-1]] = segments[i]
			}
		}
	}
	return true
}

// find returns the operation of req and its path parameters, or the
// router's errors: routers.ErrPathNotFound, routers.ErrMethodNotAllowed.
func (t *contractRoutes) find(req *http.Request) (*contractOp, map[string]string, error) {
	escaped := req.URL.EscapedPath()
	if p, ok := t.exact[escaped]; ok {
		return p.operation(req.Method, map[string]string{})
	}
	segments := strings.Split(escaped, "/")
	for _, p := range t.templated {
		if p.opaque {
			break
		}
		vars := map[string]string{}
		if p.matches(segments, vars) {
			return p.operation(req.Method, vars)
		}
	}
	// Not in the table (no such path, or past a template the table cannot
	// read): the router's answer, whatever it is.
	route, params, err := t.router.FindRoute(req)
	if err != nil {
		return nil, nil, err
	}
	return newContractOp(route.Spec, route.Path, route.PathItem, route.Method, route.Operation), params, nil
}

// operation is the path's operation for method, or the router's 405.
func (p *contractPath) operation(method string, vars map[string]string) (*contractOp, map[string]string, error) {
	op, ok := p.ops[method]
	if !ok {
		return nil, nil, routers.ErrMethodNotAllowed
	}
	return op, vars, nil
}

// checkSecurity enforces the operation's security requirement for the
// request in in, calling in.Options.AuthenticationFunc for the bearer
// token. The common cases (none; the bearer token alone) are judged here
// directly, with the error kin-openapi would give
// (openapi3filter.SecurityRequirementsError); any other requirement is
// left to openapi3filter.ValidateSecurityRequirements.
func (o *contractOp) checkSecurity(ctx context.Context, in *openapi3filter.RequestValidationInput) error {
	switch {
	case o.public:
		return nil
	case o.bearer:
		err := in.Options.AuthenticationFunc(ctx, &openapi3filter.AuthenticationInput{
			RequestValidationInput: in,
			SecuritySchemeName:     bearerScheme,
			SecurityScheme:         in.Route.Spec.Components.SecuritySchemes[bearerScheme].Value,
			Scopes:                 o.security[0][bearerScheme],
		})
		if err != nil {
			return &openapi3filter.SecurityRequirementsError{SecurityRequirements: o.security, Errors: []error{err}}
		}
		return nil
	default:
		return openapi3filter.ValidateSecurityRequirements(ctx, in, o.security)
	}
}
