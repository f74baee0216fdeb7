package org

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/authority"
)

// CSVColumns are the header of each section that can be imported as CSV.
// Dates are RFC 3339 or YYYY-MM-DD (midnight UTC); lists are ;-separated.
var CSVColumns = map[Section][]string{
	SectionOfficers: {"code", "name_zh", "department_code", "auxiliary", "auxiliary_role", "phone",
		"team_code", "position", "from", "to"},
	SectionCertificates: {"number", "officer_code", "issuing_department_code", "valid_from", "valid_to",
		"status", "status_since", "status_reason"},
	SectionMatters: {"code", "version", "name_zh", "name_en", "legal_basis", "department_code", "measures",
		"fine_max_person", "fine_max_org", "default_whistle", "valid_from", "valid_to"},
}

// ParseCSV reads one section from CSV with the header of CSVColumns. Several
// lines with the same officer code are one officer with several memberships;
// several lines with the same certificate number are one certificate with a
// status history. Cells that cannot be parsed are reported per line; the
// dataset is only good when the report has no rejections.
func ParseCSV(section Section, r io.Reader) (Dataset, Report) {
	rep := Report{Counts: map[Section]int{}, Rejected: []RowError{}}
	var ds Dataset
	cols, ok := CSVColumns[section]
	if !ok {
		rep.Reject(section, 0, "", "section", "validation_failed", "CSV import covers officers, certificates and matters")
		return ds, rep
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(cols)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		rep.Reject(section, 0, "", "header", "validation_failed", "cannot read the header: %v", err)
		return ds, rep
	}
	for i, h := range header {
		if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) != cols[i] {
			rep.Reject(section, 0, "", "header", "validation_failed", "column %d is %q, want %q (header: %s)", i+1, h, cols[i], strings.Join(cols, ","))
			return ds, rep
		}
	}
	officers := map[string]int{}
	certs := map[string]int{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.Reject(section, line, "", "line", "validation_failed", "%v", err)
			continue
		}
		cell := map[string]string{}
		for i, c := range cols {
			cell[c] = strings.TrimSpace(rec[i])
		}
		p := cellParser{rep: &rep, section: section, line: line, key: rec[0]}
		switch section {
		case SectionOfficers:
			m := Membership{TeamCode: cell["team_code"], Position: Position(cell["position"]), From: p.time("from", cell["from"]), To: p.optTime("to", cell["to"])}
			if idx, ok := officers[cell["code"]]; ok {
				ds.Officers[idx].Memberships = append(ds.Officers[idx].Memberships, m)
				continue
			}
			officers[cell["code"]] = len(ds.Officers)
			ds.Officers = append(ds.Officers, Officer{Code: cell["code"], NameZH: cell["name_zh"], DepartmentCode: cell["department_code"],
				Auxiliary: p.bool("auxiliary", cell["auxiliary"]), AuxiliaryRole: cell["auxiliary_role"], Phone: cell["phone"],
				Memberships: []Membership{m}})
		case SectionCertificates:
			var status []authority.CertificateStatus
			if cell["status"] != "" {
				status = append(status, authority.CertificateStatus{Status: cell["status"], Since: p.time("status_since", cell["status_since"]), Reason: cell["status_reason"]})
			}
			if idx, ok := certs[cell["number"]]; ok {
				ds.Certificates[idx].Status = append(ds.Certificates[idx].Status, status...)
				continue
			}
			certs[cell["number"]] = len(ds.Certificates)
			ds.Certificates = append(ds.Certificates, Certificate{Number: cell["number"], OfficerCode: cell["officer_code"],
				IssuingDepartmentCode: cell["issuing_department_code"], ValidFrom: p.time("valid_from", cell["valid_from"]),
				ValidTo: p.time("valid_to", cell["valid_to"]), Status: status})
		case SectionMatters:
			var measures []authority.Measure
			for _, m := range strings.Split(cell["measures"], ";") {
				if m = strings.TrimSpace(m); m != "" {
					measures = append(measures, authority.Measure(m))
				}
			}
			ds.Matters = append(ds.Matters, Matter{Code: cell["code"], Version: p.int("version", cell["version"]), NameZH: cell["name_zh"],
				NameEN: cell["name_en"], LegalBasis: cell["legal_basis"], DepartmentCode: cell["department_code"], Measures: measures,
				FineMaxPerson: p.int("fine_max_person", cell["fine_max_person"]), FineMaxOrg: p.int("fine_max_org", cell["fine_max_org"]),
				DefaultWhistle: WhistleType(cell["default_whistle"]), ValidFrom: p.time("valid_from", cell["valid_from"]),
				ValidTo: p.optTime("valid_to", cell["valid_to"])})
		}
	}
	return ds, rep
}

// cellParser parses cells of one CSV line, rejecting the line's bad cells.
type cellParser struct {
	rep     *Report
	section Section
	line    int
	key     string
}

func (p cellParser) time(field, v string) time.Time {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t
	}
	p.rep.Reject(p.section, p.line, p.key, field, "validation_failed", "%q is not a date (YYYY-MM-DD or RFC 3339)", v)
	return time.Time{}
}

func (p cellParser) optTime(field, v string) *time.Time {
	if v == "" {
		return nil
	}
	t := p.time(field, v)
	return &t
}

func (p cellParser) int(field, v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.rep.Reject(p.section, p.line, p.key, field, "validation_failed", "%q is not a whole number", v)
	}
	return n
}

func (p cellParser) bool(field, v string) bool {
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.rep.Reject(p.section, p.line, p.key, field, "validation_failed", "%q is not true or false", v)
	}
	return b
}

// String renders a row error for command-line reports.
func (e RowError) String() string {
	return fmt.Sprintf("%s row %d (%s) %s: %s [%s]", e.Section, e.Row, e.Key, e.Field, e.Reason, e.Code)
}
