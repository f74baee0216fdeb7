package access_test

import (
	"slices"
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
		{"OKAdmin", org.Scope{Role: org.RoleAdmin}, nil, true, false},
		{"OKSameStreet", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, []string{"st-a"}, true, false},
		{"OKGridSameStreet", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, []string{"st-a"}, true, false},
		{"OKReviewerOwnDepartment", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, []string{"st-b"}, true, true},
		{"ErrOtherStreet", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a"}, []string{"st-b"}, false, false},
		{"ErrNoStreetOnEitherSide", org.Scope{Role: org.RoleOfficer}, []string{""}, false, false},
		{"ErrReviewerOtherDepartment", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sy"}, []string{"st-a"}, false, false},
		{"ErrCommunity", org.Scope{Role: org.RoleCommunity, StreetCode: "st-a"}, []string{"st-a"}, false, false},
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

func TestInspection(t *testing.T) {
	tests := []struct {
		name        string
		scope       org.Scope
		street      string // the record's street
		inCrew      bool   // the caller's officer is in the record's crew
		grant       *access.Grant
		wantVisible bool
		wantMasked  bool
	}{
		{"OKAdminMasked", org.Scope{Role: org.RoleAdmin}, "st-b", false, nil, true, true},
		{"OKCrewInFull", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a", OfficerCode: "a-cg-03"}, "st-a", true, nil, true, false},
		{"OKTeamLeaderInFull", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a", OfficerCode: "a-cg-01"}, "st-a", false, nil, true, false},
		{"OKOfficerNotInCrewMasked", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a", OfficerCode: "a-cg-04"}, "st-a", false, nil, true, true},
		{"OKGridOperatorMasked", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, "st-a", false, nil, true, true},
		{"OKReviewerUnderGrantMasked", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, "st-a", false, &access.Grant{DepartmentCode: "sj"}, true, true},
		{"OKReviewerUnderUnmaskedGrant", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, "st-a", false, &access.Grant{DepartmentCode: "sj", Unmasked: true}, true, false},
		{"ErrOtherStreet", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a", OfficerCode: "a-cg-01"}, "st-b", true, nil, false, false},
		{"ErrCommunity", org.Scope{Role: org.RoleCommunity, StreetCode: "st-a"}, "st-a", false, nil, false, false},
		{"ErrReviewerWithoutGrant", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, "st-a", false, nil, false, false},
		{"ErrReviewerOtherDepartmentsGrant", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sy"}, "st-a", false, &access.Grant{DepartmentCode: "sj"}, false, false},
		{"ErrOfficerOtherStreetWithGrant", org.Scope{Role: org.RoleOfficer, StreetCode: "st-b", OfficerCode: "b-cg-03"}, "st-a", false, &access.Grant{DepartmentCode: "cg"}, false, false},
		{"ErrUnknownRole", org.Scope{Role: "mayor", StreetCode: "st-a"}, "st-a", true, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visible, masked := access.Inspection(tt.scope, tt.street, tt.inCrew, tt.grant)
			if visible != tt.wantVisible || masked != tt.wantMasked {
				t.Errorf("Inspection(%+v, %q, %v) = visible %v masked %v, want %v %v", tt.scope, tt.street, tt.inCrew, visible, masked, tt.wantVisible, tt.wantMasked)
			}
		})
	}
}

func TestListInspections(t *testing.T) {
	tests := []struct {
		name       string
		scope      org.Scope
		wantStreet string
		wantOK     bool
	}{
		{"OKAdminEveryStreet", org.Scope{Role: org.RoleAdmin}, "", true},
		{"OKOfficer", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, "st-a", true},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-b"}, "st-b", true},
		{"OKGridOperator", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, "st-a", true},
		{"ErrOfficerWithoutStreet", org.Scope{Role: org.RoleOfficer}, "", false},
		{"ErrCommunity", org.Scope{Role: org.RoleCommunity, StreetCode: "st-a"}, "", false},
		{"ErrReviewer", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			street, ok := access.ListInspections(tt.scope)
			if street != tt.wantStreet || ok != tt.wantOK {
				t.Errorf("ListInspections(%+v) = %q %v, want %q %v", tt.scope, street, ok, tt.wantStreet, tt.wantOK)
			}
		})
	}
}

func TestRecordInspection(t *testing.T) {
	tests := []struct {
		name  string
		scope org.Scope
		want  bool
	}{
		{"OKOfficer", org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-03"}, true},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, OfficerCode: "a-cg-01"}, true},
		{"ErrOfficerWithoutOfficer", org.Scope{Role: org.RoleOfficer}, false},
		{"ErrGridOperator", org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"}, false},
		{"ErrAdmin", org.Scope{Role: org.RoleAdmin, OfficerCode: "a-cg-01"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.RecordInspection(tt.scope); got != tt.want {
				t.Errorf("RecordInspection(%+v) = %v, want %v", tt.scope, got, tt.want)
			}
		})
	}
}

func TestReviewInspection(t *testing.T) {
	tests := []struct {
		name      string
		scope     org.Scope
		street    string // the record's street
		wantKnown bool
		wantMay   bool
	}{
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a"}, "st-a", true, true},
		{"ErrForbiddenOfficer", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, "st-a", true, false},
		{"ErrForbiddenAdmin", org.Scope{Role: org.RoleAdmin}, "st-a", true, false},
		{"ErrNotFoundOtherStreet", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-b"}, "st-a", false, false},
		{"ErrNotFoundReviewer", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}, "st-a", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known, may := access.ReviewInspection(tt.scope, tt.street)
			if known != tt.wantKnown || may != tt.wantMay {
				t.Errorf("ReviewInspection(%+v, %q) = known %v may %v, want %v %v", tt.scope, tt.street, known, may, tt.wantKnown, tt.wantMay)
			}
		})
	}
}

func TestNumberBlock(t *testing.T) {
	tests := []struct {
		name   string
		scope  org.Scope
		owner  string // the user of the block's device
		street string // the owner's street
		want   bool
	}{
		{"OKOwner", org.Scope{UserID: "u1", Role: org.RoleOfficer, StreetCode: "st-a"}, "u1", "st-a", true},
		{"OKOwnerMovedStreet", org.Scope{UserID: "u1", Role: org.RoleOfficer, StreetCode: "st-b"}, "u1", "st-a", true},
		{"OKTeamLeaderOfStreet", org.Scope{UserID: "u2", Role: org.RoleTeamLeader, StreetCode: "st-a"}, "u1", "st-a", true},
		{"OKAdmin", org.Scope{UserID: "u9", Role: org.RoleAdmin}, "u1", "st-a", true},
		{"ErrOtherOfficer", org.Scope{UserID: "u3", Role: org.RoleOfficer, StreetCode: "st-a"}, "u1", "st-a", false},
		{"ErrTeamLeaderOtherStreet", org.Scope{UserID: "u2", Role: org.RoleTeamLeader, StreetCode: "st-b"}, "u1", "st-a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.NumberBlock(tt.scope, tt.owner, tt.street); got != tt.want {
				t.Errorf("NumberBlock(%+v, %q, %q) = %v, want %v", tt.scope, tt.owner, tt.street, got, tt.want)
			}
		})
	}
}

func TestDeviceStatuses(t *testing.T) {
	tests := []struct {
		name       string
		scope      org.Scope
		wantStreet string
		wantOK     bool
	}{
		{"OKAdminEveryStreet", org.Scope{Role: org.RoleAdmin}, "", true},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a"}, "st-a", true},
		{"ErrTeamLeaderWithoutStreet", org.Scope{Role: org.RoleTeamLeader}, "", false},
		{"ErrOfficer", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			street, ok := access.DeviceStatuses(tt.scope)
			if street != tt.wantStreet || ok != tt.wantOK {
				t.Errorf("DeviceStatuses(%+v) = %q %v, want %q %v", tt.scope, street, ok, tt.wantStreet, tt.wantOK)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name           string
		scope          org.Scope
		wantReference  bool
		wantAuthority  bool
		wantQueue      bool
		wantTakeBlocks bool
	}{
		{"OKOfficer", org.Scope{Role: org.RoleOfficer}, true, true, false, true},
		{"OKTeamLeader", org.Scope{Role: org.RoleTeamLeader}, true, true, true, true},
		{"OKAdmin", org.Scope{Role: org.RoleAdmin}, true, true, true, false},
		{"OKGridOperator", org.Scope{Role: org.RoleGridOperator}, true, false, false, false},
		{"OKCommunity", org.Scope{Role: org.RoleCommunity}, true, false, false, false},
		{"OKReviewer", org.Scope{Role: org.RoleDeptReviewer}, true, false, false, false},
		{"ErrUnknownRole", org.Scope{Role: "mayor"}, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []bool{access.ReferenceData(tt.scope), access.AuthorityEngine(tt.scope), access.ReviewQueue(tt.scope), access.TakeNumberBlock(tt.scope)}
			want := []bool{tt.wantReference, tt.wantAuthority, tt.wantQueue, tt.wantTakeBlocks}
			if !slices.Equal(got, want) {
				t.Errorf("%s: ReferenceData, AuthorityEngine, ReviewQueue, TakeNumberBlock = %v, want %v", tt.scope.Role, got, want)
			}
		})
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"OKThreeChars", "刘德华", "刘**"},
		{"OKTwoChars", "王五", "王*"},
		{"OKAnonymised", "刘某", "刘某"},
		{"OKAnonymisedLonger", "张某某", "张某某"},
		{"OKCompoundSurname", "欧阳娜娜", "欧阳**"},
		{"OKCompoundSurnameTwoGiven", "司马相如", "司马**"},
		{"OKCompoundSurnameOneGiven", "诸葛亮", "诸葛*"},
		{"OKCompoundSurnameAnonymised", "欧阳某", "欧阳某"},
		{"OKFourCharsOrdinarySurname", "李小龙虎", "李***"},
		{"OKOneChar", "刘", "*"},
		{"OKLatin", "John Smith", "J***"},
		{"OKLatinLowercase", "li", "l***"},
		{"OKSpacesAround", " 刘德华 ", "刘**"},
		{"OKEmpty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := access.MaskName(tt.in); got != tt.want {
				t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEvidence_UnderGrant(t *testing.T) {
	reviewer := org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj", UserID: "r"}
	viewOnly, download := &access.Grant{DepartmentCode: "sj"}, &access.Grant{DepartmentCode: "sj", Download: true}
	tests := []struct {
		name                      string
		scope                     org.Scope
		grant                     *access.Grant
		wantVisible, wantDownload bool
	}{
		{"OKReviewerViewOnly", reviewer, viewOnly, true, false},
		{"OKReviewerDownload", reviewer, download, true, true},
		{"OKOfficerOfStreet", org.Scope{Role: org.RoleOfficer, StreetCode: "st-a", UserID: "o"}, nil, true, true},
		{"ErrReviewerWithoutGrant", reviewer, nil, false, false},
		{"ErrReviewerOtherDepartment", org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sy", UserID: "r2"}, download, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visible := access.Evidence(tt.scope, "uploader", "st-a", tt.grant)
			download := visible && access.EvidenceContent(tt.scope, tt.grant)
			if visible != tt.wantVisible || download != tt.wantDownload {
				t.Errorf("visible %v download %v, want %v %v", visible, download, tt.wantVisible, tt.wantDownload)
			}
		})
	}
}

func TestCase_ReviewerNeedsALiveGrant(t *testing.T) {
	reviewer := org.Scope{Role: org.RoleDeptReviewer, DepartmentCode: "sj"}
	c := access.CaseView{StreetCode: "st-a", DepartmentCode: "sj"}
	if ok, _ := access.Case(reviewer, c); ok {
		t.Errorf("a reviewer of the case's department sees it without a grant")
	}
	c.Grant = &access.Grant{DepartmentCode: "sj"}
	if ok, masked := access.Case(reviewer, c); !ok || !masked {
		t.Errorf("under a masked grant: visible %v masked %v", ok, masked)
	}
	c.Grant.Unmasked = true
	if ok, masked := access.Case(reviewer, c); !ok || masked {
		t.Errorf("under an unmasked grant: visible %v masked %v", ok, masked)
	}
	if known, may := access.ManageGrants(org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-b"}, "st-a"); known || may {
		t.Errorf("another street's team leader manages the grants")
	}
	if known, may := access.ManageGrants(org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, "st-a"); !known || may {
		t.Errorf("an officer of the street: known %v may %v", known, may)
	}
}
