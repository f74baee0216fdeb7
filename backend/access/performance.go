package access

import (
	"slices"

	"github.com/whistle/whistle/backend/org"
)

// Performance records 实绩档案 (backend/assess): kept by the street, proposed to the home
// department. Who may know of an officer's record: administrators, the officer, the reviewers of
// the officer's home department (who receive the proposal), and the street roles of the streets
// the officer served in. To anyone else it is not found.

// knowsPerformance reports whether sc may know of the record of officer code, of home department
// dept, who served in streets.
func knowsPerformance(sc org.Scope, code, dept string, streets []string) bool {
	switch {
	case Admin(sc), sc.OfficerCode != "" && sc.OfficerCode == code:
		return true
	case sc.Role == org.RoleDeptReviewer:
		return sc.DepartmentCode != "" && sc.DepartmentCode == dept
	case streetRole(sc):
		return sc.StreetCode != "" && slices.Contains(streets, sc.StreetCode)
	}
	return false
}

// ReadPerformance reports whether sc may read the record of officer code, of home department
// dept, who served in streets during the period asked, and of which streets (nil: all):
// administrators, the officer and the home department's reviewers all of it (read-only), the team
// leader of one of those streets that street's events. known says whether a refusal is forbidden
// rather than not found.
func ReadPerformance(sc org.Scope, code, dept string, streets []string) (of []string, known, may bool) {
	known = knowsPerformance(sc, code, dept, streets)
	switch {
	case !known:
		return nil, false, false
	case Admin(sc), sc.OfficerCode == code, sc.Role == org.RoleDeptReviewer:
		return nil, true, true
	case sc.Role == org.RoleTeamLeader:
		return []string{sc.StreetCode}, true, true
	}
	return nil, true, false
}

// RecordPerformanceEvent reports whether sc may record by hand an event of officer code, of home
// department dept, who served in street at the event's time: the team leader of that street
// only. known says whether a refusal is forbidden rather than not found.
func RecordPerformanceEvent(sc org.Scope, code, dept, street string) (known, may bool) {
	known = knowsPerformance(sc, code, dept, []string{street})
	return known, known && street != "" && sc.Role == org.RoleTeamLeader && sc.StreetCode == street
}

// ReadPerformanceEvent reports whether sc may read a manual event of street of officer code,
// of home department dept; known as for ReadPerformance.
func ReadPerformanceEvent(sc org.Scope, code, dept, street string) (known, may bool) {
	of, known, may := ReadPerformance(sc, code, dept, []string{street})
	return known, may && (of == nil || slices.Contains(of, street))
}

// WithdrawPerformanceEvent reports whether sc may withdraw a manual event of street of officer
// code, of home department dept: the team leader of that street. known as for ReadPerformance.
func WithdrawPerformanceEvent(sc org.Scope, code, dept, street string) (known, may bool) {
	return RecordPerformanceEvent(sc, code, dept, street)
}

// ListPerformance reports whether sc may list the records of the seconded officers of street,
// and of which home department ("" all): administrators any street's, the street's team leader
// his own, a department's reviewers their department's officers in any street. known says
// whether a refusal is forbidden rather than not found (the street's other roles).
func ListPerformance(sc org.Scope, street string) (dept string, known, may bool) {
	switch {
	case Admin(sc):
		return "", true, true
	case sc.Role == org.RoleDeptReviewer && sc.DepartmentCode != "":
		return sc.DepartmentCode, true, true
	case streetRole(sc) && sc.StreetCode != "" && sc.StreetCode == street:
		return "", true, sc.Role == org.RoleTeamLeader
	}
	return "", false, false
}
