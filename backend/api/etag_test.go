package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/org/demo"
)

// TestInspection_IfMatch: a record read answers its ETag; a correction or
// a review with If-Match of another state is refused with 412 and changes
// nothing; with the current tag it applies and answers the new tag.
// Without If-Match the body's version decides, as for phones.
func TestInspection_IfMatch(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-ETAG-1")
	body, _ := json.Marshal(r)
	if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	get := f.client.Get("/v1/inspections/"+r.ID, officer.token)
	v1 := get.Header.Get("ETag")
	if !strings.HasPrefix(v1, `"`) {
		t.Fatalf("GET ETag = %q, want a strong tag", v1)
	}
	if again := f.client.Get("/v1/inspections/"+r.ID, officer.token).Header.Get("ETag"); again != v1 {
		t.Fatalf("the same state tagged %q then %q", v1, again)
	}
	post := func(path string, body any, ifMatch string) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+officer.token)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		res := f.client.For(t).Do(req)
		if res.Status == http.StatusPreconditionFailed {
			res.Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		}
		return res.Status
	}
	amend := map[string]any{"base_version": 1, "reason": "更正地址", "record": r}
	path := "/v1/inspections/" + r.ID + "/amendments"
	if got := post(path, amend, `"stale"`); got != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d, want 412", got)
	}
	if got := post(path, amend, "W/"+v1); got != http.StatusPreconditionFailed {
		t.Fatalf("weak If-Match: %d, want 412 (strong comparison)", got)
	}
	if got := post(path, amend, v1); got != http.StatusOK {
		t.Fatalf("current If-Match: %d, want 200", got)
	}
	v2 := f.client.Get("/v1/inspections/"+r.ID, officer.token).Header.Get("ETag")
	if v2 == v1 {
		t.Fatal("the correction did not change the ETag")
	}
	// The team leader reviews what he read; the first tag is stale now.
	leader := f.login(t, "leader.a", demo.Password)
	review := func(ifMatch string) int {
		b, _ := json.Marshal(map[string]any{"version": 2, "decision": "approve"})
		req := httptest.NewRequest(http.MethodPost, "/v1/inspections/"+r.ID+"/review", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+leader)
		req.Header.Set("If-Match", ifMatch)
		return f.client.For(t).Do(req).Status
	}
	if got := review(v1); got != http.StatusPreconditionFailed {
		t.Fatalf("review with the first tag: %d, want 412", got)
	}
	if got := review(`"x", ` + v2); got != http.StatusOK {
		t.Fatalf("review with the current tag in a list: %d, want 200", got)
	}
}
