package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEConfigTable keeps the README's configuration table in step with
// the settings the binary reads.
func TestREADMEConfigTable(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range settings {
		row := "| `" + s.name + "` | `" + s.def + "` |"
		if s.def == "" {
			row = "| `" + s.name + "` | |"
		}
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row starting %q", row)
		}
	}
}
