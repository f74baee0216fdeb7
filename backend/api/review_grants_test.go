package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// grantsOf lists the review grants of a case as token sees them (200 expected).
func grantsOf(t *testing.T, f *fixture, token, caseID string) []openapi.ReviewGrant {
	t.Helper()
	var gs []openapi.ReviewGrant
	res := f.client.For(t).Get("/v1/cases/"+caseID+"/grants", token)
	if res.Status != http.StatusOK {
		t.Fatalf("grants of %s: %d %s", caseID, res.Status, res.Body)
	}
	res.JSON(t, &gs)
	return gs
}

// grantAct posts a change of a grant (extension, revocation, terms) with If-Match ifMatch ("":
// none).
func grantAct(t *testing.T, f *fixture, token, caseID, grantID, act, body, ifMatch string) *apitest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/v1/cases/"+caseID+"/grants/"+grantID+"/"+act, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(req)
}

// grantOfCase is the id of the (one) grant of a case, read without the API.
func grantOfCase(t *testing.T, f *fixture, caseID string) string {
	t.Helper()
	var id string
	if err := f.db.SQL.QueryRowContext(context.Background(), `SELECT id::text FROM review_grants WHERE case_id = $1 ORDER BY granted_at LIMIT 1`, caseID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// status is the status a GET of path answers token.
func status(t *testing.T, f *fixture, token, path string) int {
	t.Helper()
	return f.client.For(t).Get(path, token).Status
}

// TestReviewGrants_Lifecycle walks a department's review of a case: approving a market-regulation
// record with a summons opens its clue, routed to market regulation (sj), whose reviewers get a
// view-only, masked grant. The sj reviewer sees the case, the record (party masked), its versions
// and the evidence (metadata, thumbnail list, custody) but may not download; a food-and-drug
// reviewer, another street's team leader and the street's officer get 404 / 403. The team leader
// allows download and shows the party on a legal basis: the reviewer downloads (stream and link)
// and sees the phone. Thirty-one days on (the fixture's clock moved), the grant has expired:
// 404 everywhere, the link too; extended, it is live again; revoked, 404 at once, a link issued
// before included, and a revoked grant takes no more changes (409). The custody log has every
// access of the reviewer with the grant's id.
func TestReviewGrants_Lifecycle(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	reviewer := f.login(t, "reviewer.sj", demo.Password)
	other := f.login(t, "reviewer.sy", demo.Password)
	leaderB := f.login(t, "leader.b", demo.Password)

	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, "JYCF-GRANT-"+uuid.NewString()[:8])
	r.Party = &inspection.Party{Kind: inspection.PartyPerson, Name: "刘德华", IDType: "resident_id", IDNumber: "110101199001011234",
		Phone: "13912345678", Address: "东城区南锣鼓巷 88 号"}
	r.Measures = append(r.Measures, inspection.Measure{Kind: "summons", MatterCode: "SJ-004",
		Summons: &inspection.Summons{At: f.story.At("2026-11-12T09:00:00+08:00"), Place: "交道口街道综合执法队"}})
	photo := newItem(testJPEG(t, 64, 48, 31, nil), "image/jpeg", "photo")
	photo.recordID = r.ID
	expectItem(&r, photo)
	body, _ := json.Marshal(r)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	evID := upload(t, f.client, officer, photo)
	if res := f.client.For(t).PostJSON("/v1/inspections/"+r.ID+"/review", `{"version":1,"decision":"approve"}`, leader); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	list := listCases(t, f, leader, "")
	if len(list) != 1 || list[0].DepartmentCode != "sj" {
		t.Fatalf("cases after the approval: %+v", list)
	}
	caseID := list[0].Id.String()

	gs := grantsOf(t, f, leader, caseID)
	if len(gs) != 1 || gs[0].DepartmentCode != "sj" || !gs[0].Live || gs[0].DownloadAllowed || gs[0].Unmasked || gs[0].Version != 1 ||
		!gs[0].ExpiresAt.Equal(gs[0].GrantedAt.Add(30*24*time.Hour)) {
		t.Fatalf("grants on intake: %+v", gs)
	}
	grant := gs[0].Id.String()

	// Within the grant: view-only, masked.
	if c := getCase(t, f, reviewer, caseID); !c.Masked {
		t.Errorf("the reviewer's case is not masked")
	}
	if got := listCases(t, f, reviewer, ""); len(got) != 1 || got[0].Id.String() != caseID {
		t.Errorf("the reviewer's list: %d cases", len(got))
	}
	var st openapi.Inspection
	f.client.For(t).Get("/v1/inspections/"+r.ID, reviewer).JSON(t, &st)
	if st.Record.Party == nil || st.Record.Party.Phone == nil || *st.Record.Party.Phone == "13912345678" || !st.Masked {
		t.Errorf("the reviewer's record: masked %v party %+v", st.Masked, st.Record.Party)
	}
	for _, p := range []string{"/v1/inspections/" + r.ID + "/versions", "/v1/inspections/" + r.ID + "/diff?from=1&to=1",
		"/v1/evidence/" + evID, "/v1/evidence/" + evID + "/custody", "/v1/cases/" + caseID + "/grants"} {
		if got := status(t, f, reviewer, p); got != http.StatusOK {
			t.Errorf("reviewer GET %s: %d", p, got)
		}
	}
	var items []openapi.Evidence
	f.client.For(t).Get("/v1/cases/"+caseID+"/evidence", reviewer).JSON(t, &items)
	if len(items) != 1 || items[0].Id.String() != evID {
		t.Errorf("the case's evidence for the reviewer: %+v", items)
	}
	f.client.For(t).Get("/v1/evidence/"+evID+"/content", reviewer).Problem(t, http.StatusForbidden, "forbidden")
	f.client.For(t).PostJSON("/v1/evidence/"+evID+"/download-url", "", reviewer).Problem(t, http.StatusForbidden, "forbidden")

	// Another department's reviewer, another street's team leader: nothing to see.
	for _, p := range []string{"/v1/cases/" + caseID, "/v1/inspections/" + r.ID, "/v1/evidence/" + evID, "/v1/cases/" + caseID + "/grants",
		"/v1/cases/" + caseID + "/evidence"} {
		if got := status(t, f, other, p); got != http.StatusNotFound {
			t.Errorf("reviewer.sy GET %s: %d, want 404", p, got)
		}
	}
	if got := status(t, f, leaderB, "/v1/cases/"+caseID+"/grants"); got != http.StatusNotFound {
		t.Errorf("leader.b lists the grants: %d", got)
	}
	grantAct(t, f, leaderB, caseID, grant, "revocation", `{"version":1,"reason":"越权"}`, "").Problem(t, http.StatusNotFound, "not_found")
	grantAct(t, f, officer, caseID, grant, "revocation", `{"version":1,"reason":"越权"}`, "").Problem(t, http.StatusForbidden, "forbidden")
	grantAct(t, f, reviewer, caseID, grant, "terms", `{"version":1,"download_allowed":true,"unmasked":false}`, "").Problem(t, http.StatusForbidden, "forbidden")

	// The team leader allows download and shows the party, on a legal basis.
	grantAct(t, f, leader, caseID, grant, "terms", `{"version":1,"download_allowed":true,"unmasked":true}`, "").Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	res := grantAct(t, f, leader, caseID, grant, "terms", `{"version":1,"download_allowed":true,"unmasked":true,"legal_basis":"《行政处罚法》第五十条；市场监管部门复核需要"}`, "")
	var g openapi.ReviewGrant
	res.JSON(t, &g)
	if res.Status != http.StatusOK || g.Version != 2 || !g.DownloadAllowed || !g.Unmasked || deref(g.LegalBasis) == "" || res.Header.Get("ETag") == "" {
		t.Fatalf("terms: %d %s", res.Status, res.Body)
	}
	f.client.For(t).Get("/v1/inspections/"+r.ID, reviewer).JSON(t, &st)
	if st.Masked || deref(st.Record.Party.Phone) != "13912345678" {
		t.Errorf("under the unmasked grant: masked %v phone %q", st.Masked, deref(st.Record.Party.Phone))
	}
	if c := getCase(t, f, reviewer, caseID); c.Masked {
		t.Errorf("the case is masked under the unmasked grant")
	}
	if got := f.client.For(t).Get("/v1/evidence/"+evID+"/content", reviewer); got.Status != http.StatusOK || !bytes.Equal(got.Body, photo.data) {
		t.Fatalf("download under the grant: %d (%d bytes)", got.Status, len(got.Body))
	}
	linkURL := func(token string) string {
		t.Helper()
		var u openapi.DownloadURL
		res := f.client.For(t).PostJSON("/v1/evidence/"+evID+"/download-url", "", token)
		res.JSON(t, &u)
		if res.Status != http.StatusCreated || !strings.HasPrefix(u.Url, "/v1/evidence/links/") || u.ExpiresAt.After(f.now().Add(5*time.Minute+time.Second)) {
			t.Fatalf("the reviewer's download URL: %d %s", res.Status, res.Body)
		}
		return u.Url
	}
	link := linkURL(reviewer)
	if got := f.client.For(t).Get(link, ""); got.Status != http.StatusOK || !bytes.Equal(got.Body, photo.data) {
		t.Fatalf("the link: %d (%d bytes)", got.Status, len(got.Body))
	}
	f.client.For(t).Get(link[:len(link)-2]+"AA", "").Problem(t, http.StatusNotFound, "not_found")

	// The custody log has the reviewer's accesses, each with the grant.
	var cust openapi.Custody
	f.client.For(t).Get("/v1/evidence/"+evID+"/custody?limit=500", leader).JSON(t, &cust)
	seen := map[string]bool{}
	reviewerID := f.userID(t, "reviewer.sj")
	for _, e := range cust.Entries {
		if deref(e.ActorUserId) != reviewerID {
			continue
		}
		if e.Detail["grant_id"] != grant {
			t.Errorf("the reviewer's %s %v has no grant id", e.Event, e.Detail)
		}
		seen[fmt.Sprintf("%s:%v%v", e.Event, e.Detail["what"], e.Detail["via"])] = true
	}
	for _, want := range []string{"viewed:metadata<nil>", "viewed:custody<nil>", "downloaded:<nil>stream", "downloaded:<nil>grant_link", "viewed:download_link<nil>"} {
		if !seen[want] {
			t.Errorf("custody lacks the reviewer's %s (has %v)", want, seen)
		}
	}

	// Thirty-one days on, the grant has expired: 404 at once, the link too.
	later := &fixture{db: f.db, users: f.users, org: f.org, hasher: f.hasher, bucket: f.bucket, now: f.now.Add(31 * 24 * time.Hour), story: f.story}
	later.build(t, evidenceConfig{}, time.Hour, 5*time.Second, f.bucket)
	reviewer, leader = later.login(t, "reviewer.sj", demo.Password), later.login(t, "leader.a", demo.Password)
	for _, p := range []string{"/v1/cases/" + caseID, "/v1/inspections/" + r.ID, "/v1/evidence/" + evID, "/v1/cases/" + caseID + "/evidence", link} {
		if got := status(t, later, reviewer, p); got != http.StatusNotFound {
			t.Errorf("after expiry GET %s: %d, want 404", p, got)
		}
	}
	if got := grantsOf(t, later, leader, caseID); got[0].Live {
		t.Errorf("the expired grant is live")
	}
	res = grantAct(t, later, leader, caseID, grant, "extension", `{"version":2,"until":"`+later.now().Add(10*24*time.Hour).UTC().Format(time.RFC3339)+`","reason":"复核延期"}`, "")
	res.JSON(t, &g)
	if res.Status != http.StatusOK || !g.Live || g.Version != 3 {
		t.Fatalf("extension: %d %s", res.Status, res.Body)
	}
	if got := status(t, later, reviewer, "/v1/cases/"+caseID); got != http.StatusOK {
		t.Errorf("after the extension the case: %d", got)
	}

	// Revoked: 404 at once, a link issued before included.
	f = later
	link = linkURL(reviewer)
	grantAct(t, f, leader, caseID, grant, "revocation", `{"version":3,"reason":"复核结束"}`, `"stale"`).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
	res = grantAct(t, f, leader, caseID, grant, "revocation", `{"version":3,"reason":"复核结束"}`, res.Header.Get("ETag"))
	if res.Status != http.StatusOK {
		t.Fatalf("revocation: %d %s", res.Status, res.Body)
	}
	for _, p := range []string{"/v1/cases/" + caseID, "/v1/inspections/" + r.ID, "/v1/evidence/" + evID, "/v1/evidence/" + evID + "/content", link} {
		if got := status(t, f, reviewer, p); got != http.StatusNotFound {
			t.Errorf("after revocation GET %s: %d, want 404", p, got)
		}
	}
	if got := listCases(t, f, reviewer, ""); len(got) != 0 {
		t.Errorf("after revocation the reviewer lists %d cases", len(got))
	}
	grantAct(t, f, leader, caseID, grant, "terms", `{"version":4,"download_allowed":false,"unmasked":false}`, "").Problem(t, http.StatusConflict, "conflict")
	grantAct(t, f, leader, caseID, grant, "revocation", `{"version":4,"reason":"again"}`, "").Problem(t, http.StatusConflict, "conflict")

	// Every change is on the trail.
	var page openapi.AuditPage
	f.client.Get("/v1/admin/audit?chain=st-a&entity_type=review_grant&entity_id="+grant, f.login(t, "admin", demo.Password)).JSON(t, &page)
	var actions []string
	for _, e := range page.Entries {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "review.grant.open,review.grant.terms,review.grant.extend,review.grant.revoke" {
		t.Errorf("trail of the grant: %v", actions)
	}
}

// TestReviewGrants_MatterChangeRoutesAnotherDepartment: a work order of urban management (cg)
// re-categorised as a food-safety matter opens a grant for food and drug (sy); sy's reviewer sees
// the case, sj's does not.
func TestReviewGrants_MatterChangeRoutesAnotherDepartment(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader := f.login(t, "leader.a", demo.Password)
	c := intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "CG-002", "comprehensive"))
	id := c.Id.String()
	if gs := grantsOf(t, f, leader, id); len(gs) != 1 || gs[0].DepartmentCode != "cg" {
		t.Fatalf("grants at intake: %+v", gs)
	}
	ok(t, caseAct(t, f, leader, id, "matter", `{"matter_code":"SY-001","reason":"经核实为食品安全问题"}`, ""))
	gs := grantsOf(t, f, leader, id)
	if len(gs) != 2 || gs[1].DepartmentCode != "sy" || !gs[1].Live {
		t.Fatalf("grants after the matter change: %+v", gs)
	}
	if got := status(t, f, f.login(t, "reviewer.sy", demo.Password), "/v1/cases/"+id); got != http.StatusOK {
		t.Errorf("reviewer.sy: %d", got)
	}
	if got := status(t, f, f.login(t, "reviewer.sj", demo.Password), "/v1/cases/"+id); got != http.StatusNotFound {
		t.Errorf("reviewer.sj: %d", got)
	}
}

// userID is the id of the account username.
func (f *fixture) userID(t *testing.T, username string) string {
	t.Helper()
	var id string
	if err := f.db.SQL.QueryRowContext(context.Background(), `SELECT id::text FROM users WHERE username = $1`, username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// grantReferences are the walk's entries of the review routes. A case named by the path is
// resolved in the caller's scope (street B's answers as an unknown one); a grant is looked up
// among the grants of the case the path names, so street B's grant on street A's case path is
// unknown.
func grantReferences(t map[refKey]refEntry) {
	caseB := func(w *refWorld) string { return w.caseB }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	grantB := func(w *refWorld) string {
		var id string
		_ = w.f.db.SQL.QueryRowContext(context.Background(), `SELECT id::text FROM review_grants WHERE case_id = $1`, w.caseB).Scan(&id)
		return id
	}
	t["GET /v1/cases/{id}/grants path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}/grants", "id", caseB, unknownID)}
	t["GET /v1/cases/{id}/evidence path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}/evidence", "id", caseB, unknownID)}
	t["GET /v1/evidence/links/{token} path:token"] = refEntry{class: notRef,
		why: "a token the server signed naming an item, a grant and a reviewer, checked by its signature and the grant live; anything else answers 404"}
	for act, body := range map[string]string{
		"extension":  `{"version":1,"until":"2099-01-01T00:00:00Z","reason":"延期"}`,
		"revocation": `{"version":1,"reason":"结束"}`,
		"terms":      `{"version":1,"download_allowed":true,"unmasked":false}`,
	} {
		op := "POST /v1/cases/{id}/grants/{grant_id}/" + act
		t[op+" path:id"] = refEntry{class: scoped, probe: post("/v1/cases/{id}/grants/"+unknownID+"/"+act, "id", body, caseB, unknownID)}
		t[op+" path:grant_id"] = refEntry{class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				return httpAnswer(grantAct(t, w.f, w.tokens[c.login], w.caseA, v, act, body, ""))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{grantB(w)} },
			unknown: func(*refWorld, refCaller) string { return unknownID }}}
		t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the grant the path names, compared with it as the caller sees it"}
	}
}

// The review rows of the read matrix (the matrix's cases are of market regulation, sj, whose
// reviewers got a grant at intake): the grants of a case are the team leader's and the
// administrator's (forbidden to the street's other accounts), and the sj reviewer's own; the
// case's evidence is for those who see the street's evidence and the sj reviewer; a link no
// server signed is not found to anyone.
func init() {
	readMatrix["/v1/cases/{id}/grants"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(forbidden)
		own["leader.a"], own["reviewer.sj"], own["admin"] = visible, visible, visible
		other := sameForAll(hidden)
		other["reviewer.sj"], other["admin"] = visible, visible
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"] + "/grants", want: own},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"] + "/grants", want: other},
			{name: "unknown", url: "/v1/cases/00000000-0000-4000-8000-00000000dead/grants", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/cases/{id}/evidence"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["reviewer.sj"], own["admin"] = visible, visible, visible, visible
		other := sameForAll(hidden)
		other["reviewer.sj"], other["admin"] = visible, visible
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"] + "/evidence", want: own},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"] + "/evidence", want: other},
		}
	}
	readMatrix["/v1/evidence/links/{token}"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		return []matrixObject{
			{name: "forged", url: "/v1/evidence/links/AQ" + strings.Repeat("A", 100), want: sameForAll(hidden)},
			{name: "garbage", url: "/v1/evidence/links/not-a-link", want: sameForAll(hidden)},
		}
	}
}
