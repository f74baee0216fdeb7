package api_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// listKey is an item's place in its list's documented order: a moment
// (newest first when the list says so), strings, a number, then the
// unique id.
type listKey struct {
	at   time.Time
	keys []string
	n    int64
	id   string
}

// listCase is one list operation of the contract, with what to read of its
// items to check the order it documents.
type listCase struct {
	name  string
	path  string // the first page, without cursor or limit
	token string
	items string // the envelope's array member; "" for a bare array
	key   func(item map[string]any) listKey
	// newest: the moment is descending (newest first).
	newest bool
	// grows: reading a page appends an item to the end of the list (the
	// custody log logs its readings).
	grows bool
}

func (c listCase) compare(a, b listKey) int {
	at := a.at.Compare(b.at)
	if c.newest {
		at = -at
	}
	return cmp.Or(at, slices.Compare(a.keys, b.keys), cmp.Compare(a.n, b.n), cmp.Compare(a.id, b.id))
}

func field(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		v = v.(map[string]any)[p]
	}
	s, _ := v.(string)
	return s
}

func moment(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a moment: %q", s)
	}
	return at
}

func num(m map[string]any, k string) int64 {
	f, _ := m[k].(float64)
	return int64(f)
}

// walk reads a list a page of limit at a time, following the Link
// headers, and returns its items' keys and how many pages it read.
func (c listCase) walk(t *testing.T, f *fixture, limit int) ([]listKey, int) {
	t.Helper()
	sep := "?"
	if strings.Contains(c.path, "?") {
		sep = "&"
	}
	next := c.path + sep + "limit=" + strconv.Itoa(limit)
	var keys []listKey
	pages := 0
	for next != "" {
		pages++
		if pages > 200 {
			t.Fatalf("%s: the pages do not end", c.path)
		}
		res := f.client.For(t).Get(next, c.token)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, res.Status, res.Body)
		}
		var page []map[string]any
		if c.items == "" {
			res.JSON(t, &page)
		} else {
			var env map[string]json.RawMessage
			res.JSON(t, &env)
			if err := json.Unmarshal(env[c.items], &page); err != nil {
				t.Fatalf("GET %s: %s: %v", next, c.items, err)
			}
		}
		if len(page) > limit {
			t.Fatalf("GET %s: %d items, limit %d", next, len(page), limit)
		}
		for _, it := range page {
			keys = append(keys, c.key(it))
		}
		next = ""
		if link := res.Header.Get("Link"); link != "" {
			m := linkNext.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("GET %s: Link %q is no rel=\"next\"", c.path, link)
			}
			if len(page) == 0 {
				t.Fatalf("GET %s: an empty page links to another", c.path)
			}
			u, _ := url.Parse(m[1])
			want, _ := url.Parse(c.path)
			if u.Path != want.Path || u.Query().Get("limit") != strconv.Itoa(limit) {
				t.Fatalf("Link %q leaves %s or its limit", link, c.path)
			}
			for k, v := range want.Query() { // the filters are kept
				if u.Query().Get(k) != v[0] {
					t.Fatalf("Link %q drops the filter %s", link, k)
				}
			}
			next = m[1]
		}
	}
	return keys, pages
}

// TestLists_Page: every list operation of the contract, with more items
// than a page, read a page at a time through its Link headers: every item
// comes once, in the order the contract documents, and the last page (a
// full one too) has no Link. TestEveryListPages (openapi) keeps the spec's
// lists paged; the table must name each of them.
func TestLists_Page(t *testing.T) {
	f := newFixture(t, options{demo: true})
	admin := f.login(t, "admin", demo.Password)

	// Seed what the demo has too little of: phones, records awaiting
	// review, versions of a matter, policies, orphaned evidence.
	for range 3 {
		newPhone(t, f, "officer.a")
	}
	phone := newPhone(t, f, "officer.a")
	base := f.story.At("2026-11-10T10:00:00+08:00")
	for i := range 5 {
		at := base.Add(-time.Duration(i/2*i) * time.Hour) // two at one moment
		r := marketInspection(at, []string{"a-cg-03", "a-sj-01", "a-sj-02"}, fmt.Sprintf("JYCF-LISTS-%d", i))
		body, _ := json.Marshal(r)
		if res := f.client.PostJSON("/v1/inspections", string(body), phone.token); res.Status != http.StatusCreated {
			t.Fatalf("record: %d %s", res.Status, res.Body)
		}
	}
	for i, from := range []string{"2026-12-01", "2026-12-02", "2026-12-03"} {
		body := fmt.Sprintf(`{"code":"CG-LIST","name_zh":"分页 %d","legal_basis":"x","department_code":"cg","measures":["warning"],
			"default_whistle":"regular","valid_from":%q}`, i, f.story.Text(from+"T00:00:00Z"))
		if res := f.client.PostJSON("/v1/admin/matters", body, admin); res.Status != http.StatusCreated {
			t.Fatalf("matter version: %d %s", res.Status, res.Body)
		}
	}
	var departments []map[string]any
	f.client.Get("/v1/departments?limit=500", admin).JSON(t, &departments)
	policiesFrom := f.now.Now().Add(time.Hour).UTC().Format(time.RFC3339) // a policy change takes effect from now on
	for _, d := range departments[:4] {
		body := fmt.Sprintf(`{"department_code":%q,"valid_from":%q,"single_officer_simple_procedure":true,
			"second_inspector_from_other_resident":false,"mixed_crew_seizure_review":false}`, d["code"], policiesFrom)
		if res := f.client.PostJSON("/v1/admin/policies", body, admin); res.Status != http.StatusCreated {
			t.Fatalf("policy: %d %s", res.Status, res.Body)
		}
	}
	// Statutory deadlines, two of them due at one instant.
	for i := range 5 {
		openDeadlineAt(t, f, f.now().Add(-time.Duration(i/2*i)*time.Hour))
	}
	grid := f.login(t, "grid.a", demo.Password)
	for range 5 {
		intake(t, f, grid, workOrderBody(f, "CG-002", "comprehensive"))
	}
	// Absences of an officer, two of them starting at one instant.
	for i := range 5 {
		from := f.now().Add(time.Duration(i/2*i) * 24 * time.Hour)
		recorded(t, recordAbsence(t, f, admin, "a-cg-03", absenceBody("leave", from, from.Add(8*time.Hour))))
	}
	reviewed := seedAcceptedReviews(t, f, 5)
	for range 5 {
		raise(t, f, whistleBody(f, "key", "patrol", "cg"))
	}
	g := f.restart(t, evidenceConfig{}, 0) // every unlinked item is an orphan at once
	f = g                                  // a restarted instance: log in again
	admin, leader, officer := f.login(t, "admin", demo.Password), f.login(t, "leader.a", demo.Password), f.login(t, "officer.a", demo.Password)
	var item string
	for i := range 4 {
		item = upload(t, g.client, officer, newItem(testJPEG(t, 16, 16, uint64(700+i), nil), "image/jpeg", "photo"))
	}

	// The evidence of a case: five items of the record it was opened from.
	evRecord := marketInspection(base, []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-LISTS-EV")
	if body, _ := json.Marshal(evRecord); f.client.PostJSON("/v1/inspections", string(body), officer).Status != http.StatusCreated {
		t.Fatal("the record of the case's evidence was not recorded")
	}
	for i := range 5 {
		it := newItem(testJPEG(t, 16, 16, uint64(800+i), nil), "image/jpeg", "photo")
		it.recordID = evRecord.ID
		upload(t, g.client, officer, it)
	}
	evidenceCase := intake(t, f, leader, `{"inspection_id":"`+evRecord.ID+`"}`).Id.String()

	at := func(k string) func(map[string]any) listKey {
		return func(m map[string]any) listKey { return listKey{at: moment(t, field(m, k)), id: field(m, "id")} }
	}
	byRecord := func(m map[string]any) listKey {
		return listKey{at: moment(t, field(m, "act_at")), id: field(m, "record", "id")}
	}
	byCode := func(m map[string]any) listKey { return listKey{id: field(m, "code")} }
	byID := func(m map[string]any) listKey { return listKey{n: num(m, "id")} }
	cases := []listCase{
		{name: "listStreets", path: "/v1/streets", token: officer, key: byCode},
		{name: "listDepartments", path: "/v1/departments", token: officer,
			key: func(m map[string]any) listKey { return listKey{keys: []string{field(m, "kind")}, id: field(m, "code")} }},
		{name: "listMatters", path: "/v1/matters", token: officer, key: byCode},
		{name: "listMatters/department", path: "/v1/matters?department=cg", token: officer, key: byCode},
		{name: "getMatter", path: "/v1/matters/CG-LIST", token: officer,
			key: func(m map[string]any) listKey { return listKey{n: num(m, "version")} }},
		{name: "listPolicies", path: "/v1/policies?at=" + url.QueryEscape(policiesFrom), token: officer,
			key: func(m map[string]any) listKey { return listKey{id: field(m, "department_code")} }},
		{name: "getRoster", path: "/v1/teams/team-st-a/roster", token: leader, items: "members",
			key: func(m map[string]any) listKey {
				kind := map[string]string{"squad": "0", "resident": "1", "listed": "2"}[field(m, "department_kind")] // descending
				return listKey{keys: []string{kind, field(m, "officer", "department_code")}, id: field(m, "officer", "code")}
			}},
		{name: "listInspections", path: "/v1/inspections", token: leader, key: byRecord, newest: true},
		{name: "reviewQueue", path: "/v1/inspections/review-queue", token: leader, key: byRecord},
		{name: "listCases", path: "/v1/cases", token: leader, key: at("created_at"), newest: true},
		{name: "listCases/state", path: "/v1/cases?state=clue", token: leader, key: at("created_at"), newest: true},
		{name: "listCaseEvidence", path: "/v1/cases/" + evidenceCase + "/evidence", token: leader, key: at("created_at")},
		{name: "listWhistles", path: "/v1/whistles", token: leader, key: at("raised_at"), newest: true},
		{name: "listWhistles/scope", path: "/v1/whistles?scope=common&state=open", token: leader, key: at("raised_at"), newest: true},
		{name: "listEvidenceReviews", path: "/v1/cases/" + reviewed + "/evidence-reviews", token: leader, key: at("at"), newest: true},
		{name: "listDeviceStatus", path: "/v1/sync/devices", token: admin,
			key: func(m map[string]any) listKey {
				return listKey{keys: []string{field(m, "username")}, id: field(m, "device_id")}
			}},
		{name: "listEvidenceOrphans", path: "/v1/evidence/orphans", token: leader, key: at("completed_at")},
		{name: "listDeadlines", path: "/v1/deadlines", token: leader, key: at("due_at")},
		{name: "listAssessmentItems", path: "/v1/assessment/departments/cg/items?figure=cases_routed&" + todayPeriod(f), token: admin, key: at("at")},
		{name: "listOfficerAbsences", path: "/v1/officers/a-cg-03/absences", token: leader, key: at("from"), newest: true},
		{name: "listPerformance", path: "/v1/performance?street=st-a", token: leader,
			key: func(m map[string]any) listKey { return listKey{id: field(m, "officer_code")} }},
		{name: "getEvidenceCustody", path: "/v1/evidence/" + item + "/custody", token: officer, items: "entries", key: byID, grows: true},
		{name: "queryAudit", path: "/v1/admin/audit", token: admin, items: "entries", key: byID},
		{name: "queryAudit/chain", path: "/v1/admin/audit?chain=district", token: admin, items: "entries", key: byID},
	}
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var paged, named []string
	for _, item := range doc.Paths.Map() {
		if op := item.Get; op != nil && slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Ref == "#/components/parameters/Cursor" }) {
			paged = append(paged, op.OperationID)
		}
	}
	for _, c := range cases {
		named = append(named, strings.Split(c.name, "/")[0])
	}
	if slices.Sort(paged); !slices.Equal(paged, slices.Compact(slices.Sorted(slices.Values(named)))) {
		t.Fatalf("the contract's paged lists %v, the table's %v", paged, slices.Compact(slices.Sorted(slices.Values(named))))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			all, pages := c.walk(t, f, 500)
			limit := max(1, len(all)/3)
			if c.grows {
				limit = max(2, limit) // a page of one would only read the entry its reading logged
			}
			if pages != 1 || len(all) <= limit {
				t.Fatalf("%d items in %d pages of 500: seed more than a page of %d", len(all), pages, limit)
			}
			for i := 1; i < len(all); i++ {
				if c.compare(all[i-1], all[i]) >= 0 {
					t.Fatalf("items %d and %d out of the documented order (or the same): %+v, %+v", i-1, i, all[i-1], all[i])
				}
			}
			got, pages := c.walk(t, f, limit)
			if c.grows { // each page read logged one more entry, at the end
				if len(got) != len(all)+pages || !slices.EqualFunc(got[:len(all)], all, func(a, b listKey) bool { return c.compare(a, b) == 0 }) {
					t.Fatalf("%d pages of %d: %d items, want the %d read whole and one per page read", pages, limit, len(got), len(all))
				}
				return
			}
			if !slices.EqualFunc(got, all, func(a, b listKey) bool { return c.compare(a, b) == 0 }) {
				t.Fatalf("%d pages of %d gave %d items, want each of the %d once in order:\n%+v\n%+v", pages, limit, len(got), len(all), got, all)
			}
			if want := (len(all) + limit - 1) / limit; pages != want {
				t.Fatalf("%d pages of %d for %d items, want %d", pages, limit, len(all), want)
			}
			// A last page that is full has no Link either.
			if _, pages := c.walk(t, f, len(all)); pages != 1 {
				t.Fatalf("a page of exactly the %d items links to %d more", len(all), pages-1)
			}
		})
	}

	// A cursor not given for the list, and limits out of range, are 400
	// naming the parameter.
	t.Run("BadParameters", func(t *testing.T) {
		var first []map[string]any
		res := f.client.For(t).Get("/v1/streets?limit=1", officer)
		res.JSON(t, &first)
		streetsNext := linkNext.FindStringSubmatch(res.Header.Get("Link"))
		if streetsNext == nil {
			t.Fatal("no Link after one street")
		}
		u, _ := url.Parse(streetsNext[1])
		streetsCursor := u.Query().Get("cursor")
		for _, c := range cases {
			for _, q := range []struct{ query, field string }{
				{"cursor=bm9wZQ", "cursor"},
				{"cursor=" + url.QueryEscape(streetsCursor), "cursor"},
				{"limit=0", "limit"},
				{"limit=501", "limit"},
			} {
				if c.name == "listStreets" && q.query != "cursor=bm9wZQ" && strings.HasPrefix(q.query, "cursor") {
					continue // the streets' own cursor is good there
				}
				sep := "?"
				if strings.Contains(c.path, "?") {
					sep = "&"
				}
				p := f.client.For(t).Get(c.path+sep+q.query, c.token).Problem(t, http.StatusBadRequest, "bad_request")
				if len(p.Errors) == 0 || !strings.Contains(p.Errors[0].Field, q.field) {
					t.Errorf("%s %s: errors %+v name no %s", c.name, q.query, p.Errors, q.field)
				}
			}
		}
	})
}
