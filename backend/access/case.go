package access

import (
	"time"

	"github.com/whistle/whistle/backend/org"
)

// CaseView is what access judges of a case: its street, who holds it and who received it first,
// its competent department, and the accounts that took its sources in.
type CaseView struct {
	StreetCode string
	// Officers are the officers of the case team: the assignee and the first receiver, when
	// officers.
	Officers []string
	// DepartmentCode is the competent department the case was routed to.
	DepartmentCode string
	// TakenBy are the user ids of the accounts that took its sources in.
	TakenBy []string
	// Grant is the live review grant of the viewer's department on the case; nil when the viewer
	// is no department reviewer or the department has none live (loaded only for reviewers).
	Grant *Grant
}

// Grant is a live review grant as access judges it: the department whose reviewers it lets in,
// whether they may download originals, whether they see the party in full, and until when.
type Grant struct {
	ID             string
	DepartmentCode string
	Download       bool
	Unmasked       bool
	ExpiresAt      time.Time
}

// grantFor reports whether g lets department reviewer sc in.
func grantFor(sc org.Scope, g *Grant) bool {
	return sc.Role == org.RoleDeptReviewer && sc.DepartmentCode != "" && g != nil && g.DepartmentCode == sc.DepartmentCode
}

// ManageGrants reports whether sc may manage the review grants of a case of street (extend,
// revoke, change their terms): its team leader and administrators. known is KnowsStreet: whether
// a refusal is forbidden rather than not found.
func ManageGrants(sc org.Scope, street string) (known, may bool) {
	known = KnowsStreet(sc, street)
	return known, Admin(sc) || (known && sc.Role == org.RoleTeamLeader && street != "")
}

// Case reports whether sc may see a case, and whether personal data (the contacts of its
// sources) must be masked. Administrators see every case, masked. The street's team leader sees
// its cases in full; its officers see them, in full for the case team (the officer holding it
// and the first receiver), masked for the others. A department reviewer sees the cases routed to
// the department while the department's review grant on it is live (c.Grant), masked unless the
// grant is unmasked; a grid operator the cases of a source they took in, in full (they took
// the contact down). Anyone else: not found.
func Case(sc org.Scope, c CaseView) (visible, masked bool) {
	has := func(list []string, v string) bool {
		for _, x := range list {
			if v != "" && x == v {
				return true
			}
		}
		return false
	}
	switch {
	case Admin(sc):
		return true, true
	case sc.Role == org.RoleTeamLeader && sc.StreetCode != "" && sc.StreetCode == c.StreetCode:
		return true, false
	case sc.Role == org.RoleOfficer && sc.StreetCode != "" && sc.StreetCode == c.StreetCode:
		return true, !has(c.Officers, sc.OfficerCode)
	case grantFor(sc, c.Grant):
		return true, !c.Grant.Unmasked
	case sc.Role == org.RoleGridOperator && has(c.TakenBy, sc.UserID):
		return true, false
	}
	return false, false
}

// IntakeCase reports whether sc may take a problem in as a case: the street's grid operators and
// team leader, for their own street.
func IntakeCase(sc org.Scope) bool {
	return (sc.Role == org.RoleGridOperator || sc.Role == org.RoleTeamLeader) && sc.StreetCode != ""
}

// ListCases reports whether sc may list cases at all; the list is then narrowed as Case narrows
// what each may see (see casework.Service.List).
func ListCases(sc org.Scope) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleOfficer, org.RoleTeamLeader, org.RoleGridOperator:
		return sc.StreetCode != ""
	case org.RoleDeptReviewer:
		return sc.DepartmentCode != ""
	}
	return false
}
