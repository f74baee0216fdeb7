package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// caseDeadlineOf is the case's deadline of kind in its GET, nil if none.
func caseDeadlineOf(c openapi.Case, kind string) *openapi.Deadline {
	for _, d := range deref(c.Deadlines) {
		if string(d.Kind) == kind {
			return &d
		}
	}
	return nil
}

// TestCases_WorkOrderPastItsLimitEscalates: a 12345 work order taken in after the limit written
// on it passed opens its work_order deadline already due; the team leader hands the case to
// officer.a, and the deadline follows; River's job (on the injected clock) marks it overdue and
// escalates it: the trail has deadline.escalate, and the phones get it in officer:a-cg-03 and
// team:team-st-a. The case's GET shows its deadlines (not to the grid operator); filing opens the
// decision period, and a withdrawal meets every deadline.
func TestCases_WorkOrderPastItsLimitEscalates(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	officer := f.login(t, "officer.a", demo.Password) // a-cg-03
	now := f.now()
	b, _ := json.Marshal(map[string]any{
		"id": uuid.NewString(), "matter_code": "CG-002", "description": "商户占道经营，堵塞消防通道",
		"location": map[string]any{"address": "东城区南锣鼓巷 3 号", "lat": 39.95, "lng": 116.4035},
		"source": map[string]any{"kind": "work_order", "channel": "12345", "work_order_number": "GD-" + uuid.NewString()[:8],
			"nature": "comprehensive", "received_at": now.Add(-50 * time.Hour).UTC(), "time_limit": now.Add(-2 * time.Hour).UTC(),
			"location": map[string]any{"address": "东城区南锣鼓巷 3 号"}, "description": "来电反映商户占道经营"},
	})
	c := intake(t, f, grid, string(b))
	id := c.Id.String()
	c = ok(t, caseAct(t, f, leader, id, "reassignment", `{"officer_code":"a-cg-03","reason":"张伟负责南锣鼓巷片区"}`, ""))

	got := getCase(t, f, leader, id)
	wo := caseDeadlineOf(got, "work_order")
	if wo == nil || len(deref(got.Deadlines)) != 1 {
		t.Fatalf("deadlines of the case: %+v", got.Deadlines)
	}
	if wo.State != "overdue" || wo.EscalatedAt != nil || wo.OfficerCode != "a-cg-03" || wo.Subject.Kind != "case" ||
		wo.Subject.Id != id || !wo.DueAt.Equal(now.Add(-2*time.Hour).Truncate(time.Microsecond)) || wo.Period != "172800s" || !strings.Contains(wo.Basis.Zh, "接诉即办") {
		t.Fatalf("before its job ran: %+v", wo)
	}
	if g := getCase(t, f, grid, id); g.Deadlines != nil {
		t.Errorf("the grid operator sees the case's deadlines: %+v", g.Deadlines)
	}

	f.workJobs(t)
	wo = caseDeadlineOf(getCase(t, f, leader, id), "work_order")
	if wo == nil || wo.State != "overdue" || wo.EscalatedAt == nil {
		t.Fatalf("after its job ran: %+v", wo)
	}
	var page openapi.AuditPage
	f.client.Get("/v1/admin/audit?chain=st-a&action=deadline.escalate", f.login(t, "admin", demo.Password)).JSON(t, &page)
	if len(page.Entries) != 1 || page.Entries[0].EntityId != wo.Id.String() {
		t.Errorf("trail of the escalation: %+v", page.Entries)
	}
	scopes := map[string]bool{}
	for _, sc := range newPhone(t, f, "officer.a").pull(map[string]int64{}).Scopes {
		for _, ch := range sc.Changes {
			if dc, err := ch.AsDeadlineChange(); err == nil && dc.EntityType == "deadline" && dc.EntityId == wo.Id.String() &&
				dc.State != nil && dc.State.State == "overdue" && dc.State.EscalatedAt != nil {
				scopes[sc.Scope] = true
			}
		}
	}
	if !scopes["officer:a-cg-03"] || !scopes["team:team-st-a"] {
		t.Errorf("the escalated deadline reached the scopes %v, want officer:a-cg-03 and team:team-st-a", scopes)
	}

	// Filing opens the decision period; a withdrawal meets every deadline, the escalated one too.
	c = ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"filed"}`, ""))
	dec := caseDeadlineOf(getCase(t, f, officer, id), "decision")
	if dec == nil || dec.State != "open" || dec.Period != "90d" || !dec.StartedAt.Equal(c.UpdatedAt) || !strings.Contains(dec.Basis.Zh, "第六十条") {
		t.Fatalf("decision deadline after filing: %+v", dec)
	}
	// Its escalation job is scheduled 90 days ahead: working the jobs now leaves it waiting.
	f.workJobs(t)
	if d := caseDeadlineOf(getCase(t, f, officer, id), "decision"); d.State != "open" || d.EscalatedAt != nil {
		t.Fatalf("the decision deadline after working the due jobs: %+v", d)
	}
	ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"withdrawn","reason":"经核实已自行整改"}`, ""))
	for _, d := range deref(getCase(t, f, leader, id).Deadlines) {
		if d.State != "met" {
			t.Errorf("after the withdrawal the %s deadline is %s", d.Kind, d.State)
		}
	}
	if res := f.client.Get("/v1/deadlines?subject_kind=case&subject_id="+id, leader); res.Status != http.StatusOK {
		t.Errorf("the case's deadlines by subject: %d", res.Status)
	}
}

// TestCases_SeizureResolvedMeetsItsDeadline: approving a record with a seizure opens its clue;
// recording the seizure resolved on the case's move meets the record's seizure deadline.
func TestCases_SeizureResolvedMeetsItsDeadline(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	rec := seizureInspection(f.now().Add(-time.Hour))
	body, _ := json.Marshal(rec)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	if res := f.client.For(t).PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":1,"decision":"approve"}`, leader); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Body)
	}
	seizure := "?subject_kind=inspection&subject_id=" + rec.ID
	if got := deadlinesOf(t, f, leader, seizure); len(got) != 1 || got[0].Kind != "seizure" || got[0].State != "open" {
		t.Fatalf("seizure deadline before: %+v", got)
	}
	list := listCases(t, f, leader, "")
	if len(list) != 1 || !list[0].Facts.SeizureUnresolved {
		t.Fatalf("the approval opened %d cases", len(list))
	}
	id := list[0].Id.String()
	// Not resolved yet: a move without the fact leaves the seizure running.
	ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"filed"}`, ""))
	if got := deadlinesOf(t, f, leader, seizure); got[0].State != "open" {
		t.Fatalf("filing met the seizure deadline: %s", got[0].State)
	}
	ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"withdrawn","reason":"物品已发还","seizure_resolved":true}`, ""))
	if got := deadlinesOf(t, f, leader, seizure); got[0].State != "met" {
		t.Errorf("the seizure resolved left its deadline %s", got[0].State)
	}
}
