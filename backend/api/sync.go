package api

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
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
		DeviceStatusPage(ctx context.Context, street, afterUsername, afterDevice string, limit int) ([]wsync.DeviceStatus, error)
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
// without one and the devices wsync.AdmitDevice refuses.
func (s *server) device(ctx context.Context) (wsync.Device, caller, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return wsync.Device{}, c, err
	}
	if c.claims.DeviceID == "" {
		return wsync.Device{}, c, derrors.New(derrors.Forbidden, "sync needs a device session: log in with device_id")
	}
	d, err := s.sync.Devices.DeviceByID(ctx, c.claims.DeviceID)
	if err != nil {
		return wsync.Device{}, c, err
	}
	dev, err := wsync.AdmitDevice(d, c.user.ID)
	return dev, c, err
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
	dev, _, err := s.device(ctx)
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
	res, err := s.sync.Service.Push(ctx, dev, body.Mutations)
	if err != nil {
		return nil, err
	}
	s.acts.count(res.Results)
	if err := s.report(ctx, dev.ID, req.Body.Report, false); err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(body.Mutations))
	for _, m := range body.Mutations {
		names[m.Seq] = m.Name
	}
	out, err := pushResponseOut(res, names)
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
	var version *string
	if r != nil {
		version = r.AppVersion
	}
	if err := wsync.CheckAppVersion(version, s.sync.MinPullAppVersion); err != nil {
		return nil, err
	}
	sc, err := s.org.Scope(ctx, c.user.ID, s.now())
	if err != nil {
		return nil, err
	}
	visible, err := wsync.ScopesFor(ctx, s.org, sc, dev.ID)
	if err != nil {
		return nil, err
	}
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

// ListDeviceStatus shows supervisors the sync state of devices.
func (s *server) ListDeviceStatus(ctx context.Context, req openapi.ListDeviceStatusRequestObject) (openapi.ListDeviceStatusResponseObject, error) {
	pg, err := pageOf("devices", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	sc, _, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	street, ok := access.DeviceStatuses(sc)
	if !ok {
		return nil, derrors.New(derrors.Forbidden, "only team leaders and administrators see device status")
	}
	var afterUser, afterDevice string
	if a := pg.after; a != nil && len(a.Keys) == 1 {
		afterUser, afterDevice = a.Keys[0], a.ID
	}
	list, err := s.sync.Reports.DeviceStatusPage(ctx, street, afterUser, afterDevice, pg.fetch())
	if err != nil {
		return nil, err
	}
	list, next := cut(pg, list, func(d wsync.DeviceStatus) position { return position{Keys: []string{d.Username}, ID: d.DeviceID} })
	out, err := convertAllErr(list, deviceStatusOut)
	if out == nil {
		out = []openapi.DeviceStatus{}
	}
	return openapi.ListDeviceStatus200JSONResponse{Body: out, Headers: openapi.ListDeviceStatus200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, err
}
