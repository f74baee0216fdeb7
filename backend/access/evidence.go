package access

import "github.com/whistle/whistle/backend/org"

// UploadEvidence reports whether sc may upload evidence: the officers and
// team leaders who take it at the scene.
func UploadEvidence(sc org.Scope) bool {
	return sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader
}

// Evidence reports whether sc may see an evidence item uploaded by
// uploaderID while in the team of street ("" if none): its uploader, the
// officers and team leader of that street, and administrators; a department
// reviewer while the department's review grant on a case of the item's record
// is live (grant; nil: none, loaded only for reviewers).
func Evidence(sc org.Scope, uploaderID, street string, grant *Grant) bool {
	switch sc.Role {
	case org.RoleAdmin:
		return true
	case org.RoleDeptReviewer:
		return grantFor(sc, grant)
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

// EvidenceContent reports whether sc, who may see an item (Evidence), may also
// download its original: a department reviewer only when the grant allows
// download (else forbidden: the reviewer knows the item exists), everyone
// else who sees it.
func EvidenceContent(sc org.Scope, grant *Grant) bool {
	if sc.Role == org.RoleDeptReviewer {
		return grantFor(sc, grant) && grant.Download
	}
	return true
}
