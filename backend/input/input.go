// Package input refuses text that arrives from outside and cannot be kept as
// it was sent: U+0000 (PostgreSQL's text and jsonb cannot store it), bytes
// that are not UTF-8 and unpaired UTF-16 surrogates (encoding/json would
// silently rewrite both to U+FFFD), and, in parameters, control characters.
//
// The checks are generic: JSONText walks every string of a JSON document,
// member names included, so the API's request validation and the sync
// protocol's mutation validation call it once for a whole body or a whole
// mutation's args instead of field by field. Offending fields are named by
// JSON pointer (RFC 6901).
package input

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/whistle/whistle/backend/derrors"
)

// What is wrong with a piece of text, as the message of its field.
const (
	reasonNUL       = "text must not contain U+0000 (NUL)"
	reasonUTF8      = "text must be valid UTF-8"
	reasonSurrogate = "text must not contain an unpaired UTF-16 surrogate"
	reasonControl   = "a parameter must not contain control characters"
)

// Message is the problem's message when some text was refused.
const Message = "the request holds text that cannot be stored as sent (U+0000, invalid UTF-8, an unpaired surrogate, or a control character in a parameter)"

// Refused returns a derrors.Invalid error naming fields, or nil when there
// are none.
func Refused(fields []derrors.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &derrors.Error{Code: derrors.Invalid, Message: Message, Fields: fields}
}

// Parameter reports what is wrong with a decoded path or query parameter
// value ("" when nothing is): no parameter of the contract takes NUL,
// invalid UTF-8 or control characters (C0, DEL, C1).
func Parameter(v string) string {
	for i, r := range v {
		switch {
		case r == 0:
			return reasonNUL
		case r == utf8.RuneError && !strings.HasPrefix(v[i:], "\uFFFD"):
			return reasonUTF8
		case unicode.IsControl(r):
			return reasonControl
		}
	}
	return ""
}

// JSONText walks every string of the JSON document doc, member names
// included, and names each one (its JSON pointer, after prefix at) holding
// U+0000 (as \u0000 or a raw byte), bytes that are not UTF-8, or an unpaired
// surrogate escape. opaque, if not nil, names subtrees that are not walked
// (judged elsewhere, such as a pushed mutation's args). Syntax errors end
// the walk silently: the document's parser reports them.
func JSONText(doc []byte, at string, opaque func(pointer string) bool) []derrors.FieldError {
	s := &scanner{b: doc, opaque: opaque}
	s.value(at)
	return s.errs
}

type scanner struct {
	b      []byte
	i      int
	errs   []derrors.FieldError
	opaque func(string) bool
}

func (s *scanner) add(pointer, reason string) {
	s.errs = append(s.errs, derrors.FieldError{Field: pointer, Message: reason})
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// next is the next byte after white space, or 0 at the end.
func (s *scanner) next() byte {
	s.space()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// value scans one value at pointer; false on a syntax error.
func (s *scanner) value(pointer string) bool {
	if s.opaque != nil && s.opaque(pointer) {
		n := len(s.errs)
		ok := s.scan(pointer)
		s.errs = s.errs[:n]
		return ok
	}
	return s.scan(pointer)
}

// pointerEscape escapes a member name in a JSON pointer (RFC 6901); built
// once, as building a Replacer costs more than most of what it replaces.
var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

func (s *scanner) scan(pointer string) bool {
	switch s.next() {
	case '{':
		s.i++
		if s.next() == '}' {
			s.i++
			return true
		}
		for {
			if s.next() != '"' {
				return false
			}
			start := s.i
			reason, ok := s.str()
			if !ok {
				return false
			}
			member := pointer
			if reason != "" {
				s.add(pointer, "a member name: "+reason)
			} else {
				var name string
				_ = json.Unmarshal(s.b[start:s.i], &name)
				member = pointer + "/" + pointerEscape.Replace(name)
			}
			if s.next() != ':' {
				return false
			}
			s.i++
			if !s.value(member) {
				return false
			}
			switch s.next() {
			case ',':
				s.i++
			case '}':
				s.i++
				return true
			default:
				return false
			}
		}
	case '[':
		s.i++
		if s.next() == ']' {
			s.i++
			return true
		}
		for n := 0; ; n++ {
			if !s.value(pointer + "/" + strconv.Itoa(n)) {
				return false
			}
			switch s.next() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case '"':
		reason, ok := s.str()
		if reason != "" {
			s.add(pointer, reason)
		}
		return ok
	case 0:
		return false
	}
	// A number, true, false or null.
	start := s.i
	for s.i < len(s.b) && strings.IndexByte("+-.0123456789eEtruefalsn", s.b[s.i]) >= 0 {
		s.i++
	}
	return s.i > start
}

// str scans a string literal starting at its quote and returns the first
// thing wrong with its text ("" for none); false on a syntax error.
func (s *scanner) str() (reason string, ok bool) {
	note := func(r string) {
		if reason == "" {
			reason = r
		}
	}
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return reason, true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return reason, false
			}
			if s.b[s.i+1] != 'u' {
				s.i += 2
				continue
			}
			r, ok := s.hex(s.i + 2)
			if !ok {
				return reason, false
			}
			s.i += 6
			switch {
			case r == 0:
				note(reasonNUL)
			case r >= 0xDC00 && r <= 0xDFFF:
				note(reasonSurrogate)
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := rune(0), false
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					low, ok = s.hex(s.i + 2)
				}
				if !ok || low < 0xDC00 || low > 0xDFFF {
					note(reasonSurrogate)
					continue
				}
				s.i += 6
			}
		case c == 0:
			note(reasonNUL)
			s.i++
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				note(reasonUTF8)
			}
			s.i += size
		}
	}
	return reason, false
}

// hex reads the four hex digits of a \u escape at i.
func (s *scanner) hex(i int) (rune, bool) {
	if i+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[i:i+4]), 16, 32)
	return rune(n), err == nil
}
