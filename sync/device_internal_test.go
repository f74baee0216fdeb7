package sync

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

func TestOlderVersion(t *testing.T) {
	tests := []struct {
		v, min string
		want   bool
	}{
		{"1.2.0-rc10", "1.2.0", true}, // a pre-release comes before its release
		{"1.2.0", "1.2.0-rc10", false},
		{"1.2.0-rc10", "1.2.10", true}, // not read as 1.2.10
		{"1.2.10", "1.2.0-rc10", false},
		{"1.2.0-rc.2", "1.2.0-rc.10", true}, // numeric identifiers compare as numbers
		{"1.9.2", "1.10.0", true},
		{"1.10.0", "1.9.2", false},
		{"1.2.0", "1.2.0", false},
		{"1.2.0+build.7", "1.2.0", false}, // build metadata does not count
		{"v1.2.0", "1.2.0", false},
		{"2.0", "1.2.0", false}, // MAJOR.MINOR stands for MAJOR.MINOR.0
		{"1", "1.0.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.v+"<"+tt.min, func(t *testing.T) {
			got, err := olderVersion(tt.v, tt.min)
			if err != nil || got != tt.want {
				t.Fatalf("olderVersion(%q, %q) = %t, %v; want %t", tt.v, tt.min, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "1.2.x", "one", "1.2.3.4", "1.02.0", "1.2.0-"} {
		t.Run("ErrInvalid/"+bad, func(t *testing.T) {
			_, err := olderVersion(bad, "1.2.0")
			if derrors.CodeOf(err) != derrors.Invalid {
				t.Fatalf("olderVersion(%q) error %v, want validation_failed", bad, err)
			}
			if e, ok := err.(*derrors.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "/report/app_version" {
				t.Fatalf("error %#v should name /report/app_version", err)
			}
		})
	}
	if _, err := ParseAppVersion("1.2.x"); err == nil || err.Error() != `"1.2.x" is not a semantic version such as 1.2.0 or 1.2.0-rc.1` {
		t.Fatalf("ParseAppVersion error %v", err)
	}
}

func TestCheckAppVersion(t *testing.T) {
	v := func(s string) *string { return &s }
	tests := []struct {
		name     string
		version  *string
		min      string
		wantCode derrors.Code // "" for no error
	}{
		{"OKNoMinimum", nil, "", ""},
		{"OKNoMinimumUnreadable", v("1.2.x"), "", ""},
		{"OKSame", v("1.2.0"), "1.2.0", ""},
		{"OKNewer", v("1.10.0"), "1.9.2", ""},
		{"ErrUpgradeRequiredOlder", v("1.2.0-rc10"), "1.2.0", derrors.UpgradeRequired},
		{"ErrUpgradeRequiredNotSaid", nil, "1.2.0", derrors.UpgradeRequired},
		{"ErrInvalidEmpty", v(""), "1.2.0", derrors.Invalid},
		{"ErrInvalidUnreadable", v("one"), "1.2.0", derrors.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAppVersion(tt.version, tt.min)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("CheckAppVersion = %v, want nil", err)
				}
				return
			}
			if derrors.CodeOf(err) != tt.wantCode {
				t.Fatalf("CheckAppVersion = %v, want %s", err, tt.wantCode)
			}
		})
	}
}

func TestAdmitDevice(t *testing.T) {
	revoked := time.Unix(0, 0)
	tests := []struct {
		name     string
		device   identity.Device
		user     string
		wantCode derrors.Code // "" for no error
	}{
		{"OK", identity.Device{ID: "d1", UserID: "u1", PublicKey: []byte("key")}, "u1", ""},
		{"ErrForbiddenRevoked", identity.Device{ID: "d1", UserID: "u1", RevokedAt: &revoked}, "u1", derrors.Forbidden},
		{"ErrForbiddenOtherUser", identity.Device{ID: "d1", UserID: "u2"}, "u1", derrors.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AdmitDevice(tt.device, tt.user)
			if tt.wantCode != "" {
				if derrors.CodeOf(err) != tt.wantCode {
					t.Fatalf("AdmitDevice = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil || got.ID != tt.device.ID || got.UserID != tt.user || string(got.PublicKey) != string(tt.device.PublicKey) {
				t.Fatalf("AdmitDevice = %+v, %v", got, err)
			}
		})
	}
}

// teamsOf is a Teams over a map from street to team; err, if set, is
// returned for every street.
type teamsOf struct {
	teams map[string]string
	err   error
}

func (f teamsOf) TeamOfStreet(_ context.Context, street string) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	if t, ok := f.teams[street]; ok {
		return t, nil
	}
	return "", derrors.New(derrors.NotFound, "no team of street %s", street)
}

func TestScopesFor(t *testing.T) {
	teams := teamsOf{teams: map[string]string{"st-a": "team-a"}}
	tests := []struct {
		name  string
		teams Teams
		scope org.Scope
		want  []string
	}{
		{"OKOfficer", teams, org.Scope{Role: org.RoleOfficer, StreetCode: "st-a", OfficerCode: "a-cg-03"},
			[]string{DistrictScope, "team:team-a", "officer:a-cg-03", "device:d1"}},
		{"OKTeamLeader", teams, org.Scope{Role: org.RoleTeamLeader, StreetCode: "st-a", OfficerCode: "a-cg-01"},
			[]string{DistrictScope, "team:team-a", "officer:a-cg-01", "device:d1"}},
		{"OKStreetWithoutTeam", teams, org.Scope{Role: org.RoleOfficer, StreetCode: "st-z", OfficerCode: "z-01"},
			[]string{DistrictScope, "officer:z-01", "device:d1"}},
		{"OKGridOperatorNoTeam", teams, org.Scope{Role: org.RoleGridOperator, StreetCode: "st-a"},
			[]string{DistrictScope, "device:d1"}},
		{"OKAdmin", teams, org.Scope{Role: org.RoleAdmin}, []string{DistrictScope, "device:d1"}},
		{"OKOfficerWithoutStreet", teamsOf{err: errors.New("not asked")}, org.Scope{Role: org.RoleOfficer, OfficerCode: "a-cg-09"},
			[]string{DistrictScope, "officer:a-cg-09", "device:d1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ScopesFor(context.Background(), tt.teams, tt.scope, "d1")
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ScopesFor(%+v) = %v, %v; want %v", tt.scope, got, err, tt.want)
			}
		})
	}
	t.Run("ErrStoreFails", func(t *testing.T) {
		_, err := ScopesFor(context.Background(), teamsOf{err: derrors.New(derrors.Unavailable, "down")}, org.Scope{Role: org.RoleOfficer, StreetCode: "st-a"}, "d1")
		if derrors.CodeOf(err) != derrors.Unavailable {
			t.Fatalf("ScopesFor error %v, want unavailable", err)
		}
	})
}
