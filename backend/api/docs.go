package api

import (
	"bytes"
	"html/template"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// renderDocs renders the contract as one self-contained HTML page: no
// scripts, fonts or styles from elsewhere, since Whistle runs on closed
// government networks.
func renderDocs(doc *openapi3.T) ([]byte, error) {
	type param struct {
		Name, In, Type, Description string
		Required                    bool
	}
	type response struct{ Status, Description, Body string }
	type operation struct {
		Method, Path, ID, Summary, Description, Body string
		Public                                       bool
		Params                                       []param
		Responses                                    []response
	}
	type property struct {
		Name, Type, Description string
		Required                bool
	}
	type schema struct {
		Name, Description string
		Properties        []property
	}
	var ops []operation
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			o := operation{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description}
			o.Public = op.Security != nil && len(*op.Security) == 0
			for _, p := range op.Parameters {
				o.Params = append(o.Params, param{p.Value.Name, p.Value.In, typeOf(p.Value.Schema), p.Value.Description, p.Value.Required})
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					o.Body = ct + " " + typeOf(mt.Schema)
				}
			}
			for status, r := range op.Responses.Map() {
				var body []string
				for ct, mt := range r.Value.Content {
					body = append(body, ct+" "+typeOf(mt.Schema))
				}
				sort.Strings(body)
				desc := ""
				if r.Value.Description != nil {
					desc = *r.Value.Description
				}
				o.Responses = append(o.Responses, response{status, desc, strings.Join(body, ", ")})
			}
			sort.Slice(o.Responses, func(i, j int) bool { return o.Responses[i].Status < o.Responses[j].Status })
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	var schemas []schema
	for name, ref := range doc.Components.Schemas {
		s := schema{Name: name, Description: ref.Value.Description}
		required := map[string]bool{}
		for _, r := range ref.Value.Required {
			required[r] = true
		}
		for pname, p := range ref.Value.Properties {
			s.Properties = append(s.Properties, property{pname, typeOf(p), p.Value.Description, required[pname]})
		}
		sort.Slice(s.Properties, func(i, j int) bool { return s.Properties[i].Name < s.Properties[j].Name })
		schemas = append(schemas, s)
	}
	sort.Slice(schemas, func(i, j int) bool { return schemas[i].Name < schemas[j].Name })

	var buf bytes.Buffer
	err := docsPage.Execute(&buf, map[string]any{
		"Title": doc.Info.Title, "Version": doc.Info.Version, "Description": doc.Info.Description,
		"Operations": ops, "Schemas": schemas,
	})
	return buf.Bytes(), err
}

// typeOf describes a schema in a few words: its component name or its type.
func typeOf(s *openapi3.SchemaRef) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	}
	if s.Value == nil || s.Value.Type == nil {
		return "object"
	}
	t := strings.Join(s.Value.Type.Slice(), "|")
	if t == "array" && s.Value.Items != nil {
		return "array of " + typeOf(s.Value.Items)
	}
	if s.Value.Format != "" {
		t += " (" + s.Value.Format + ")"
	}
	if len(s.Value.Enum) > 0 {
		var vals []string
		for _, v := range s.Value.Enum {
			if str, ok := v.(string); ok {
				vals = append(vals, str)
			}
		}
		t += ": " + strings.Join(vals, ", ")
	}
	return t
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;padding:0 .2em}
.op{border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.5em 1em}
.m{font-weight:bold;text-transform:uppercase;display:inline-block;min-width:4em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:left;vertical-align:top}
.pub{color:#070}.auth{color:#a50}
</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<pre>{{.Description}}</pre>
<p>The machine-readable contract is at <a href="/openapi.yaml">/openapi.yaml</a>.</p>
<h2>Operations</h2>
{{range .Operations}}<div class="op" id="{{.ID}}">
<div><span class="m">{{.Method}}</span> <code>{{.Path}}</code> {{if .Public}}<span class="pub">public</span>{{else}}<span class="auth">bearer token</span>{{end}}</div>
<p><b>{{.Summary}}</b> {{.Description}}</p>
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p>Body: <code>{{.Body}}</code></p>{{end}}
<table><tr><th>status</th><th>body</th><th></th></tr>{{range .Responses}}<tr><td>{{.Status}}</td><td><code>{{.Body}}</code></td><td>{{.Description}}</td></tr>{{end}}</table>
</div>{{end}}
<h2>Schemas</h2>
{{range .Schemas}}<div class="op" id="schema-{{.Name}}"><b>{{.Name}}</b> {{.Description}}
{{if .Properties}}<table>{{range .Properties}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
</div>{{end}}
</body></html>
`))
