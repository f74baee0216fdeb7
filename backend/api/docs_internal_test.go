package api

import (
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
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

// docsOf renders the docs page of a small contract written for the test.
func docsOf(t *testing.T, spec string) string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderDocs(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// markdownSpec is a contract whose every kind of description carries
// Markdown: the info, an operation's summary and description, a parameter,
// a response, a schema and a property.
const markdownSpec = `openapi: 3.0.3
info:
  title: T
  version: "1"
  description: |
    The **info** text.

    | code | meaning |
    |---|---|
    | ` + "`not_found`" + ` | no such thing |
tags:
  - name: things
    description: All *things*.
paths:
  /things/{id}:
    get:
      tags: [things]
      operationId: getThing
      summary: Get a **thing**
      description: |
        See [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) and [the schema](#schema-Thing).

        - one
        - two
      parameters:
        - name: id
          in: path
          required: true
          description: The ` + "`id`" + ` of the _thing_.
          schema: {type: string}
      responses:
        "200":
          description: The **thing**.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
components:
  schemas:
    Thing:
      type: object
      description: A **thing** in a table.
      properties:
        name:
          type: string
          description: Its ` + "`name`" + `, **bold**.
`

// TestDocsMarkdown checks that the descriptions of every part of the
// contract are rendered from Markdown: emphasis, tables, lists, links and
// code become their HTML elements.
func TestDocsMarkdown(t *testing.T) {
	page := docsOf(t, markdownSpec)
	for _, want := range []string{
		`<strong>info</strong>`, // the info description
		`<table>`, `<th>code</th>`, `<td><code>not_found</code></td>`,
		`<p>All <em>things</em>.</p>`,                                   // a tag
		`<p><b>Get a <strong>thing</strong></b></p>`,                    // a summary, inline
		`<a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a>`, // a link
		`<a href="#schema-Thing">the schema</a>`,                        // an anchor
		`<li>one</li>`,                                                  // a list
		`<td>The <code>id</code> of the <em>thing</em>.</td>`,           // a parameter, inline
		`<td>The <strong>thing</strong>.</td>`,                          // a response
		`<p>A <strong>thing</strong> in a table.</p>`,                   // a schema
		`<td>Its <code>name</code>, <strong>bold</strong>.</td>`,        // a property
	} {
		if !strings.Contains(page, want) {
			t.Errorf("docs page lacks %s", want)
		}
	}
	for _, raw := range []string{"**", "`id`", "[RFC 9457]"} {
		if strings.Contains(page, raw) {
			t.Errorf("docs page shows raw Markdown %s", raw)
		}
	}
}

// TestDocsMarkdown_Unsafe checks that Markdown cannot put markup, scripts
// or loads from elsewhere on the page: raw HTML shows as text, links other
// than http, https and anchors show as their text, images as their alt text.
func TestDocsMarkdown_Unsafe(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"html block", "<script>alert(1)</script>", `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"inline html", "a <b onclick=\"x()\">b</b> c", `a &lt;b onclick=&quot;x()&quot;&gt;b&lt;/b&gt; c`},
		{"javascript link", "[click](javascript:alert(1))", `<p>click</p>`},
		{"javascript link, upper case", "[click](JavaScript:alert(1))", `<p>click</p>`},
		{"data link", "[click](data:text/html;base64,PHNjcmlwdD4=)", `<p>click</p>`},
		{"relative link", "[spec](/openapi.yaml)", `<p>spec</p>`},
		{"mailto autolink", "<mailto:a@example.org>", `<p>mailto:a@example.org</p>`},
		{"javascript autolink", "<javascript:alert(1)>", `<p>javascript:alert(1)</p>`},
		{"image", "![a *chart* of it](https://example.org/x.png)", `<p>a chart of it</p>`},
		{"image in a link", "[![logo](https://example.org/l.png)](https://example.org)", `<p><a href="https://example.org">logo</a></p>`},
		{"quote in a link", `[x](https://example.org/"onmouseover="y)`, `<a href="https://example.org/%22onmouseover=%22y">x</a>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(markdownBlock(tc.md))
			if !strings.Contains(got, tc.want) {
				t.Errorf("markdown %q renders %q, want it to contain %q", tc.md, got, tc.want)
			}
			for _, bad := range []string{"<script", "<img", "<b ", "javascript:alert(1)\"", "href=\"javascript", "href=\"data", "href=\"mailto", "href=\"/", "onmouseover=\""} {
				if strings.Contains(strings.ToLower(got), strings.ToLower(bad)) {
					t.Errorf("markdown %q renders %q, which contains %s", tc.md, got, bad)
				}
			}
		})
	}
	// And through the page: an operation's description is held to the same.
	page := docsOf(t, strings.Replace(markdownSpec, "        - one\n", "        - one <script>alert(1)</script> ![x](https://example.org/x.png)\n", 1))
	if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
		t.Errorf("docs page carries a script or an image")
	}
	if !strings.Contains(page, "<li>one &lt;script&gt;alert(1)&lt;/script&gt; x</li>") {
		t.Errorf("docs page does not show the script as text and the image as its alt")
	}
}
