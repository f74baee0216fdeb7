package api

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// docsMarkdown renders the descriptions of the contract, which are
// CommonMark with GFM tables, for the docs page. The contract is ours, but
// the page is served from the API's own origin, so it is held to what a
// reader needs and nothing a script could use: raw HTML is shown as text,
// links lead only to http, https or an anchor on the page (any other link
// is shown as its text), and images are shown as their alt text, so the
// page never loads anything from elsewhere.
var docsMarkdown = goldmark.New(
	goldmark.WithExtensions(extension.Table),
	goldmark.WithRendererOptions(
		// Ahead of goldmark's HTML renderer (priority 1000) for these kinds.
		renderer.WithNodeRenderers(util.Prioritized(safeNodes{}, 100)),
	),
)

// markdownBlock renders s as Markdown blocks (paragraphs, lists, tables).
func markdownBlock(s string) template.HTML { return renderMarkdown(s, false) }

// markdownInline renders s for a table cell or beside a heading: a text of
// one paragraph comes without its <p>, a longer one as blocks.
func markdownInline(s string) template.HTML { return renderMarkdown(s, true) }

func renderMarkdown(s string, inline bool) template.HTML {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	src := []byte(s)
	doc := docsMarkdown.Parser().Parse(text.NewReader(src))
	var buf bytes.Buffer
	if err := docsMarkdown.Renderer().Render(&buf, src, doc); err != nil {
		// goldmark fails only when the writer does; a bytes.Buffer does not.
		return template.HTML(template.HTMLEscapeString(s))
	}
	out := strings.TrimSpace(buf.String())
	if inline && doc.ChildCount() == 1 && doc.FirstChild().Kind() == ast.KindParagraph {
		out = strings.TrimSuffix(strings.TrimPrefix(out, "<p>"), "</p>")
	}
	return template.HTML(out) // safeNodes has neutralised HTML, links and images
}

// safeNodes renders the Markdown nodes that could carry markup, scripts or
// requests to elsewhere in their neutral form.
type safeNodes struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (safeNodes) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindRawHTML, renderRawHTMLAsText)
	r.Register(ast.KindHTMLBlock, renderHTMLBlockAsText)
	r.Register(ast.KindLink, renderSafeLink)
	r.Register(ast.KindAutoLink, renderSafeAutoLink)
	r.Register(ast.KindImage, renderImageAsAlt)
}

// allowedLink reports whether a link may be followed from the docs page:
// http, https, or an anchor on the page itself.
func allowedLink(dest []byte) bool {
	d := strings.ToLower(strings.TrimSpace(string(dest)))
	return strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "#")
}

// renderRawHTMLAsText shows inline HTML as the text it was written as.
func renderRawHTMLAsText(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		segs := node.(*ast.RawHTML).Segments
		for i := range segs.Len() {
			seg := segs.At(i)
			_, _ = w.Write(util.EscapeHTML(seg.Value(source)))
		}
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlockAsText shows a block of HTML as a paragraph of its text.
func renderHTMLBlockAsText(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if entering {
		_, _ = w.WriteString("<p>")
		for i := range n.Lines().Len() {
			line := n.Lines().At(i)
			_, _ = w.Write(util.EscapeHTML(line.Value(source)))
		}
		return ast.WalkContinue, nil
	}
	if n.HasClosure() {
		_, _ = w.Write(util.EscapeHTML(n.ClosureLine.Value(source)))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

// renderSafeLink renders a link to an allowed destination; any other link
// is rendered as its text alone.
func renderSafeLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if !allowedLink(n.Destination) {
		return ast.WalkContinue, nil // the children, the link's text, render as usual
	}
	if entering {
		_, _ = w.WriteString(`<a href="`)
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
		_ = w.WriteByte('"')
		if n.Title != nil {
			_, _ = w.WriteString(` title="`)
			_, _ = w.WriteString(html.EscapeString(string(n.Title)))
			_ = w.WriteByte('"')
		}
		_ = w.WriteByte('>')
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

// renderSafeAutoLink renders <https://…> as a link, and any other autolink
// (mailto:, an e-mail address, another scheme) as its text.
func renderSafeAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	url := n.URL(source)
	label := util.EscapeHTML(n.Label(source))
	if n.AutoLinkType != ast.AutoLinkURL || !allowedLink(url) {
		_, _ = w.Write(label)
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(url, false)))
	_, _ = w.WriteString(`">`)
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// renderImageAsAlt renders an image as its alt text: the page loads nothing.
func renderImageAsAlt(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.Write(util.EscapeHTML([]byte(plainText(node, source))))
	}
	return ast.WalkSkipChildren, nil
}

// plainText is the text of n's descendants, without any markup.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(source))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		default:
			b.WriteString(plainText(c, source))
		}
	}
	return b.String()
}
