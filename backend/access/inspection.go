package access

import "github.com/whistle/whistle/backend/org"

// streetRole reports whether sc's role works in one street's data: officers,
// team leaders and grid operators.
func streetRole(sc org.Scope) bool {
	switch sc.Role {
	case org.RoleOfficer, org.RoleTeamLeader, org.RoleGridOperator:
		return true
	}
	return false
}

// KnowsStreet reports whether sc may know what is recorded in street at all:
// the street's own accounts and administrators. To anyone else an object of
// street is not found; to these, a refused act is forbidden.
func KnowsStreet(sc org.Scope, street string) bool {
	return sc.StreetCode == street || Admin(sc)
}

// RecordInspection reports whether sc may record an inspection: officers and
// team leaders with an officer of their own, who must be in the crew.
func RecordInspection(sc org.Scope) bool {
	return (sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader) && sc.OfficerCode != ""
}

// Inspection reports whether sc may see an inspection record of street, on
// whose crew sc's officer is (inCrew) or is not, and whether the party's
// personal data must be masked. Administrators see every record, masked. The
// officers, team leader and grid operators of the street see its records:
// in full for the case team (the crew and the team leader), masked for the
// others. A department reviewer sees a record that is a source of a case
// while the department's review grant on the case is live (grant; nil: none,
// loaded only for reviewers), masked unless the grant is unmasked.
func Inspection(sc org.Scope, street string, inCrew bool, grant *Grant) (visible, masked bool) {
	switch {
	case Admin(sc):
		return true, true
	case grantFor(sc, grant):
		return true, !grant.Unmasked
	case streetRole(sc) && sc.StreetCode == street:
		return true, !inCrew && sc.Role != org.RoleTeamLeader
	}
	return false, false
}

// ListInspections reports whether sc may list inspection records, and of
// which street ("" for every street): administrators all, the officers, team
// leader and grid operators of a street theirs.
func ListInspections(sc org.Scope) (street string, ok bool) {
	switch {
	case Admin(sc):
		return "", true
	case streetRole(sc) && sc.StreetCode != "":
		return sc.StreetCode, true
	}
	return "", false
}

// ReviewQueue reports whether sc may open the review queue of flagged
// records: team leaders (their street's, as ListInspections limits it) and
// administrators.
func ReviewQueue(sc org.Scope) bool {
	return sc.Role == org.RoleTeamLeader || Admin(sc)
}

// ReviewInspection reports whether sc may review (approve or return) an
// inspection record of street: only that street's team leader may. known is
// KnowsStreet: whether a refusal is forbidden rather than not found.
func ReviewInspection(sc org.Scope, street string) (known, may bool) {
	known = KnowsStreet(sc, street)
	return known, known && sc.Role == org.RoleTeamLeader
}

// TakeNumberBlock reports whether sc may take a block of document numbers
// for offline use: officers and team leaders.
func TakeNumberBlock(sc org.Scope) bool {
	return sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader
}

// NumberBlock reports whether sc may see the reconciliation of a number
// block issued to a device of the user owner, who is in the team of street
// ("" if none): the owner, the team leader of that street, administrators.
func NumberBlock(sc org.Scope, owner, street string) bool {
	switch {
	case sc.UserID != "" && sc.UserID == owner:
		return true
	case Admin(sc):
		return true
	}
	return sc.Role == org.RoleTeamLeader && sc.StreetCode == street
}
