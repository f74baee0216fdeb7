package api_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// certificatesCSV is a CSV of the certificates section with the rows given
// after its header.
func certificatesCSV(rows ...string) string {
	return "number,officer_code,issuing_department_code,valid_from,valid_to,status,status_since,status_reason\n" +
		strings.Join(rows, "\n") + "\n"
}

// writeCSV writes a CSV file of the test and returns its path.
func writeCSV(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// certificateOf is certificate number of officer code as GET
// /v1/officers/{code} shows it to admin, nil when the officer holds none such.
func certificateOf(t *testing.T, f *fixture, code, number string) *openapi.Certificate {
	t.Helper()
	var m openapi.Member
	f.client.For(t).Get("/v1/officers/"+code, f.login(t, "admin", demo.Password)).JSON(t, &m)
	for i, c := range m.Certificates {
		if c.Number == number {
			return &m.Certificates[i]
		}
	}
	return nil
}

// uploadCSV imports the file at path as section through the imports page
// and waits for the report.
func uploadCSV(t *testing.T, tab context.Context, base, section, path string) {
	t.Helper()
	run(t, tab, "import "+filepath.Base(path),
		chromedp.Navigate(base+"/console/admin/imports"),
		chromedp.WaitVisible(chromedp.CSS("#import")),
		chromedp.SetValue(chromedp.CSS("#section"), section),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
		chromedp.Click(chromedp.CSS("#import-submit")),
		chromedp.WaitVisible(chromedp.CSS("#import-report")))
}

// TestConsole_AdminJourney: admin lands on the administrator's page;
// imports a CSV with a good and a bad row (the report refuses row 2 with its
// reason, accepts row 1 and, whole or not at all as the API, writes
// nothing), then the corrected file (the API then shows the certificate,
// the trail the import); suspends a certificate (the list and the API show
// it suspended, the trail has the API's entry); lists the matters and
// policies the API lists, adds a matter and sets a policy as the API's
// routes do; leader.a gets the 404 page on the administrator's pages.
func TestConsole_AdminJourney(t *testing.T) {
	f := newFixture(t, options{demo: true})
	now := f.now()
	good := "京执字110101-9001,a-cg-04,cg," + now.AddDate(-1, 0, 0).UTC().Format(time.RFC3339) + "," +
		now.AddDate(0, 0, 10).UTC().Format(time.RFC3339) + ",,,"
	bad := "京执字110101-9002,a-cg-05,cg,not-a-day," + now.AddDate(1, 0, 0).UTC().Format(time.RFC3339) + ",,,"
	base := serveConsole(t, f)
	tab := browserTab(t)

	consoleLogin(t, tab, base, "admin")
	run(t, tab, "admin lands on the administrator's page", chromedp.WaitVisible(chromedp.CSS("#admin-landing")))
	if got := read(t, tab, "the suspended count", chromedp.Text(chromedp.CSS("#tile-suspended .n"))); got != "1" {
		t.Errorf("the landing page counts %s suspended certificates, want 1 (the demo's)", got)
	}

	run(t, tab, "the landing page in English", chromedp.Navigate(base+"/console/admin?lang=en"), chromedp.WaitVisible(chromedp.CSS("#tile-expiring")))
	if got := read(t, tab, "the expiring tile", chromedp.Text(chromedp.CSS("#tile-expiring"))); !strings.Contains(got, "expiring within 30 days") {
		t.Errorf("the English landing page shows %q", got)
	}
	run(t, tab, "back to Chinese", chromedp.Navigate(base+"/console/admin?lang=zh"), chromedp.WaitVisible(chromedp.CSS("#admin-landing")))

	uploadCSV(t, tab, base, "certificates", writeCSV(t, "certificates.csv", certificatesCSV(good, bad)))
	if applied := attr(t, tab, "#import-report", "data-applied"); applied != "false" {
		t.Errorf("a file with a bad row is applied: %s", applied)
	}
	if got := attr(t, tab, `#import-report tr[data-row="1"]`, "data-result"); got != "accepted" {
		t.Errorf("row 1 is %s, want accepted", got)
	}
	if got := attr(t, tab, `#import-report tr[data-row="2"]`, "data-result"); got != "refused" {
		t.Errorf("row 2 is %s, want refused", got)
	}
	if reason := read(t, tab, "row 2's reason", chromedp.Text(chromedp.CSS(`#import-report tr[data-row="2"] .reasons`))); !strings.Contains(reason, "valid_from") {
		t.Errorf("row 2's reason %q does not name valid_from", reason)
	}
	if c := certificateOf(t, f, "a-cg-04", "京执字110101-9001"); c != nil {
		t.Errorf("a rejected import wrote row 1: the API shows %+v", c)
	}

	uploadCSV(t, tab, base, "certificates", writeCSV(t, "certificates-fixed.csv", certificatesCSV(good)))
	if applied := attr(t, tab, "#import-report", "data-applied"); applied != "true" {
		t.Fatalf("the corrected file is not applied: %s", read(t, tab, "the report", chromedp.Text(chromedp.CSS("#import-report"))))
	}
	if c := certificateOf(t, f, "a-cg-04", "京执字110101-9001"); c == nil || !c.ValidTo.Equal(now.AddDate(0, 0, 10).UTC().Truncate(time.Second)) {
		t.Errorf("after the import the API shows the certificate %+v", c)
	}
	if n := trailEntries(t, f, "org.import", "1 certificates", "admin"); n != 1 {
		t.Errorf("%d trail entries org.import of the console's import, want 1", n)
	}
	run(t, tab, "the import is among the past ones", chromedp.WaitVisible(chromedp.CSS("#past-imports tr.past")))

	const number = "京执字110101-0001"
	row := `#certificates tr[data-number="` + number + `"]`
	run(t, tab, "the imported certificate is expiring",
		chromedp.Navigate(base+"/console/admin/certificates?state=expiring"),
		chromedp.WaitVisible(chromedp.CSS(`#certificates tr[data-number="京执字110101-9001"][data-state="expiring"]`)))
	run(t, tab, "suspend "+number,
		chromedp.Navigate(base+"/console/admin/certificates"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.SetValue(chromedp.CSS(row+` select[name="status"]`), "suspended"),
		chromedp.SendKeys(chromedp.CSS(row+` input[name="reason"]`), "年度考核未通过"),
		chromedp.Click(chromedp.CSS(row+` button`)),
		chromedp.WaitVisible(chromedp.CSS(row+`.changed[data-state="suspended"]`)))
	if got := read(t, tab, "the change", chromedp.Text(chromedp.CSS(row+" .since"))); !strings.Contains(got, "年度考核未通过") {
		t.Errorf("the list shows the change as %q, want its reason", got)
	}
	c := certificateOf(t, f, "a-cg-01", number)
	if c == nil || c.Status == nil || len(*c.Status) == 0 || (*c.Status)[len(*c.Status)-1].Status != "suspended" {
		t.Errorf("after the console's suspension the API shows %+v", c)
	}
	if n := trailEntries(t, f, "certificate.status.suspended", number, "admin"); n != 1 {
		t.Errorf("%d trail entries certificate.status.suspended, want 1", n)
	}
	run(t, tab, "the suspended filter lists it",
		chromedp.Navigate(base+"/console/admin/certificates?state=suspended"),
		chromedp.WaitVisible(chromedp.CSS(row)))

	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))

	// The catalogue in a tab of its own: a tab lives 60 seconds.
	tab = browserTab(t)
	consoleLogin(t, tab, base, "admin")
	var matters []openapi.Matter
	f.client.For(t).Get("/v1/matters?limit=500", f.login(t, "admin", demo.Password)).JSON(t, &matters)
	run(t, tab, "the matters page", chromedp.Navigate(base+"/console/admin/matters"), chromedp.WaitVisible(chromedp.CSS("#matters")))
	shown := read(t, tab, "the matters' codes", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#matters tr.matter')].map(r => r.dataset.code + '@' + r.dataset.version)`))
	var want []string
	for _, m := range matters {
		want = append(want, m.Code+"@"+strconv.Itoa(m.Version))
	}
	if !slices.Equal(shown, want) {
		t.Errorf("the matters page lists %v, the API %v", shown, want)
	}
	today := now.In(clock.Beijing).Format(time.DateOnly)
	run(t, tab, "add a matter",
		chromedp.SendKeys(chromedp.CSS(`#matter-form input[name="code"]`), "CG-900"),
		chromedp.SendKeys(chromedp.CSS(`#matter-form input[name="name_zh"]`), "擅自占用人行道停放共享单车"),
		chromedp.SetValue(chromedp.CSS(`#matter-form select[name="department_code"]`), "cg"),
		chromedp.SendKeys(chromedp.CSS(`#matter-form textarea[name="legal_basis"]`), "《北京市市容环境卫生条例》第十七条"),
		chromedp.Click(chromedp.CSS(`#matter-form input[name="measure_evidence"]`)),
		chromedp.Click(chromedp.CSS(`#matter-form input[name="measure_warning"]`)),
		chromedp.SetValue(chromedp.CSS(`#matter-form input[name="valid_from"]`), today),
		chromedp.Click(chromedp.CSS("#matter-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#matters tr.matter[data-code="CG-900"]`)))
	var versions []openapi.Matter
	f.client.For(t).Get("/v1/matters/CG-900", f.login(t, "admin", demo.Password)).JSON(t, &versions)
	if len(versions) != 1 || versions[0].DepartmentCode != "cg" || len(versions[0].Measures) != 2 {
		t.Errorf("after the console added CG-900 the API shows %+v", versions)
	}
	if n := trailEntries(t, f, "matter.version", "CG-900@1", "admin"); n != 1 {
		t.Errorf("%d trail entries matter.version of CG-900@1, want 1", n)
	}

	var policies []openapi.Policy
	f.client.For(t).Get("/v1/policies", f.login(t, "admin", demo.Password)).JSON(t, &policies)
	run(t, tab, "the policies page", chromedp.Navigate(base+"/console/admin/policies"), chromedp.WaitVisible(chromedp.CSS("#policies")))
	depts := read(t, tab, "the policies' departments", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#policies tr.policy')].map(r => r.dataset.department)`))
	var wantDepts []string
	for _, p := range policies {
		wantDepts = append(wantDepts, p.DepartmentCode)
	}
	if slices.Sort(wantDepts); !slices.Equal(depts, wantDepts) {
		t.Errorf("the policies page lists %v, the API %v", depts, wantDepts)
	}
	// jt's policy, from the form filled with the one in force: a seizure review
	// without a second inspector of another department is refused (nothing
	// changes), as the API refuses it.
	jt := `#policy-form input[name="mixed_crew_seizure_review"]`
	run(t, tab, "a contradictory policy",
		chromedp.Navigate(base+"/console/admin/policies?department=jt"),
		chromedp.WaitVisible(chromedp.CSS(jt)),
		chromedp.Click(chromedp.CSS(jt)),
		chromedp.Click(chromedp.CSS("#policy-submit")),
		chromedp.WaitVisible(chromedp.CSS("#policy-error")))
	if got := read(t, tab, "the refusal", chromedp.Text(chromedp.CSS("#policy-error"))); !strings.Contains(got, "second_inspector_from_other_resident") {
		t.Errorf("the refusal says %q, want the field at fault", got)
	}
	run(t, tab, "jt's seizures of mixed crews go to legal review",
		chromedp.Click(chromedp.CSS(`#policy-form input[name="second_inspector_from_other_resident"]`)),
		chromedp.SendKeys(chromedp.CSS(`#policy-form textarea[name="second_inspector_legal_basis"]`), "区政府授权：常驻部门执法人员可作为第二检查人"),
		chromedp.Click(chromedp.CSS("#policy-submit")),
		chromedp.WaitVisible(chromedp.CSS("#policy-changed")))
	if got := attr(t, tab, `#policies tr.policy[data-department="jt"] .seizure`, "data-value"); got != "true" {
		t.Errorf("after the change the page shows jt's seizure review %s", got)
	}
	f.client.For(t).Get("/v1/policies", f.login(t, "admin", demo.Password)).JSON(t, &policies)
	for _, p := range policies {
		if p.DepartmentCode == "jt" && (!p.MixedCrewSeizureReview || !p.SecondInspectorFromOtherResident || !p.SingleOfficerSimpleProcedure) {
			t.Errorf("after the console's change the API shows jt's policy %+v", p)
		}
	}
	if n := trailEntries(t, f, "org.import", "1 policies", "admin"); n != 1 {
		t.Errorf("%d trail entries org.import of the policy, want 1", n)
	}

	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
	tab = browserTab(t)
	consoleLogin(t, tab, base, "leader.a")
	for _, page := range []string{"/console/admin", "/console/admin/imports", "/console/admin/certificates", "/console/admin/matters", "/console/admin/policies"} {
		run(t, tab, page+" for leader.a", chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.CSS("#error")))
		if status := attr(t, tab, "#error", "data-status"); status != "404" {
			t.Errorf("%s shows leader.a the error page %q, want 404", page, status)
		}
	}
	if n := read(t, tab, "the bar's admin links", chromedp.Evaluate[int](`document.querySelectorAll('.bar a[href^="/console/admin"]:not(#lang)').length`)); n != 0 {
		t.Errorf("leader.a's bar has %d links to the administrator's pages", n)
	}
	run(t, tab, "log out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login")))
}

// TestConsole_ScreenshotsAdmin writes the administrator's imports page and
// certificates list (see TestConsole_Screenshots for where).
func TestConsole_ScreenshotsAdmin(t *testing.T) {
	dir := screenshotDir(t)
	f := newFixture(t, options{demo: true})
	base := serveConsole(t, f)
	tab := browserTab(t)
	consoleLogin(t, tab, base, "admin")
	screenshot(t, tab, dir, "admin-imports", base+"/console/admin/imports", "#import")
	screenshot(t, tab, dir, "admin-certificates", base+"/console/admin/certificates", "#certificates tr.cert")
	for _, name := range []string{"admin-imports", "admin-certificates"} {
		if st, err := os.Stat(filepath.Join(dir, name+".png")); err != nil || st.Size() == 0 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}
