package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// beijing is an instant as the console shows it (the template func "at").
func beijing(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02 15:04") }

// pushReporting pushes ms from phone p with the device report report (queue
// depth, oldest unsent act, wall time), as the app does at each sync.
func pushReporting(t *testing.T, p *phone, report map[string]any, ms ...wsync.Mutation) openapi.PushResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"mutations": ms, "report": report})
	res := p.f.client.For(t).PostJSON("/v1/sync/push", string(body), p.token)
	if res.Status != http.StatusOK {
		t.Fatalf("push: %d %s", res.Status, res.Body)
	}
	var out openapi.PushResponse
	res.JSON(t, &out)
	return out
}

// teamStory is what the team pages show: officer.a's device that synced
// with two acts still queued and a clock 7 minutes fast, its record flagged
// and returned by leader.a with a reason, and a key whistle calling cg (who
// acknowledged) and sj (who objects, waiting for the street's ruling).
type teamStory struct {
	device   *phone
	returned inspection.Record
	reason   string
	whistle  openapi.Whistle
}

func newTeamStory(t *testing.T, f *fixture) teamStory {
	t.Helper()
	s := teamStory{device: newPhone(t, f, "officer.a"), reason: "补拍现场照片，写明第二检查人"}
	s.returned = streetInspection("a", f.now().Add(-3*time.Hour), "onsite_inspection", "a-cg-03", "a-sj-01", "b-cg-03")
	report := map[string]any{"queue_depth": 2, "oldest_unsent_at": f.now().Add(-40 * time.Minute).UTC(),
		"wall": f.now().Add(7 * time.Minute).UTC(), "app_version": "1.4.2"}
	if r := pushReporting(t, s.device, report, s.device.mutation(inspection.MutationRecord, s.returned.ID, s.returned)).Results[0]; resultCodes(r) != "CREW_OUTSIDE_TEAM" {
		t.Fatalf("record: %s %q", r.Verdict, resultCodes(r))
	}
	body, _ := json.Marshal(map[string]any{"version": 1, "decision": "return", "reasons": []string{s.reason}})
	if res := f.client.For(t).PostJSON("/v1/inspections/"+s.returned.ID+"/review", string(body), f.login(t, "leader.a", demo.Password)); res.Status != http.StatusOK {
		t.Fatalf("return: %d %s", res.Status, res.Body)
	}
	f.advance(2*time.Hour + 5*time.Minute)

	s.whistle = raise(t, f, whistleBody(f, "key", "patrol", "cg", "sj"))
	id := s.whistle.Id.String()
	whistleOf(t, whistleAct(t, f, "officer.a", id, "reports", `{"department_code":"cg","step":"ack"}`), http.StatusOK)
	s.whistle = whistleOf(t, whistleAct(t, f, "reviewer.sj", id, "objections", `{"department_code":"sj","reasons":"占道经营不属市场监管职责"}`), http.StatusOK)
	return s
}

// apiDevice is officer's device p as GET /v1/sync/devices shows it to token.
func apiDevice(t *testing.T, f *fixture, token string, p *phone) openapi.DeviceStatus {
	t.Helper()
	var list []openapi.DeviceStatus
	f.client.For(t).Get("/v1/sync/devices", token).JSON(t, &list)
	for _, d := range list {
		if d.DeviceId.String() == p.id {
			return d
		}
	}
	t.Fatalf("GET /v1/sync/devices does not list device %s", p.id)
	return openapi.DeviceStatus{}
}

// TestConsole_TeamJourney: leader.a's inbox shows the returned record with
// its reason and how long it waits; the devices page shows officer.a's
// device with its last sync and queue figures as GET /v1/sync/devices gives
// them, marked for its clock skew; the inbox's whistle links to the whistle
// page, which shows each department's steps; an overruling without a reason
// is refused there, and ruling on sj's objection (accepted, sy called
// instead) goes through the command of POST
// /v1/whistles/{id}/rulings: the page and GET /v1/whistles/{id} show the
// ruling (in English after the toggle), the trail has it. leader.b gets the 404 page for the whistle and
// does not see officer.a's device.
func TestConsole_TeamJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	story := newTeamStory(t, f)
	leader := f.login(t, "leader.a", demo.Password)
	wid := story.whistle.Id.String()
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")

	// The inbox: the returned record, with its reason and its wait.
	row := `#returned tr[data-id="` + story.returned.ID + `"]`
	run(t, tab, "the inbox lists the returned record", chromedp.WaitVisible(chromedp.CSS(row)))
	if got := read(t, tab, "its reasons", chromedp.Text(chromedp.CSS(row+" .reason"))); got != story.reason {
		t.Errorf("the returned record shows the reason %q, want %q", got, story.reason)
	}
	var h openapi.InspectionHistory
	f.client.For(t).Get("/v1/inspections/"+story.returned.ID+"/versions", leader).JSON(t, &h)
	if n := len(h.Reviews); n != 1 || h.Reviews[0].Decision != "return" {
		t.Fatalf("the record's reviews: %+v", h.Reviews)
	}
	if got, want := read(t, tab, "its return", chromedp.Text(chromedp.CSS(row+" .returned-at"))), beijing(h.Reviews[0].At); got != want {
		t.Errorf("the returned record shows it returned at %q, want %q", got, want)
	}
	if got := read(t, tab, "its wait", chromedp.Text(chromedp.CSS(row+" .age"))); got != "2 小时 5 分钟" {
		t.Errorf("the returned record waits %q, want 2 小时 5 分钟", got)
	}
	if href := attr(t, tab, row+" a", "href"); href != "/console/inspections/"+story.returned.ID {
		t.Errorf("the returned record links to %q", href)
	}

	// The devices page: the figures of GET /v1/sync/devices.
	dev := apiDevice(t, f, leader, story.device)
	if dev.LastPushAt == nil || dev.QueueDepth == nil || dev.OldestUnsentAt == nil || dev.ClockSkewMs == nil {
		t.Fatalf("the API's device status lacks its figures: %+v", dev)
	}
	drow := `#devices tr[data-id="` + story.device.id + `"]`
	run(t, tab, "the devices page", chromedp.Click(chromedp.CSS(`a[href="/console/devices"]`)), chromedp.WaitVisible(chromedp.CSS(drow)))
	for sel, want := range map[string][]string{
		" .last-sync": {beijing(*dev.LastPushAt), "2 小时 5 分钟前"},
		" .queue":     {strconv.Itoa(*dev.QueueDepth)},
		" .oldest":    {beijing(*dev.OldestUnsentAt), "2 小时 45 分钟前"},
		" .skew":      {"+" + (time.Duration(*dev.ClockSkewMs) * time.Millisecond).Round(time.Second).String()},
	} {
		got := read(t, tab, "device"+sel, chromedp.Text(chromedp.CSS(drow+sel)))
		for _, part := range want {
			if !strings.Contains(got, part) {
				t.Errorf("the device's%s shows %q, want %q in it", sel, got, part)
			}
		}
	}
	if !strings.HasPrefix(read(t, tab, "skew", chromedp.Text(chromedp.CSS(drow+" .skew"))), "+7m") {
		t.Errorf("the skew is not the device's 7 minutes ahead")
	}
	if cls := attr(t, tab, drow, "class"); !strings.Contains(cls, "stale") {
		t.Errorf("the device 7 minutes off is not marked: class %q", cls)
	}
	if why := attr(t, tab, drow+" .why .tag", "data-reason"); why != "team.stale.skew" {
		t.Errorf("the device is marked for %q, want its clock skew", why)
	}

	// The whistle page, from the inbox's row.
	run(t, tab, "open the whistle from the inbox",
		chromedp.Navigate(base+"/console/"),
		chromedp.Click(chromedp.CSS(`#whistles tr[data-id="`+wid+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#calls")))
	if got := read(t, tab, "the number", chromedp.Text(chromedp.CSS("#whistle-number"))); got != story.whistle.Number {
		t.Errorf("the whistle page shows number %q, want %q", got, story.whistle.Number)
	}
	steps := map[string]string{"cg ack": "done", "cg arrive": "due", "cg finish": "due", "sj ack": "due"}
	for key, want := range steps {
		code, s, _ := strings.Cut(key, " ")
		sel := `#calls tbody[data-department="` + code + `"] tr[data-step="` + s + `"]`
		if got := attr(t, tab, sel, "data-state"); got != want {
			t.Errorf("step %s shows %q, want %q", key, got, want)
		}
		due := read(t, tab, key+" due", chromedp.Text(chromedp.CSS(sel+" td:nth-of-type(2)")))
		if want := beijing(step(t, story.whistle, code, s).Due); due != want {
			t.Errorf("step %s is due %q on the page, %q in the API", key, due, want)
		}
	}

	// Overruling says why: refused without a reason, nothing ruled.
	run(t, tab, "overrule without a reason",
		chromedp.Click(chromedp.CSS(`#rule-sj .rule-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#ruling-error`)))
	if w := getWhistle(t, f, "leader.a", wid); w.Objections[0].Outcome != openapi.WhistleObjectionOutcomePending {
		t.Fatalf("the refused ruling ruled: %s", w.Objections[0].Outcome)
	}

	// The ruling: sj's objection accepted, sy called instead.
	const why = "改由食药部门处置"
	run(t, tab, "rule on sj's objection",
		chromedp.SetValue(chromedp.CSS(`#rule-sj select[name="outcome"]`), "accepted"),
		chromedp.SendKeys(chromedp.CSS(`#rule-sj input[name="departments"]`), "sy"),
		chromedp.SendKeys(chromedp.CSS(`#rule-sj textarea[name="reason"]`), why),
		chromedp.Click(chromedp.CSS(`#rule-sj .rule-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.objection[data-department="sj"][data-outcome="accepted"] .ruling`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#rule-sj`)))
	if got := read(t, tab, "the ruling", chromedp.Text(chromedp.CSS(`.objection[data-department="sj"] .ruling`))); !strings.Contains(got, why) || !strings.Contains(got, "sy") {
		t.Errorf("the page shows the ruling %q", got)
	}
	if st := attr(t, tab, `#calls tbody[data-department="sj"]`, "data-status"); st != "released" {
		t.Errorf("sj's call is %q after the accepted objection", st)
	}
	run(t, tab, "sy is called", chromedp.WaitVisible(chromedp.CSS(`#calls tbody[data-department="sy"]`)))
	run(t, tab, "the whistle in English", chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS("#calls")))
	if got := read(t, tab, "the ack in English", chromedp.Text(chromedp.CSS(`#calls tbody[data-department="cg"] tr[data-step="ack"] .step-done`))); !strings.Contains(got, "done on time") {
		t.Errorf("cg's ack in English: %q", got)
	}
	w := getWhistle(t, f, "leader.a", wid)
	if len(w.Objections) != 1 || w.Objections[0].Outcome != openapi.WhistleObjectionOutcomeAccepted || w.Objections[0].Ruling == nil ||
		deref(w.Objections[0].Ruling.Reason) != why || len(w.Calls) != 3 || w.Calls[2].DepartmentCode != "sy" {
		t.Errorf("GET /v1/whistles/{id} after the console's ruling: %+v %+v", w.Objections, w.Calls)
	}
	var entries int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries e JOIN users u ON u.id = e.actor_user_id
		WHERE e.action = 'whistle.rule' AND e.entity_id = $1 AND u.username = 'leader.a' AND e.request_id <> ''`, wid).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d trail entries whistle.rule by leader.a, want 1", entries)
	}

	// Another street's team leader: the 404 page.
	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	consoleLogin(t, tab, base, "leader.b")
	wantNotFound(t, tab, base+"/console/whistles/"+wid)
	run(t, tab, "leader.b's devices", chromedp.Navigate(base+"/console/devices"), chromedp.WaitVisible(chromedp.CSS("#devices")))
	if n := read(t, tab, "st-a's device", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-id="`+story.device.id+`"]').length`)); n != 0 {
		t.Errorf("leader.b's devices page lists officer.a's device")
	}
}

// wantNotFound opens url and wants the 404 page.
func wantNotFound(t *testing.T, tab context.Context, url string) {
	t.Helper()
	run(t, tab, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "404" {
		t.Errorf("%s shows the error page %q, want 404", url, status)
	}
}

// TestConsole_WorkOrderCase: the case page of a case taken in from a 12345
// work order shows the order's number, its receipt, its own time limit and
// the work_order deadline it opened, as GET /v1/cases/{id} gives them.
func TestConsole_WorkOrderCase(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader := f.login(t, "leader.a", demo.Password)
	wo := intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "CG-002", "comprehensive"))
	src := wo.Sources[0]
	deadline := caseDeadlineOf(getCase(t, f, leader, wo.Id.String()), "work_order")
	if deadline == nil || src.WorkOrderNumber == nil || src.TimeLimit == nil {
		t.Fatalf("the work order's case: %+v, deadline %+v", src, deadline)
	}
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	sec := `.work-order[data-number="` + *src.WorkOrderNumber + `"]`
	run(t, tab, "the work order's case", chromedp.Navigate(base+"/console/cases/"+wo.Id.String()), chromedp.WaitVisible(chromedp.CSS(sec)))
	html := read(t, tab, "the work order's section", chromedp.Evaluate[string](`document.querySelector('`+sec+`').outerHTML`))
	for sel, want := range map[string]string{
		" .wo-number":   *src.WorkOrderNumber,
		" .wo-received": beijing(src.ReceivedAt),
		" .wo-limit":    beijing(*src.TimeLimit),
		" .wo-deadline": beijing(deadline.DueAt) + " · " + string(deadline.State),
	} {
		if got := read(t, tab, "work order"+sel, chromedp.Evaluate[string](`(document.querySelector('`+sec+sel+`') || {}).textContent || ''`)); got != want {
			t.Errorf("the work order's%s shows %q, want %q (%s)", sel, got, want, html)
		}
	}
}

// TestConsole_ScreenshotsTeam writes devices.png and whistle.png (see
// TestConsole_Screenshots).
func TestConsole_ScreenshotsTeam(t *testing.T) {
	dir := screenshotDir(t)
	f := newFixture(t, options{demo: true})
	story := newTeamStory(t, f)
	newPhone(t, f, "officer.a") // a device that never synced
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	screenshot(t, tab, dir, "devices", base+"/console/devices", "#devices tr.device")
	screenshot(t, tab, dir, "whistle", base+"/console/whistles/"+story.whistle.Id.String(), "#calls")
	for _, name := range []string{"devices", "whistle"} {
		if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}
