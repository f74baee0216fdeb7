package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// reporterPhone is the phone of the work orders' reporter: personal data, in full only for the
// case team (the officer holding the case, the first receiver, the team leader) and the grid
// operator who took the order down.
const reporterPhone = "13911112222"

// workOrderPlaces numbers the places of workOrderBody: each order is at another place, about
// 220 metres north of the one before, so that no two are duplicates.
var workOrderPlaces atomic.Int64

// workOrderBody is a 12345 work order about matter, of nature single or comprehensive, at a
// place of its own.
func workOrderBody(f *fixture, matter, nature string) string {
	n := workOrderPlaces.Add(1)
	return workOrderAt(f, matter, nature, fmt.Sprintf("东城区南锣鼓巷 %d 号", n), 39.9+float64(n)*0.002)
}

// workOrderAt is a 12345 work order about matter at address, latitude lat.
func workOrderAt(f *fixture, matter, nature, address string, lat float64) string {
	b, _ := json.Marshal(map[string]any{
		"id": uuid.NewString(), "matter_code": matter, "description": "商户占道经营，堵塞消防通道",
		"location": map[string]any{"address": address, "lat": lat, "lng": 116.4035},
		"source": map[string]any{"kind": "work_order", "channel": "12345", "work_order_number": "GD-" + uuid.NewString()[:8],
			"nature": nature, "contact": map[string]any{"name": "李小明", "phone": reporterPhone},
			"received_at": f.now().Add(-3600e9).UTC(), "time_limit": f.now().Add(7 * 24 * 3600e9).UTC(),
			"location": map[string]any{"address": "东城区南锣鼓巷 12 号"}, "description": "来电反映商户占道经营"},
	})
	return string(b)
}

// intake takes a work order in as token and returns the case.
func intake(t *testing.T, f *fixture, token, body string) openapi.Case {
	t.Helper()
	res := f.client.For(t).PostJSON("/v1/cases", body, token)
	if res.Status != http.StatusCreated {
		t.Fatalf("intake: %d %s", res.Status, res.Body)
	}
	var c openapi.Case
	res.JSON(t, &c)
	return c
}

// caseAct posts body to the case's act path as token, with If-Match when given.
func caseAct(t *testing.T, f *fixture, token, id, act, body, ifMatch string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/cases/"+id+"/"+act, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(req)
}

// ok decodes a 200 case answer.
func ok(t *testing.T, res *apitest.Response) openapi.Case {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	var c openapi.Case
	res.JSON(t, &c)
	return c
}

// addOfficerLogin gives officer code a login of role officer in the demo data.
func addOfficerLogin(t *testing.T, f *fixture, username, officer string) string {
	t.Helper()
	admin := f.login(t, "admin", demo.Password)
	body := `{"logins":[{"username":"` + username + `","display_name":"` + username + `","role":"officer","password":"` + demo.Password +
		`","officer_code":"` + officer + `","street_code":"st-a"}]}`
	if res := f.client.For(t).PostJSON("/v1/admin/imports", body, admin); res.Status >= 300 {
		t.Fatalf("import login %s: %d %s", username, res.Status, res.Body)
	}
	return f.login(t, username, demo.Password)
}

// refusal reads the refusal of a refused move.
func refusal(t *testing.T, res *apitest.Response, status int, code string) (string, []string) {
	t.Helper()
	res.Problem(t, status, code)
	var p openapi.CaseRefusalProblem
	res.JSON(t, &p)
	if p.Refusal == nil {
		t.Fatalf("no refusal in %s", res.Body)
	}
	var unmet []string
	for _, g := range deref(p.Refusal.Unmet) {
		if g.Basis == "" || g.Zh == "" || g.En == "" {
			t.Errorf("gate %s without basis or texts", g.Code)
		}
		unmet = append(unmet, g.Code)
	}
	return string(p.Refusal.Code), unmet
}

func candidateReasons(c openapi.Case) map[string]string {
	out := map[string]string{}
	for _, cd := range c.Routing.Candidates {
		out[cd.OfficerCode] = cd.Reason.Code
		if cd.Reason.Zh == "" || cd.Reason.En == "" {
			panic("a candidate reason without its texts")
		}
	}
	return out
}

// TestCases_WorkOrderToConclusion walks one 12345 work order through intake, routing with its
// reasons, an objection by the officer and by the department, a matter change, a reassignment,
// filing, a gate refusing a premature decision, and conclusion.
func TestCases_WorkOrderToConclusion(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	officer := f.login(t, "officer.a", demo.Password) // a-cg-03
	sj := addOfficerLogin(t, f, "officer.sj", "a-sj-01")
	reviewer := f.login(t, "reviewer.sj", demo.Password)

	c := intake(t, f, grid, workOrderBody(f, "SJ-002", "comprehensive"))
	t.Run("RoutedByAuthority", func(t *testing.T) {
		// sj's officers in team A: a-sj-01 holds a valid certificate, a-sj-02's expired.
		if c.Assignee.Kind != openapi.CaseReceiverKindOfficer || c.Assignee.Code != "a-sj-01" || c.FirstReceiver != c.Assignee {
			t.Fatalf("assignee %+v first %+v", c.Assignee, c.FirstReceiver)
		}
		got := candidateReasons(c)
		if got["a-sj-01"] != "CHOSEN_LEAST_LOADED" || got["a-sj-02"] != "CERT_EXPIRED" || len(got) != 2 {
			t.Fatalf("candidates %v", got)
		}
		if c.Routing.Reason.Code != "ROUTED_TO_OFFICER" || c.State != openapi.Clue || c.MatterVersion != 1 || c.DepartmentCode != "sj" {
			t.Fatalf("case %+v", c)
		}
	})
	t.Run("ErrOtherStreet", func(t *testing.T) {
		for _, who := range []string{"officer.b", "grid.b", "leader.b"} {
			f.client.For(t).Get("/v1/cases/"+c.Id.String(), f.login(t, who, demo.Password)).Problem(t, http.StatusNotFound, "not_found")
		}
	})
	t.Run("MaskedOutsideTheCaseTeam", func(t *testing.T) {
		for who, full := range map[string]bool{"officer.a": false, "officer.sj": true, "leader.a": true, "grid.a": true, "reviewer.sj": false, "admin": false} {
			res := f.client.For(t).Get("/v1/cases/"+c.Id.String(), f.login(t, who, demo.Password))
			if res.Status != http.StatusOK || strings.Contains(string(res.Body), reporterPhone) != full {
				t.Errorf("%s: %d, reporter's phone in full %v, want %v", who, res.Status, !full, full)
			}
		}
	})
	t.Run("ErrOnlyTheReceiverObjects", func(t *testing.T) {
		caseAct(t, f, officer, c.Id.String(), "objections", `{"reason":"不是我的"}`, "").Problem(t, http.StatusForbidden, "forbidden")
	})

	// The officer objects: routing again never picks him, and a-sj-02 cannot take it: the
	// department's queue. He stays the first receiver.
	c = ok(t, caseAct(t, f, sj, c.Id.String(), "objections", `{"reason":"该店铺属于市场监管所另一片区"}`, *etag(t, f, sj, c.Id.String())))
	if c.Assignee.Kind != openapi.CaseReceiverKindDepartment || c.Assignee.Code != "sj" || c.FirstReceiver.Code != "a-sj-01" ||
		c.Routing.Reason.Code != "NO_ELIGIBLE_OFFICER" || candidateReasons(c)["a-sj-01"] != "OBJECTED" {
		t.Fatalf("after the officer's objection: %+v %+v", c.Assignee, c.Routing)
	}
	if list := listCases(t, f, reviewer, "?assigned_to_me=true"); len(list) != 1 || list[0].Id != c.Id {
		t.Fatalf("the sj queue has %d cases", len(list))
	}
	// The department objects: the team leader settles it.
	c = ok(t, caseAct(t, f, reviewer, c.Id.String(), "objections", `{"reason":"占道经营属城管职责"}`, ""))
	if c.Assignee.Kind != openapi.CaseReceiverKindTeamLeader || c.Routing.Reason.Code != "DEPARTMENT_OBJECTED" {
		t.Fatalf("after the department's objection: %+v", c.Assignee)
	}
	// The team leader re-categorises it: it follows the new matter's owner (the squad).
	c = ok(t, caseAct(t, f, leader, c.Id.String(), "matter", `{"matter_code":"CG-002","reason":"占道经营"}`, ""))
	if c.MatterCode != "CG-002" || c.DepartmentCode != "cg" || c.Assignee.Kind != openapi.CaseReceiverKindOfficer ||
		!strings.HasPrefix(c.Assignee.Code, "a-cg-") || candidateReasons(c)["a-cg-05"] != "CERT_EXPIRED" {
		t.Fatalf("after the matter change: %+v %+v", c.Assignee, c.Routing)
	}
	t.Run("ErrReassignWithoutTeamLeader", func(t *testing.T) {
		caseAct(t, f, officer, c.Id.String(), "reassignment", `{"officer_code":"a-cg-03","reason":"就近"}`, "").Problem(t, http.StatusForbidden, "forbidden")
		caseAct(t, f, leader, c.Id.String(), "reassignment", `{"officer_code":"b-cg-03","reason":"就近"}`, "").Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	})
	c = ok(t, caseAct(t, f, leader, c.Id.String(), "reassignment", `{"officer_code":"a-cg-03","reason":"张伟负责南锣鼓巷片区"}`, ""))
	if c.Assignee.Code != "a-cg-03" || c.Masked {
		t.Fatalf("after the reassignment: %+v", c.Assignee)
	}
	id := c.Id.String()

	t.Run("TransitionsByRole", func(t *testing.T) {
		code, _ := refusal(t, caseAct(t, f, officer, id, "transitions", `{"to":"withdrawn","reason":"x"}`, ""), http.StatusForbidden, "forbidden")
		if code != "CASE_ROLE_NOT_PERMITTED" {
			t.Errorf("an officer withdrawing: %s", code)
		}
		code, _ = refusal(t, caseAct(t, f, officer, id, "transitions", `{"to":"decided"}`, ""), http.StatusConflict, "case_transition_refused")
		if code != "CASE_TRANSITION_NOT_ALLOWED" {
			t.Errorf("clue -> decided: %s", code)
		}
		// The grid operator sees the case (she took it in) but does not handle it.
		caseAct(t, f, grid, id, "transitions", `{"to":"filed"}`, "").Problem(t, http.StatusForbidden, "forbidden")
		caseAct(t, f, f.login(t, "officer.b", demo.Password), id, "transitions", `{"to":"filed"}`, "").Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrStaleIfMatch", func(t *testing.T) {
		caseAct(t, f, officer, id, "transitions", `{"to":"filed"}`, `"stale"`).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		caseAct(t, f, officer, id, "transitions", `{"to":"filed","base_version":1}`, "").Problem(t, http.StatusConflict, "conflict")
	})
	c = ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"filed"}`, *etag(t, f, officer, id)))
	c = ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"investigating"}`, ""))
	ok(t, caseAct(t, f, officer, id, "notes", `{"text":"已电话联系反映人"}`, ""))

	decide := `{"to":"decided","outcome":"penalty","penalty":{"fine_yuan":500}}`
	t.Run("GateRefusesAPrematureDecision", func(t *testing.T) {
		code, unmet := refusal(t, caseAct(t, f, officer, id, "transitions", decide, ""), http.StatusConflict, "case_transition_refused")
		if code != "CASE_GATES_UNMET" || !slices.Equal(unmet, []string{"RIGHTS_NOTIFIED"}) {
			t.Fatalf("refusal %s %v", code, unmet)
		}
		code, unmet = refusal(t, caseAct(t, f, officer, id, "transitions", `{"to":"decided","outcome":"penalty","penalty":{"fine_yuan":20000},"legal_review_required":true}`, ""),
			http.StatusConflict, "case_transition_refused")
		if !slices.Equal(unmet, []string{"RIGHTS_NOTIFIED", "LEGAL_REVIEW", "HEARING_OFFERED"}) {
			t.Fatalf("refusal %s %v", code, unmet)
		}
		// A refused move records nothing.
		if got := getCase(t, f, officer, id); got.Version != c.Version+1 || got.State != openapi.Investigating || got.Outcome != nil {
			t.Fatalf("after refusals: version %d state %s", got.Version, got.State)
		}
	})
	ok(t, caseAct(t, f, officer, id, "notifications", `{"note":"已送达《行政处罚事先告知书》"}`, ""))
	c = ok(t, caseAct(t, f, officer, id, "transitions", decide, ""))
	if c.State != openapi.Decided || deref(c.Outcome) != openapi.Penalty {
		t.Fatalf("decided: %+v", c)
	}
	_, unmet := refusal(t, caseAct(t, f, officer, id, "transitions", `{"to":"served"}`, ""), http.StatusConflict, "case_transition_refused")
	if !slices.Equal(unmet, []string{"SERVICE_RECORDED"}) {
		t.Fatalf("served without proof: %v", unmet)
	}
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"served","service_recorded":true}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"executed"}`, ""))
	c = ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"concluded"}`, ""))
	if c.State != openapi.Concluded {
		t.Fatalf("concluded: %s", c.State)
	}

	t.Run("History", func(t *testing.T) {
		got := getCase(t, f, leader, id)
		var kinds []string
		for _, ev := range deref(got.History) {
			kinds = append(kinds, string(ev.Kind))
		}
		want := []string{"intake", "routed", "objection", "objection", "matter_changed", "reassigned", "transition", "transition",
			"note", "notified", "transition", "transition", "transition", "transition"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("history %v\nwant    %v", kinds, want)
		}
		if h := deref(got.History); h[0].Actor != "grid.a" || h[2].Actor != "officer.sj" {
			t.Fatalf("actors %s %s", h[0].Actor, h[2].Actor)
		}
	})
	t.Run("OnTheOfficersPhone", func(t *testing.T) {
		p := newPhone(t, f, "officer.a")
		pull := p.pull(map[string]int64{})
		found := false
		for _, sp := range pull.Scopes {
			for _, ch := range sp.Changes {
				if kind, _ := ch.Discriminator(); kind == "case" {
					cc, err := ch.AsCaseChange()
					if err != nil {
						t.Fatal(err)
					}
					found = found || (cc.EntityId == id && cc.State.State == openapi.Concluded && !cc.State.Masked)
				}
			}
		}
		if !found {
			t.Fatal("the concluded case is not in officer:a-cg-03's feed")
		}
	})
}

func etag(t *testing.T, f *fixture, token, id string) *string {
	t.Helper()
	res := f.client.For(t).Get("/v1/cases/"+id, token)
	if res.Status != http.StatusOK {
		t.Fatalf("get case: %d %s", res.Status, res.Body)
	}
	tag := res.Header.Get("ETag")
	return &tag
}

func getCase(t *testing.T, f *fixture, token, id string) openapi.Case {
	t.Helper()
	return ok(t, f.client.For(t).Get("/v1/cases/"+id, token))
}

func listCases(t *testing.T, f *fixture, token, query string) []openapi.Case {
	t.Helper()
	res := f.client.For(t).Get("/v1/cases"+query, token)
	if res.Status != http.StatusOK {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	}
	var list []openapi.Case
	res.JSON(t, &list)
	return list
}

// TestCases_Dispatch: a single-nature order goes straight to the competent department; a
// listed department's matter to its queue; and with no officer of the department in the team,
// its queue as well.
func TestCases_Dispatch(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	tests := []struct {
		name, matter, nature, reason, dept string
	}{
		{"SingleNature", "SJ-002", "single", "SINGLE_NATURE_TO_DEPARTMENT", "sj"},
		{"ListedDepartment", "HB-001", "comprehensive", "LISTED_DEPARTMENT_QUEUE", "hb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := intake(t, f, grid, workOrderBody(f, tt.matter, tt.nature))
			if c.Assignee.Kind != openapi.CaseReceiverKindDepartment || c.Assignee.Code != tt.dept || c.Routing.Reason.Code != tt.reason {
				t.Fatalf("%+v %+v", c.Assignee, c.Routing.Reason)
			}
		})
	}
	t.Run("ErrIntake", func(t *testing.T) {
		f.client.For(t).PostJSON("/v1/cases", workOrderBody(f, "SJ-002", "single"), f.login(t, "officer.a", demo.Password)).
			Problem(t, http.StatusForbidden, "forbidden")
		f.client.For(t).PostJSON("/v1/cases", workOrderBody(f, "NO-SUCH", "single"), grid).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
		f.client.For(t).PostJSON("/v1/cases", `{"matter_code":"SJ-002"}`, grid).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	})
	t.Run("ListIsScoped", func(t *testing.T) {
		if n := len(listCases(t, f, grid, "")); n != 2 {
			t.Errorf("grid.a lists %d cases", n)
		}
		if n := len(listCases(t, f, f.login(t, "grid.b", demo.Password), "")); n != 0 {
			t.Errorf("grid.b lists %d cases", n)
		}
		if list := listCases(t, f, f.login(t, "reviewer.sj", demo.Password), ""); len(list) != 1 || list[0].DepartmentCode != "sj" {
			t.Errorf("reviewer.sj lists %d cases", len(list))
		}
		f.client.For(t).Get("/v1/cases", f.login(t, "community.a1", demo.Password)).Problem(t, http.StatusForbidden, "forbidden")
	})
}

// TestCases_FromInspection: the team leader opens a case from a record of the street, once.
func TestCases_FromInspection(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader := f.login(t, "leader.a", demo.Password)
	id, _ := trailInspection(t, f)
	body := `{"inspection_id":"` + id + `"}`
	f.client.For(t).PostJSON("/v1/cases", body, f.login(t, "officer.a", demo.Password)).Problem(t, http.StatusForbidden, "forbidden")
	f.client.For(t).PostJSON("/v1/cases", body, f.login(t, "leader.b", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
	c := intake(t, f, leader, body)
	if len(c.Sources) != 1 || c.Sources[0].Kind != openapi.CaseSourceKindInspection || c.Sources[0].InspectionId.String() != id ||
		c.MatterCode != "SJ-004" || c.Assignee.Code != "a-sj-01" {
		t.Fatalf("case from the record: %+v %+v", c.Sources, c.Assignee)
	}
	f.client.For(t).PostJSON("/v1/cases", body, leader).Problem(t, http.StatusConflict, "conflict")
}

// recordMatrixCases takes a work order of matter SJ-002 in, in each street, by its grid operator.
func recordMatrixCases(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	for street, grid := range map[string]string{"st-a": "grid.a", "st-b": "grid.b"} {
		e.cases[street] = intake(t, f, f.login(t, grid, demo.Password), workOrderBody(f, "SJ-002", "comprehensive")).Id.String()
	}
}

func init() {
	// The cases of the access matrix: in street A the team leader (the case team) and the grid
	// operator who took the order in see the reporter in full; the officer outside the case team,
	// the sj reviewer (sj is the competent department) and the administrator masked.
	readMatrix["/v1/cases/{id}"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["grid.a"], own["reviewer.sj"], own["admin"] = masked, visible, visible, masked, masked
		other := sameForAll(hidden)
		other["reviewer.sj"], other["admin"] = masked, masked
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, want outcome) {
			if full := strings.Contains(string(res.Body), reporterPhone); full != (want == visible) {
				t.Errorf("%s: the reporter's phone in full = %v, want %v", c.login, full, want == visible)
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"], want: own, check: check},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"], want: other, check: check},
			{name: "unknown", url: "/v1/cases/00000000-0000-4000-8000-00000000dead", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/cases"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		want := sameForAll(forbidden)
		want["officer.a"], want["leader.a"], want["grid.a"], want["reviewer.sj"], want["admin"] = masked, visible, visible, masked, masked
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, want outcome) {
			var list []openapi.Case
			res.JSON(t, &list)
			for _, k := range list {
				if c.street != "" && k.StreetCode != c.street {
					t.Errorf("%s lists a case of street %s: leak", c.login, k.StreetCode)
				}
			}
			if full := strings.Contains(string(res.Body), reporterPhone); full != (want == visible) {
				t.Errorf("%s: the reporter's phone in full = %v, want %v", c.login, full, want == visible)
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/cases", want: want, check: check},
			{name: "other", url: "/v1/cases?department=sj", want: want, check: check},
		}
	}
}

// TestCases_ApprovalOpensAClue: approving a record that needs follow-up (here a summons: the
// party comes to the team) opens its clue in the approval's transaction; a record closed on the
// spot by a simple-procedure fine opens none.
func TestCases_ApprovalOpensAClue(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader := f.login(t, "leader.a", demo.Password)
	officer := f.login(t, "officer.a", demo.Password)
	record := func(summons bool) string {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, "JYCF-CLUE-"+uuid.NewString()[:8])
		if summons {
			r.Measures = append(r.Measures, inspection.Measure{Kind: "summons", MatterCode: "SJ-004",
				Summons: &inspection.Summons{At: f.story.At("2026-11-12T09:00:00+08:00"), Place: "交道口街道综合执法队"}})
		}
		body, _ := json.Marshal(r)
		var st openapi.Inspection
		res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer)
		res.JSON(t, &st)
		if res.Status != http.StatusCreated || st.Review != openapi.InspectionReviewPending {
			t.Fatalf("record: %d review %s", res.Status, st.Review)
		}
		if res := f.client.For(t).PostJSON("/v1/inspections/"+r.ID+"/review", `{"version":1,"decision":"approve"}`, leader); res.Status != http.StatusOK {
			t.Fatalf("approve: %d %s", res.Status, res.Body)
		}
		return r.ID
	}
	summoned, fined := record(true), record(false)
	list := listCases(t, f, leader, "")
	if len(list) != 1 || list[0].Sources[0].InspectionId == nil || list[0].Sources[0].InspectionId.String() != summoned {
		t.Fatalf("cases after two approvals: %d", len(list))
	}
	c := list[0]
	if c.State != openapi.Clue || c.MatterCode != "SJ-004" || c.Assignee.Code != "a-sj-01" {
		t.Fatalf("clue %+v", c)
	}
	if h := deref(getCase(t, f, leader, c.Id.String()).History); len(h) == 0 || h[0].Actor != "leader.a" {
		t.Fatalf("history %+v", h)
	}
	// One case per record: the team leader cannot open a second one.
	f.client.For(t).PostJSON("/v1/cases", `{"inspection_id":"`+summoned+`"}`, leader).Problem(t, http.StatusConflict, "conflict")
	// The fined record may still be opened by hand.
	if c := intake(t, f, leader, `{"inspection_id":"`+fined+`"}`); c.Sources[0].InspectionId.String() != fined {
		t.Fatalf("opened by hand: %+v", c.Sources)
	}
}

// TestCases_Duplicates: the same matter at the same place within the window is offered for
// merging; merging keeps both sources and their contacts.
func TestCases_Duplicates(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	first := intake(t, f, grid, workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 5 号", 39.9400))
	// 50 metres north, the same matter: a duplicate. 300 metres: another problem.
	near := workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 7 号", 39.94045)
	res := f.client.For(t).PostJSON("/v1/cases", near, grid)
	res.Problem(t, http.StatusConflict, "case_duplicates")
	var p openapi.CaseDuplicatesProblem
	res.JSON(t, &p)
	if p.Duplicates == nil || len(*p.Duplicates) != 1 || (*p.Duplicates)[0].Id != first.Id || (*p.Duplicates)[0].DistanceM != 50 {
		t.Fatalf("duplicates %s", res.Body)
	}
	intake(t, f, grid, workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 30 号", 39.9427))
	intake(t, f, grid, workOrderAt(f, "CG-003", "comprehensive", "东城区交道口南大街 5 号", 39.9400)) // another matter
	t.Run("MergeAtIntake", func(t *testing.T) {
		var body map[string]any
		json.Unmarshal([]byte(near), &body)
		body["merge_into"] = first.Id.String()
		b, _ := json.Marshal(body)
		c := ok(t, f.client.For(t).PostJSON("/v1/cases", string(b), grid))
		if c.Id != first.Id || len(c.Sources) != 2 {
			t.Fatalf("merged at intake: %+v", c.Sources)
		}
	})
	t.Run("ConfirmNewThenMerge", func(t *testing.T) {
		var body map[string]any
		json.Unmarshal([]byte(workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 5 号", 39.9400)), &body)
		body["confirm_new"] = true
		b, _ := json.Marshal(body)
		second := intake(t, f, grid, string(b))
		caseAct(t, f, grid, second.Id.String(), "merge", `{"into":"`+first.Id.String()+`","reason":"同一问题"}`, "").Problem(t, http.StatusForbidden, "forbidden")
		c := ok(t, caseAct(t, f, leader, second.Id.String(), "merge", `{"into":"`+first.Id.String()+`","reason":"同一问题重复受理"}`, ""))
		if c.Id != first.Id || len(c.Sources) != 3 || strings.Count(string(mustJSON(t, c)), reporterPhone) != 3 {
			t.Fatalf("after the merge: %d sources", len(c.Sources))
		}
		merged := getCase(t, f, leader, second.Id.String())
		if merged.MergedInto == nil || *merged.MergedInto != first.Id {
			t.Fatalf("merged case %+v", merged.MergedInto)
		}
		// A merged case takes no more acts.
		caseAct(t, f, leader, second.Id.String(), "notes", `{"text":"x"}`, "").Problem(t, http.StatusConflict, "conflict")
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCases_OfflineActs: the officer holding a case files it, notes and notifies on the phone,
// offline; the push applies the same commands as online, with the same verdicts.
func TestCases_OfflineActs(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader := f.login(t, "leader.a", demo.Password)
	c := intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "CG-002", "comprehensive"))
	id := c.Id.String()
	ok(t, caseAct(t, f, leader, id, "reassignment", `{"officer_code":"a-cg-03","reason":"片区"}`, ""))
	p := newPhone(t, f, "officer.a")
	res := p.push(
		p.mutation("case.file@1", id, map[string]any{"to": "filed", "base_version": 2}),
		p.mutation("case.note@1", id, map[string]any{"text": "现场复查：仍在占道"}),
		p.mutation("case.file@1", id, map[string]any{"to": "filed"}),    // filed already: refused as online
		p.mutation("case.file@1", id, map[string]any{"to": "decided"}),  // not a filing
		p.mutation("case.notify@1", id, map[string]any{"note": "当场告知"}), // a filed case: the party may be told
	)
	verdicts := make([]string, len(res.Results))
	for i, r := range res.Results {
		verdicts[i] = string(r.Verdict)
		if r.Problem != nil {
			verdicts[i] += " " + r.Problem.Code
		}
	}
	want := []string{"applied", "applied", "rejected case_transition_refused", "rejected validation_failed", "applied"}
	if !slices.Equal(verdicts, want) {
		t.Fatalf("verdicts %v\nwant     %v", verdicts, want)
	}
	if st := res.Results[4].Case; st == nil || st.State != openapi.Filed || !st.Facts.RightsNotified {
		t.Fatalf("the case after the push: %+v", st)
	}
	// The same refusal online.
	_, _ = refusal(t, caseAct(t, f, f.login(t, "officer.a", demo.Password), id, "transitions", `{"to":"filed"}`, ""), http.StatusConflict, "case_transition_refused")
	// Another street's phone cannot act on the case.
	q := newPhone(t, f, "officer.b")
	if r := q.push(q.mutation("case.note@1", id, map[string]any{"text": "x"})).Results[0]; r.Verdict != "rejected" || r.Problem.Code != "not_found" {
		t.Fatalf("officer.b's note: %s %+v", r.Verdict, r.Problem)
	}
	got := getCase(t, f, leader, id)
	var kinds []string
	for _, ev := range deref(got.History) {
		kinds = append(kinds, string(ev.Kind))
	}
	if !slices.Equal(kinds, []string{"intake", "routed", "reassigned", "transition", "note", "notified"}) {
		t.Fatalf("history %v", kinds)
	}
}

// refWorldCases takes a work order in, in each street, for the reference walk (a street-B case to
// name, a street-A case to act on), and returns what only street B's case holds.
func refWorldCases(t *testing.T, w *refWorld) []string {
	t.Helper()
	var body map[string]any
	json.Unmarshal([]byte(workOrderBody(w.f, "SJ-002", "comprehensive")), &body)
	src := body["source"].(map[string]any)
	src["contact"] = map[string]any{"name": "钱某某", "phone": "13600009999"}
	src["description"] = "REFWALK-CASE-B"
	b, _ := json.Marshal(body)
	w.caseB = intake(t, w.f, w.f.login(t, "grid.b", demo.Password), string(b)).Id.String()
	w.caseA = intake(t, w.f, w.tokens["grid.a"], workOrderBody(w.f, "CG-002", "comprehensive")).Id.String()
	return []string{"13600009999", "REFWALK-CASE-B"}
}

// orderWith is a work order (workOrderBody) with key set to v.
func orderWith(f *fixture, key string, v any) string {
	var body map[string]any
	json.Unmarshal([]byte(workOrderBody(f, "SJ-002", "comprehensive")), &body)
	body[key] = v
	b, _ := json.Marshal(body)
	return string(b)
}

// caseReferences are the walk's entries of the case routes. Every act on a case names it by the
// path's id: street B's case is answered as an unknown one (404), and stays as it was.
func caseReferences(t map[refKey]refEntry) {
	caseB := func(w *refWorld) string { return w.caseB }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	matters := refEntry{class: public, why: "the matter catalogue (权责清单) is district reference data every role reads"}
	t["GET /v1/cases/{id} path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}", "id", caseB, unknownID)}
	t["GET /v1/cases/{id}/archive/bundle path:id"] = refEntry{class: scoped, probe: get("/v1/cases/{id}/archive/bundle", "id", caseB, unknownID)}
	t["GET /v1/cases query:department"] = refEntry{class: public, why: "a department code, district reference data; it only narrows the cases the caller may list"}
	t["POST /v1/cases body/matter_code"] = matters
	t["POST /v1/cases/{id}/matter body/matter_code"] = matters
	t["POST /v1/cases body/source/work_order_number"] = refEntry{class: notRef,
		why: "the number the grid center wrote on its order, recorded as given; nothing is looked up by it"}
	for _, act := range []struct{ path, body string }{
		{"transitions", `{"to":"filed"}`},
		{"reassignment", `{"officer_code":"a-cg-03","reason":"片区"}`},
		{"objections", `{"reason":"不属本人"}`},
		{"matter", `{"matter_code":"CG-003","reason":"重新定性"}`},
		{"notes", `{"text":"备注"}`},
		{"notifications", `{"note":"告知"}`},
		{"merge", `{"into":"` + uuid.NewString() + `","reason":"同一问题"}`},
		{"satisfaction", `{"answer":"satisfied"}`},
	} {
		op := "POST /v1/cases/{id}/" + act.path
		t[op+" path:id"] = refEntry{class: scoped, probe: post("/v1/cases/{id}/"+act.path, "id", act.body, caseB, unknownID)}
		if act.path != "notes" && act.path != "satisfaction" {
			t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the case the path names, compared with it as the caller sees it"}
		}
	}
	// Inputs naming another case or record: on an intake, and acting on street A's own case.
	t["POST /v1/cases body/inspection_id"] = refEntry{class: scoped,
		probe: post("/v1/cases", "", `{"inspection_id":"%s"}`, func(w *refWorld) string { return w.recB.ID }, unknownID)}
	t["POST /v1/cases body/merge_into"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(w.f.client.For(t).PostJSON("/v1/cases", orderWith(w.f, "merge_into", v), w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.caseB} }, unknown: newID}}
	t["POST /v1/cases body/id"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(w.f.client.For(t).PostJSON("/v1/cases", orderWith(w.f, "id", v), w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.caseB} }, unknown: newID,
		byDesign: "an id in use cannot be used again: 409 conflict naming only the id sent (who may not take problems in: 403)",
		want: func(t *testing.T, _ *refWorld, c refCaller, got answer) {
			want := http.StatusConflict
			if c.login == "officer.a" || c.login == "community.a1" {
				want = http.StatusForbidden
			}
			if got.status != want {
				t.Errorf("%s taking an order in under street B's case id: %s, want %d", c.login, got, want)
			}
		}}}
	t["POST /v1/cases/{id}/merge body/into"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(caseAct(t, w.f, w.tokens[c.login], w.caseA, "merge", `{"into":"`+v+`","reason":"同一问题"}`, ""))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.caseB} }, unknown: newID}}
	t["POST /v1/cases/{id}/reassignment body/officer_code"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(caseAct(t, w.f, w.tokens[c.login], w.caseA, "reassignment", `{"officer_code":"`+v+`","reason":"片区"}`, ""))
		},
		foreign: func(*refWorld, refCaller) []string { return []string{"b-cg-03"} }, unknown: func(*refWorld, refCaller) string { return "zz-nobody" }}}
}
