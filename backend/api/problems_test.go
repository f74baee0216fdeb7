package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/org"
)

// TestProblemDetails checks what a problem tells a client about its
// request: the methods a path has, the content type it needs, the JSON
// pointer of the field at fault, and never a Go type.
func TestProblemDetails(t *testing.T) {
	f := newFixture(t, options{})
	f.addUser(t, "admin1", "secret-pass-1", org.RoleAdmin)
	token := f.login(t, "admin1", "secret-pass-1")

	t.Run("ErrMethodNotAllowedCarriesAllow", func(t *testing.T) {
		res := f.client.For(t).Get("/v1/auth/login", "")
		res.Problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := res.Header.Get("Allow"); got != "POST" {
			t.Fatalf("Allow = %q, want POST", got)
		}
	})
	t.Run("ErrTextBody415", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(`username=a&password=b`))
		req.Header.Set("Content-Type", "text/plain")
		f.client.For(t).Do(req).Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("ErrUnknownFieldByPointer", func(t *testing.T) {
		p := f.client.For(t).PostJSON("/v1/authority/decisions",
			`{"matter_code":"M1","at":"2026-01-01T10:00:00Z","crew":[{"officer_code":"A","checked_in_at":"2026-01-01T09:00:00Z","foo":1}]}`, token).
			Problem(t, http.StatusBadRequest, "bad_request")
		if len(p.Errors) != 1 || p.Errors[0].Field != "/crew/0/foo" {
			t.Fatalf("errors = %+v, want one naming /crew/0/foo", p.Errors)
		}
	})
	t.Run("ErrMalformedUUID", func(t *testing.T) {
		for _, path := range []string{"/v1/number-blocks/not-a-uuid/report", "/v1/admin/audit?actor=not-a-uuid"} {
			res := f.client.For(t).Get(path, token)
			if res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d %s", path, res.Status, res.Body)
			}
			p := res.Problem(t, res.Status, map[int]string{400: "bad_request", 422: "validation_failed"}[res.Status])
			if len(p.Errors) == 0 || strings.Contains(string(res.Body), "uuid.UUID") {
				t.Fatalf("%s: %s", path, res.Body)
			}
		}
	})
}
