package access

import "github.com/whistle/whistle/backend/org"

// Deadline reports whether sc may see the statutory deadlines of street:
// its officers and team leader (an officer's team is the street's one team,
// so officers see their own and their team's), and administrators. Grid
// operators, communities and department reviewers see none.
func Deadline(sc org.Scope, street string) bool {
	switch {
	case Admin(sc):
		return true
	case sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader:
		return sc.StreetCode != "" && sc.StreetCode == street
	}
	return false
}

// ListDeadlines reports whether sc may list deadlines, and of which street
// ("" for every street): administrators all, officers and team leaders
// their street's.
func ListDeadlines(sc org.Scope) (street string, ok bool) {
	switch {
	case Admin(sc):
		return "", true
	case (sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader) && sc.StreetCode != "":
		return sc.StreetCode, true
	}
	return "", false
}

// PauseDeadline reports whether sc may pause or resume a deadline of
// street: only the street's team leader may. known is Deadline: whether a
// refusal is forbidden rather than not found.
func PauseDeadline(sc org.Scope, street string) (known, may bool) {
	known = Deadline(sc, street)
	return known, known && sc.Role == org.RoleTeamLeader
}
