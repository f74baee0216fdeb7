package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/org"
)

// importSections are the sections a CSV import names, as the API's
// ?section= of POST /v1/admin/imports.
var importSections = []org.Section{org.SectionOfficers, org.SectionCertificates, org.SectionMatters}

// maxImport is the largest CSV the page takes (the API's body limit is
// larger; a district's rows are far fewer).
const maxImport = 4 << 20

// importsView is the import page: the form, the report of the last upload
// and the imports on the trail.
type importsView struct {
	Sections []org.Section
	Columns  map[org.Section][]string
	Section  org.Section // of the last upload
	File     string      // its name
	Report   *importReport
	Trail    bool          // the trail is at hand: Past is listed
	Past     []audit.Entry // newest first
	Error    string        // a key of messages
}

// importReport is the outcome of one upload, line by line.
type importReport struct {
	Applied bool
	Summary string         // the rows written, by section
	Lines   []importLine   // every data line of the file
	File    []org.RowError // faults of the file as a whole (header, section)
}

// importLine is one data line of the file and its fate.
type importLine struct {
	Row     int    // 1-based data line, as the API's report counts CSV rows
	Key     string // the line's code or number
	Refused []org.RowError
}

// importsPage shows the form and the past imports.
func (c *Console) importsPage(ctx *fiber.Ctx, s *session) error {
	return c.showImports(ctx, s, http.StatusOK, importsView{})
}

func (c *Console) showImports(ctx *fiber.Ctx, s *session, status int, v importsView) error {
	v.Sections, v.Columns = importSections, org.CSVColumns
	if c.cfg.Admin.Trail != nil {
		past, err := c.pastImports(ctx.UserContext(), c.cfg.Now())
		if err != nil {
			return c.fail(ctx, s, err)
		}
		v.Past, v.Trail = past, true
	}
	return c.render(ctx, status, "admin-imports", s, v)
}

// importCSV imports the uploaded CSV as POST /v1/admin/imports?section=
// does with a text/csv body: org.ParseCSV, then org.Import through the same
// store (whole or not at all, trail entry "org.import"), and shows the
// report of every line.
func (c *Console) importCSV(ctx *fiber.Ctx, s *session) error {
	v := importsView{Section: org.Section(ctx.FormValue("section"))}
	if !slices.Contains(importSections, v.Section) {
		v.Error = "admin.import-section"
		return c.showImports(ctx, s, http.StatusUnprocessableEntity, v)
	}
	fh, err := ctx.FormFile("file")
	if err != nil {
		v.Error = "admin.import-nofile"
		return c.showImports(ctx, s, http.StatusUnprocessableEntity, v)
	}
	v.File = fh.Filename
	if fh.Size > maxImport {
		v.Error = "admin.import-large"
		return c.showImports(ctx, s, http.StatusRequestEntityTooLarge, v)
	}
	f, err := fh.Open()
	if err != nil {
		return c.fail(ctx, s, err)
	}
	b, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		return c.fail(ctx, s, err)
	}
	ds, rep := org.ParseCSV(v.Section, bytes.NewReader(b))
	byLine := len(rep.Rejected) > 0 // cell faults name the file's lines; later ones the dataset's rows
	if !byLine {
		if rep, err = org.Import(ctx.UserContext(), c.cfg.Admin.Org, c.cfg.Admin.Passwords, ds); err != nil {
			return c.fail(ctx, s, err)
		}
	}
	v.Report = lineReport(v.Section, b, rep, byLine)
	status := http.StatusOK
	if !rep.Applied {
		status = http.StatusUnprocessableEntity
	}
	return c.showImports(ctx, s, status, v)
}

// lineReport spreads rep over the data lines of file. ParseCSV counts its
// rejections by line; Check and the store by row of the dataset, where
// several lines of one officer code (memberships) or certificate number
// (status history) are one row: such a row's fault refuses each of its lines.
func lineReport(section org.Section, file []byte, rep org.Report, byLine bool) *importReport {
	out := &importReport{Applied: rep.Applied, Summary: rep.Summary()}
	cr := csv.NewReader(bytes.NewReader(file))
	cr.FieldsPerRecord = -1
	rowOf := map[string]int{} // a line's first cell -> its dataset row
	for line := 0; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if line == 0 {
			continue // the header
		}
		l := importLine{Row: line}
		if err == nil && len(rec) > 0 {
			l.Key = strings.TrimSpace(rec[0])
		}
		row := line
		if !byLine {
			if section == org.SectionMatters {
				row = len(out.Lines) + 1
			} else if r, ok := rowOf[l.Key]; ok {
				row = r
			} else {
				row = len(rowOf) + 1
				rowOf[l.Key] = row
			}
		}
		for _, e := range rep.Rejected {
			if e.Row == row && (e.Section == section || e.Section == "") {
				l.Refused = append(l.Refused, e)
			}
		}
		out.Lines = append(out.Lines, l)
	}
	for _, e := range rep.Rejected {
		if e.Row == 0 || e.Section != section && e.Section != "" {
			out.File = append(out.File, e)
		}
	}
	return out
}

// pastImportsWithin is how far back the list of past imports reaches.
const pastImportsWithin = 90 * 24 * time.Hour

// pastImportsSize is how many past imports the list shows.
const pastImportsSize = 100

// pastImports are the imports on the trail (its "org.import" entries, as GET
// /v1/admin/audit?action=org.import lists them) of the last 90 days, newest
// first.
func (c *Console) pastImports(ctx context.Context, now time.Time) ([]audit.Entry, error) {
	var all []audit.Entry
	f := audit.Filter{Chain: audit.DistrictChain, Action: "org.import", From: now.Add(-pastImportsWithin), Limit: audit.MaxLimit}
	for {
		es, next, err := c.cfg.Admin.Trail.Query(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
		if next == 0 {
			break
		}
		f.After = next
	}
	slices.Reverse(all)
	return all[:min(len(all), pastImportsSize)], nil
}
