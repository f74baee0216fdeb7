package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/api/apitest"
)

// TestHeaders_NoStoreNosniff: every /v1 answer, success or problem, carries
// Cache-Control: no-store (tokens and personal data must not be kept by a
// browser or a proxy) and X-Content-Type-Options: nosniff (evidence content
// is never sniffed into something else). Walked over every operation of the
// contract, and checked on the answers that matter most when they succeed.
func TestHeaders_NoStoreNosniff(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	check := func(t *testing.T, what string, res *apitest.Response) {
		t.Helper()
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", what, res.Status, cc)
		}
		if n := res.Header.Get("X-Content-Type-Options"); n != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q, want nosniff", what, res.Status, n)
		}
	}
	_, ops := specOperations(t)
	n := 0
	for _, so := range ops {
		if !strings.HasPrefix(so.path, "/v1/") {
			continue
		}
		n++
		t.Run(so.method+so.path, func(t *testing.T) {
			var body []byte
			if so.op.RequestBody != nil && so.op.RequestBody.Value.Content.Get("application/json") != nil {
				body = []byte(`{}`)
			}
			req := httptest.NewRequest(so.method, so.url("", ""), bytes.NewReader(body))
			token := admin
			if so.op.OperationID == "logout" { // would end the admin's session for the operations after it
				token = f.login(t, "admin", "whistle-demo")
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Tus-Resumable", "1.0.0")
			check(t, so.method+" "+so.path, f.client.For(t).Do(req))
		})
	}
	t.Logf("%d /v1 operations", n)

	t.Run("OKLogin", func(t *testing.T) {
		check(t, "login", f.client.PostJSON("/v1/auth/login", `{"username":"officer.a","password":"whistle-demo"}`, ""))
	})
	t.Run("OKEvidenceContent", func(t *testing.T) {
		officer := f.login(t, "officer.a", "whistle-demo")
		id := upload(t, f.client, officer, newItem(testPNG(t), "image/png", "photo"))
		e := getEvidence(t, f.client, officer, id)
		res := f.client.Get("/v1/evidence/"+e.Id.String()+"/content", officer)
		if res.Status != http.StatusOK {
			t.Fatalf("content: %d %s", res.Status, res.Body)
		}
		check(t, "evidence content", res)
	})
	t.Run("OKInspection", func(t *testing.T) {
		officer := f.login(t, "officer.a", "whistle-demo")
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-HDR-1")
		body, _ := json.Marshal(r)
		if res := f.client.PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
			t.Fatalf("record: %d %s", res.Status, res.Body)
		}
		check(t, "inspection", f.client.Get("/v1/inspections/"+r.ID, officer))
		check(t, "inspection list", f.client.Get("/v1/inspections", officer))
	})
}
