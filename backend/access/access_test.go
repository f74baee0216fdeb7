package access_test

import (
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/org"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct {
		name  string
		phone string
		want  string
	}{
		{"OKMobile", "13800001234", "138****1234"},
		{"OKLandlineWithAreaCode", "010-65123456", "010*****3456"},
		{"OKEightDigits", "65123456", "****3456"},
		{"OKFiveDigits", "12345", "****5"},
		{"OKFourDigits", "1234", "****"},
		{"OKEmpty", "", "****"},
		{"OKNotASCII", "电话13800001234", "电话1******1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := access.MaskPhone(tt.phone)
			if got != tt.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tt.phone, got, tt.want)
			}
			// Whatever the length: at least four characters hidden, never the whole number.
			if !strings.Contains(got, "****") || (tt.phone != "" && strings.Contains(got, tt.phone)) {
				t.Errorf("MaskPhone(%q) = %q reveals too much", tt.phone, got)
			}
		})
	}
}

func TestOfficer(t *testing.T) {
	sj := org.Member{Officer: org.Officer{Code: "a-sj-01", DepartmentCode: "sj"}}
	tests := []struct {
		name        string
		scope       org.Scope
		streets     []string // the officer's streets now
		wantVisible bool
		wantMasked  bool
	}{
		{"OKAdmin", org.Scope{Role: access.RoleAdmin}, nil, true, false},
		{"OKSameStreet", org.Scope{Role: access.RoleOfficer, StreetCode: "st-a"}, []string{"st-a"}, true, false},
		{"OKGridSameStreet", org.Scope{Role: access.RoleGridOperator, StreetCode: "st-a"}, []string{"st-a"}, true, false},
		{"OKReviewerOwnDepartment", org.Scope{Role: access.RoleDeptReviewer, DepartmentCode: "sj"}, []string{"st-b"}, true, true},
		{"ErrOtherStreet", org.Scope{Role: access.RoleTeamLeader, StreetCode: "st-a"}, []string{"st-b"}, false, false},
		{"ErrNoStreetOnEitherSide", org.Scope{Role: access.RoleOfficer}, []string{""}, false, false},
		{"ErrReviewerOtherDepartment", org.Scope{Role: access.RoleDeptReviewer, DepartmentCode: "sy"}, []string{"st-a"}, false, false},
		{"ErrCommunity", org.Scope{Role: access.RoleCommunity, StreetCode: "st-a"}, []string{"st-a"}, false, false},
		{"ErrUnknownRole", org.Scope{Role: "mayor", StreetCode: "st-a"}, []string{"st-a"}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visible, masked := access.Officer(tt.scope, sj, tt.streets)
			if visible != tt.wantVisible || masked != tt.wantMasked {
				t.Errorf("Officer(%+v) = visible %v masked %v, want %v %v", tt.scope, visible, masked, tt.wantVisible, tt.wantMasked)
			}
		})
	}
}
