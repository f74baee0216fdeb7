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
