package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

var linkNext = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// TestReviewQueue_Pages: the review queue is oldest act first, ties by id,
// a page at a time through the Link header, every record once.
func TestReviewQueue_Pages(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	base := f.story.At("2026-11-10T10:00:00+08:00")
	var want []string
	type rec struct {
		at time.Time
		id string
	}
	var recs []rec
	for i := range 5 {
		// Newest first, two at one moment: a form number of no block is an
		// exception, so each waits for review.
		at := base.Add(-time.Duration(i/2*i) * time.Hour)
		r := marketInspection(at, []string{"a-cg-03", "a-sj-01", "a-sj-02"}, fmt.Sprintf("JYCF-QUEUE-%d", i))
		body, _ := json.Marshal(r)
		if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
			t.Fatalf("record: %d %s", res.Status, res.Body)
		}
		recs = append(recs, rec{at, r.ID})
	}
	slices.SortFunc(recs, func(a, b rec) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for _, r := range recs {
		want = append(want, r.id)
	}
	leader := f.login(t, "leader.a", demo.Password)
	var got []string
	next := "/v1/inspections/review-queue?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		res := f.client.Get(next, leader)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", next, res.Status, res.Body)
		}
		var page []openapi.Inspection
		res.JSON(t, &page)
		if len(page) > 2 {
			t.Fatalf("a page of %d records, limit 2", len(page))
		}
		for _, p := range page {
			got = append(got, p.Record.Id.String())
		}
		next = ""
		if m := linkNext.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("queue order %v, want oldest first %v", got, want)
	}
	f.client.Get("/v1/inspections/review-queue?cursor=bm9wZQ", leader).Problem(t, http.StatusBadRequest, "bad_request")

	// The list pages the same way, newest first.
	var listed []string
	next = "/v1/inspections?limit=3"
	for next != "" {
		res := f.client.Get(next, leader)
		var page []openapi.Inspection
		res.JSON(t, &page)
		for _, p := range page {
			listed = append(listed, p.Record.Id.String())
		}
		next = ""
		if m := linkNext.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if len(listed) != len(want) {
		t.Fatalf("listed %d records over its pages, want %d", len(listed), len(want))
	}

	// The audit trail's body cursor is its Link header too.
	admin := f.login(t, "admin", demo.Password)
	res := f.client.Get("/v1/admin/audit?limit=1", admin)
	var page openapi.AuditPage
	res.JSON(t, &page)
	m := linkNext.FindStringSubmatch(res.Header.Get("Link"))
	if page.NextCursor == nil || m == nil || !strings.Contains(m[1], "cursor="+url.QueryEscape(*page.NextCursor)) || !strings.HasPrefix(m[1], "/v1/admin/audit?") {
		t.Fatalf("audit next %v, Link %q", page.NextCursor, res.Header.Get("Link"))
	}
	// The deprecated after still pages, from the entry the deprecated next names.
	var after openapi.AuditPage
	f.client.Get(fmt.Sprintf("/v1/admin/audit?limit=1&after=%d", *page.Next), admin).JSON(t, &after)
	var second openapi.AuditPage
	f.client.Get(m[1], admin).JSON(t, &second)
	if len(after.Entries) != 1 || len(second.Entries) != 1 || after.Entries[0].Id != second.Entries[0].Id || after.Entries[0].Id <= page.Entries[0].Id {
		t.Fatalf("after=%d gave %+v, the cursor %+v", *page.Next, after.Entries, second.Entries)
	}
	f.client.Get(m[1]+fmt.Sprintf("&after=%d", *page.Next), admin).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
}
