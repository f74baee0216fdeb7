package org

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
)

// Section names a part of a Dataset in reports.
type Section string

// The sections of a Dataset, in the order they are applied.
const (
	SectionDistricts    Section = "districts"
	SectionStreets      Section = "streets"
	SectionCommunities  Section = "communities"
	SectionGridCenters  Section = "grid_centers"
	SectionDepartments  Section = "departments"
	SectionTeams        Section = "teams"
	SectionOfficers     Section = "officers"
	SectionCertificates Section = "certificates"
	SectionMatters      Section = "matters"
	SectionPolicies     Section = "policies"
	SectionLogins       Section = "logins"
)

// RowError says why one row of an import was rejected.
type RowError struct {
	Section Section `json:"section"`
	Row     int     `json:"row"` // 1-based index within its section (for CSV: the data line)
	Key     string  `json:"key"` // the row's code or number
	Field   string  `json:"field"`
	Code    string  `json:"code"` // validation_failed, conflict or not_found
	Reason  string  `json:"reason"`
}

// Report is the outcome of an import: applied whole, or rejected with every
// row at fault. Counts are the rows per section that were (or would have
// been) written.
type Report struct {
	Applied  bool            `json:"applied"`
	Counts   map[Section]int `json:"counts"`
	Rejected []RowError      `json:"rejected"`
}

// sections is every section, in the order they are applied.
var sections = []Section{SectionDistricts, SectionStreets, SectionCommunities, SectionGridCenters, SectionDepartments,
	SectionTeams, SectionOfficers, SectionCertificates, SectionMatters, SectionPolicies, SectionLogins}

// Summary names the rows of the report by section, e.g. "2 streets, 30 officers".
func (r Report) Summary() string {
	var parts []string
	for _, s := range sections {
		if n := r.Counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

// Reject adds a row error.
func (r *Report) Reject(s Section, row int, key, field, code, format string, args ...any) {
	r.Rejected = append(r.Rejected, RowError{Section: s, Row: row, Key: key, Field: field, Code: code, Reason: fmt.Sprintf(format, args...)})
}

var (
	validKinds     = []authority.DepartmentKind{authority.KindSquad, authority.KindResident, authority.KindListed}
	validMeasures  = []authority.Measure{authority.MeasureEvidence, authority.MeasureSummons, authority.MeasureWarning, authority.MeasureFineSimple, authority.MeasureSeizure, authority.MeasureRefer}
	validWhistles  = []WhistleType{WhistleEmergency, WhistleKey, WhistleRegular}
	validPositions = []Position{PositionLeader, PositionDeputyLeader, PositionMember}
)

// Check validates what can be judged from the rows alone (required fields,
// windows, enumerations, duplicates within the import, contradictory
// policies). References to stored data are checked by the store. The
// returned report has Counts filled and Rejected listing every fault.
func Check(ds Dataset) Report {
	r := Report{Counts: map[Section]int{}, Rejected: []RowError{}}
	required := func(s Section, row int, key string, fields map[string]string) {
		for _, f := range []string{"code", "number", "name_zh", "username", "display_name", "legal_basis", "officer_code", "department_code", "street_code", "district_code", "team_code"} {
			if v, ok := fields[f]; ok && v == "" {
				r.Reject(s, row, key, f, "validation_failed", "%s is required", f)
			}
		}
	}
	dup := func(s Section, seen map[string]bool, row int, key, field string) {
		if seen[key] {
			r.Reject(s, row, key, field, "validation_failed", "%s %q appears twice in this import", field, key)
		}
		seen[key] = true
	}

	seen := map[string]bool{}
	for i, d := range ds.Districts {
		required(SectionDistricts, i+1, d.Code, map[string]string{"code": d.Code, "name_zh": d.NameZH})
		dup(SectionDistricts, seen, i+1, d.Code, "code")
	}
	seen = map[string]bool{}
	for i, s := range ds.Streets {
		required(SectionStreets, i+1, s.Code, map[string]string{"code": s.Code, "name_zh": s.NameZH, "district_code": s.DistrictCode})
		dup(SectionStreets, seen, i+1, s.Code, "code")
	}
	seen = map[string]bool{}
	for i, c := range ds.Communities {
		required(SectionCommunities, i+1, c.Code, map[string]string{"code": c.Code, "name_zh": c.NameZH, "street_code": c.StreetCode})
		dup(SectionCommunities, seen, i+1, c.Code, "code")
	}
	seen = map[string]bool{}
	for i, g := range ds.GridCenters {
		required(SectionGridCenters, i+1, g.Code, map[string]string{"code": g.Code, "name_zh": g.NameZH, "district_code": g.DistrictCode})
		dup(SectionGridCenters, seen, i+1, g.Code, "code")
		if g.Level != GridDistrict && g.Level != GridStreet {
			r.Reject(SectionGridCenters, i+1, g.Code, "level", "validation_failed", "level must be district or street")
		}
		if (g.Level == GridStreet) != (g.StreetCode != "") {
			r.Reject(SectionGridCenters, i+1, g.Code, "street_code", "validation_failed", "a street grid center names its street, a district one does not")
		}
	}
	seen = map[string]bool{}
	for i, d := range ds.Departments {
		required(SectionDepartments, i+1, d.Code, map[string]string{"code": d.Code, "name_zh": d.NameZH})
		dup(SectionDepartments, seen, i+1, d.Code, "code")
		if !slices.Contains(validKinds, d.Kind) {
			r.Reject(SectionDepartments, i+1, d.Code, "kind", "validation_failed", "kind must be squad, resident or listed")
		}
	}
	seen = map[string]bool{}
	for i, t := range ds.Teams {
		required(SectionTeams, i+1, t.Code, map[string]string{"code": t.Code, "name_zh": t.NameZH, "street_code": t.StreetCode})
		dup(SectionTeams, seen, i+1, t.Code, "code")
	}
	seen = map[string]bool{}
	for i, o := range ds.Officers {
		required(SectionOfficers, i+1, o.Code, map[string]string{"code": o.Code, "name_zh": o.NameZH, "department_code": o.DepartmentCode})
		dup(SectionOfficers, seen, i+1, o.Code, "code")
		for j, m := range o.Memberships {
			field := fmt.Sprintf("memberships/%d", j)
			if m.TeamCode == "" {
				r.Reject(SectionOfficers, i+1, o.Code, field+"/team_code", "validation_failed", "team_code is required")
			}
			if !slices.Contains(validPositions, m.Position) {
				r.Reject(SectionOfficers, i+1, o.Code, field+"/position", "validation_failed", "position must be leader, deputy_leader or member")
			}
			if m.From.IsZero() {
				r.Reject(SectionOfficers, i+1, o.Code, field+"/from", "validation_failed", "from is required")
			}
			if m.To != nil && !m.To.After(m.From) {
				r.Reject(SectionOfficers, i+1, o.Code, field+"/to", "validation_failed", "membership ends (%s) before it starts (%s)", m.To.Format(time.DateOnly), m.From.Format(time.DateOnly))
			}
		}
	}
	auxiliary := map[string]bool{}
	for _, o := range ds.Officers {
		auxiliary[o.Code] = o.Auxiliary
	}
	seen = map[string]bool{}
	for i, c := range ds.Certificates {
		required(SectionCertificates, i+1, c.Number, map[string]string{"number": c.Number, "officer_code": c.OfficerCode})
		dup(SectionCertificates, seen, i+1, c.Number, "number")
		if c.IssuingDepartmentCode == "" {
			r.Reject(SectionCertificates, i+1, c.Number, "issuing_department_code", "validation_failed", "issuing_department_code is required")
		}
		if !c.ValidTo.After(c.ValidFrom) {
			r.Reject(SectionCertificates, i+1, c.Number, "valid_to", "validation_failed", "the certificate window is inverted or empty: valid_to must be after valid_from")
		}
		if auxiliary[c.OfficerCode] {
			r.Reject(SectionCertificates, i+1, c.Number, "officer_code", "validation_failed", "auxiliary staff never hold enforcement certificates")
		}
		for j, s := range c.Status {
			if s.Status != authority.CertificateActive && s.Status != authority.CertificateSuspended && s.Status != authority.CertificateRevoked {
				r.Reject(SectionCertificates, i+1, c.Number, fmt.Sprintf("status/%d/status", j), "validation_failed", "status must be active, suspended or revoked")
			}
		}
	}
	seen = map[string]bool{}
	for i, m := range ds.Matters {
		key := fmt.Sprintf("%s@%d", m.Code, m.Version)
		required(SectionMatters, i+1, key, map[string]string{"code": m.Code, "name_zh": m.NameZH, "legal_basis": m.LegalBasis, "department_code": m.DepartmentCode})
		dup(SectionMatters, seen, i+1, key, "code")
		if m.Version < 1 {
			r.Reject(SectionMatters, i+1, key, "version", "validation_failed", "version starts at 1")
		}
		if m.ValidTo != nil && !m.ValidTo.After(m.ValidFrom) {
			r.Reject(SectionMatters, i+1, key, "valid_to", "validation_failed", "the validity window is inverted or empty")
		}
		if len(m.Measures) == 0 {
			r.Reject(SectionMatters, i+1, key, "measures", "validation_failed", "a matter allows at least one measure")
		}
		for _, ms := range m.Measures {
			if !slices.Contains(validMeasures, ms) {
				r.Reject(SectionMatters, i+1, key, "measures", "validation_failed", "unknown measure %q", ms)
			}
		}
		if m.FineMaxPerson < 0 || m.FineMaxPerson > 200 {
			r.Reject(SectionMatters, i+1, key, "fine_max_person", "validation_failed", "a simple-procedure fine for a person is at most 200 yuan (处罚法 art. 51)")
		}
		if m.FineMaxOrg < 0 || m.FineMaxOrg > 3000 {
			r.Reject(SectionMatters, i+1, key, "fine_max_org", "validation_failed", "a simple-procedure fine for an organisation is at most 3,000 yuan (处罚法 art. 51)")
		}
		if !slices.Contains(validWhistles, m.DefaultWhistle) {
			r.Reject(SectionMatters, i+1, key, "default_whistle", "validation_failed", "default_whistle must be emergency, key or regular")
		}
	}
	checkMatterWindows(&r, ds.Matters)
	seen = map[string]bool{}
	for i, p := range ds.Policies {
		key := p.DepartmentCode + "@" + p.ValidFrom.Format(time.RFC3339)
		required(SectionPolicies, i+1, key, map[string]string{"department_code": p.DepartmentCode})
		dup(SectionPolicies, seen, i+1, key, "department_code")
		if err := p.Policy.Validate(); err != nil {
			field := "policy"
			if pe, ok := err.(*authority.PolicyError); ok {
				field = pe.Field
			}
			r.Reject(SectionPolicies, i+1, key, field, "validation_failed", "%v", err)
		}
	}
	seen = map[string]bool{}
	for i, l := range ds.Logins {
		required(SectionLogins, i+1, l.Username, map[string]string{"username": l.Username, "display_name": l.DisplayName})
		dup(SectionLogins, seen, i+1, l.Username, "username")
		if !l.Role.Valid() {
			r.Reject(SectionLogins, i+1, l.Username, "role", "validation_failed", "unknown role %q", l.Role)
		}
	}

	r.Counts[SectionDistricts] = len(ds.Districts)
	r.Counts[SectionStreets] = len(ds.Streets)
	r.Counts[SectionCommunities] = len(ds.Communities)
	r.Counts[SectionGridCenters] = len(ds.GridCenters)
	r.Counts[SectionDepartments] = len(ds.Departments)
	r.Counts[SectionTeams] = len(ds.Teams)
	r.Counts[SectionOfficers] = len(ds.Officers)
	r.Counts[SectionCertificates] = len(ds.Certificates)
	r.Counts[SectionMatters] = len(ds.Matters)
	r.Counts[SectionPolicies] = len(ds.Policies)
	r.Counts[SectionLogins] = len(ds.Logins)
	return r
}

// checkMatterWindows refuses versions of one matter in this import whose
// windows overlap or leave a gap: a version ends where the next begins.
func checkMatterWindows(r *Report, ms []Matter) {
	byCode := map[string][]int{}
	for i, m := range ms {
		byCode[m.Code] = append(byCode[m.Code], i)
	}
	for _, idx := range byCode {
		slices.SortFunc(idx, func(a, b int) int { return ms[a].Version - ms[b].Version })
		for k := 1; k < len(idx); k++ {
			prev, cur := ms[idx[k-1]], ms[idx[k]]
			if prev.ValidTo == nil || !prev.ValidTo.Equal(cur.ValidFrom) {
				r.Reject(SectionMatters, idx[k]+1, fmt.Sprintf("%s@%d", cur.Code, cur.Version), "valid_from", "validation_failed",
					"version %d must start where version %d ends", cur.Version, prev.Version)
			}
		}
	}
}

// Err turns a rejected report into one error for single-object operations:
// derrors.Conflict when a row clashes with stored data (e.g. a certificate
// number held by another officer), otherwise derrors.Invalid (an unknown
// reference is invalid input: 422 naming the field). It returns nil for an
// applied report.
func (r Report) Err() error {
	if len(r.Rejected) == 0 {
		return nil
	}
	code := derrors.Invalid
	fields := make([]derrors.FieldError, len(r.Rejected))
	for i, re := range r.Rejected {
		if re.Code == string(derrors.Conflict) {
			code = derrors.Conflict
		}
		fields[i] = derrors.FieldError{Field: "/" + re.Field, Message: re.Reason}
	}
	return &derrors.Error{Code: code, Message: r.Rejected[0].Reason, Fields: fields}
}

// Store is what an import needs of storage.
type Store interface {
	// Import applies ds whole or not at all (see Report); hashes maps
	// usernames to encoded password hashes.
	Import(ctx context.Context, ds Dataset, hashes map[string]string) (Report, error)
}

// Hasher hashes passwords of imported logins.
type Hasher interface {
	Hash(password string) (string, error)
}

// Import checks ds, hashes the passwords of its logins and applies it
// through store, whole or not at all. A login without a password gets a
// random one nobody knows: the account exists but cannot log in until a
// password is set.
func Import(ctx context.Context, store Store, hasher Hasher, ds Dataset) (Report, error) {
	if rep := Check(ds); len(rep.Rejected) > 0 {
		return rep, nil
	}
	hashes := make(map[string]string, len(ds.Logins))
	for _, l := range ds.Logins {
		pw := l.Password
		if pw == "" {
			b := make([]byte, 24)
			if _, err := rand.Read(b); err != nil {
				return Report{}, err
			}
			pw = base64.RawURLEncoding.EncodeToString(b)
		}
		h, err := hasher.Hash(pw)
		if err != nil {
			return Report{}, err
		}
		hashes[l.Username] = h
	}
	return store.Import(ctx, ds, hashes)
}
