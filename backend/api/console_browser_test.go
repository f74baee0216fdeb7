package api_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/openapi"
)

// The console's tests drive the pages in headless Chromium (the binary
// WHISTLE_CHROMIUM, which deploy/local/test.sh installs and exports), one
// browser for the whole test binary, a fresh browser context (cookies
// apart) for each test. A test that cannot start the browser fails.
var browser struct {
	once sync.Once
	ctx  context.Context
	err  error
}

// browserTab opens a tab of its own browser context (no cookies shared with
// other tests) at a 1366x768 window, closed at the end of the test.
func browserTab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path := os.Getenv("WHISTLE_CHROMIUM")
		if path == "" {
			browser.err = errNoChromium
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.WindowSize(1366, 768), chromedp.Flag("disable-dev-shm-usage", true))
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		browser.ctx, _ = chromedp.NewContext(alloc)
		browser.err = chromedp.Do(browser.ctx)
	})
	if browser.err != nil {
		t.Fatalf("headless Chromium (WHISTLE_CHROMIUM=%q) does not start: %v", os.Getenv("WHISTLE_CHROMIUM"), browser.err)
	}
	tab, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	tab, cancelTimeout := context.WithTimeout(tab, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return tab
}

type chromiumMissing struct{}

func (chromiumMissing) Error() string {
	return "WHISTLE_CHROMIUM is not set: run the tests with deploy/local/test.sh, which installs Debian's chromium"
}

var errNoChromium error = chromiumMissing{}

// serveConsole serves the fixture's app on a real loopback listener and
// returns its base URL.
func serveConsole(t *testing.T, f *fixture) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.app.Listener(ln) }()
	t.Cleanup(func() { _ = f.app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// run runs browser steps, failing the test with what was being done.
func run(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, steps...); err != nil {
		loc, _ := chromedp.Run(tab, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// read runs one browser action that answers a value.
func read[T any](t *testing.T, tab context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(tab, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// attr is the attribute name of the element sel.
func attr(t *testing.T, tab context.Context, sel, name string) string {
	t.Helper()
	return read(t, tab, sel+" "+name, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// consoleLogin signs username in through the console's login page.
func consoleLogin(t *testing.T, tab context.Context, base, username string) {
	t.Helper()
	run(t, tab, "log in as "+username,
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), "whistle-demo"),
		chromedp.Submit(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
}

// flaggedRecord is an st-a record flagged for review (a crew member of
// st-b), corrected once by its officer: two versions awaiting review.
func flaggedRecord(t *testing.T, f *fixture) inspection.Record {
	t.Helper()
	officer := newPhone(t, f, "officer.a")
	rec := streetInspection("a", f.story.At("2026-11-10T10:00:00+08:00"), "onsite_inspection", "a-cg-03", "a-sj-01", "b-cg-03")
	if r := officer.push(officer.mutation(inspection.MutationRecord, rec.ID, rec)).Results[0]; resultCodes(r) != "CREW_OUTSIDE_TEAM" {
		t.Fatalf("record: %s %q", r.Verdict, resultCodes(r))
	}
	fixed := rec
	fixed.Findings = "占道经营，已当场劝离"
	if r := officer.push(officer.mutation(inspection.MutationAmend, rec.ID,
		inspection.AmendArgs{BaseVersion: 1, Reason: "补充检查情况", Record: fixed})).Results[0]; r.Verdict == "rejected" {
		t.Fatalf("amend: %s %+v", r.Verdict, r.Problem)
	}
	return fixed
}

// apiReview is the review state of record id as GET /v1/inspections/{id}
// shows it to leader.a.
func apiReview(t *testing.T, f *fixture, id string) openapi.InspectionReview {
	t.Helper()
	var got openapi.Inspection
	f.client.Get("/v1/inspections/"+id, f.login(t, "leader.a", "whistle-demo")).JSON(t, &got)
	return got.Review
}

// TestConsole_LeaderJourney: leader.a logs in, sees the flagged record in
// the inbox with its reason and the street's overdue deadline (not another
// street's) and its whistle with late steps, opens it, sees the two versions' diff,
// approves it, sees it approved (as the API then shows it, with the same
// trail entry as POST /v1/inspections/{id}/review), and logs out onto the
// login page.
func TestConsole_LeaderJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rec := flaggedRecord(t, f)
	late := openDeadlineAt(t, f, f.now().AddDate(0, 0, -30))
	otherStreet := openWorkOrder(t, f, "st-b", "team-st-b", "b-cg-03", "12345-"+uuid.NewString()[:8], f.now().AddDate(0, 0, -30))
	emergency := raise(t, f, whistleBody(f, "emergency", "grid_worker", "cg", "sj"))
	f.advance(whistle.DefaultDeadlines().Period(org.WhistleEmergency, whistle.StepAck) + time.Minute)
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "leader.a")
	run(t, tab, "the inbox lists the whistle with its late steps", chromedp.WaitVisible(chromedp.CSS(`#whistles tr[data-id="`+emergency.Id.String()+`"] .tag`)))
	run(t, tab, "the inbox lists the overdue deadline", chromedp.WaitVisible(chromedp.CSS(`#overdue tr[data-id="`+late+`"]`)))
	if n := read(t, tab, "st-b's deadline", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-id="`+otherStreet+`"]').length`)); n != 0 {
		t.Errorf("leader.a's inbox lists st-b's deadline")
	}
	row := `#review-queue tr[data-id="` + rec.ID + `"]`
	run(t, tab, "the inbox lists the record", chromedp.WaitVisible(chromedp.CSS(row)))
	if reason := read(t, tab, "the row's reasons", chromedp.Text(chromedp.CSS(row+" .tag"))); reason == "" {
		t.Errorf("the inbox row shows no exception reason")
	}

	run(t, tab, "open the record",
		chromedp.Click(chromedp.CSS(row+" a")),
		chromedp.WaitVisible(chromedp.CSS("#diff")))
	diff := read(t, tab, "the diff", chromedp.Text(chromedp.CSS("#diff")))
	if !strings.Contains(diff, "findings") || !strings.Contains(diff, "占道经营，已当场劝离") {
		t.Errorf("the diff does not show the corrected findings: %q", diff)
	}

	// After the redirect the same page shows the record approved.
	run(t, tab, "approve",
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitNotPresent(chromedp.CSS("#approve")))
	if state := attr(t, tab, "#review-state", "data-review"); state != "approved" {
		t.Errorf("after approving the page shows the record %q", state)
	}
	if review := apiReview(t, f, rec.ID); review != "approved" {
		t.Errorf("the API shows the record %s after the console approved it", review)
	}
	var entries int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries e JOIN users u ON u.id = e.actor_user_id
		WHERE e.action = 'inspection.review.approve' AND e.entity_id = $1 AND u.username = 'leader.a' AND e.request_id <> ''`, rec.ID).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d trail entries inspection.review.approve by leader.a, want 1", entries)
	}

	run(t, tab, "log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login")))
	if loc := read(t, tab, "location", chromedp.Location()); !strings.HasSuffix(loc, "/console/login") {
		t.Errorf("after logout the browser is at %s, want the login page", loc)
	}
	run(t, tab, "the ended session opens nothing",
		chromedp.Navigate(base+"/console/inspections/"+rec.ID),
		chromedp.WaitVisible(chromedp.CSS("#login")))
}

// TestConsole_OtherStreet: leader.a opening st-b's record gets the 404
// page, as the API answers 404; in Chinese, in English after the toggle.
func TestConsole_OtherStreet(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officerB := newPhone(t, f, "officer.b")
	recB := streetInspection("b", f.story.At("2026-11-10T10:00:00+08:00"), "onsite_inspection", "b-cg-03", "b-sj-01", "a-cg-03")
	officerB.push(officerB.mutation(inspection.MutationRecord, recB.ID, recB))
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	run(t, tab, "open st-b's record",
		chromedp.Navigate(base+"/console/inspections/"+recB.ID),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "404" {
		t.Errorf("st-b's record shows the error page %q to leader.a, want 404", status)
	}
	if h := read(t, tab, "the heading", chromedp.Text(chromedp.CSS("#error h1"))); !strings.Contains(h, "出错了") {
		t.Errorf("the page is not in Chinese by default: %q", h)
	}
	// English with the toggle, kept by its cookie on the next page.
	run(t, tab, "English", chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS("#error")),
		chromedp.Navigate(base+"/console/inspections/"+recB.ID), chromedp.WaitVisible(chromedp.CSS("#error")))
	if h := read(t, tab, "the heading", chromedp.Text(chromedp.CSS("#error h1"))); !strings.Contains(h, "Something went wrong") {
		t.Errorf("the page after the toggle is not in English: %q", h)
	}
}

// TestConsole_CSRF: a review form sent without its CSRF token is refused
// (403) and changes nothing, while the same form with it returns the record;
// every console answer carries the CSP.
func TestConsole_CSRF(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rec := flaggedRecord(t, f)
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	run(t, tab, "open the record",
		chromedp.Navigate(base+"/console/inspections/"+rec.ID),
		chromedp.WaitVisible(chromedp.CSS("#approve")))
	read(t, tab, "remove the tokens", chromedp.Evaluate[int](`document.querySelectorAll('input[name=csrf]').forEach(e => e.remove()); 0`))
	run(t, tab, "approve without the token",
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "403" {
		t.Errorf("a form without its CSRF token shows %q, want 403", status)
	}
	if review := apiReview(t, f, rec.ID); review != "pending" {
		t.Errorf("the record is %s after a refused form, want pending", review)
	}
	run(t, tab, "return it with a reason",
		chromedp.Navigate(base+"/console/inspections/"+rec.ID),
		chromedp.WaitVisible(chromedp.CSS("#reasons")),
		chromedp.SendKeys(chromedp.CSS("#reasons"), "补签当事人签名"),
		chromedp.Click(chromedp.CSS("#return")),
		chromedp.WaitNotPresent(chromedp.CSS("#return")))
	if state := attr(t, tab, "#review-state", "data-review"); state != "returned" {
		t.Errorf("after returning the page shows the record %q", state)
	}

	for _, path := range []string{"/console/login", "/console/static/console.css", "/console/nothing"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if ct := res.Header.Get("Content-Type"); strings.HasSuffix(path, ".css") != strings.HasPrefix(ct, "text/css") {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
	}
}

// TestConsole_SessionRenewed: a desk user at work stays signed in past the
// access token's lifetime (each page past half of it renews the token in
// the same session), forms keep working after a renewal, and a session left
// idle longer than a token's lifetime ends.
func TestConsole_SessionRenewed(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rec := flaggedRecord(t, f)
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	run(t, tab, "open the record", chromedp.Navigate(base+"/console/inspections/"+rec.ID), chromedp.WaitVisible(chromedp.CSS("#approve")))
	for range 2 { // 20 minutes at work: past the 15 minutes of a token
		f.advance(10 * time.Minute)
		run(t, tab, "the inbox after 10 minutes", chromedp.Navigate(base+"/console/"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	}
	run(t, tab, "approve after the renewals",
		chromedp.Navigate(base+"/console/inspections/"+rec.ID),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitNotPresent(chromedp.CSS("#approve")))
	if state := attr(t, tab, "#review-state", "data-review"); state != "approved" {
		t.Errorf("after the renewals the approval shows the record %q", state)
	}
	f.advance(20 * time.Minute)
	run(t, tab, "idle for 20 minutes", chromedp.Navigate(base+"/console/"), chromedp.WaitVisible(chromedp.CSS("#login")))
}
