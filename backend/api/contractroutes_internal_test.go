package api

import (
	"errors"
	"maps"
	"net/http"
	"regexp"
	"testing"

	"github.com/whistle/whistle/openapi"
)

// TestContractRoutesAgreeWithRouter checks that the table validateRequest
// looks operations up in gives kin-openapi's router's answer (operation,
// path parameters, 404, 405) for every operation of the contract, every
// method on each of its paths, and paths that are near misses.
func TestContractRoutesAgreeWithRouter(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	router, err := openapi.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	table := newContractRoutes(doc, router)
	variable := regexp.MustCompile(`\{[^{}]+\}`)
	var paths []string
	for _, path := range doc.Paths.InMatchingOrder() {
		filled := variable.ReplaceAllString(path, "7b0c6c6e-2a57-4c1e-9d1a-5b0e0f5f6a11")
		paths = append(paths, filled, path, filled+"/", filled+"/extra",
			variable.ReplaceAllString(path, "uploads"), variable.ReplaceAllString(path, "a%2Fb"),
			variable.ReplaceAllString(path, ""))
	}
	paths = append(paths, "/", "", "/v1", "/v1/", "/nope", "//v1/auth/session", "/v1/auth/session/", "/V1/auth/session")
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
	found := 0
	for _, path := range paths {
		for _, method := range methods {
			req, err := http.NewRequest(method, "http://whistle.test"+path, nil)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			want, wantParams, wantErr := router.FindRoute(req)
			got, gotParams, gotErr := table.find(req)
			switch {
			case wantErr != nil:
				if gotErr == nil || !errors.Is(gotErr, wantErr) {
					t.Errorf("%s %s: table says %v, router %v", method, path, gotErr, wantErr)
				}
			case gotErr != nil:
				t.Errorf("%s %s: table says %v, router found %s", method, path, gotErr, want.Path)
			default:
				found++
				if got.route.Path != want.Path || got.route.Method != want.Method || got.route.Operation != want.Operation {
					t.Errorf("%s %s: table found %s %s, router %s %s", method, path, got.route.Method, got.route.Path, want.Method, want.Path)
				}
				if !maps.Equal(gotParams, wantParams) {
					t.Errorf("%s %s: table's parameters %v, router's %v", method, path, gotParams, wantParams)
				}
			}
		}
	}
	ops := 0
	for _, item := range doc.Paths.Map() {
		ops += len(item.Operations())
	}
	if found < ops {
		t.Errorf("%d requests routed, fewer than the contract's %d operations", found, ops)
	}
}
