package api_test

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/openapi"
)

// notMutating are the POST operations that change nothing, with why.
var notMutating = map[string]string{
	"discoverEvidenceUploads": "tus discovery (OPTIONS); stores nothing",
	"decideAuthority":         "explains a decision for given inputs; stores nothing",
	"syncPull":                "reads; stores only the device's own sync telemetry (last pull, clock skew, queue depth)",
}

// TestTrail_EveryMutatingRoute enumerates the mutating operations of the
// contract and checks that each, when it succeeds, appends at least one
// trail entry carrying its request id. An operation added later without a
// case here, or without a trail, fails this test.
func TestTrail_EveryMutatingRoute(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	deviceBody := func() string {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		return `{"public_key":"` + base64.StdEncoding.EncodeToString(pub) + `","name":"华为 Mate 60"}`
	}
	// A device and a refresh token for leader.a, for the session operations.
	leader := f.login(t, "leader.a", "whistle-demo")
	var dev openapi.Device
	res := f.client.PostJSON("/v1/devices", `{"public_key":"`+base64.StdEncoding.EncodeToString(pub)+`","name":"phone"}`, leader)
	res.JSON(t, &dev)
	var sess openapi.Session
	f.client.PostJSON("/v1/auth/login", `{"username":"leader.a","password":"whistle-demo","device_id":"`+dev.Id.String()+`"}`, "").JSON(t, &sess)

	type call struct {
		method, path, contentType, body, token string
	}
	cases := map[string]func() call{
		"login": func() call {
			return call{"POST", "/v1/auth/login", "application/json", `{"username":"officer.a","password":"whistle-demo"}`, ""}
		},
		"refresh": func() call {
			return call{"POST", "/v1/auth/refresh", "application/json", `{"refresh_token":"` + *sess.RefreshToken + `"}`, ""}
		},
		"logout": func() call {
			return call{"POST", "/v1/auth/logout", "", "", f.login(t, "grid.a", "whistle-demo")}
		},
		"registerDevice": func() call {
			return call{"POST", "/v1/devices", "application/json", deviceBody(), f.login(t, "officer.b", "whistle-demo")}
		},
		"revokeDevice": func() call {
			var lost openapi.Device
			f.client.PostJSON("/v1/devices", deviceBody(), leader).JSON(t, &lost)
			return call{"POST", "/v1/devices/" + lost.Id.String() + "/revoke", "application/json", `{"reason":"phone lost on patrol"}`, admin}
		},
		"importDataset": func() call {
			return call{"POST", "/v1/admin/imports", "application/json", `{"districts":[{"code":"xc","name_zh":"西城区"}]}`, admin}
		},
		"createCertificate": func() call {
			return call{"POST", "/v1/admin/certificates", "application/json",
				f.story.Text(`{"number":"京执字110101-9001","officer_code":"a-cg-03","issuing_department_code":"cg","valid_from":"2026-01-01T00:00:00Z","valid_to":"2030-01-01T00:00:00Z"}`), admin}
		},
		"setCertificateStatus": func() call {
			return call{"POST", "/v1/admin/certificates/" + "京执字110101-0001" + "/status", "application/json", `{"status":"suspended","reason":"training"}`, admin}
		},
		"addMatterVersion": func() call {
			return call{"POST", "/v1/admin/matters", "application/json",
				f.story.Text(`{"code":"CG-900","name_zh":"测试事项","legal_basis":"测试依据","department_code":"cg","measures":["warning"],"default_whistle":"regular","valid_from":"2026-01-01T00:00:00Z"}`), admin}
		},
		"setPolicy": func() call {
			return call{"POST", "/v1/admin/policies", "application/json",
				f.story.Text(`{"department_code":"sy","valid_from":"2026-12-01T00:00:00Z","single_officer_simple_procedure":false,"second_inspector_from_other_resident":false,"mixed_crew_seizure_review":false}`), admin}
		},
		"disableUser": func() call {
			return call{"POST", "/v1/admin/users/community.b1/disable", "application/json", `{"reason":"left the community office"}`, admin}
		},
		"anchorAudit": func() call { return call{"POST", "/v1/admin/audit/anchors", "", "", admin} },
		// Evidence (see trailEvidence in evidence_test.go).
		"createEvidenceUpload": func() call {
			m, p, ct, b, tok := trailEvidence(t, f, "createEvidenceUpload")
			return call{m, p, ct, b, tok}
		},
		"appendEvidenceUpload": func() call {
			m, p, ct, b, tok := trailEvidence(t, f, "appendEvidenceUpload")
			return call{m, p, ct, b, tok}
		},
		"terminateEvidenceUpload": func() call {
			m, p, ct, b, tok := trailEvidence(t, f, "terminateEvidenceUpload")
			return call{m, p, ct, b, tok}
		},
		"overrideEvidenceUpload": func() call {
			m, p, ct, b, tok := trailEvidence(t, f, "overrideEvidenceUpload")
			return call{m, p, ct, b, tok}
		},
		"createEvidenceDownloadURL": func() call {
			m, p, ct, b, tok := trailEvidence(t, f, "createEvidenceDownloadURL")
			return call{m, p, ct, b, tok}
		},
		"recordInspection": func() call {
			r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-TRAIL-1")
			body, _ := json.Marshal(r)
			return call{"POST", "/v1/inspections", "application/json", string(body), f.login(t, "officer.a", "whistle-demo")}
		},
		"amendInspection": func() call {
			id, r := trailInspection(t, f)
			body, _ := json.Marshal(map[string]any{"base_version": 1, "reason": "更正地址", "record": r})
			return call{"POST", "/v1/inspections/" + id + "/amendments", "application/json", string(body), f.login(t, "officer.a", "whistle-demo")}
		},
		"reviewInspection": func() call {
			id, _ := trailInspection(t, f)
			return call{"POST", "/v1/inspections/" + id + "/review", "application/json", `{"version":1,"decision":"return","reasons":["补充证据"]}`, leader}
		},
		"pauseDeadline": func() call {
			id := trailDeadline(t, f, leader, false)
			return call{"POST", "/v1/deadlines/" + id + "/pause", "application/json", `{"version":1,"reason":"工单中止，待当事人补正材料"}`, leader}
		},
		"resumeDeadline": func() call {
			id := trailDeadline(t, f, leader, true)
			return call{"POST", "/v1/deadlines/" + id + "/resume", "application/json", `{"version":2,"reason":"材料已补正"}`, leader}
		},
		// Cases (see cases_test.go): a work order of street A routed to a-sj-01 (officer.sj), or
		// reassigned to officer.a (a-cg-03) to be handled.
		"intakeCase": func() call {
			return call{"POST", "/v1/cases", "application/json", workOrderBody(f, "SJ-002", "comprehensive"), f.login(t, "grid.a", "whistle-demo")}
		},
		"objectToCase": func() call {
			c := intake(t, f, f.login(t, "grid.a", "whistle-demo"), workOrderBody(f, "SJ-002", "single"))
			return call{"POST", "/v1/cases/" + c.Id.String() + "/objections", "application/json", `{"reason":"不属本部门"}`, f.login(t, "reviewer.sj", "whistle-demo")}
		},
		"changeCaseMatter": func() call {
			return call{"POST", "/v1/cases/" + trailCase(t, f, false) + "/matter", "application/json", `{"matter_code":"CG-003","reason":"重新定性"}`, leader}
		},
		"reassignCase": func() call {
			return call{"POST", "/v1/cases/" + trailCase(t, f, false) + "/reassignment", "application/json", `{"officer_code":"a-cg-04","reason":"就近"}`, leader}
		},
		"transitionCase": func() call {
			return call{"POST", "/v1/cases/" + trailCase(t, f, true) + "/transitions", "application/json", `{"to":"filed"}`, f.login(t, "officer.a", "whistle-demo")}
		},
		"createEvidenceReview": func() call {
			return call{"POST", "/v1/cases/" + trailReviewCase(t, f) + "/evidence-reviews", "application/json", `{"verdict":"accepted"}`,
				f.login(t, "reviewer.sj", "whistle-demo")}
		},
		"answerEvidenceReview": func() call {
			return call{"POST", "/v1/evidence-reviews/" + trailReturn(t, f) + "/answer", "application/json", `{"note":"已补充询问笔录照片"}`, leader}
		},
		"addCaseNote": func() call {
			return call{"POST", "/v1/cases/" + trailCase(t, f, true) + "/notes", "application/json", `{"text":"已联系反映人"}`, f.login(t, "officer.a", "whistle-demo")}
		},
		"notifyCaseParty": func() call {
			id := trailCase(t, f, true)
			ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"filed"}`, ""))
			return call{"POST", "/v1/cases/" + id + "/notifications", "application/json", `{"waived":true}`, f.login(t, "officer.a", "whistle-demo")}
		},
		"mergeCase": func() call {
			into, id := trailCase(t, f, false), trailCase(t, f, false)
			return call{"POST", "/v1/cases/" + id + "/merge", "application/json", `{"into":"` + into + `","reason":"同一问题"}`, leader}
		},
		// Archives (see archives_test.go): a concluded work order closed, then annexed; a work
		// order past its limit explained.
		"closeCaseArchive": func() call {
			return call{"POST", "/v1/cases/" + concludedCase(t, f) + "/archive", "application/json", `{"version":8}`, leader}
		},
		"addCaseAnnex": func() call {
			id := concludedCase(t, f)
			if res := closeArchive(t, f, leader, id, 8); res.Status != http.StatusCreated {
				t.Fatalf("close: %d %s", res.Status, res.Body)
			}
			return call{"POST", "/v1/cases/" + id + "/annexes", "application/json", `{"kind":"supplement","text":"补充当事人整改照片说明"}`, leader}
		},
		"explainDeadline": func() call {
			return call{"POST", "/v1/deadlines/" + lateWorkOrder(t, f) + "/explanation", "application/json", `{"reason":"反映人电话无法接通，延期答复"}`, leader}
		},
		// Review grants (see review_grants_test.go): leader.a changes the grant a work order's
		// intake opened.
		"extendReviewGrant": func() call {
			id := trailCase(t, f, false)
			return call{"POST", "/v1/cases/" + id + "/grants/" + grantOfCase(t, f, id) + "/extension", "application/json",
				`{"version":1,"until":"` + f.now().Add(60*24*time.Hour).UTC().Format(time.RFC3339) + `","reason":"复核延期"}`, leader}
		},
		"revokeReviewGrant": func() call {
			id := trailCase(t, f, false)
			return call{"POST", "/v1/cases/" + id + "/grants/" + grantOfCase(t, f, id) + "/revocation", "application/json", `{"version":1,"reason":"复核结束"}`, leader}
		},
		"setReviewGrantTerms": func() call {
			id := trailCase(t, f, false)
			return call{"POST", "/v1/cases/" + id + "/grants/" + grantOfCase(t, f, id) + "/terms", "application/json",
				`{"version":1,"download_allowed":true,"unmasked":false}`, leader}
		},
		// Officer absences (see absences_test.go): leader.a records one of a-cg-04 and withdraws it.
		"recordOfficerAbsence": func() call {
			return call{"POST", "/v1/officers/a-cg-04/absences", "application/json", absenceBody("training", f.now(), f.now().Add(8*time.Hour)), leader}
		},
		"withdrawOfficerAbsence": func() call {
			a, tag := recorded(t, recordAbsence(t, f, leader, "a-cg-04", absenceBody("leave", f.now(), f.now().Add(time.Hour))))
			trailHeaders["withdrawOfficerAbsence"] = http.Header{"If-Match": {tag}}
			return call{"POST", "/v1/officers/a-cg-04/absences/" + a.Id.String() + "/withdrawal", "", "", leader}
		},
		// Performance events (see performance_test.go): leader.a records one of a-sj-01 and withdraws it.
		"recordPerformanceEvent": func() call {
			return call{"POST", "/v1/officers/a-sj-01/performance-events", "application/json",
				perfEventBody("commendation", "positive", f.now().Add(-time.Hour), 0), leader}
		},
		"withdrawPerformanceEvent": func() call {
			e, tag := perfEvent(t, recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("complaint", "negative", f.now().Add(-time.Hour), 0)), http.StatusCreated)
			trailHeaders["withdrawPerformanceEvent"] = http.Header{"If-Match": {tag}}
			return call{"POST", "/v1/officers/a-sj-01/performance-events/" + e.Id + "/withdrawal", "application/json", `{"version":1,"reason":"误录"}`, leader}
		},
		// Whistles (see whistles_test.go): grid.a raises, officer.a reports and objects for cg, the
		// street rules, notes and closes; the community rates, grid.a records the resident's answer.
		"createWhistle": func() call {
			return call{"POST", "/v1/whistles", "application/json", whistleBody(f, "key", "patrol", "cg"), f.login(t, "grid.a", "whistle-demo")}
		},
		"reportWhistleStep": func() call {
			return call{"POST", "/v1/whistles/" + raise(t, f, whistleBody(f, "key", "patrol", "cg")).Id.String() + "/reports", "application/json",
				`{"department_code":"cg","step":"ack"}`, f.login(t, "officer.a", "whistle-demo")}
		},
		"objectToWhistle": func() call {
			return call{"POST", "/v1/whistles/" + raise(t, f, whistleBody(f, "key", "patrol", "cg")).Id.String() + "/objections", "application/json",
				`{"department_code":"cg","reasons":"非本部门职责"}`, f.login(t, "officer.a", "whistle-demo")}
		},
		"ruleOnWhistleObjection": func() call {
			id := raise(t, f, whistleBody(f, "key", "patrol", "cg")).Id.String()
			whistleOf(t, whistleAct(t, f, "officer.a", id, "objections", `{"department_code":"cg","reasons":"非本部门职责"}`), http.StatusOK)
			return call{"POST", "/v1/whistles/" + id + "/rulings", "application/json", `{"department_code":"cg","outcome":"overruled","reason":"属城管职责"}`, leader}
		},
		"addWhistleProgress": func() call {
			return call{"POST", "/v1/whistles/" + raise(t, f, whistleBody(f, "key", "patrol", "cg")).Id.String() + "/progress", "application/json",
				`{"text":"已电话督促"}`, leader}
		},
		"closeWhistle": func() call {
			return call{"POST", "/v1/whistles/" + raise(t, f, whistleBody(f, "key", "patrol", "cg")).Id.String() + "/closure", "application/json",
				`{"result":"已处置","reason":"问题已自行消除"}`, leader}
		},
		"rateWhistle": func() call {
			return call{"POST", "/v1/whistles/" + closedWhistle(t, f) + "/rating", "application/json", `{"rating":"satisfied"}`, f.login(t, "community.a1", "whistle-demo")}
		},
		"recordCaseSatisfaction": func() call {
			return call{"POST", "/v1/cases/" + concludedCase(t, f) + "/satisfaction", "application/json", `{"answer":"satisfied"}`, f.login(t, "grid.a", "whistle-demo")}
		},
		"recordWhistleSatisfaction": func() call {
			return call{"POST", "/v1/whistles/" + closedWhistle(t, f) + "/satisfaction", "application/json", `{"answer":"satisfied"}`, f.login(t, "grid.a", "whistle-demo")}
		},
		"issueNumberBlock": func() call {
			return call{"POST", "/v1/number-blocks", "application/json", `{"doc_type":"penalty_decision","count":5}`, sess.AccessToken}
		},
		"voidNumbers": func() call {
			var b openapi.NumberBlock
			f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":2}`, sess.AccessToken).JSON(t, &b)
			return call{"POST", "/v1/number-blocks/" + b.Id.String() + "/voids", "application/json", fmt.Sprintf(`{"numbers":[%d],"reason":"表单被雨水浸湿作废"}`, b.First), sess.AccessToken}
		},
		"syncPush": func() call {
			p := newPhone(t, f, "officer.a")
			r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, "JYCF-TRAIL-3")
			body, _ := json.Marshal(map[string]any{"mutations": []any{p.mutation("inspection.record@1", r.ID, r)}})
			return call{"POST", "/v1/sync/push", "application/json", string(body), p.token}
		},
	}

	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method == http.MethodGet || method == http.MethodHead {
				continue
			}
			if why, ok := notMutating[op.OperationID]; ok {
				t.Logf("%s %s (%s): not mutating: %s", method, path, op.OperationID, why)
				continue
			}
			build, ok := cases[op.OperationID]
			if !ok {
				t.Errorf("%s %s (%s) changes state but has no trail case here: add one", method, path, op.OperationID)
				continue
			}
			t.Run(op.OperationID, func(t *testing.T) {
				c := build()
				var req *http.Request
				if c.body != "" {
					req = httptest.NewRequest(c.method, encodePath(c.path), strings.NewReader(c.body))
					req.Header.Set("Content-Type", c.contentType)
				} else {
					req = httptest.NewRequest(c.method, encodePath(c.path), nil)
				}
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				for k, v := range trailHeaders[op.OperationID] {
					req.Header[k] = v
				}
				id := "trail-" + op.OperationID
				req.Header.Set(api.HeaderRequestID, id)
				res := f.client.For(t).Do(req)
				if res.Status >= 300 {
					t.Fatalf("%s failed: %d %s", op.OperationID, res.Status, res.Body)
				}
				var n int
				if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE request_id = $1`, id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					t.Fatalf("%s succeeded but left no trail entry with its request id", op.OperationID)
				}
			})
			covered++
		}
	}
	if covered != len(cases) {
		t.Errorf("%d mutating operations covered, %d cases written: a case names an operation the contract lacks", covered, len(cases))
	}
	// All of that left an intact history.
	var v openapi.AuditVerification
	f.client.Get("/v1/admin/audit/verification", admin).JSON(t, &v)
	if !v.Ok || len(v.Heads) == 0 {
		t.Fatalf("verification after the run: %+v", v)
	}
}

// trailInspection records a flagged inspection of street A online and
// returns its id and record.
func trailInspection(t *testing.T, f *fixture) (string, any) {
	t.Helper()
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, "JYCF-TRAIL-"+uuid.NewString()[:8])
	body, _ := json.Marshal(r)
	res := f.client.For(t).PostJSON("/v1/inspections", string(body), f.login(t, "officer.a", "whistle-demo"))
	if res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	r.Location.Address = "东城区南锣鼓巷 90 号"
	return r.ID, r
}

// trailCase takes a work order of street A in and, when toOfficerA, has the team leader
// reassign it to officer.a (a-cg-03); it returns the case's id.
func trailCase(t *testing.T, f *fixture, toOfficerA bool) string {
	t.Helper()
	c := intake(t, f, f.login(t, "grid.a", "whistle-demo"), workOrderBody(f, "CG-002", "comprehensive"))
	if toOfficerA {
		ok(t, caseAct(t, f, f.login(t, "leader.a", "whistle-demo"), c.Id.String(), "reassignment", `{"officer_code":"a-cg-03","reason":"片区"}`, ""))
	}
	return c.Id.String()
}

// encodePath escapes the non-ASCII of a path (certificate numbers are Chinese).
func encodePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r < 128 {
			b.WriteRune(r)
			continue
		}
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func TestAudit_QueryExportVerify(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	officer := f.login(t, "officer.a", "whistle-demo")
	f.client.PostJSON("/v1/admin/certificates/"+encodePath("京执字110101-0002")+"/status", `{"status":"revoked","reason":"left"}`, admin)

	t.Run("Query", func(t *testing.T) {
		var page openapi.AuditPage
		res := f.client.Get("/v1/admin/audit?action=certificate.status.revoked", admin)
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Entries) != 1 || page.Entries[0].EntityId != "京执字110101-0002" || page.Entries[0].BeforeDigest == nil && page.Entries[0].AfterDigest == nil {
			t.Fatalf("query by action = %d %s", res.Status, res.Body)
		}
		// Paging: pages of 2 cover every entry exactly once.
		seen := map[int64]bool{}
		after := int64(0)
		for pages := 0; ; pages++ {
			var p openapi.AuditPage
			f.client.Get(fmt.Sprintf("/v1/admin/audit?limit=2&after=%d", after), admin).JSON(t, &p)
			for _, e := range p.Entries {
				if seen[e.Id] {
					t.Fatalf("entry %d on two pages", e.Id)
				}
				seen[e.Id] = true
			}
			if p.Next == nil {
				break
			}
			after = *p.Next
		}
		var all int
		f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries`).Scan(&all)
		if len(seen) != all {
			t.Fatalf("paging saw %d of %d entries", len(seen), all)
		}
	})
	t.Run("Export", func(t *testing.T) {
		res := f.client.Get("/v1/admin/audit/export", admin)
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/x-ndjson") {
			t.Fatalf("export = %d %s", res.Status, res.Header.Get("Content-Type"))
		}
		var entries []audit.Entry
		sc := bufio.NewScanner(strings.NewReader(string(res.Body)))
		for sc.Scan() {
			var e audit.Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line is not an entry: %q", sc.Text())
			}
			entries = append(entries, e)
		}
		if len(entries) < 2 {
			t.Fatalf("export has %d lines", len(entries))
		}
		// The export alone proves its chain, without the database.
		byChain := map[string][]audit.Entry{}
		for _, e := range entries {
			byChain[e.Chain] = append(byChain[e.Chain], e)
		}
		for chain, es := range byChain {
			if brk := audit.Verify(es); brk != nil {
				t.Fatalf("exported chain %s does not verify: %+v", chain, brk)
			}
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		// As a superuser bypassing the trigger, rewrite the action of one entry.
		var id, seq int64
		if err := f.db.SQL.QueryRow(`SELECT id, seq FROM audit_entries WHERE action = 'certificate.status.revoked'`).Scan(&id, &seq); err != nil {
			t.Fatal(err)
		}
		tx, err := f.db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`SET LOCAL session_replication_role = replica`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`UPDATE audit_entries SET action = 'certificate.status.active' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var v openapi.AuditVerification
		f.client.Get("/v1/admin/audit/verification", admin).JSON(t, &v)
		if v.Ok || v.Break == nil || v.Break.Seq != seq || v.Break.Chain != audit.DistrictChain {
			t.Fatalf("verification after tampering = %+v, want a break at %s seq %d", v, audit.DistrictChain, seq)
		}
		// A broken history is never certified.
		f.client.Do(withToken(httptest.NewRequest(http.MethodPost, "/v1/admin/audit/anchors", nil), admin)).Problem(t, http.StatusConflict, "conflict")
	})
	t.Run("ErrNotAdmin", func(t *testing.T) {
		for _, path := range []string{"/v1/admin/audit", "/v1/admin/audit/export", "/v1/admin/audit/verification"} {
			f.client.Get(path, officer).Problem(t, http.StatusForbidden, "forbidden")
		}
	})
}

func TestAudit_Anchor(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", "whistle-demo")
	var anchors []openapi.AuditAnchor
	res := f.client.Do(withToken(httptest.NewRequest(http.MethodPost, "/v1/admin/audit/anchors", nil), admin))
	res.JSON(t, &anchors)
	if res.Status != http.StatusCreated || len(anchors) == 0 {
		t.Fatalf("anchor = %d %s", res.Status, res.Body)
	}
	for _, a := range anchors {
		sh := audit.SignedHead{Head: audit.Head{Chain: a.Chain, Seq: a.Seq, Hash: a.Hash, At: a.At}, PublicKey: a.PublicKey, Signature: a.Signature}
		if !sh.Verify() || !ed25519.PublicKey(a.PublicKey).Equal(trailKey.Public()) {
			t.Fatalf("anchor %s is not signed by the server key", a.Key)
		}
		if a.VersionId == "" || !strings.HasPrefix(a.Key, "audit/heads/") {
			t.Fatalf("anchor = %+v", a)
		}
	}
}

func withToken(r *http.Request, token string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}
