package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// unsignedSeizureCase is a filed case of street A opened by leader.a from
// officer.a's seizure record that no witness signed (its archive misses
// onsite_signed until the record is corrected).
func unsignedSeizureCase(t *testing.T, f *fixture) (inspection.Record, string) {
	t.Helper()
	rec := seizureInspection(f.now().Add(-time.Hour))
	rec.Signatures.Witness = nil // refused, and no witness signed
	body, _ := json.Marshal(rec)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), f.login(t, "officer.a", demo.Password)); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	leader := f.login(t, "leader.a", demo.Password)
	id := intake(t, f, leader, `{"inspection_id":"`+rec.ID+`"}`).Id.String()
	ok(t, caseAct(t, f, leader, id, "transitions", `{"to":"filed"}`, ""))
	return rec, id
}

// concludeSeizure takes case id, assigned to officer.a, from filed to
// concluded with a no-penalty decision served and the seizure resolved.
func concludeSeizure(t *testing.T, f *fixture, id string) {
	t.Helper()
	officer := f.login(t, "officer.a", demo.Password)
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"investigating"}`, ""))
	ok(t, caseAct(t, f, officer, id, "notifications", `{"note":"已告知"}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"decided","outcome":"no_penalty"}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"served","service_recorded":true}`, ""))
	ok(t, caseAct(t, f, officer, id, "transitions", `{"to":"concluded","seizure_resolved":true}`, ""))
}

// TestConsole_CaseArchiveJourney: leader.a reassigns a filed seizure case
// on its page; once its officer concluded it, the page shows the timeline
// and the archive page names the unsigned record, linked to its console
// page; the closing is refused, and after the correction is approved the
// closing gives the archive number (the one GET /v1/cases/{id}/archive
// shows); leader.b sees the 404 page for the case; leader.a logs out.
func TestConsole_CaseArchiveJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", demo.Password)
	leader := f.login(t, "leader.a", demo.Password)
	rec, id := unsignedSeizureCase(t, f)
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")

	run(t, tab, "reassign on the case page",
		chromedp.Navigate(base+"/console/cases/"+id),
		chromedp.WaitVisible(chromedp.CSS("#routing")),
		chromedp.SendKeys(chromedp.CSS("#officer-code"), "a-cg-03"),
		chromedp.SendKeys(chromedp.CSS("#reassign-reason"), "现场检查人"),
		chromedp.Click(chromedp.CSS("#reassign-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#timeline li[data-kind="reassigned"]`)))
	if got := getCase(t, f, leader, id); got.Assignee.Code != "a-cg-03" {
		t.Fatalf("after the console's reassignment the API shows the case with %s", got.Assignee.Code)
	}
	if reason := read(t, tab, "the routing", chromedp.Text(chromedp.CSS("#routing"))); !strings.Contains(reason, "REASSIGNED_BY_TEAM_LEADER") {
		t.Errorf("the routing does not say the team leader reassigned: %q", reason)
	}

	concludeSeizure(t, f, id)

	run(t, tab, "the concluded case's timeline",
		chromedp.Navigate(base+"/console/cases/"+id),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
		chromedp.WaitNotPresent(chromedp.CSS("#reassign")))
	last := read(t, tab, "the last event", chromedp.Text(chromedp.CSS("#timeline li:last-child")))
	if !strings.Contains(last, "served → concluded") || !strings.Contains(last, "流转") {
		t.Errorf("the timeline does not end with the conclusion: %q", last)
	}

	run(t, tab, "the archive check",
		chromedp.Click(chromedp.CSS("#archive-link")),
		chromedp.WaitVisible(chromedp.CSS("#check")))
	missing := `#check tr[data-code="onsite_signed"][data-met="false"] .missing a`
	if href := attr(t, tab, missing, "href"); href != "/console/inspections/"+rec.ID {
		t.Errorf("the unsigned record's missing item links to %q", href)
	}
	run(t, tab, "the refused closing",
		chromedp.Click(chromedp.CSS("#close-archive")),
		chromedp.WaitVisible(chromedp.CSS("#archive-error")))

	// The fix: the correction adds the witness, the team leader approves it.
	addWitness(t, f, &rec, officer, leader)
	run(t, tab, "close after the fix",
		chromedp.Navigate(base+"/console/cases/"+id+"/archive"),
		chromedp.WaitVisible(chromedp.CSS("#close-archive")),
		chromedp.Click(chromedp.CSS("#close-archive")),
		chromedp.WaitVisible(chromedp.CSS("#archive-number")))
	number := read(t, tab, "the archive number", chromedp.Text(chromedp.CSS("#archive-number")))
	want := fmt.Sprintf("交道口综执档〔%d〕0001号", f.now().In(time.FixedZone("CST", 8*3600)).Year())
	var a openapi.Archive
	f.client.For(t).Get("/v1/cases/"+id+"/archive", leader).JSON(t, &a)
	if number != want || a.Number != want {
		t.Errorf("the console shows the archive number %q, the API %q, want %q", number, a.Number, want)
	}
	if score := read(t, tab, "the score", chromedp.Text(chromedp.CSS("#score"))); score != "100" {
		t.Errorf("the archived case's score %s", score)
	}

	run(t, tab, "log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login")))
	consoleLogin(t, tab, base, "leader.b")
	run(t, tab, "st-a's case for leader.b",
		chromedp.Navigate(base+"/console/cases/"+id),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "404" {
		t.Errorf("st-a's case shows the error page %q to leader.b, want 404", status)
	}
}

// TestConsole_Screenshots writes PNGs of the console's main pages at
// 1366x768 (full page) into WHISTLE_SCREENSHOTS_DIR: `make screenshots`
// sets it to docs/screenshots; elsewhere they go to a temporary directory,
// so that the suite never writes into the repository.
func TestConsole_Screenshots(t *testing.T) {
	dir := screenshotDir(t)
	f := newFixture(t, options{demo: true})
	flagged := flaggedRecord(t, f)
	openDeadlineAt(t, f, f.now().AddDate(0, 0, -30))
	_, id := unsignedSeizureCase(t, f)
	ok(t, caseAct(t, f, f.login(t, "leader.a", demo.Password), id, "reassignment", `{"officer_code":"a-cg-03","reason":"现场检查人"}`, ""))
	concludeSeizure(t, f, id)
	reviewed := newReviewedCase(t, f)
	f.workJobs(t) // the thumbnails of the reviewer's page
	base := serveConsole(t, f)
	tab := browserTab(t)

	shot := func(name, url, visible string) { t.Helper(); screenshot(t, tab, dir, name, url, visible) }
	shot("login", base+"/console/login", "#login")
	consoleLogin(t, tab, base, "leader.a")
	shot("inbox", base+"/console/", "#review-queue")
	shot("inspection", base+"/console/inspections/"+flagged.ID, "#diff")
	shot("case", base+"/console/cases/"+id, "#timeline")
	shot("archive", base+"/console/cases/"+id+"/archive", "#check")
	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	consoleLogin(t, tab, base, "reviewer.sj")
	shot("review", base+"/console/review", "#review-cases")
	shot("review-case", base+"/console/review/cases/"+reviewed.id, "#evidence img.thumb")
	for _, name := range []string{"login", "inbox", "inspection", "case", "archive", "review", "review-case"} {
		if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

// screenshotDir is where the screenshot tests write (make screenshots sets
// WHISTLE_SCREENSHOTS_DIR; the suite alone writes to a temporary directory).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WHISTLE_SCREENSHOTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot opens url, waits for the element visible and writes the page
// as dir/name.png.
func screenshot(t *testing.T, tab context.Context, dir, name, url, visible string) {
	t.Helper()
	run(t, tab, "open "+name, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(visible)))
	png := read(t, tab, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
