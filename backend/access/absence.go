package access

import (
	"slices"

	"github.com/whistle/whistle/backend/org"
)

// knowsOfficerAbsences reports whether sc may know of officer code's absences at all, the
// officer's current streets being streets: administrators, the officer, and the street roles of
// those streets. To anyone else the officer's absences are not found; to these, a refused act
// is forbidden.
func knowsOfficerAbsences(sc org.Scope, code string, streets []string) bool {
	switch {
	case Admin(sc), sc.OfficerCode != "" && sc.OfficerCode == code:
		return true
	case streetRole(sc):
		return sc.StreetCode != "" && slices.Contains(streets, sc.StreetCode)
	}
	return false
}

// ReadAbsences reports whether sc may list officer code's absences, whose current streets are
// streets, and of which streets (nil: all): administrators and the officer all of them, the
// team leader of one of the officer's streets that street's. known says whether a refusal is
// forbidden rather than not found.
func ReadAbsences(sc org.Scope, code string, streets []string) (of []string, known, may bool) {
	known = knowsOfficerAbsences(sc, code, streets)
	switch {
	case !known:
		return nil, false, false
	case Admin(sc), sc.OfficerCode == code:
		return nil, true, true
	case sc.Role == org.RoleTeamLeader:
		return []string{sc.StreetCode}, true, true
	}
	return nil, true, false
}

// RecordAbsence reports whether sc may record an absence of officer code, whose current streets
// are streets: administrators, and the team leader of one of those streets (for that street).
// known says whether a refusal is forbidden rather than not found.
func RecordAbsence(sc org.Scope, code string, streets []string) (known, may bool) {
	known = knowsOfficerAbsences(sc, code, streets)
	return known, known && (Admin(sc) || sc.Role == org.RoleTeamLeader && slices.Contains(streets, sc.StreetCode))
}

// WithdrawAbsence reports whether sc may withdraw absence a: administrators, and the team leader
// of the absence's street. known says whether a refusal is forbidden rather than not found: the
// officer and the street roles of the absence's street know of it.
func WithdrawAbsence(sc org.Scope, a org.Absence) (known, may bool) {
	known = Admin(sc) || sc.OfficerCode != "" && sc.OfficerCode == a.OfficerCode ||
		streetRole(sc) && sc.StreetCode != "" && sc.StreetCode == a.StreetCode
	return known, known && (Admin(sc) || sc.Role == org.RoleTeamLeader && sc.StreetCode == a.StreetCode)
}
