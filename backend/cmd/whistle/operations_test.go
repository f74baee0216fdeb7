package main

import (
	"os"
	"strings"
	"testing"
)

// TestOperationsSettingsTable keeps the settings table of docs/OPERATIONS.md
// in step with the settings the binary reads: one row per setting, with its
// default and meaning as config.go has them, and no row for a variable the
// binary does not read.
func TestOperationsSettingsTable(t *testing.T) {
	b, err := os.ReadFile("../../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // variable: its row
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "| `WHISTLE_"); ok {
			name = "WHISTLE_" + name[:strings.Index(name, "`")]
			if _, dup := rows[name]; dup {
				t.Errorf("docs/OPERATIONS.md has two rows for %s", name)
			}
			rows[name] = line
		}
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
		def := "`" + s.def + "`"
		if s.def == "" {
			def = ""
		}
		doc := s.doc
		if s.secret {
			doc += " **Required in production.**"
		}
		want := strings.Join([]string{"|", "`" + s.name + "`", "|", def, "|", doc, "|"}, " ")
		want = strings.ReplaceAll(want, "|  |", "| |")
		if got, ok := rows[s.name]; !ok {
			t.Errorf("docs/OPERATIONS.md lacks the row of %s:\n%s", s.name, want)
		} else if got != want {
			t.Errorf("docs/OPERATIONS.md row of %s:\n%s\nwant (from config.go):\n%s", s.name, got, want)
		}
	}
	for name := range rows {
		if !known[name] {
			t.Errorf("docs/OPERATIONS.md documents %s, which the binary does not read", name)
		}
	}
}
