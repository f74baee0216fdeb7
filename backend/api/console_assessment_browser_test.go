package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// assessmentOf is the report GET /v1/assessment/departments[/code] answers username for
// the period query q.
func assessmentOf(t *testing.T, f *fixture, username, path, q string) openapi.AssessmentReport {
	t.Helper()
	var rep openapi.AssessmentReport
	f.client.For(t).Get(path+"?"+q, f.login(t, username, demo.Password)).JSON(t, &rep)
	return rep
}

// assessSinceNovember is the period query from the first of the story's November (the
// fixture of seedAssessment) to tomorrow in Beijing (the acts of today).
func assessSinceNovember(f *fixture) string {
	tomorrow := f.now().In(clock.Beijing).AddDate(0, 0, 1)
	return "from=" + f.story.Text("2026-11-01") + "&to=" + tomorrow.Format(time.DateOnly)
}

// assessmentQuarter is the quarter of the fixture's today in Beijing, as the API names it.
func assessmentQuarter(f *fixture) string {
	today := f.now().In(clock.Beijing)
	return fmt.Sprintf("%dQ%d", today.Year(), (int(today.Month())+2)/3)
}

// points is a score as the console shows it ("" for none).
func points(sc openapi.AssessmentScore) string {
	if sc.Points == nil {
		return ""
	}
	return fmt.Sprintf("%.2f", *sc.Points)
}

// withValues counts the values of figures, over the departments of rep, that have one.
func withValues(rep openapi.AssessmentReport, figures ...string) int {
	n := 0
	for _, d := range rep.Departments {
		for _, v := range d.Values {
			for _, code := range figures {
				if v.Code == code && v.Value != nil {
					n++
				}
			}
		}
	}
	return n
}

// medianFigures are the figures of the console's chart of report times.
func medianFigures() []string {
	var out []string
	for _, typ := range []string{"emergency", "key", "regular"} {
		for _, step := range []string{"ack", "arrive", "finish"} {
			out = append(out, "whistle_"+step+"_median_seconds_"+typ)
		}
	}
	return out
}

// TestConsole_AssessmentJourney: on the hand-counted fixture of seedAssessment and a work order
// taken in today, leader.a opens
// the assessment from the bar, sees each department of the street with the score the API
// gives for the same period, and the charts with a bar per value; opens sj (its score and
// figures as GET /v1/assessment/departments/sj shows them, the report times' chart); follows a
// figure's items link to the items the API lists, each linked to its case (the work order's
// opens), and pages past one page; picks this quarter (the API's report of it); downloads the CSV, the same lines as the API's. An officer is refused as the API
// refuses (403), reviewer.sj sees sj and is refused cg, and an unknown department is 404.
func TestConsole_AssessmentJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	seedAssessment(t, f)
	// And a work order of sj's taken in today through the API: a case the console can open.
	taken := intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "SJ-002", "comprehensive"))
	q := assessSinceNovember(f)
	rep := assessmentOf(t, f, "leader.a", "/v1/assessment/departments", q)
	if len(rep.Departments) < 2 {
		t.Fatalf("the fixture gives leader.a %d departments", len(rep.Departments))
	}
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "leader.a")
	run(t, tab, "the bar links the assessment", chromedp.WaitVisible(chromedp.CSS(`.bar nav a[href="/console/assessment"]`)))
	run(t, tab, "open the period", chromedp.Navigate(base+"/console/assessment?"+q), chromedp.WaitVisible(chromedp.CSS("#departments")))
	// scores are the departments of the page with their scores, as [code, points].
	scores := func() [][]string {
		t.Helper()
		return read(t, tab, "the departments' scores", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#departments tr.department')]
		.map(r => [r.dataset.code, r.querySelector('.score').dataset.points])`))
	}
	rows := scores()
	if len(rows) != len(rep.Departments) {
		t.Fatalf("the page lists %d departments, the API %d: %v", len(rows), len(rep.Departments), rows)
	}
	for i, d := range rep.Departments {
		if rows[i][0] != d.DepartmentCode || rows[i][1] != points(d.Score) {
			t.Errorf("row %d: %s scored %q; the API: %s scored %q", i, rows[i][0], rows[i][1], d.DepartmentCode, points(d.Score))
		}
	}
	bars := func(chart string) int {
		t.Helper()
		return read(t, tab, chart+"'s bars", chromedp.Evaluate[int](`document.querySelectorAll('#`+chart+` svg rect.chart-bar').length`))
	}
	if got, want := bars("chart-ontime"), withValues(rep, "whistle_on_time_rate", "case_on_time_rate"); got != want || want == 0 {
		t.Errorf("the on-time chart has %d bars, want %d (a value each)", got, want)
	}
	if got, want := bars("chart-rates"), withValues(rep, "response_rate", "resolution_rate", "satisfaction_rate"); got != want || want == 0 {
		t.Errorf("the three rates' chart has %d bars, want %d", got, want)
	}
	if label := read(t, tab, "the rates' labels", chromedp.Evaluate[string](`document.querySelector('#chart-rates svg').textContent`)); !strings.Contains(label, "%") {
		t.Errorf("the rates' bars are not labelled with their values: %q", label)
	}

	sj := assessmentOf(t, f, "leader.a", "/v1/assessment/departments/sj", q)
	run(t, tab, "open sj", chromedp.Click(chromedp.CSS(`tr.department[data-code="sj"] a`)), chromedp.WaitVisible(chromedp.CSS("#figures")))
	if got := attr(t, tab, "#score .score", "data-points"); got != points(sj.Departments[0].Score) {
		t.Errorf("sj's page scores %q, the API %q", got, points(sj.Departments[0].Score))
	}
	figures := read(t, tab, "sj's figures", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#figures tr.figure')].map(r => r.dataset.code)`))
	if len(figures) != len(sj.Figures) {
		t.Errorf("sj's page shows %d figures, the table has %d", len(figures), len(sj.Figures))
	}
	if got, want := bars("chart-times"), withValues(sj, medianFigures()...); got != want || want == 0 {
		t.Errorf("the report times' chart has %d bars, want %d", got, want)
	}
	if def := read(t, tab, "a figure's definition", chromedp.Text(chromedp.CSS(`tr.figure[data-code="cases_routed"] td.def`))); def == "" {
		t.Errorf("cases_routed shows no definition")
	}

	var apiItems []openapi.AssessmentItem
	f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=cases_routed&"+q, f.login(t, "leader.a", demo.Password)).JSON(t, &apiItems)
	if len(apiItems) < 2 {
		t.Fatalf("the API lists %d items of sj's cases_routed", len(apiItems))
	}
	run(t, tab, "open cases_routed's items", chromedp.Click(chromedp.CSS(`tr.figure[data-code="cases_routed"] a.items`)),
		chromedp.WaitVisible(chromedp.CSS("#items tr.item")))
	items := read(t, tab, "the items", chromedp.Evaluate[[][]string](`[...document.querySelectorAll('#items tr.item')]
		.map(r => [r.dataset.id, r.querySelector('a.open') ? r.querySelector('a.open').getAttribute('href') : ''])`))
	if len(items) != len(apiItems) {
		t.Fatalf("the page lists %d items, the API %d", len(items), len(apiItems))
	}
	for i, it := range apiItems {
		if items[i][0] != it.Id || it.CaseId == nil || items[i][1] != "/console/cases/"+it.CaseId.String() {
			t.Errorf("item %d: %v; the API's %s of case %v", i, items[i], it.Id, it.CaseId)
		}
	}
	run(t, tab, "open the work order's case", chromedp.Click(chromedp.CSS(`#items tr.item[data-case="`+taken.Id.String()+`"] a.open`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
	want := taken.Id.String() // the page names a case by its number once it has one
	if taken.Number != nil {
		want = *taken.Number
	}
	if got := read(t, tab, "the case's name", chromedp.Text(chromedp.CSS("h1 small"))); got != want {
		t.Errorf("the item opens case %q, want %q", got, want)
	}

	run(t, tab, "a page of one item", chromedp.Navigate(base+"/console/assessment/sj/items?figure=cases_routed&limit=1&"+q),
		chromedp.WaitVisible(chromedp.CSS("#next")))
	if id := attr(t, tab, "#items tr.item", "data-id"); id != apiItems[0].Id {
		t.Errorf("the first page of one lists %s, want %s", id, apiItems[0].Id)
	}
	run(t, tab, "the next page", chromedp.Click(chromedp.CSS("#next")), chromedp.WaitVisible(chromedp.CSS("#first")))
	if id := attr(t, tab, "#items tr.item", "data-id"); id != apiItems[1].Id {
		t.Errorf("the second page of one lists %s, want %s", id, apiItems[1].Id)
	}

	// The picker: this quarter, as the API reports it.
	quarter := assessmentQuarter(f)
	run(t, tab, "pick this quarter", chromedp.Navigate(base+"/console/assessment?"+q), chromedp.WaitVisible(chromedp.CSS("#period")),
		chromedp.SetValue(chromedp.CSS("#period"), quarter), chromedp.Click(chromedp.CSS("#period-submit")),
		chromedp.WaitReady(chromedp.CSS(`#period option[value="`+quarter+`"][selected]`)), chromedp.WaitVisible(chromedp.CSS("#departments")))
	inQuarter := assessmentOf(t, f, "leader.a", "/v1/assessment/departments", "period="+quarter)
	if len(inQuarter.Departments) == 0 {
		t.Fatalf("the API reports no department in %s, which holds today's work order", quarter)
	}
	got := scores()
	if len(got) != len(inQuarter.Departments) {
		t.Errorf("the quarter lists %d departments, the API %d", len(got), len(inQuarter.Departments))
	}
	for i := range min(len(got), len(inQuarter.Departments)) {
		if d := inQuarter.Departments[i]; got[i][0] != d.DepartmentCode || got[i][1] != points(d.Score) {
			t.Errorf("quarter row %d: %v; the API: %s scored %q", i, got[i], d.DepartmentCode, points(d.Score))
		}
	}

	run(t, tab, "back to the period", chromedp.Navigate(base+"/console/assessment?"+q), chromedp.WaitVisible(chromedp.CSS("#csv")))
	csv := read(t, tab, "the console's CSV", chromedp.Evaluate[string](`fetch(document.querySelector('#csv').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	apiCSV := f.client.For(t).Get("/v1/assessment/departments.csv?"+q, f.login(t, "leader.a", demo.Password))
	if apiCSV.Status != http.StatusOK || !bytes.Equal([]byte(csv), apiCSV.Body) || strings.Count(csv, "\n") < 2 {
		t.Errorf("the console's CSV differs from the API's (%d):\n%s\nthe API's:\n%s", apiCSV.Status, csv, apiCSV.Body)
	}

	refused := []struct {
		name, user, page, api string
		status                int
	}{
		{"officer", "officer.a", "/console/assessment?" + q, "/v1/assessment/departments?" + q, http.StatusForbidden},
		{"reviewer other department", "reviewer.sj", "/console/assessment/cg?" + q, "/v1/assessment/departments/cg?" + q, http.StatusForbidden},
		{"unknown department", "leader.a", "/console/assessment/zz?" + q, "/v1/assessment/departments/zz?" + q, http.StatusNotFound},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			res := f.client.For(t).Get(r.api, f.login(t, r.user, demo.Password))
			if res.Status != r.status {
				t.Fatalf("the API answers %s %d, want %d", r.user, res.Status, r.status)
			}
			tab := browserTab(t)
			consoleLogin(t, tab, base, r.user)
			run(t, tab, "open "+r.page, chromedp.Navigate(base+r.page), chromedp.WaitVisible(chromedp.CSS("#error")))
			if got := attr(t, tab, "#error", "data-status"); got != fmt.Sprint(r.status) {
				t.Errorf("the console answers %s %s, the API %d", r.user, got, r.status)
			}
			if r.user == "officer.a" {
				if n := read(t, tab, "the bar", chromedp.Evaluate[int](`document.querySelectorAll('.bar nav a[href="/console/assessment"]').length`)); n != 0 {
					t.Errorf("the officer's bar links the assessment")
				}
			}
		})
	}

	t.Run("reviewer own department", func(t *testing.T) {
		own := assessmentOf(t, f, "reviewer.sj", "/v1/assessment/departments", q)
		tab := browserTab(t)
		consoleLogin(t, tab, base, "reviewer.sj")
		run(t, tab, "open the period", chromedp.Navigate(base+"/console/assessment?"+q), chromedp.WaitVisible(chromedp.CSS("#departments")))
		codes := read(t, tab, "the departments", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#departments tr.department')].map(r => r.dataset.code)`))
		if len(own.Departments) != 1 || len(codes) != 1 || codes[0] != "sj" {
			t.Errorf("reviewer.sj sees %v; the API gives %d departments", codes, len(own.Departments))
		}
	})
}

// TestConsole_ScreenshotsAssessment writes assessment.png and assessment-department.png (the
// departments of the fixture's November as street A's team leader sees them, and sj's page).
func TestConsole_ScreenshotsAssessment(t *testing.T) {
	dir := screenshotDir(t)
	f := newFixture(t, options{demo: true})
	seedAssessment(t, f)
	q := assessPeriodQuery(f)
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	screenshot(t, tab, dir, "assessment", base+"/console/assessment?"+q, "#chart-rates")
	screenshot(t, tab, dir, "assessment-department", base+"/console/assessment/sj?"+q, "#chart-times")
	for _, name := range []string{"assessment", "assessment-department"} {
		if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}
