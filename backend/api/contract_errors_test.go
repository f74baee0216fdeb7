package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// TestDocumentedErrors provokes, for every operation of the contract, the
// errors that can be provoked without knowing the operation (no token, a
// body that is not JSON, another content type, a body over the limit, an
// unknown id, a method the path lacks) and checks each answer against the
// contract: apitest validates it, and its status must be one the operation
// documents itself (not only through `default`).
func TestDocumentedErrors(t *testing.T) {
	f := newFixture(t, options{})
	f.addUser(t, "admin1", "secret-pass-1", org.RoleAdmin)
	token := f.login(t, "admin1", "secret-pass-1")
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	oversize := `{"x":"` + strings.Repeat("a", 64<<10) + `"}` // the fixture's limit is 64 KiB
	var provoked int
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if slices.Contains(op.Tags, "evidence-upload") {
				continue // the tus routes speak their own protocol (evidence_test.go)
			}
			url := concretePath(path, op, item)
			check := func(name string, want int, body, contentType, bearer string) {
				t.Run(op.OperationID+"/"+name, func(t *testing.T) {
					var req *http.Request
					if body != "" {
						req = httptest.NewRequest(method, url, strings.NewReader(body))
						req.Header.Set("Content-Type", contentType)
					} else {
						req = httptest.NewRequest(method, url, nil)
					}
					if bearer != "" {
						req.Header.Set("Authorization", "Bearer "+bearer)
					}
					res := f.client.For(t).Do(req)
					provoked++
					if want != 0 && res.Status != want {
						t.Fatalf("%s %s: %d, want %d: %s", method, url, res.Status, want, res.Body)
					}
					if res.Status >= 500 {
						t.Fatalf("%s %s: %d: %s", method, url, res.Status, res.Body)
					}
					if op.Responses.Status(res.Status) == nil {
						t.Fatalf("%s %s answers %d, which %s does not document: %s", method, url, res.Status, op.OperationID, res.Body)
					}
				})
			}
			secured := op.Security == nil || len(*op.Security) > 0
			if secured {
				check("NoToken401", http.StatusUnauthorized, "", "", "")
			}
			if op.RequestBody != nil && op.RequestBody.Value.Content.Get("application/json") != nil {
				check("BadJSON400", http.StatusBadRequest, "{", "application/json", token)
				check("TextBody415", http.StatusUnsupportedMediaType, "hello", "text/plain", token)
				check("Oversize413", http.StatusRequestEntityTooLarge, oversize, "application/json", token)
			}
			if strings.Contains(path, "{") && op.RequestBody == nil {
				check("UnknownID", 0, "", "", token)
			}
		}
		t.Run("MethodNotAllowed"+path, func(t *testing.T) {
			var allowed []string
			for m := range item.Operations() {
				allowed = append(allowed, m)
			}
			other := http.MethodPut
			for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodPost} {
				if !slices.Contains(allowed, m) {
					other = m
					break
				}
			}
			res := f.client.For(t).Do(httptest.NewRequest(other, concretePath(path, nil, item), nil))
			provoked++
			res.Problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
			got := strings.Split(res.Header.Get("Allow"), ", ")
			sort.Strings(got)
			sort.Strings(allowed)
			if !slices.Equal(got, allowed) {
				t.Fatalf("%s %s: Allow %q, want %q", other, path, got, allowed)
			}
		})
	}
	t.Logf("%d operations' errors provoked in %d requests", len(doc.Paths.Map()), provoked)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// concretePath fills the path parameters of a template with values of
// their schema that name nothing stored.
func concretePath(path string, op *openapi3.Operation, item *openapi3.PathItem) string {
	params := item.Parameters
	if op != nil {
		params = append(slices.Clone(params), op.Parameters...)
	} else {
		for _, o := range item.Operations() {
			params = append(params, o.Parameters...)
		}
	}
	return pathParam.ReplaceAllStringFunc(path, func(m string) string {
		name := strings.Trim(m, "{}")
		for _, p := range params {
			if p.Value != nil && p.Value.Name == name && p.Value.In == "path" && p.Value.Schema != nil {
				s := p.Value.Schema.Value
				switch {
				case s.Format == "uuid":
					return "7d444840-9dc0-11d1-b245-5ffdce74fad2"
				case s.Type.Is("integer"):
					return strconv.Itoa(987654)
				}
			}
		}
		return fmt.Sprintf("no-such-%s", name)
	})
}
