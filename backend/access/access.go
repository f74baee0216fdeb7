// Package access decides who may see and do what, object by object. It
// denies by default: every function answers false unless a rule grants.
//
// Scopes come from org.Scope: street roles (officer, team leader, grid
// operator, community) see their own street only; department reviewers see
// what concerns their department; administrators see everything. Objects a
// caller may not see are answered as not found by the API, so that other
// streets' data cannot even be probed.
package access

import (
	"strings"
	"unicode"

	"github.com/whistle/whistle/backend/org"
)

// Admin reports whether sc may administer the district's data.
func Admin(sc org.Scope) bool { return sc.Role == org.RoleAdmin }

// ReferenceData reports whether sc may read the catalogue: streets,
// departments, matters and policies. Every known role may: phones need them
// to run the authority rules offline.
func ReferenceData(sc org.Scope) bool {
	return sc.Role.Valid()
}

// Roster reports whether sc may see the roster of the team of street.
func Roster(sc org.Scope, street string) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleOfficer, org.RoleTeamLeader, org.RoleGridOperator:
		return sc.StreetCode != "" && sc.StreetCode == street
	}
	return false
}

// Officer reports whether sc may see officer m, whose team is in streets
// (the streets of the officer's memberships in force now), and whether
// personal data (the phone number) must be masked.
func Officer(sc org.Scope, m org.Member, streets []string) (visible, masked bool) {
	switch sc.Role {
	case org.RoleAdmin:
		return true, false
	case org.RoleOfficer, org.RoleTeamLeader, org.RoleGridOperator:
		for _, s := range streets {
			if sc.StreetCode != "" && s == sc.StreetCode {
				return true, false
			}
		}
	case org.RoleDeptReviewer:
		if sc.DepartmentCode != "" && m.Officer.DepartmentCode == sc.DepartmentCode {
			return true, true
		}
	}
	return false, false
}

// AuthorityEngine reports whether sc may ask the authority engine at all:
// officers, team leaders and administrators. AskAuthority then judges the
// crew asked about.
func AuthorityEngine(sc org.Scope) bool {
	switch sc.Role {
	case org.RoleAdmin, org.RoleOfficer, org.RoleTeamLeader:
		return true
	}
	return false
}

// AskAuthority reports whether sc may ask the authority engine about a crew
// whose members are all in the streets given (one per crew member).
func AskAuthority(sc org.Scope, crewStreets []string) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleOfficer, org.RoleTeamLeader:
		for _, s := range crewStreets {
			if sc.StreetCode == "" || s != sc.StreetCode {
				return false
			}
		}
		return true
	}
	return false
}

// DeviceStatuses reports whether sc may see the sync state of devices, and of
// which street ("" for every street): team leaders their street's,
// administrators all.
func DeviceStatuses(sc org.Scope) (street string, ok bool) {
	switch {
	case Admin(sc):
		return "", true
	case sc.Role == org.RoleTeamLeader && sc.StreetCode != "":
		return sc.StreetCode, true
	}
	return "", false
}

// MaskPhone hides the middle of a phone number: 13800001234 -> 138****1234.
// At least four characters are always hidden, so a short number is never
// shown whole: 12345678 -> ****5678, 12345 -> ****5.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return "****"
	}
	hide := max(4, len(r)-7)
	shown := len(r) - hide
	suffix := min(4, shown)
	prefix := shown - suffix
	return string(r[:prefix]) + strings.Repeat("*", hide) + string(r[len(r)-suffix:])
}

// compoundSurnames are the two-character surnames (复姓) a masked name keeps
// whole.
var compoundSurnames = map[string]bool{
	"欧阳": true, "司马": true, "诸葛": true, "上官": true, "东方": true, "皇甫": true, "令狐": true, "慕容": true,
	"尉迟": true, "长孙": true, "宇文": true, "司徒": true, "夏侯": true, "公孙": true, "轩辕": true, "西门": true,
	"南宫": true, "独孤": true, "端木": true, "百里": true, "呼延": true, "澹台": true, "公冶": true, "宗政": true,
	"濮阳": true, "淳于": true, "单于": true, "太叔": true, "申屠": true, "钟离": true, "闻人": true, "万俟": true,
	"赫连": true, "拓跋": true, "司空": true, "亓官": true, "司寇": true, "子车": true, "颛孙": true, "壤驷": true,
	"公良": true, "漆雕": true, "乐正": true, "宰父": true, "谷梁": true, "东郭": true, "第五": true,
}

// MaskName hides a person's name but the surname, as 刘德华 -> 刘**, 王五
// -> 王*, 欧阳娜娜 -> 欧阳** (compound surnames are kept whole). A name
// already anonymised (刘某, 欧阳某某) is left as it is; a one-character
// name is hidden whole. A name in Latin letters keeps its first letter:
// John Smith -> J***. Organisations' names are public: callers mask only
// persons'.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	if r[0] < unicode.MaxASCII || !unicode.Is(unicode.Han, r[0]) {
		return string(r[0]) + "***"
	}
	surname := 1
	if len(r) > 2 && compoundSurnames[string(r[:2])] {
		surname = 2
	}
	if len(r) <= surname {
		return strings.Repeat("*", len(r))
	}
	given := r[surname:]
	if strings.Trim(string(given), "某") == "" {
		return string(r) // already anonymised
	}
	return string(r[:surname]) + strings.Repeat("*", len(given))
}
