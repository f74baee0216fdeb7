package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// TestConsole_ReviewerJourney: reviewer.sj sees the case routed to sj with
// its grant's expiry (as the API shows the grant), opens its evidence and
// sees the item's thumbnail, hash and view-only terms, returns it with a
// reason (as the API then lists the review), and logs out; every thumbnail
// view is on the custody log.
func TestConsole_ReviewerJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	rc := newReviewedCase(t, f)
	f.workJobs(t)
	caseID, evID := rc.id, rc.ev1
	gs := grantsOf(t, f, f.login(t, "leader.a", demo.Password), caseID)
	if len(gs) != 1 {
		t.Fatalf("grants: %+v", gs)
	}
	var item struct {
		SHA256 string `json:"sha256"`
	}
	f.client.For(t).Get("/v1/evidence/"+evID, f.login(t, "leader.a", demo.Password)).JSON(t, &item)
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "reviewer.sj")
	row := `#review-cases tr[data-id="` + caseID + `"]`
	run(t, tab, "the reviewer lands on the department's cases", chromedp.WaitVisible(chromedp.CSS(row)))
	want := gs[0].ExpiresAt.In(clock.Beijing).Format("2006-01-02 15:04")
	if got := read(t, tab, "the grant's expiry", chromedp.Text(chromedp.CSS(row+" .expires"))); got != want {
		t.Errorf("the list shows the grant's expiry %q, want %q", got, want)
	}
	itemRow := `#evidence tr[data-id="` + evID + `"]`
	run(t, tab, "open the case's evidence", chromedp.Click(chromedp.CSS(row+" a")), chromedp.WaitVisible(chromedp.CSS(itemRow)))
	if got := read(t, tab, "the hash", chromedp.Text(chromedp.CSS(itemRow+" .sha256"))); item.SHA256 == "" || got != item.SHA256 {
		t.Errorf("the page shows the hash %q, want %q", got, item.SHA256)
	}
	run(t, tab, "the grant is view-only", chromedp.WaitVisible(chromedp.CSS("#view-only")))
	if n := read(t, tab, "the original's links", chromedp.Evaluate[int](`document.querySelectorAll('a.original').length`)); n != 0 {
		t.Errorf("a view-only grant shows %d links to originals", n)
	}
	read(t, tab, "the thumbnail loads", chromedp.Poll[bool](`(() => { const i = document.querySelector('`+itemRow+` img.thumb'); return i && i.complete && i.naturalWidth > 0 })()`))

	run(t, tab, "return without a reason", chromedp.Click(chromedp.CSS("#return")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "422" {
		t.Errorf("a return without a reason shows the error page %q, want 422", status)
	}
	run(t, tab, "back to the case", chromedp.Navigate(base+"/console/review/cases/"+caseID), chromedp.WaitVisible(chromedp.CSS(itemRow)))
	run(t, tab, "return the item",
		chromedp.SetValue(chromedp.CSS(`select[name="reason_`+evID+`"]`), "unreadable"),
		chromedp.SendKeys(chromedp.CSS(`input[name="note_`+evID+`"]`), "画面模糊"),
		chromedp.Click(chromedp.CSS("#return")),
		chromedp.WaitVisible(chromedp.CSS(`#reviews .review[data-verdict="returned"] li[data-evidence="`+evID+`"]`)))
	if got := read(t, tab, "the return", chromedp.Text(chromedp.CSS(`#reviews li[data-evidence="`+evID+`"]`))); !strings.Contains(got, "画面模糊") {
		t.Errorf("the return shows %q, want its note", got)
	}
	var reviews []openapi.EvidenceReview
	f.client.For(t).Get("/v1/cases/"+caseID+"/evidence-reviews", f.login(t, "leader.a", demo.Password)).JSON(t, &reviews)
	if len(reviews) != 1 || reviews[0].Verdict != "returned" || len(reviews[0].Items) != 1 {
		t.Errorf("the API's reviews after the console's return: %+v", reviews)
	}

	var entries int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries e JOIN users u ON u.id = e.actor_user_id
		WHERE e.action = 'evidence_review.returned' AND u.username = 'reviewer.sj' AND e.request_id <> ''`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d trail entries evidence_review.returned by reviewer.sj, want 1", entries)
	}

	// Every thumbnail the pages showed is on the custody log, under the grant.
	var cust openapi.Custody
	f.client.For(t).Get("/v1/evidence/"+evID+"/custody?limit=500", f.login(t, "leader.a", demo.Password)).JSON(t, &cust)
	thumbs := 0
	for _, e := range cust.Entries {
		if deref(e.ActorUserId) == f.userID(t, "reviewer.sj") && e.Event == "viewed" && e.Detail["what"] == "thumbnail" && e.Detail["grant_id"] == gs[0].Id.String() {
			thumbs++
		}
	}
	if thumbs < 2 { // the page, and the page again after the return
		t.Errorf("%d thumbnail views of reviewer.sj on the custody log, want 2", thumbs)
	}

	// The team leader allows download: the page links the original, streamed as the API streams it.
	if res := grantAct(t, f, f.login(t, "leader.a", demo.Password), caseID, gs[0].Id.String(), "terms",
		`{"version":1,"download_allowed":true,"unmasked":false}`, ""); res.Status != http.StatusOK {
		t.Fatalf("allow download: %d %s", res.Status, res.Body)
	}
	run(t, tab, "the original's link", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(itemRow+" a.original")))
	if got := read(t, tab, "the original's status", chromedp.Evaluate[int](`fetch(document.querySelector('`+itemRow+` a.original').href).then(r => r.status)`, chromedp.EvalAwaitPromise)); got != 200 {
		t.Errorf("the original answers %d, want 200", got)
	}
	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
}

// TestConsole_ReviewerGrantExpired: after the grant's 30 days reviewer.sj
// sees the case neither in the list nor at its URL (the 404 page).
func TestConsole_ReviewerGrantExpired(t *testing.T) {
	f := newFixture(t, options{demo: true})
	caseID := newReviewedCase(t, f).id
	f.advance(31 * 24 * time.Hour)
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "reviewer.sj")
	run(t, tab, "the reviewer's list", chromedp.Navigate(base+"/console/review"), chromedp.WaitVisible(chromedp.CSS("#review-cases")))
	if n := read(t, tab, "the expired case's rows", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-id="`+caseID+`"]').length`)); n != 0 {
		t.Errorf("the list shows the case whose grant expired")
	}
	run(t, tab, "open the case", chromedp.Navigate(base+"/console/review/cases/"+caseID), chromedp.WaitVisible(chromedp.CSS("#error")))
	if status := attr(t, tab, "#error", "data-status"); status != "404" {
		t.Errorf("the expired case shows the error page %q, want 404", status)
	}
	if strings.Contains(read(t, tab, "the page", chromedp.Text(chromedp.CSS("main"))), caseID) {
		t.Errorf("the 404 page names the case")
	}
}
