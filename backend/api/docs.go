package api

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// docsField is one field of a schema on the docs page, nested fields
// included under dotted names (location.lat, items[].name).
type docsField struct {
	Name        string
	Type        template.HTML // component names link to their schema
	Constraints string
	Description template.HTML // Markdown, rendered
	Required    bool
}

// renderDocs renders the contract as one self-contained HTML page: no
// scripts, fonts or styles from elsewhere, since Whistle runs on closed
// government networks. Operations are grouped by tag, in the contract's
// order of tags; each schema lists its fields with the fields of inline
// objects nested under them, with their constraints, and type names link
// to their schemas. Descriptions are Markdown (GFM tables included),
// rendered by markdownBlock and markdownInline without raw HTML, images or
// links other than http, https and anchors.
func renderDocs(doc *openapi3.T) ([]byte, error) {
	type param struct {
		Name, In, Constraints string
		Type, Description     template.HTML
		Required              bool
	}
	type response struct {
		Status            string
		Description, Body template.HTML
	}
	type operation struct {
		Method, Path, ID           string
		Summary, Description, Body template.HTML
		Public                     bool
		Params                     []param
		Responses                  []response
		BodyFields                 []docsField
	}
	type group struct {
		Name        string
		Description template.HTML
		Operations  []operation
	}
	type schema struct {
		Name              string
		Description, Type template.HTML
		Fields            []docsField
	}
	groups := map[string]*group{}
	var order []string
	for _, t := range doc.Tags {
		groups[t.Name] = &group{Name: t.Name, Description: markdownBlock(t.Description)}
		order = append(order, t.Name)
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			o := operation{Method: method, Path: path, ID: op.OperationID,
				Summary: markdownInline(op.Summary), Description: markdownBlock(op.Description)}
			o.Public = op.Security != nil && len(*op.Security) == 0
			for _, p := range op.Parameters {
				o.Params = append(o.Params, param{Name: p.Value.Name, In: p.Value.In, Type: linkedType(p.Value.Schema),
					Constraints: constraints(p.Value.Schema), Description: markdownInline(p.Value.Description), Required: p.Value.Required})
			}
			if op.RequestBody != nil {
				var body []string
				for ct, mt := range op.RequestBody.Value.Content {
					body = append(body, template.HTMLEscapeString(ct)+" "+string(linkedType(mt.Schema)))
					if mt.Schema != nil && mt.Schema.Ref == "" {
						o.BodyFields = append(o.BodyFields, fieldsOf(mt.Schema.Value, "", 0)...)
					}
				}
				sort.Strings(body)
				o.Body = template.HTML(strings.Join(body, ", "))
			}
			for status, r := range op.Responses.Map() {
				var body []string
				for ct, mt := range r.Value.Content {
					body = append(body, template.HTMLEscapeString(ct)+" "+string(linkedType(mt.Schema)))
				}
				sort.Strings(body)
				desc := ""
				if r.Value.Description != nil {
					desc = *r.Value.Description
				}
				o.Responses = append(o.Responses, response{status, markdownInline(desc), template.HTML(strings.Join(body, ", "))})
			}
			sort.Slice(o.Responses, func(i, j int) bool { return o.Responses[i].Status < o.Responses[j].Status })
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &group{Name: tag}
				order = append(order, tag)
			}
			groups[tag].Operations = append(groups[tag].Operations, o)
		}
	}
	var tagged []group
	for _, name := range order {
		g := groups[name]
		if len(g.Operations) == 0 {
			continue
		}
		sort.Slice(g.Operations, func(i, j int) bool {
			if g.Operations[i].Path != g.Operations[j].Path {
				return g.Operations[i].Path < g.Operations[j].Path
			}
			return g.Operations[i].Method < g.Operations[j].Method
		})
		tagged = append(tagged, *g)
	}
	var schemas []schema
	for name, ref := range doc.Components.Schemas {
		s := schema{Name: name, Description: markdownBlock(ref.Value.Description), Fields: fieldsOf(ref.Value, "", 0)}
		if len(s.Fields) == 0 {
			// A scalar, an enum, or a oneOf: say what it is.
			s.Type = linkedType(&openapi3.SchemaRef{Value: ref.Value})
			if c := constraints(&openapi3.SchemaRef{Value: ref.Value}); c != "" {
				s.Type += template.HTML(" — " + template.HTMLEscapeString(c))
			}
		}
		schemas = append(schemas, s)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })

	var buf bytes.Buffer
	err := docsPage.Execute(&buf, map[string]any{
		"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": markdownBlock(doc.Info.Description),
		"Groups": tagged, "Schemas": schemas,
	})
	return buf.Bytes(), err
}

// maxDocsDepth bounds the nesting of inline objects on the page.
const maxDocsDepth = 6

// fieldsOf lists the properties of s, sorted, with the fields of inline
// objects (and of arrays of inline objects) after each under prefix.
// Fields of a component ($ref) are not repeated: its name links to them.
func fieldsOf(s *openapi3.Schema, prefix string, depth int) []docsField {
	if s == nil || depth > maxDocsDepth {
		return nil
	}
	var out []docsField
	for _, part := range s.AllOf {
		if part.Ref == "" {
			out = append(out, fieldsOf(part.Value, prefix, depth)...)
		}
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Properties[name]
		out = append(out, docsField{Name: prefix + name, Type: linkedType(p), Constraints: constraints(p),
			Description: markdownInline(p.Value.Description), Required: required[name]})
		if p.Ref != "" || p.Value == nil {
			continue
		}
		switch {
		case len(p.Value.Properties) > 0 || len(p.Value.AllOf) > 0:
			out = append(out, fieldsOf(p.Value, prefix+name+".", depth+1)...)
		case p.Value.Items != nil && p.Value.Items.Ref == "" && p.Value.Items.Value != nil && len(p.Value.Items.Value.Properties) > 0:
			out = append(out, fieldsOf(p.Value.Items.Value, prefix+name+"[].", depth+1)...)
		}
	}
	return out
}

// linkedType describes a schema in a few words, component names linked to
// their schemas.
func linkedType(s *openapi3.SchemaRef) template.HTML {
	return template.HTML(describeType(s, func(name string) string {
		return `<a href="#schema-` + template.HTMLEscapeString(name) + `">` + template.HTMLEscapeString(name) + `</a>`
	}))
}

// describeType describes a schema in a few words, as HTML: its component
// name (written by ref), its type, format and values, or its alternatives.
func describeType(s *openapi3.SchemaRef, ref func(string) string) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		return ref(s.Ref[strings.LastIndex(s.Ref, "/")+1:])
	}
	v := s.Value
	if v == nil {
		return "object"
	}
	for _, alt := range []struct {
		word string
		refs openapi3.SchemaRefs
	}{{"one of", v.OneOf}, {"any of", v.AnyOf}, {"all of", v.AllOf}} {
		if len(alt.refs) > 0 {
			var parts []string
			for _, r := range alt.refs {
				parts = append(parts, describeType(r, ref))
			}
			return alt.word + " " + strings.Join(parts, " | ")
		}
	}
	if v.Type == nil {
		return "object"
	}
	t := strings.Join(v.Type.Slice(), "|")
	if t == "object" && len(v.Properties) == 0 && v.AdditionalProperties.Schema != nil {
		return "map of " + describeType(v.AdditionalProperties.Schema, ref)
	}
	if t == "array" && v.Items != nil {
		return "array of " + describeType(v.Items, ref)
	}
	if v.Format != "" {
		t += " (" + template.HTMLEscapeString(v.Format) + ")"
	}
	if len(v.Enum) > 0 {
		var vals []string
		for _, e := range v.Enum {
			vals = append(vals, template.HTMLEscapeString(fmt.Sprint(e)))
		}
		t += ": " + strings.Join(vals, ", ")
	}
	return t
}

// constraints lists what the contract demands of a value beyond its type.
func constraints(s *openapi3.SchemaRef) string {
	if s == nil || s.Value == nil || s.Ref != "" {
		return ""
	}
	v := s.Value
	var c []string
	if v.MinLength > 0 {
		c = append(c, fmt.Sprintf("minLength %d", v.MinLength))
	}
	if v.MaxLength != nil {
		c = append(c, fmt.Sprintf("maxLength %d", *v.MaxLength))
	}
	if v.Pattern != "" {
		c = append(c, "pattern "+v.Pattern)
	}
	if v.Min != nil {
		op := "≥"
		if v.ExclusiveMin.IsTrue() {
			op = ">"
		}
		c = append(c, fmt.Sprintf("%s %v", op, *v.Min))
	}
	if v.Max != nil {
		op := "≤"
		if v.ExclusiveMax.IsTrue() {
			op = "<"
		}
		c = append(c, fmt.Sprintf("%s %v", op, *v.Max))
	}
	if v.MinItems > 0 {
		c = append(c, fmt.Sprintf("minItems %d", v.MinItems))
	}
	if v.MaxItems != nil {
		c = append(c, fmt.Sprintf("maxItems %d", *v.MaxItems))
	}
	if v.UniqueItems {
		c = append(c, "unique items")
	}
	if v.Nullable {
		c = append(c, "nullable")
	}
	if v.ReadOnly {
		c = append(c, "read-only")
	}
	if v.Default != nil {
		c = append(c, fmt.Sprintf("default %v", v.Default))
	}
	return strings.Join(c, "; ")
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;padding:0 .2em}
pre{white-space:pre-wrap}td p,td ul,td ol{margin:0}
.op{border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.5em 1em}
.m{font-weight:bold;text-transform:uppercase;display:inline-block;min-width:4em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left;vertical-align:top}
.pub{color:#070}.auth{color:#a50}.c{color:#555;font-size:90%}
</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<div class="md">{{.Description}}</div>
<p>The machine-readable contract is at <a href="/openapi.yaml">/openapi.yaml</a>.
Operations by tag: {{range .Groups}}<a href="#tag-{{.Name}}">{{.Name}}</a> {{end}}· <a href="#schemas">schemas</a></p>
{{define "fields"}}<table><tr><th>field</th><th>type</th><th>constraints</th><th></th></tr>{{range .}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.Type}}</td><td class="c">{{.Constraints}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{range .Groups}}<h2 id="tag-{{.Name}}">{{.Name}}</h2>
{{if .Description}}<div class="md">{{.Description}}</div>{{end}}
{{range .Operations}}<div class="op" id="{{.ID}}">
<div><span class="m">{{.Method}}</span> <code>{{.Path}}</code> {{if .Public}}<span class="pub">public</span>{{else}}<span class="auth">bearer token</span>{{end}}</div>
<p><b>{{.Summary}}</b></p>
{{.Description}}
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>type</th><th>constraints</th><th></th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td class="c">{{.Constraints}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p>Body: <code>{{.Body}}</code></p>{{if .BodyFields}}{{template "fields" .BodyFields}}{{end}}{{end}}
<table><tr><th>status</th><th>body</th><th></th></tr>{{range .Responses}}<tr><td>{{.Status}}</td><td><code>{{.Body}}</code></td><td>{{.Description}}</td></tr>{{end}}</table>
</div>{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
<p>* required. Fields of inline objects follow their object under dotted names; names of schemas link to them.</p>
{{range .Schemas}}<div class="op" id="schema-{{.Name}}"><b>{{.Name}}</b>{{if .Type}}: {{.Type}}{{end}}
{{.Description}}
{{if .Fields}}{{template "fields" .Fields}}{{end}}
</div>{{end}}
</body></html>
`))
