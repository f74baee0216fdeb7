package input_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/input"
)

func TestJSONText(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // "pointer: message; ..." of the fields named
	}{
		{"OKPlain", `{"a":"文本\n\t\"引号\" \\ \u00e9 \ud83d\ude00","b":[1,true,null,{"c":"x"}]}`, ""},
		{"OKReplacementCharacterSent", `{"a":"\ufffd �"}`, ""},
		{"ErrNULEscape", `{"party":{"name":"a\u0000b"}}`, "/party/name: text must not contain U+0000 (NUL)"},
		{"ErrNULRaw", "{\"a\":\"x\x00\"}", "/a: text must not contain U+0000 (NUL)"},
		{"ErrInvalidUTF8", "{\"a\":[\"ok\",\"\xff\xfe\"]}", "/a/1: text must be valid UTF-8"},
		{"ErrEncodedSurrogate", "{\"a\":\"\xed\xa0\x80\"}", "/a: text must be valid UTF-8"},
		{"ErrLoneHighSurrogate", `{"a":"\ud800x"}`, "/a: text must not contain an unpaired UTF-16 surrogate"},
		{"ErrLoneLowSurrogate", `{"a":"\udc00"}`, "/a: text must not contain an unpaired UTF-16 surrogate"},
		{"ErrHighThenHigh", `{"a":"\ud800\ud800"}`, "/a: text must not contain an unpaired UTF-16 surrogate"},
		{"ErrMemberName", `{"m":{"a\u0000":1}}`, "/m: a member name: text must not contain U+0000 (NUL)"},
		{"OKPointerEscapes", `{"a/b~c":"\u0000"}`, "/a~1b~0c: text must not contain U+0000 (NUL)"},
		{"ErrSeveral", "{\"a\":\"\\u0000\",\"b\":\"\xff\"}", "/a: text must not contain U+0000 (NUL); /b: text must be valid UTF-8"},
		{"OKTopLevelString", `"\u0000"`, ": text must not contain U+0000 (NUL)"},
		{"OKSyntaxErrorStops", `{"a":"\u0000",`, "/a: text must not contain U+0000 (NUL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range input.JSONText([]byte(tt.doc), "", nil) {
				got = append(got, f.Field+": "+f.Message)
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("JSONText(%q) = %q, want %q", tt.doc, g, tt.want)
			}
		})
	}
	t.Run("OKOpaqueSubtree", func(t *testing.T) {
		doc := `{"mutations":[{"args":{"t":"\u0000"},"name":"\u0000"}]}`
		got := input.JSONText([]byte(doc), "", func(p string) bool { return strings.HasSuffix(p, "/args") })
		if fmt.Sprint(got) != "[{/mutations/0/name text must not contain U+0000 (NUL)}]" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("OKPrefix", func(t *testing.T) {
		got := input.JSONText([]byte(`{"t":"\u0000"}`), "/args", nil)
		if len(got) != 1 || got[0].Field != "/args/t" {
			t.Errorf("got %v", got)
		}
	})
}

func TestParameter(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"OKCode", "team-st-a", ""},
		{"OKChinese", "京执字110101-0001", ""},
		{"OKReplacementCharacter", "\ufffd", ""},
		{"ErrNUL", "\x00", "text must not contain U+0000 (NUL)"},
		{"ErrInvalidUTF8", "\xff\xfe", "text must be valid UTF-8"},
		{"ErrControl", "a\x01b", "a parameter must not contain control characters"},
		{"ErrNewline", "a\nb", "a parameter must not contain control characters"},
		{"ErrC1", "a\u0085b", "a parameter must not contain control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := input.Parameter(tt.in); got != tt.want {
				t.Errorf("Parameter(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
