package access_test

import (
	"slices"
	"testing"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/org"
)

func TestReadAbsences(t *testing.T) {
	streets := []string{"st-a"} // officer a-cg-04's street now
	tests := []struct {
		name      string
		scope     org.Scope
		wantOf    []string
		wantKnown bool
		wantMay   bool
	}{
		{"OKAdmin", org.Scope{Role: org.RoleAdmin}, nil, true, true},
		{"OKOwn", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-04", StreetCode: "st-a"}, nil, true, true},
		{"OKOwnMovedAway", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-04", StreetCode: "st-b"}, nil, true, true},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, OfficerCode: "a-cg-01", StreetCode: "st-a"}, []string{"st-a"}, true, true},
		{"ErrForbiddenColleague", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-03", StreetCode: "st-a"}, nil, true, false},
		{"ErrForbiddenGrid", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, nil, true, false},
		{"ErrNotFoundOtherLeader", org.Scope{Role: org.RoleTeamLeader, OfficerCode: "b-cg-01", StreetCode: "st-b"}, nil, false, false},
		{"ErrNotFoundCommunity", org.Scope{Role: org.RoleCommunity, StreetCode: "st-a"}, nil, false, false},
		{"ErrNotFoundReviewer", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "cg"}, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			of, known, may := access.ReadAbsences(tt.scope, "a-cg-04", streets)
			if !slices.Equal(of, tt.wantOf) || known != tt.wantKnown || may != tt.wantMay {
				t.Errorf("ReadAbsences(%+v) = %v known %v may %v, want %v %v %v", tt.scope, of, known, may, tt.wantOf, tt.wantKnown, tt.wantMay)
			}
		})
	}
}

// TestActOnAbsence: recording an absence of a-cg-04 (street A now) and withdrawing one of
// street A; want is known then may.
func TestActOnAbsence(t *testing.T) {
	a := org.Absence{OfficerCode: "a-cg-04", StreetCode: "st-a"}
	tests := []struct {
		name             string
		scope            org.Scope
		record, withdraw [2]bool
	}{
		{"OKAdmin", org.Scope{Role: org.RoleAdmin}, [2]bool{true, true}, [2]bool{true, true}},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a"}, [2]bool{true, true}, [2]bool{true, true}},
		{"ErrForbiddenOwn", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-04", StreetCode: "st-a"}, [2]bool{true, false}, [2]bool{true, false}},
		{"ErrForbiddenOwnMovedAway", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-04", StreetCode: "st-b"}, [2]bool{true, false}, [2]bool{true, false}},
		{"ErrForbiddenGrid", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, [2]bool{true, false}, [2]bool{true, false}},
		{"ErrNotFoundOtherLeader", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-b"}, [2]bool{}, [2]bool{}},
		{"ErrNotFoundCommunity", org.Scope{Role: org.RoleCommunity, StreetCode: "st-a"}, [2]bool{}, [2]bool{}},
		{"ErrNotFoundReviewer", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "cg"}, [2]bool{}, [2]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if known, may := access.RecordAbsence(tt.scope, "a-cg-04", []string{"st-a"}); [2]bool{known, may} != tt.record {
				t.Errorf("RecordAbsence(%+v) = known %v may %v, want %v", tt.scope, known, may, tt.record)
			}
			if known, may := access.WithdrawAbsence(tt.scope, a); [2]bool{known, may} != tt.withdraw {
				t.Errorf("WithdrawAbsence(%+v) = known %v may %v, want %v", tt.scope, known, may, tt.withdraw)
			}
		})
	}
}
