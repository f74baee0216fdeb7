package api_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// archiveReferences are the inputs of the archive routes naming objects, for TestReferences_Walk.
func archiveReferences(t map[refKey]refEntry) {
	caseB := func(w *refWorld) string { return w.caseB }
	dlB := func(w *refWorld) string { return w.deadlineB }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	t["GET /v1/cases/{id}/archive/check path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}/archive/check", "id", caseB, unknownID)}
	t["GET /v1/cases/{id}/archive path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}/archive", "id", caseB, unknownID)}
	t["POST /v1/cases/{id}/archive path:id"] = refEntry{class: scoped, probe: post("/v1/cases/{id}/archive", "id", `{"version":1}`, caseB, unknownID)}
	t["POST /v1/cases/{id}/archive header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the case the path names, compared with it as the caller sees it"}
	t["POST /v1/cases/{id}/annexes path:id"] = refEntry{class: scoped,
		probe: post("/v1/cases/{id}/annexes", "id", `{"kind":"supplement","text":"补充"}`, caseB, unknownID)}
	t["POST /v1/cases/{id}/annexes body/evidence_ids/*"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			body := fmt.Sprintf(`{"kind":"supplement","text":"补充","evidence_ids":[%q]}`, v)
			return httpAnswer(w.f.client.For(t).PostJSON("/v1/cases/"+w.caseA+"/annexes", body, w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
	t["POST /v1/deadlines/{id}/explanation path:id"] = refEntry{class: scoped,
		probe: post("/v1/deadlines/{id}/explanation", "id", `{"reason":"refwalk"}`, dlB, unknownID)}
}

// closeArchive posts the closing of case id as token.
func closeArchive(t *testing.T, f *fixture, token, id string, version int) *apitest.Response {
	t.Helper()
	return caseAct(t, f, token, id, "archive", fmt.Sprintf(`{"version":%d}`, version), "")
}

// TestArchive_ClosingRefusedFixedClosed walks a seizure case from its record to its archive: the
// check names the unsigned record, the closing is refused (409 archive_incomplete naming
// onsite_signed with the link to correct the record), the correction adds the witness and is
// approved, the closing gives the street's first number of the year; then the archived case
// refuses a note and a correction of its record (409 case_archived), and takes an annex.
func TestArchive_ClosingRefusedFixedClosed(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	rec := seizureInspection(f.now().Add(-time.Hour))
	rec.Signatures.Witness = nil // refused, and no witness signed
	body, _ := json.Marshal(rec)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	c := intake(t, f, leader, `{"inspection_id":"`+rec.ID+`"}`)
	id := c.Id.String()
	ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"filed"}`, ""))
	ok(t, caseAct(t, f, leader, id, "reassignment", `{"officer_code":"a-cg-03","reason":"现场检查人"}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"investigating"}`, ""))
	ok(t, caseAct(t, f, officer, id, "notifications", `{"note":"已告知"}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"decided","outcome":"no_penalty"}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"served","service_recorded":true}`, ""))
	c = ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"concluded","seizure_resolved":true}`, ""))

	t.Run("Check", func(t *testing.T) {
		res := f.client.For(t).Get("/v1/cases/"+id+"/archive/check", officer)
		var got openapi.ArchiveCheck
		res.JSON(t, &got)
		unmet := map[string]string{}
		for _, it := range got.Check.Items {
			if !it.Met {
				unmet[it.Code] = it.Missing[0].Link
			}
		}
		if got.Check.Complete || unmet["onsite_signed"] != "/v1/inspections/"+rec.ID+"/amendments" ||
			unmet["records_approved"] != "/v1/inspections/"+rec.ID+"/review" || len(unmet) != 2 || got.Check.Score >= 100 {
			t.Fatalf("check: complete %v score %d unmet %v", got.Check.Complete, got.Check.Score, unmet)
		}
		f.client.For(t).Get("/v1/cases/"+id+"/archive/check", f.login(t, "grid.a", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
		f.client.For(t).Get("/v1/cases/"+id+"/archive", leader).Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrIncomplete", func(t *testing.T) {
		closeArchive(t, f, officer, id, c.Version).Problem(t, http.StatusForbidden, "forbidden")
		res := closeArchive(t, f, leader, id, c.Version)
		res.Problem(t, http.StatusConflict, "archive_incomplete")
		var p openapi.ArchiveIncompleteProblem
		res.JSON(t, &p)
		var codes []string
		for _, it := range deref(p.Missing) {
			codes = append(codes, it.Code)
		}
		if !slices.Contains(codes, "onsite_signed") {
			t.Fatalf("missing %v", codes)
		}
	})

	// The fix: the correction adds the witness, the team leader approves it.
	addWitness(t, f, &rec, officer, leader)
	c = getCase(t, f, leader, id)
	res := closeArchive(t, f, leader, id, c.Version)
	if res.Status != http.StatusCreated {
		t.Fatalf("close: %d %s", res.Status, res.Body)
	}
	var a openapi.Archive
	res.JSON(t, &a)
	want := fmt.Sprintf("交道口综执档〔%d〕0001号", f.now().In(time.FixedZone("CST", 8*3600)).Year())
	if a.Number != want || a.Seq != 1 || a.ClosedBy != "leader.a" || a.Score != 100 || !a.Check.Complete {
		t.Fatalf("archive %s seq %d by %s score %d", a.Number, a.Seq, a.ClosedBy, a.Score)
	}
	if got := getCase(t, f, leader, id); got.State != openapi.Archived {
		t.Fatalf("the case is %s", got.State)
	}

	t.Run("ReadOnly", func(t *testing.T) {
		caseAct(t, f, officer, id, "notes", `{"text":"补充情况"}`, "").Problem(t, http.StatusConflict, "case_archived")
		caseAct(t, f, leader, id, "transitions", `{"to":"withdrawn","reason":"x"}`, "").Problem(t, http.StatusConflict, "case_archived")
		again, _ := json.Marshal(inspection.AmendArgs{BaseVersion: 2, Reason: "再次更正", Record: rec})
		f.client.For(t).PostJSON("/v1/inspections/"+rec.ID+"/amendments", string(again), officer).Problem(t, http.StatusConflict, "case_archived")
		closeArchive(t, f, leader, id, c.Version+1).Problem(t, http.StatusConflict, "case_archived")
		seizure := deadlinesOf(t, f, leader, "?subject_kind=inspection&subject_id="+rec.ID)
		actOnDeadline(t, f, leader, seizure[0].Id.String(), "pause", "", fmt.Sprintf(`{"version":%d,"reason":"检测"}`, seizure[0].Version)).
			Problem(t, http.StatusConflict, "case_archived")
	})
	t.Run("Annex", func(t *testing.T) {
		before := getCase(t, f, leader, id)
		caseAct(t, f, officer, id, "annexes", `{"kind":"correction","text":"x"}`, "").Problem(t, http.StatusForbidden, "forbidden")
		res := caseAct(t, f, leader, id, "annexes", `{"kind":"correction","text":"笔录第二页当事人姓名笔误，应为赵某"}`, "")
		if res.Status != http.StatusCreated {
			t.Fatalf("annex: %d %s", res.Status, res.Body)
		}
		var got openapi.Archive
		r := f.client.For(t).Get("/v1/cases/"+id+"/archive", officer)
		r.JSON(t, &got)
		if len(got.Annexes) != 1 || got.Annexes[0].Kind != "correction" || got.Annexes[0].CreatedBy != "leader.a" || got.Number != want {
			t.Fatalf("archive after the annex: %+v", got)
		}
		if after := getCase(t, f, leader, id); after.Version != before.Version {
			t.Fatalf("the annex changed the case: version %d -> %d", before.Version, after.Version)
		}
	})
	// The export of the archived case carries its number, the archive it passed with the annex,
	// and the annex's trail entry, and verifies.
	t.Run("Bundle", func(t *testing.T) {
		res := f.client.For(t).Get("/v1/cases/"+id+"/archive/bundle", leader)
		if res.Status != http.StatusOK {
			t.Fatalf("export: %d %.300s", res.Status, res.Body)
		}
		rep := archive.Verify(bytes.NewReader(res.Body), int64(len(res.Body)), trailKey.Public().(ed25519.PublicKey))
		if !rep.OK() {
			t.Fatalf("the archived case's bundle: %+v", rep.Failures)
		}
		zr, _ := zip.NewReader(bytes.NewReader(res.Body), int64(len(res.Body)))
		mf, err := zr.Open(archive.ManifestPath)
		if err != nil {
			t.Fatal(err)
		}
		var m archive.Manifest
		if err := json.NewDecoder(mf).Decode(&m); err != nil {
			t.Fatal(err)
		}
		var rec openapi.Archive
		if m.Archive != nil {
			_ = json.Unmarshal(m.Archive.Record, &rec)
		}
		if m.Archive == nil || m.Archive.Number != want || len(rec.Annexes) != 1 || !rec.Check.Complete {
			t.Fatalf("manifest archive %+v (record %+v)", m.Archive, rec)
		}
		if !slices.ContainsFunc(m.Trail.Entries, func(e audit.Entry) bool { return e.EntityType == "archive_annex" }) {
			t.Fatal("the annex's trail entry is not in the bundle")
		}
	})
}

// concludedCase is a 12345 work order of street A handled by officer.a to its conclusion with a
// no-penalty decision served, at version 8: a complete archive.
func concludedCase(t *testing.T, f *fixture) string {
	t.Helper()
	officer := f.login(t, "officer.a", demo.Password)
	id := trailCase(t, f, true)
	for _, body := range []string{`{"to":"filed"}`, `{"to":"investigating"}`} {
		ok(t, caseAct(t, f, officer, id, "transitions", body, ""))
	}
	ok(t, caseAct(t, f, officer, id, "notifications", `{"note":"已告知"}`, ""))
	for _, body := range []string{`{"to":"decided","outcome":"no_penalty"}`, `{"to":"served","service_recorded":true}`, `{"to":"concluded"}`} {
		ok(t, caseAct(t, f, officer, id, "transitions", body, ""))
	}
	if c := getCase(t, f, officer, id); c.Version != 8 {
		t.Fatalf("concluded at version %d", c.Version)
	}
	return id
}

// lateWorkOrder is the deadline of a work order of street A taken in past its limit.
func lateWorkOrder(t *testing.T, f *fixture) string {
	t.Helper()
	// A work order at a place of its own (workOrderBody), received 50 hours ago with a limit
	// 2 hours ago.
	var order map[string]any
	if err := json.Unmarshal([]byte(workOrderBody(f, "CG-002", "comprehensive")), &order); err != nil {
		t.Fatal(err)
	}
	src := order["source"].(map[string]any)
	src["received_at"], src["time_limit"] = f.now().Add(-50*time.Hour).UTC(), f.now().Add(-2*time.Hour).UTC()
	b, _ := json.Marshal(order)
	c := intake(t, f, f.login(t, "grid.a", demo.Password), string(b))
	wo := caseDeadlineOf(getCase(t, f, f.login(t, "leader.a", demo.Password), c.Id.String()), "work_order")
	if wo == nil {
		t.Fatal("no work order deadline")
	}
	return wo.Id.String()
}

// The archive routes in the access matrix, on the matrix's open work orders: the completeness
// check is for street A's team leader and officers (403 to the case's grid operator, who sees
// it), and administrators; the sj reviewer's grant covers the case's records and evidence, not
// its archive (404); an open case has no archive yet, to anyone.
func init() {
	readMatrix["/v1/cases/{id}/archive/check"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["admin"] = visible, visible, visible
		own["grid.a"] = forbidden
		other := sameForAll(hidden)
		other["admin"] = visible
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"] + "/archive/check", want: own},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"] + "/archive/check", want: other},
			{name: "unknown", url: "/v1/cases/00000000-0000-4000-8000-00000000dead/archive/check", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/cases/{id}/archive"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(hidden)
		own["grid.a"] = forbidden
		other := sameForAll(hidden)
		return []matrixObject{
			{name: "own-open", url: "/v1/cases/" + e.cases["st-a"] + "/archive", want: own},
			{name: "other-open", url: "/v1/cases/" + e.cases["st-b"] + "/archive", want: other},
			{name: "unknown", url: "/v1/cases/00000000-0000-4000-8000-00000000dead/archive", want: sameForAll(hidden)},
		}
	}
}

// addWitness corrects seizure record rec (at version 1, unsigned) with a
// witness's signature as officer, and approves the correction as leader.
func addWitness(t *testing.T, f *fixture, rec *inspection.Record, officer, leader string) {
	t.Helper()
	rec.Signatures.Witness = &inspection.Witness{Name: "社区网格员王某"}
	amend, _ := json.Marshal(inspection.AmendArgs{BaseVersion: 1, Reason: "补记见证人签名", Record: *rec})
	if res := f.client.For(t).PostJSON("/v1/inspections/"+rec.ID+"/amendments", string(amend), officer); res.Status != http.StatusOK {
		t.Fatalf("amend: %d %s", res.Status, res.Body)
	}
	if res := f.client.For(t).PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":2,"decision":"approve"}`, leader); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
}
