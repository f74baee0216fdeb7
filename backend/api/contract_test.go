package api_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// TestProblemCodes: the contract's list of problem codes (Problem.code) is
// exactly the codes declared in backend/derrors, read from its source so
// that a code added there cannot be left out of the contract.
func TestProblemCodes(t *testing.T) {
	files, err := filepath.Glob("../derrors/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var codes []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
					continue
				}
				for _, val := range v.Values {
					s, err := strconv.Unquote(val.(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					codes = append(codes, s)
				}
			}
		}
	}
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var enum []string
	for _, v := range doc.Components.Schemas["ProblemCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	slices.Sort(codes)
	slices.Sort(enum)
	if len(codes) == 0 || !slices.Equal(codes, enum) {
		t.Fatalf("Problem.code enum in openapi.yaml = %v\nderrors codes = %v", enum, codes)
	}
}

// TestInspection_WithoutPhoneTier: a record without the optional phone_tier
// is answered without it, online and through sync, in every response that
// carries a record (the client checks each against the contract, where
// phone_tier is a Tier when present). No test recorded one before, which
// is how `"phone_tier": ""` went unseen.
func TestInspection_WithoutPhoneTier(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")
	at := f.story.At("2026-11-10T10:00:00+08:00")

	synced := streetInspection("a", at, "", "a-cg-03", "a-sj-01")
	r := officer.push(officer.mutation(inspection.MutationRecord, synced.ID, withoutPhoneTier(t, synced))).Results[0]
	if r.State == nil || r.State.Record.PhoneTier != nil {
		t.Fatalf("push without a phone tier: verdict %s problem %+v state %+v", r.Verdict, r.Problem, r.State)
	}
	online := streetInspection("a", at, "", "a-cg-03", "a-sj-01")
	body, _ := json.Marshal(withoutPhoneTier(t, online))
	if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated || bytes.Contains(res.Body, []byte(`"phone_tier"`)) {
		t.Fatalf("online without a phone tier: %d %s", res.Status, res.Body)
	}
	for _, path := range []string{"/v1/inspections/" + online.ID, "/v1/inspections/" + synced.ID, "/v1/inspections",
		"/v1/inspections/review-queue", "/v1/inspections/" + online.ID + "/versions"} {
		if res := f.client.Get(path, leader); res.Status != http.StatusOK || bytes.Contains(res.Body, []byte(`"phone_tier":""`)) {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
	}
	if got := officer.pulled(synced.ID); len(got) == 0 {
		t.Fatal("the record is not pulled")
	} else {
		for scope, st := range got {
			if st.Record.PhoneTier != nil {
				t.Fatalf("pulled in %s with phone tier %q", scope, *st.Record.PhoneTier)
			}
		}
	}
}

// withoutPhoneTier is r as a phone sends it that did not decide a tier:
// without the field (the domain's JSON has it empty).
func withoutPhoneTier(t *testing.T, r inspection.Record) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	delete(out, "phone_tier")
	return out
}
