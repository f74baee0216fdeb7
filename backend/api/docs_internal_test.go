package api

import (
	"regexp"
	"strings"
	"testing"

	"github.com/whistle/whistle/openapi"
)

// TestRenderDocs checks that the docs page shows nested fields, their
// constraints and linked type names, with operations grouped by tag, and
// that every link to a schema lands on one.
func TestRenderDocs(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderDocs(doc)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<code>location.lat</code> *</td><td>number</td><td class="c">≥ -90; ≤ 90</td>`, // a nested field and its bounds
		`<code>team_code</code> *</td><td>string</td><td class="c">maxLength 64</td>`,
		`<a href="#schema-DeviceTime">DeviceTime</a>`, // a type name linked
		`<h2 id="tag-inspections">inspections</h2>`,   // grouped by tag
		`<div class="op" id="schema-InspectionRecord">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("docs page lacks %s", want)
		}
	}
	for _, m := range regexp.MustCompile(`href="#schema-([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(page, `id="schema-`+m[1]+`"`) {
			t.Errorf("link to schema %s lands nowhere", m[1])
		}
	}
}
