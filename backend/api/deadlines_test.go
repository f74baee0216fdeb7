package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/openapi"
)

// seizureInspection is officer.a (a-cg-03) with a-cg-04 seizing a street stall's goods on a
// sidewalk (CG-001) at act.
func seizureInspection(act time.Time) inspection.Record {
	act = act.Truncate(time.Second)
	r := inspection.Record{
		ID: uuid.NewString(), TeamCode: "team-st-a", MatterCodes: []string{"CG-001"},
		Location:  inspection.Location{Lat: 39.9380, Lon: 116.4020, AccuracyM: 6, Address: "东城区交道口南大街 12 号门前"},
		StartedAt: inspection.DeviceTime{Wall: act, SinceBootMS: 6_000_000},
		Party:     &inspection.Party{Kind: inspection.PartyPerson, Name: "赵某"},
		Findings:  "占道经营，劝阻无效", PhoneTier: "enforcement", RecordText: "当事人占用人行道摆摊，经劝阻拒不改正，依法暂扣其经营工具。",
		Measures: []inspection.Measure{{Kind: authority.MeasureSeizure, MatterCode: "CG-001", Seizure: &inspection.Seizure{
			Items: []inspection.SeizedItem{{Name: "三轮车", Quantity: 1, Unit: "辆", Condition: "完好"}}, CustodyPlace: "交道口街道综合执法队暂扣物品库"}}},
		Signatures: inspection.Signatures{Officers: []inspection.OfficerSignature{},
			Party: &inspection.PartySignature{Refused: true}, Witness: &inspection.Witness{Name: "社区网格员"}},
		Evidence: []inspection.ExpectedEvidence{},
	}
	for _, c := range []string{"a-cg-03", "a-cg-04"} {
		r.Crew = append(r.Crew, inspection.CrewCheckIn{OfficerCode: c, CheckedInAt: act.Add(-5 * time.Minute)})
	}
	return r
}

// deadlinesOf lists the deadlines of subject as token sees them.
func deadlinesOf(t *testing.T, f *fixture, token, query string) []openapi.Deadline {
	t.Helper()
	res := f.client.For(t).Get("/v1/deadlines"+query, token)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /v1/deadlines%s: %d %s", query, res.Status, res.Body)
	}
	var list []openapi.Deadline
	res.JSON(t, &list)
	return list
}

// actOnDeadline posts a pause or resume with If-Match ifMatch ("" for none).
func actOnDeadline(t *testing.T, f *fixture, token, id, act, ifMatch, body string) *apitest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/v1/deadlines/"+id+"/"+act, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(req)
}

// TestDeadlines_SeizureOpensItsDeadline: a seizure recorded online and one pushed from a phone
// each open a 30-day seizure deadline, ending with the day the record states, listed to the
// street's officers and team leader, on the phone through sync; the team leader alone pauses and
// resumes it, with If-Match.
func TestDeadlines_SeizureOpensItsDeadline(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")
	grid := f.login(t, "grid.a", "whistle-demo")
	other := f.login(t, "officer.b", "whistle-demo")

	online := seizureInspection(f.now().Add(-2 * time.Hour))
	body, _ := json.Marshal(online)
	if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
		t.Fatalf("record online: %d %s", res.Status, res.Body)
	}
	offline := seizureInspection(f.now().Add(-time.Hour))
	offline.Measures[0].Seizure.ExtensionReason = "案情复杂，经负责人批准延长"
	if res := officer.push(officer.mutation(inspection.MutationRecord, offline.ID, offline)); len(res.Results) != 1 ||
		(res.Results[0].Verdict != "applied" && res.Results[0].Verdict != "accepted_with_exceptions") {
		t.Fatalf("push = %+v", res)
	}

	for _, rec := range []inspection.Record{online, offline} {
		list := deadlinesOf(t, f, officer.token, "?subject_kind=inspection&subject_id="+rec.ID)
		if len(list) != 1 {
			t.Fatalf("deadlines of %s: %+v, want its seizure's", rec.ID, list)
		}
		d := list[0]
		if d.Kind != "seizure" || d.State != "open" || d.OfficerCode != "a-cg-03" || d.TeamCode != "team-st-a" ||
			!strings.Contains(d.Basis.Zh, "第二十五条") || !d.StartedAt.Equal(rec.StartedAt.Wall) {
			t.Errorf("deadline of %s: %+v", rec.ID, d)
		}
		var st openapi.Inspection
		f.client.Get("/v1/inspections/"+rec.ID, leader).JSON(t, &st)
		stated := (*st.Record.Measures[0].Seizure.Deadline).UTC()
		if rec.ID == online.ID {
			// The record states the last second of the last day; the deadline ends at the
			// midnight after it.
			if !d.DueAt.Add(-time.Second).Equal(stated) || d.Period != "30d" || deref(d.Extended) {
				t.Errorf("due %s (%s), the record states %s", d.DueAt, d.Period, stated)
			}
		} else if !deref(d.Extended) || d.DueAt.Add(-time.Second).Before(stated) || d.DueAt.Before(rec.StartedAt.Wall.Add(60*24*time.Hour)) {
			// Extended: the 30 days of the extension count from the end of the first 30 (moved to
			// a working day), so never before the record's 60 days.
			t.Errorf("extended: due %s, extended %v; the record states %s", d.DueAt, deref(d.Extended), stated)
		}
	}
	if got := deadlinesOf(t, f, leader, ""); len(got) != 2 || got[0].DueAt.After(got[1].DueAt) {
		t.Fatalf("the team leader lists %d deadlines, want both, the soonest first", len(got))
	}
	if got := deadlinesOf(t, f, other, ""); len(got) != 0 {
		t.Fatalf("an officer of street B lists %d deadlines of street A", len(got))
	}
	f.client.Get("/v1/deadlines", grid).Problem(t, http.StatusForbidden, "forbidden")
	f.client.Get("/v1/deadlines?subject_kind=inspection", leader).Problem(t, http.StatusBadRequest, "bad_request")
	f.client.Get("/v1/deadlines?cursor=bm9wZQ", leader).Problem(t, http.StatusBadRequest, "bad_request")
	if got := deadlinesOf(t, f, leader, "?limit=1"); len(got) != 1 {
		t.Fatalf("a page of 1: %d", len(got))
	}

	// The officer's phone holds the deadline (entity type deadline, validated against the contract).
	d := deadlinesOf(t, f, leader, "?subject_kind=inspection&subject_id="+online.ID)[0]
	onPhone := false
	for _, sc := range officer.pull(map[string]int64{}).Scopes {
		for _, c := range sc.Changes {
			if kind, _ := c.Discriminator(); kind == "deadline" && sc.Scope == "officer:a-cg-03" {
				dc, err := c.AsDeadlineChange()
				onPhone = onPhone || (err == nil && dc.EntityId == d.Id.String() && dc.State != nil && dc.State.Kind == "seizure")
			}
		}
	}
	if !onPhone {
		t.Error("the officer's phone did not get the deadline in scope officer:a-cg-03")
	}

	// Pause: the team leader only, with the ETag as read.
	id := d.Id.String()
	get := f.client.Get("/v1/deadlines/"+id, leader)
	etag := get.Header.Get("ETag")
	if get.Status != http.StatusOK || etag == "" {
		t.Fatalf("GET deadline: %d, ETag %q", get.Status, etag)
	}
	pause := `{"version":1,"reason":"扣押物品送检，检测期间不计入"}`
	actOnDeadline(t, f, officer.token, id, "pause", "", pause).Problem(t, http.StatusForbidden, "forbidden")
	actOnDeadline(t, f, grid, id, "pause", "", pause).Problem(t, http.StatusNotFound, "not_found")
	actOnDeadline(t, f, other, id, "pause", "", pause).Problem(t, http.StatusNotFound, "not_found")
	actOnDeadline(t, f, leader, uuid.NewString(), "pause", "", pause).Problem(t, http.StatusNotFound, "not_found")
	actOnDeadline(t, f, leader, id, "pause", `"stale"`, pause).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
	actOnDeadline(t, f, leader, id, "pause", etag, `{"version":1,"reason":""}`).Problem(t, http.StatusBadRequest, "bad_request")
	res := actOnDeadline(t, f, leader, id, "pause", etag, pause)
	var paused openapi.Deadline
	res.JSON(t, &paused)
	if res.Status != http.StatusOK || paused.State != "paused" || paused.Version != 2 || len(paused.Pauses) != 1 ||
		paused.Pauses[0].Reason != "扣押物品送检，检测期间不计入" || res.Header.Get("ETag") == etag {
		t.Fatalf("pause: %d %s", res.Status, res.Body)
	}
	actOnDeadline(t, f, leader, id, "pause", "", `{"version":2,"reason":"again"}`).Problem(t, http.StatusConflict, "conflict")
	if got := deadlinesOf(t, f, leader, "?state=paused"); len(got) != 1 || got[0].Id != d.Id {
		t.Errorf("state=paused: %d", len(got))
	}
	if got := deadlinesOf(t, f, leader, "?state=open"); len(got) != 1 || got[0].Id == d.Id {
		t.Errorf("state=open lists %d (the paused one must not be among them)", len(got))
	}

	// Resume: at a stale version refused; then running again, its due instant pushed back.
	actOnDeadline(t, f, leader, id, "resume", "", `{"version":1,"reason":"检测完毕"}`).Problem(t, http.StatusConflict, "conflict")
	res = actOnDeadline(t, f, leader, id, "resume", res.Header.Get("ETag"), `{"version":2,"reason":"检测完毕"}`)
	var resumed openapi.Deadline
	res.JSON(t, &resumed)
	if res.Status != http.StatusOK || resumed.State != "open" || resumed.Version != 3 || resumed.DueAt.Before(d.DueAt) ||
		resumed.Pauses[0].To == nil || deref(resumed.Pauses[0].EndReason) != "检测完毕" {
		t.Fatalf("resume: %d %s", res.Status, res.Body)
	}
	actOnDeadline(t, f, leader, id, "resume", "", `{"version":3,"reason":"x"}`).Problem(t, http.StatusConflict, "conflict")
}

// TestDeadlines_LateSeizureEscalates: a seizure pushed after its deadline passed (a phone
// offline for weeks) opens a deadline already due: its job runs at once, marks it overdue and
// escalates it; it is listed as overdue and counted by whistle_deadlines_overdue.
func TestDeadlines_LateSeizureEscalates(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")
	rec := seizureInspection(f.now().Add(-45 * 24 * time.Hour))
	body, _ := json.Marshal(rec)
	if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	if got := deadlinesOf(t, f, leader, "?state=overdue"); len(got) != 1 || got[0].EscalatedAt != nil {
		t.Fatalf("before its job ran: %+v, want it due and not escalated yet", got)
	}
	f.workJobs(t)
	got := deadlinesOf(t, f, leader, "?state=overdue")
	if len(got) != 1 || got[0].State != "overdue" || got[0].EscalatedAt == nil {
		t.Fatalf("after its job ran: %+v, want it overdue and escalated", got)
	}
	if len(deadlinesOf(t, f, leader, "?state=open")) != 0 || len(deadlinesOf(t, f, leader, "?state=due_soon")) != 0 {
		t.Error("an overdue deadline is listed as open or due soon")
	}
	// Escalated to the team leader: the trail has it, and the leader's phone scope.
	var page openapi.AuditPage
	f.client.Get("/v1/admin/audit?chain=st-a&action=deadline.escalate", f.login(t, "admin", "whistle-demo")).JSON(t, &page)
	if len(page.Entries) != 1 || page.Entries[0].EntityId != got[0].Id.String() {
		t.Errorf("trail of the escalation: %+v", page.Entries)
	}
	leaderPhone := newPhone(t, f, "leader.a")
	escalated := false
	for _, sc := range leaderPhone.pull(map[string]int64{}).Scopes {
		for _, c := range sc.Changes {
			if dc, err := c.AsDeadlineChange(); err == nil && dc.EntityType == "deadline" && dc.State != nil && dc.State.State == "overdue" {
				escalated = escalated || (sc.Scope == "officer:a-cg-01" && dc.State.EscalatedTo != nil && (*dc.State.EscalatedTo)[0] == "a-cg-01")
			}
		}
	}
	if !escalated {
		t.Error("the team leader's phone did not get the escalated deadline in scope officer:a-cg-01")
	}
	res := f.client.Get("/metrics", "")
	if !strings.Contains(string(res.Body), "\nwhistle_deadlines_overdue 1\n") {
		t.Errorf("metrics lack whistle_deadlines_overdue 1")
	}
}

// openDeadline opens a work order's 5-working-day deadline in street's team from now, answered
// for by officer, through the store (as the cases will), and returns its id.
func openDeadline(t *testing.T, f *fixture, street, team, officer string) string {
	t.Helper()
	return openWorkOrder(t, f, street, team, officer, "12345-"+uuid.NewString()[:8], f.now())
}

// openDeadlineAt opens a work order's deadline of street A from start.
func openDeadlineAt(t *testing.T, f *fixture, start time.Time) string {
	t.Helper()
	return openWorkOrder(t, f, "st-a", "team-st-a", "a-cg-03", "12345-"+uuid.NewString()[:8], start)
}

// openWorkOrder opens the 5-working-day deadline of work order number in street's team from
// start, answered for by officer, through the store (as the cases will), and returns its id.
func openWorkOrder(t *testing.T, f *fixture, street, team, officer, number string, start time.Time) string {
	t.Helper()
	d, err := casework.DefaultDeadlinePolicy().Open(casework.DeadlineOpening{StreetCode: street, TeamCode: team,
		Subject: casework.DeadlineSubject{Kind: "work_order", ID: number}, Kind: casework.DeadlineWorkOrder,
		Start: start, Officer: officer, Limit: casework.Period{N: 5, Unit: casework.UnitWorkingDays}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.NewDeadlineStore(f.db).Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return st.Deadline.ID
}

// recordMatrixDeadlines opens one deadline in each street for the access matrix.
func recordMatrixDeadlines(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	e.deadline = map[string]string{
		"st-a": openDeadline(t, f, "st-a", "team-st-a", "a-cg-03"),
		"st-b": openDeadline(t, f, "st-b", "team-st-b", "b-cg-03"),
	}
}

// deadlineMatrix: officers and the team leader see their street's deadlines, administrators
// all; the other roles list none (403) and find none (404).
func deadlineMatrix(_ *testing.T, e *matrixEnv, list bool) []matrixObject {
	check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
		var got []openapi.Deadline
		if list {
			res.JSON(t, &got)
		} else {
			var d openapi.Deadline
			res.JSON(t, &d)
			got = append(got, d)
		}
		for _, d := range got {
			if c.role != openapi.RoleAdmin && d.StreetCode != c.street {
				t.Errorf("%s sees a deadline of street %s: leak", c.login, d.StreetCode)
			}
		}
	}
	if list {
		want := sameForAll(forbidden)
		want["officer.a"], want["leader.a"], want["admin"] = visible, visible, visible
		return []matrixObject{
			{name: "own", url: "/v1/deadlines", want: want, check: check},
			{name: "other", url: "/v1/deadlines?subject_kind=work_order&subject_id=none", want: want, check: check},
		}
	}
	own, other := sameForAll(hidden), sameForAll(hidden)
	own["officer.a"], own["leader.a"], own["admin"], other["admin"] = visible, visible, visible, visible
	return []matrixObject{
		{name: "own", url: "/v1/deadlines/" + e.deadline["st-a"], want: own, check: check},
		{name: "other", url: "/v1/deadlines/" + e.deadline["st-b"], want: other, check: check},
		{name: "unknown", url: "/v1/deadlines/" + uuid.NewString(), want: sameForAll(hidden)},
	}
}

// trailDeadline is a deadline of street A for the trail test, paused by the team leader if paused.
func trailDeadline(t *testing.T, f *fixture, leader string, paused bool) string {
	t.Helper()
	id := openDeadline(t, f, "st-a", "team-st-a", "a-cg-03")
	if paused {
		if res := actOnDeadline(t, f, leader, id, "pause", "", `{"version":1,"reason":"工单中止"}`); res.Status != http.StatusOK {
			t.Fatalf("pause: %d %s", res.Status, res.Body)
		}
	}
	return id
}

// TestDeadlines_UrgentSeizureReportedByApproval: a seizure taken on the spot in an emergency
// opens, besides its 30 days, the 24-hour report to the head of the agency (强制法 art. 19); the
// team leader's approval of the record is that report and meets it, in the approval's
// transaction, leaving the seizure's own period running.
func TestDeadlines_UrgentSeizureReportedByApproval(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	leader := f.login(t, "leader.a", "whistle-demo")
	rec := seizureInspection(f.now().Add(-3 * time.Hour))
	rec.Measures[0].Seizure.Urgent = true
	body, _ := json.Marshal(rec)
	if res := f.client.PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record online: %d %s", res.Status, res.Body)
	}
	kinds := func() map[string]openapi.Deadline {
		out := map[string]openapi.Deadline{}
		for _, d := range deadlinesOf(t, f, leader, "?subject_kind=inspection&subject_id="+rec.ID) {
			out[string(d.Kind)] = d
		}
		return out
	}
	got := kinds()
	report, ok := got["emergency_report"]
	if len(got) != 2 || !ok || got["seizure"].State != "open" {
		t.Fatalf("deadlines of an urgent seizure: %+v", got)
	}
	if report.State != "open" || report.Period != "24h" || !report.DueAt.Equal(rec.StartedAt.Wall.Add(24*time.Hour)) ||
		!strings.Contains(report.Basis.Zh, "第十九条") || report.OfficerCode != "a-cg-03" {
		t.Fatalf("the emergency report: %+v", report)
	}
	var st openapi.Inspection
	f.client.PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":1,"decision":"approve"}`, leader).JSON(t, &st)
	if st.Review != "approved" {
		t.Fatalf("approval: %s", st.Review)
	}
	got = kinds()
	if got["emergency_report"].State != "met" || got["seizure"].State != "open" {
		t.Fatalf("after the approval: report %s, seizure %s; want met, open", got["emergency_report"].State, got["seizure"].State)
	}
}
