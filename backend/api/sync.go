package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/semver"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// Sync is what the API needs of offline sync.
type Sync struct {
	Service *wsync.Service
	Devices interface {
		DeviceByID(ctx context.Context, id string) (identity.Device, error)
	}
	Reports interface {
		ReportDevice(ctx context.Context, deviceID string, r wsync.DeviceReport, at time.Time) error
		DeviceStatuses(ctx context.Context, street string) ([]wsync.DeviceStatus, error)
	}
	// MinPullAppVersion: older apps may push but must update before pulling ("" accepts all).
	MinPullAppVersion string
}

// rawBodyKey carries the exact request body to handlers that need its bytes
// (a push: signatures cover the exact bytes of each mutation's args).
const rawBodyKey ctxKey = 101

// keepRawBody is a strict middleware putting a copy of the body of the
// operations that need it into their context.
func keepRawBody(f openapi.StrictHandlerFunc, operationID string) openapi.StrictHandlerFunc {
	if operationID != "SyncPush" {
		return f
	}
	return func(c *fiber.Ctx, args any) (any, error) {
		body := append([]byte(nil), c.Body()...)
		c.SetUserContext(context.WithValue(c.UserContext(), rawBodyKey, body))
		return f(c, args)
	}
}

// device returns the device of the caller's session, refusing sessions
// without one and revoked devices.
func (s *server) device(ctx context.Context) (identity.Device, caller, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return identity.Device{}, c, err
	}
	if c.claims.DeviceID == "" {
		return identity.Device{}, c, derrors.New(derrors.Forbidden, "sync needs a device session: log in with device_id")
	}
	d, err := s.sync.Devices.DeviceByID(ctx, c.claims.DeviceID)
	if err != nil {
		return identity.Device{}, c, err
	}
	if d.Revoked() || d.UserID != c.user.ID {
		return identity.Device{}, c, derrors.New(derrors.Forbidden, "this device is revoked or bound to another officer")
	}
	return d, c, nil
}

func (s *server) report(ctx context.Context, deviceID string, r *openapi.DeviceReport, pulled bool) error {
	now := s.now().UTC()
	rep := wsync.DeviceReport{Pulled: pulled}
	if r != nil {
		rep.QueueDepth, rep.OldestUnsentAt = r.QueueDepth, r.OldestUnsentAt
		if r.Wall != nil {
			skew := r.Wall.Sub(now)
			rep.ClockSkew = &skew
		}
		if r.AppVersion != nil {
			rep.AppVersion = *r.AppVersion
		}
	}
	return s.sync.Reports.ReportDevice(ctx, deviceID, rep, now)
}

// SyncPush applies a device's mutations.
func (s *server) SyncPush(ctx context.Context, req openapi.SyncPushRequestObject) (openapi.SyncPushResponseObject, error) {
	dev, c, err := s.device(ctx)
	if err != nil {
		return nil, err
	}
	raw, _ := ctx.Value(rawBodyKey).([]byte)
	var body struct {
		Mutations []wsync.Mutation `json:"mutations"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, derrors.Wrap(err, derrors.BadRequest, "the push body cannot be read")
	}
	res, err := s.sync.Service.Push(ctx, wsync.Device{ID: dev.ID, UserID: c.user.ID, PublicKey: dev.PublicKey}, body.Mutations)
	if err != nil {
		return nil, err
	}
	if err := s.report(ctx, dev.ID, req.Body.Report, false); err != nil {
		return nil, err
	}
	out, err := pushResponseOut(res)
	if out.Results == nil {
		out.Results = []openapi.MutationResult{}
	}
	return openapi.SyncPush200JSONResponse(out), err
}

// resyncRequired is the 410 of a pull: a problem naming the scopes to re-bootstrap.
type resyncRequired struct {
	err    *derrors.Error
	scopes []string
}

func (e resyncRequired) Error() string                  { return e.err.Error() }
func (e resyncRequired) Unwrap() error                  { return e.err }
func (e resyncRequired) extendProblem(p map[string]any) { p["scopes"] = e.scopes }

// SyncPull returns the next page of changes of the device's scopes.
func (s *server) SyncPull(ctx context.Context, req openapi.SyncPullRequestObject) (openapi.SyncPullResponseObject, error) {
	dev, c, err := s.device(ctx)
	if err != nil {
		return nil, err
	}
	r := req.Body.Report
	if min := s.sync.MinPullAppVersion; min != "" {
		older := r == nil || r.AppVersion == nil
		if !older {
			if older, err = olderVersion(*r.AppVersion, min); err != nil {
				return nil, err
			}
		}
		if older {
			return nil, derrors.New(derrors.UpgradeRequired, "pulling needs app version %s or later; pushing still works", min)
		}
	}
	sc, err := s.org.Scope(ctx, c.user.ID, s.now())
	if err != nil {
		return nil, err
	}
	visible, err := s.syncScopes(ctx, sc)
	if err != nil {
		return nil, err
	}
	visible = append(visible, wsync.DeviceScope(dev.ID))
	pr := wsync.PullRequest{Cursors: req.Body.Cursors}
	if req.Body.Limit != nil {
		pr.Limit = *req.Body.Limit
	}
	res, err := s.sync.Service.Pull(ctx, dev.ID, visible, pr)
	var stale *wsync.ResyncRequired
	if errors.As(err, &stale) {
		return nil, resyncRequired{err: derrors.New(derrors.ResyncRequired, "%v", stale), scopes: stale.Scopes}
	}
	if err != nil {
		return nil, err
	}
	if err := s.report(ctx, dev.ID, r, true); err != nil {
		return nil, err
	}
	out, err := pullResponseOut(res)
	return openapi.SyncPull200JSONResponse(out), err
}

// syncScopes are the scopes a device of an account with scope sc may pull.
func (s *server) syncScopes(ctx context.Context, sc org.Scope) ([]string, error) {
	scopes := []string{wsync.DistrictScope}
	if sc.StreetCode != "" && (sc.Role == org.RoleOfficer || sc.Role == org.RoleTeamLeader) {
		team, err := s.org.TeamOfStreet(ctx, sc.StreetCode)
		if err != nil && derrors.CodeOf(err) != derrors.NotFound {
			return nil, err
		}
		if team != "" {
			scopes = append(scopes, wsync.TeamScope(team))
		}
	}
	if sc.OfficerCode != "" {
		scopes = append(scopes, wsync.OfficerScope(sc.OfficerCode))
	}
	return scopes, nil
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

// ListDeviceStatus shows supervisors the sync state of devices.
func (s *server) ListDeviceStatus(ctx context.Context, _ openapi.ListDeviceStatusRequestObject) (openapi.ListDeviceStatusResponseObject, error) {
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	street, ok := access.DeviceStatuses(sc)
	if !ok {
		return nil, derrors.New(derrors.Forbidden, "only team leaders and administrators see device status")
	}
	list, err := s.sync.Reports.DeviceStatuses(ctx, street)
	if err != nil {
		return nil, err
	}
	out, err := convertAllErr(list, deviceStatusOut)
	if out == nil {
		out = []openapi.DeviceStatus{}
	}
	return openapi.ListDeviceStatus200JSONResponse(out), err
}
