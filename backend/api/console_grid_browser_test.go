package api_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// fillIntake types a 12345 work order of matter CG-002 (occupying the
// road) into the console's intake form: its number, address and latitude
// (longitude 116.4035, as workOrderAt's).
func fillIntake(t *testing.T, tab context.Context, base, number, address, lat string) {
	t.Helper()
	run(t, tab, "fill the intake form "+number,
		chromedp.Navigate(base+"/console/intake"),
		chromedp.WaitVisible(chromedp.CSS("#intake")),
		chromedp.SetValue(chromedp.CSS("#matter"), "CG-002"),
		chromedp.SendKeys(chromedp.CSS("#work-order-number"), number),
		chromedp.SendKeys(chromedp.CSS("#address"), address),
		chromedp.SendKeys(chromedp.CSS("#lat"), lat),
		chromedp.SendKeys(chromedp.CSS("#lng"), "116.4035"),
		chromedp.SendKeys(chromedp.CSS("#description"), "商户占道经营，堵塞消防通道"),
		chromedp.SendKeys(chromedp.CSS("#contact-name"), "李小明"),
		chromedp.SendKeys(chromedp.CSS("#contact-phone"), reporterPhone))
}

// trailEntries counts the trail entries action on entity id by username,
// each with the request's id.
func trailEntries(t *testing.T, f *fixture, action, id, username string) int {
	t.Helper()
	var n int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries e JOIN users u ON u.id = e.actor_user_id
		WHERE e.action = $1 AND e.entity_id = $2 AND u.username = $3 AND e.request_id <> ''`, action, id, username).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsole_GridJourney: grid.a logs in onto the whistle board; a work
// order typed with a bad latitude comes back with the error and the values
// kept; fixed, it looks like grid.a's open case 50 m away, which the
// suggestion lists before anything is saved; merged into it, the API's case
// has the order as a second source. A second order near it, confirmed as a
// new problem, is routed (the page shows the department and the officer, as
// GET /v1/cases/{id} does, and the trail has the intake by grid.a); the
// whistle raised for it from the dispatch page is on the board with a
// countdown that ticks; grid.a logs out, and grid.b finds the case's pages
// not found.
func TestConsole_GridJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	open := intake(t, f, grid, workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 5 号", 39.9400))
	openID := open.Id.String()
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "grid.a")
	run(t, tab, "grid.a lands on the board", chromedp.WaitVisible(chromedp.CSS("#board")))
	if loc := read(t, tab, "the landing page", chromedp.Location()); !strings.HasSuffix(loc, "/console/whistles") {
		t.Errorf("grid.a lands on %s", loc)
	}

	// 50 metres north of the open case, the same matter.
	fillIntake(t, tab, base, "GD-MERGE-1", "东城区交道口南大街 7 号", "北纬39.94045")
	run(t, tab, "a bad latitude", chromedp.Click(chromedp.CSS("#intake-submit")), chromedp.WaitVisible(chromedp.CSS("#intake-error")))
	if field := attr(t, tab, "#intake-error", "data-field"); field != "/location/lat" {
		t.Errorf("the error names %q", field)
	}
	if kept := read(t, tab, "the address kept", chromedp.Value(chromedp.CSS("#address"))); kept != "东城区交道口南大街 7 号" {
		t.Errorf("the form comes back with the address %q", kept)
	}
	if kept := read(t, tab, "the matter kept", chromedp.Value(chromedp.CSS("#matter"))); kept != "CG-002" {
		t.Errorf("the form comes back with the matter %q", kept)
	}
	run(t, tab, "the suggestion before saving",
		chromedp.Clear(chromedp.CSS("#lat")),
		chromedp.SendKeys(chromedp.CSS("#lat"), "39.94045"),
		chromedp.Click(chromedp.CSS("#intake-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#duplicates tr[data-id="`+openID+`"]`)))
	if d := read(t, tab, "the distance", chromedp.Text(chromedp.CSS(`#duplicates tr[data-id="`+openID+`"] .distance`))); d != "50 m" {
		t.Errorf("the suggestion shows the distance %q", d)
	}
	if href := attr(t, tab, `#duplicates tr[data-id="`+openID+`"] a`, "href"); href != "/console/cases/"+openID {
		t.Errorf("the duplicate links to %q", href)
	}
	if n := len(listCases(t, f, grid, "")); n != 1 {
		t.Fatalf("the suggestion saved something: grid.a lists %d cases", n)
	}
	run(t, tab, "merge into the open case",
		chromedp.Click(chromedp.CSS(`#duplicates tr[data-id="`+openID+`"] button.merge`)),
		chromedp.WaitVisible(chromedp.CSS(`#merged`)),
		chromedp.WaitVisible(chromedp.CSS(`#sources li[data-number="GD-MERGE-1"]`)))
	merged := getCase(t, f, grid, openID)
	if len(merged.Sources) != 2 || deref(merged.Sources[1].WorkOrderNumber) != "GD-MERGE-1" {
		t.Errorf("after the merge the API shows the case with the sources %+v", merged.Sources)
	}
	if n := trailEntries(t, f, "case.merge.source", openID, "grid.a"); n != 1 {
		t.Errorf("%d trail entries case.merge.source by grid.a, want 1", n)
	}

	// 11 metres from it: suggested again, confirmed as a new problem.
	fillIntake(t, tab, base, "GD-NEW-1", "东城区交道口南大街 9 号", "39.9401")
	run(t, tab, "a new problem",
		chromedp.Click(chromedp.CSS("#intake-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#duplicates tr[data-id="`+openID+`"]`)),
		chromedp.Click(chromedp.CSS("#confirm-new")),
		chromedp.WaitVisible(chromedp.CSS("#dispatch")))
	id := attr(t, tab, "#dispatch", "data-id")
	c := getCase(t, f, grid, id)
	to := read(t, tab, "routed to", chromedp.Text(chromedp.CSS("#routed-to")))
	dept := attr(t, tab, "#routed-department", "data-code")
	if c.Assignee.Kind != openapi.CaseReceiverKindOfficer || to != c.Assignee.Code || dept != c.DepartmentCode || dept != "cg" {
		t.Errorf("the page shows %q of %q, the API %s %s of %s", to, dept, c.Assignee.Kind, c.Assignee.Code, c.DepartmentCode)
	}
	if reason := read(t, tab, "the reason", chromedp.Text(chromedp.CSS("#routed-reason"))); c.Routing == nil || !strings.Contains(reason, c.Routing.Reason.Code) {
		t.Errorf("the page gives the reason %q", reason)
	}
	if len(c.Sources) != 1 || deref(c.Sources[0].WorkOrderNumber) != "GD-NEW-1" || id == openID {
		t.Errorf("the new case %s has the sources %+v", id, c.Sources)
	}
	if n := trailEntries(t, f, "case.intake", id, "grid.a"); n != 1 {
		t.Errorf("%d trail entries case.intake by grid.a, want 1", n)
	}

	// Dispatch: the whistle for the case, filed with the district first.
	run(t, tab, "a whistle without its filing",
		chromedp.SetValue(chromedp.CSS("#whistle-type"), "emergency"),
		chromedp.Click(chromedp.CSS("#raise-submit")),
		chromedp.WaitVisible(chromedp.CSS("#raise-error")))
	if field := attr(t, tab, "#raise-error", "data-field"); field != "/filing/filed_by" {
		t.Errorf("the whistle form's error names %q", field)
	}
	if kept := read(t, tab, "the type kept", chromedp.Value(chromedp.CSS("#whistle-type"))); kept != "emergency" {
		t.Errorf("the whistle form comes back with the type %q", kept)
	}
	run(t, tab, "raise a whistle for the case",
		chromedp.SendKeys(chromedp.CSS("#filed-by"), "区网格中心 周敏"),
		chromedp.SendKeys(chromedp.CSS("#filing-reference"), "DC-WG-0101"),
		chromedp.Click(chromedp.CSS("#raise-submit")),
		chromedp.WaitVisible(chromedp.CSS("#board tr.whistle")))
	loc := read(t, tab, "the board's address", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(u.Fragment, "w-") {
		t.Fatalf("the raise went to %s", loc)
	}
	wid := strings.TrimPrefix(u.Fragment, "w-")
	var w openapi.Whistle
	f.client.For(t).Get("/v1/whistles/"+wid, grid).JSON(t, &w)
	if w.CaseId == nil || w.CaseId.String() != id || w.Type != "emergency" || w.Filing.Reference != "DC-WG-0101" {
		t.Errorf("the API shows the whistle raised with case %v, type %s, filing %+v", w.CaseId, w.Type, w.Filing)
	}
	if n := trailEntries(t, f, "whistle.raise", wid, "grid.a"); n != 1 {
		t.Errorf("%d trail entries whistle.raise by grid.a, want 1", n)
	}
	row := `#board tr[data-id="` + wid + `"]`
	if href := attr(t, tab, row+" a", "href"); href != "/console/whistles/"+wid {
		t.Errorf("the row links to %q", href)
	}
	if steps := read(t, tab, "the steps", chromedp.Evaluate[int](`document.querySelectorAll('`+row+` .call[data-department="cg"] .step').length`)); steps != 3 {
		t.Errorf("the board shows %d steps of cg", steps)
	}
	before := read(t, tab, "the countdown", chromedp.Text(chromedp.CSS(row+" .countdown")))
	run(t, tab, "wait", chromedp.Sleep(2200*time.Millisecond))
	after := read(t, tab, "the countdown later", chromedp.Text(chromedp.CSS(row+" .countdown")))
	if before == after || !strings.HasPrefix(before, "00:") || !strings.HasPrefix(after, "00:") {
		t.Errorf("the emergency whistle's countdown reads %q, then %q 2 s later", before, after)
	}

	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	consoleLogin(t, tab, base, "grid.b")
	for _, page := range []string{"/console/cases/" + id, "/console/intake/" + id} {
		run(t, tab, "st-a's case for grid.b", chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.CSS("#error")))
		if status := attr(t, tab, "#error", "data-status"); status != "404" {
			t.Errorf("%s shows grid.b the error page %q, want 404", page, status)
		}
	}
	run(t, tab, "grid.b's board", chromedp.Navigate(base+"/console/whistles"), chromedp.WaitVisible(chromedp.CSS("#board")))
	if n := read(t, tab, "st-a's whistle on grid.b's board", chromedp.Evaluate[int](`document.querySelectorAll('tr.whistle').length`)); n != 0 {
		t.Errorf("grid.b's board lists %d whistles of st-a", n)
	}
}

// TestConsole_ScreenshotsGrid writes the grid operator's pages: the intake
// form with the duplicate suggestion (intake.png), a case's dispatch page
// (intake-case.png) and the whistle board with an emergency whistle, one of
// its steps reported, and a regular one (whistle-board.png).
func TestConsole_ScreenshotsGrid(t *testing.T) {
	dir := screenshotDir(t)
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	open := intake(t, f, grid, workOrderAt(f, "CG-002", "comprehensive", "东城区交道口南大街 5 号", 39.9400)).Id.String()
	emergency := raise(t, f, whistleBody(f, "emergency", "grid_worker", "cg", "sj"))
	whistleOf(t, whistleAct(t, f, "officer.a", emergency.Id.String(), "reports", `{"department_code":"cg","step":"ack"}`), http.StatusOK)
	raise(t, f, whistleBody(f, "regular", "hotline", "hb"))
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "grid.a")

	fillIntake(t, tab, base, "GD-SHOT-1", "东城区交道口南大街 7 号", "39.94045")
	run(t, tab, "the suggestion", chromedp.Click(chromedp.CSS("#intake-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#duplicates tr[data-id="`+open+`"]`)))
	png := read(t, tab, "screenshot intake", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, "intake.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, tab, "a new problem", chromedp.Click(chromedp.CSS("#confirm-new")), chromedp.WaitVisible(chromedp.CSS("#dispatch")))
	screenshot(t, tab, dir, "intake-case", base+"/console/intake/"+attr(t, tab, "#dispatch", "data-id"), "#raise-form")
	screenshot(t, tab, dir, "whistle-board", base+"/console/whistles", "#board tr.whistle .countdown")
	for _, name := range []string{"intake", "intake-case", "whistle-board"} {
		if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}
