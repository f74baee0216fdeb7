package sync

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

// AdmitDevice returns the sync device of d, the device of the session of
// user userID, refusing a revoked device and one bound to another user.
// Errors: derrors.Forbidden.
func AdmitDevice(d identity.Device, userID string) (Device, error) {
	if d.Revoked() || d.UserID != userID {
		return Device{}, derrors.New(derrors.Forbidden, "this device is revoked or bound to another officer")
	}
	return Device{ID: d.ID, UserID: userID, PublicKey: d.PublicKey}, nil
}

// Teams finds the team of a street.
type Teams interface {
	// TeamOfStreet returns the code of the team of street, or derrors.NotFound.
	TeamOfStreet(ctx context.Context, street string) (string, error)
}

// ScopesFor returns the scopes device deviceID of an account with scope sc
// may pull: the district's reference data; the team of the account's street
// for officers and team leaders (none when the street has no team); the
// cases of the account's officer; the device's own.
func ScopesFor(ctx context.Context, teams Teams, sc org.Scope, deviceID string) ([]string, error) {
	scopes := []string{DistrictScope}
	if sc.StreetCode != "" && (sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader) {
		team, err := teams.TeamOfStreet(ctx, sc.StreetCode)
		if err != nil && derrors.CodeOf(err) != derrors.NotFound {
			return nil, err
		}
		if team != "" {
			scopes = append(scopes, TeamScope(team))
		}
	}
	if sc.OfficerCode != "" {
		scopes = append(scopes, OfficerScope(sc.OfficerCode))
	}
	return append(scopes, DeviceScope(deviceID)), nil
}

// CheckAppVersion decides whether an app may pull: apps older than min, the
// minimum pull version ("" accepts every app), may push but must update
// before pulling. v is the version the app reported (nil when it did not
// say, which counts as older). Errors: derrors.UpgradeRequired (older or
// not said), derrors.Invalid naming /report/app_version (v unreadable).
func CheckAppVersion(v *string, min string) error {
	if min == "" {
		return nil
	}
	older := v == nil
	if !older {
		var err error
		if older, err = olderVersion(*v, min); err != nil {
			return err
		}
	}
	if older {
		return derrors.New(derrors.UpgradeRequired, "pulling needs app version %s or later; pushing still works", min)
	}
	return nil
}

// ParseAppVersion reads an app version as a semantic version (semver.org):
// MAJOR.MINOR.PATCH with an optional pre-release and build ("1.2.0",
// "1.2.0-rc.10", "v2.0.1+42"); MAJOR or MAJOR.MINOR alone stand for .0. It
// returns the canonical form golang.org/x/mod/semver compares, or an error
// saying what is wrong.
func ParseAppVersion(v string) (string, error) {
	s := v
	if !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	if !semver.IsValid(s) {
		return "", fmt.Errorf("%q is not a semantic version such as 1.2.0 or 1.2.0-rc.1", v)
	}
	return semver.Canonical(s), nil
}

// olderVersion reports whether the app version v is older than min, by
// semantic-version precedence: 1.2.0-rc10 < 1.2.0 < 1.2.10 < 1.10.0. An
// unreadable v is answered validation_failed naming /report/app_version.
func olderVersion(v, min string) (bool, error) {
	a, err := ParseAppVersion(v)
	if err != nil {
		return false, derrors.Invalidf("/report/app_version", "app_version: %v", err)
	}
	b, err := ParseAppVersion(min)
	if err != nil { // checked when the configuration is loaded
		return false, fmt.Errorf("minimum app version: %w", err)
	}
	return semver.Compare(a, b) < 0, nil
}
