package authority

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestReasonText_EveryCode reads the Reason* constants from reason.go itself, so a code added
// without its texts (or texts left behind by a removed code) fails here.
func TestReasonText_EveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "reason.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{} // value -> constant name
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if other, dup := codes[v]; dup {
					t.Errorf("%s and %s share the code %q", name.Name, other, v)
				}
				codes[v] = name.Name
			}
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d reason constants; is the parser looking at the right file?", len(codes))
	}
	for code, name := range codes {
		text, ok := reasonText[code]
		switch {
		case !ok:
			t.Errorf("%s (%q) has no entry in reasonText", name, code)
		case !strings.ContainsFunc(text[0], func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("%s: zh text %q has no Chinese", name, text[0])
		case text[1] == "" || strings.ContainsFunc(text[1], func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("%s: en text %q is empty or not English", name, text[1])
		}
		if code != strings.ToUpper(code) || strings.ContainsAny(code, " -") {
			t.Errorf("%s: code %q is not UPPER_SNAKE", name, code)
		}
	}
	for code := range reasonText {
		if _, ok := codes[code]; !ok {
			t.Errorf("reasonText has %q, which no constant names", code)
		}
	}
}
