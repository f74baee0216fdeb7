package org_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/org"
)

// csvSections are the sections the CSV import reads.
var csvSections = []org.Section{org.SectionOfficers, org.SectionCertificates, org.SectionMatters}

// FuzzImportCSV reads arbitrary CSV as POST /v1/admin/imports does, then
// checks the dataset as the import does: never a panic, every rejection
// names a line of the file (0 for the header), and a file that both pass
// holds only rows with their key.
func FuzzImportCSV(f *testing.F) {
	head := func(s org.Section) string { return strings.Join(org.CSVColumns[s], ",") + "\n" }
	f.Add(uint8(0), []byte(head(org.SectionOfficers)+"a-cg-09,王五,cg,false,,13800000000,team-st-a,member,2026-01-01,\n"))
	f.Add(uint8(0), []byte("\ufeff"+head(org.SectionOfficers)+"a-cg-09,王五,cg,yes,,x,team-st-a,member,soon,\n"))
	f.Add(uint8(1), []byte(head(org.SectionCertificates)+"C-1,a-cg-09,cg,2026-01-01,2027-01-01,valid,2026-01-01,\nC-1,a-cg-09,cg,2026-01-01,2027-01-01,suspended,2026-06-01,审查\n"))
	f.Add(uint8(2), []byte(head(org.SectionMatters)+"CG-099,1,名称,name,\"依据, 第一条\",cg,warn;fine,5000,50000,regular,2026-01-01,\n"))
	f.Add(uint8(2), []byte(head(org.SectionMatters)+"\"unterminated\n"))
	f.Add(uint8(1), []byte("number\n"))
	f.Add(uint8(0), []byte{})
	f.Fuzz(func(t *testing.T, section uint8, data []byte) {
		s := csvSections[int(section)%len(csvSections)]
		ds, rep := org.ParseCSV(s, bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, r := range rep.Rejected {
			if r.Row < 0 || r.Row > lines || r.Reason == "" {
				t.Fatalf("rejection %+v names no line of a %d-line file", r, lines)
			}
		}
		if len(rep.Rejected) > 0 || len(org.Check(ds).Rejected) > 0 {
			return
		}
		for _, o := range ds.Officers {
			if o.Code == "" {
				t.Fatalf("an officer without a code accepted: %+v", o)
			}
		}
		for _, c := range ds.Certificates {
			if c.Number == "" {
				t.Fatalf("a certificate without a number accepted: %+v", c)
			}
		}
		for _, m := range ds.Matters {
			if m.Code == "" {
				t.Fatalf("a matter without a code accepted: %+v", m)
			}
		}
	})
}
