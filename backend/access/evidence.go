package access

import "github.com/whistle/whistle/backend/org"

// UploadEvidence reports whether sc may upload evidence: the officers and
// team leaders who take it at the scene.
func UploadEvidence(sc org.Scope) bool {
	return sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader
}

// Evidence reports whether sc may see an evidence item uploaded by
// uploaderID while in the team of street ("" if none): its uploader, the
// officers and team leader of that street, and administrators.
//
// Department reviewers will see the evidence of the cases routed to their
// department once case routing exists; until then they see none. That rule
// belongs here, taking the departments an item's case was routed to.
func Evidence(sc org.Scope, uploaderID, street string) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleOfficer, org.RoleTeamLeader:
		return sc.UserID == uploaderID || (street != "" && sc.StreetCode == street)
	}
	return sc.UserID != "" && sc.UserID == uploaderID
}

// EvidenceOrphans reports whether sc may list evidence whose record has not
// arrived, and of which street ("" for every street): team leaders their
// street's, administrators all.
func EvidenceOrphans(sc org.Scope) (street string, ok bool) {
	switch sc.Role {
	case org.RoleAdmin:
		return "", true
	case org.RoleTeamLeader:
		return sc.StreetCode, sc.StreetCode != ""
	}
	return "", false
}
