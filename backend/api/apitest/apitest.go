// Package apitest is the one way API tests send requests: every response is
// validated against openapi/openapi.yaml (status, content type, body schema),
// so no test can forget to check the contract, and a route missing from the
// contract fails the test.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/openapi"
)

// Client sends requests to an app and checks the responses against the contract.
type Client struct {
	t      testing.TB
	app    *fiber.App
	router routers.Router
}

// New returns a Client for app.
func New(t testing.TB, app *fiber.App) *Client {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	closeResponses(doc)
	r, err := openapi.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, app: app, router: r}
}

// For returns the client reporting to t, for use inside subtests (a
// failure must be reported on the test that is running).
func (c *Client) For(t testing.TB) *Client {
	return &Client{t: t, app: c.app, router: c.router}
}

// Response is a response already checked against the contract.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem is an RFC 9457 body as the API sends it.
type Problem struct {
	Type      string `json:"type"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Problem decodes a problem body, failing the test unless the response is
// application/problem+json with the given status and code.
func (r *Response) Problem(t testing.TB, status int, code string) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	if r.Status != status || p.Status != status || p.Code != code {
		t.Fatalf("got status %d (body status %d) code %q, want %d %q; body %s", r.Status, p.Status, p.Code, status, code, r.Body)
	}
	return p
}

// Do sends req, validates the response against the contract, and returns it.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := c.app.Test(req, -1)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		c.t.Fatal(err)
	}

	// Validate against the operation the contract has for this request.
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			// No such operation; the error must still be a problem.
			checkProblemShape(c.t, res, body)
			return &Response{Status: res.StatusCode, Header: res.Header, Body: body}
		}
		c.t.Fatalf("%s %s is served (status %d) but not in openapi.yaml: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.StatusCode,
		Header: res.Header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			// kin-openapi checks no uuid format unless told to.
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			},
		},
	}
	in.SetBodyBytes(body)
	if req.Method == http.MethodHead {
		// kin-openapi does not validate HEAD responses; a HEAD has no body,
		// so check its status and headers here.
		checkHead(c.t, route.Operation, res)
		return &Response{Status: res.StatusCode, Header: res.Header, Body: body}
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Fatalf("%s %s: response %d does not match openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	if res.StatusCode >= 400 {
		checkProblemShape(c.t, res, body)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// checkProblemShape asserts that an error response is problem+json with a code.
func checkProblemShape(t testing.TB, res *http.Response, body []byte) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("error response %d has Content-Type %q, want application/problem+json; body %s", res.StatusCode, ct, body)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || p.Code == "" || p.Status != res.StatusCode {
		t.Fatalf("error response %d is not a problem with a code: %s", res.StatusCode, body)
	}
}

// Get is Do of a GET with an optional bearer token.
func (c *Client) Get(path, token string) *Response {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(req)
}

// PostJSON is Do of a POST with a raw JSON body and an optional bearer token.
func (c *Client) PostJSON(path, body, token string) *Response {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(req)
}

// checkHead checks a response to HEAD against its operation: the status is
// documented, the headers it requires are present, and an error says it is
// a problem (whose body HEAD cannot carry).
func checkHead(t testing.TB, op *openapi3.Operation, res *http.Response) {
	t.Helper()
	ref := op.Responses.Status(res.StatusCode)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		t.Fatalf("HEAD answered %d, which openapi.yaml does not document", res.StatusCode)
	}
	for name, h := range ref.Value.Headers {
		if h.Value != nil && h.Value.Required && res.Header.Get(name) == "" {
			t.Fatalf("HEAD response %d lacks the required header %s", res.StatusCode, name)
		}
	}
	if res.StatusCode >= 400 {
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("HEAD error %d has Content-Type %q, want application/problem+json", res.StatusCode, ct)
		}
	}
}
