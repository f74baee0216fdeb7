package console

import "testing"

// TestParseRange: the one range a player asks for, resolved in an item of
// 1000 bytes; what is no single byte range is the whole item (ok false).
func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		header          string
		ok, satisfiable bool
		first, last     int64
		resumes         bool
	}{
		{"bytes=0-", true, true, 0, 999, false},
		{"bytes=0-99", true, true, 0, 99, false},
		{"bytes=500-", true, true, 500, 999, true},
		{"bytes=900-5000", true, true, 900, 999, true},
		{"bytes=-100", true, true, 900, 999, true},
		{"bytes=-5000", true, true, 0, 999, true},
		{"bytes=1000-", true, false, 0, 0, true},
		{"bytes=5-4", false, false, 0, 0, false},
		{"bytes=0-1,5-6", false, false, 0, 0, false},
		{"bytes=-0", false, false, 0, 0, false},
		{"items=0-1", false, false, 0, 0, false},
		{"", false, false, 0, 0, false},
	} {
		r, ok := parseRange(c.header)
		if ok != c.ok {
			t.Errorf("%q: ok %v, want %v", c.header, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		first, last, sat := r.within(1000)
		if sat != c.satisfiable || (sat && (first != c.first || last != c.last)) || r.resumes() != c.resumes {
			t.Errorf("%q: %d-%d satisfiable %v resumes %v, want %d-%d %v %v", c.header, first, last, sat, r.resumes(), c.first, c.last, c.satisfiable, c.resumes)
		}
	}
}

// TestPageQuery: each page's link to the next carries the starts of the
// pages before it, so that its previous page is one link away.
func TestPageQuery(t *testing.T) {
	if q := pageQuery("", nil); q != "" {
		t.Errorf("the first page's query is %q", q)
	}
	if q := pageQuery("2_x", []string{"1_x"}); q != "?after=2_x&back=1_x" {
		t.Errorf("the third page's query is %q", q)
	}
}
