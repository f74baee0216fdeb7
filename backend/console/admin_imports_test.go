package console

import (
	"slices"
	"testing"

	"github.com/whistle/whistle/backend/org"
)

// TestLineReport: a rejection lands on the lines of its row: by line for the
// cells ParseCSV refuses, by dataset row for the later checks, where the
// lines of one certificate number (its status history) are one row.
func TestLineReport(t *testing.T) {
	const file = "number,officer_code\nC-1,a\nC-2,b\nC-2,b\nC-3,c\n"
	refusedLines := func(r *importReport) []int {
		var out []int
		for _, l := range r.Lines {
			if len(l.Refused) > 0 {
				out = append(out, l.Row)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		byLine bool
		reject org.RowError
		want   []int
		file   int // faults of the file as a whole
	}{
		{"ByLine", true, org.RowError{Section: org.SectionCertificates, Row: 3, Key: "C-2"}, []int{3}, 0},
		{"ByRow", false, org.RowError{Section: org.SectionCertificates, Row: 2, Key: "C-2"}, []int{2, 3}, 0},
		{"AfterARowOfTwoLines", false, org.RowError{Section: org.SectionCertificates, Row: 3, Key: "C-3"}, []int{4}, 0},
		{"TheHeader", true, org.RowError{Section: org.SectionCertificates, Row: 0, Field: "header"}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := lineReport(org.SectionCertificates, []byte(file), org.Report{Rejected: []org.RowError{tc.reject}}, tc.byLine)
			if len(r.Lines) != 4 {
				t.Fatalf("%d lines, want 4", len(r.Lines))
			}
			if got := refusedLines(r); !slices.Equal(got, tc.want) {
				t.Errorf("refused lines %v, want %v", got, tc.want)
			}
			if len(r.File) != tc.file {
				t.Errorf("%d faults of the file, want %d", len(r.File), tc.file)
			}
		})
	}
}
