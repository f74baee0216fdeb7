package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// addrKey carries the caller's network address into handlers (login throttling).
const addrKey ctxKey = 100

func addrFrom(ctx context.Context) string {
	a, _ := ctx.Value(addrKey).(string)
	return a
}

func sessionToAPI(s identity.Session) openapi.Session {
	out := openapi.Session{AccessToken: s.AccessToken, TokenType: openapi.Bearer, ExpiresIn: int(s.ExpiresIn.Seconds())}
	if s.RefreshToken != "" {
		rt := s.RefreshToken
		in := int(time.Until(s.RefreshExpiresAt).Round(time.Second).Seconds())
		out.RefreshToken, out.RefreshExpiresIn = &rt, &in
	}
	return out
}

// Login exchanges a username and password for an access token, and on a
// registered device for a refresh token too.
func (s *server) Login(ctx context.Context, req openapi.LoginRequestObject) (openapi.LoginResponseObject, error) {
	device := ""
	if req.Body.DeviceId != nil {
		device = req.Body.DeviceId.String()
	}
	sess, err := s.ids.Login(ctx, req.Body.Username, req.Body.Password, addrFrom(ctx), device)
	if err != nil {
		return nil, err
	}
	return openapi.Login200JSONResponse(sessionToAPI(sess)), nil
}

// Refresh rotates a refresh token.
func (s *server) Refresh(ctx context.Context, req openapi.RefreshRequestObject) (openapi.RefreshResponseObject, error) {
	sess, err := s.ids.Refresh(ctx, req.Body.RefreshToken, addrFrom(ctx))
	if err != nil {
		return nil, err
	}
	return openapi.Refresh200JSONResponse(sessionToAPI(sess)), nil
}

// Logout ends the caller's session.
func (s *server) Logout(ctx context.Context, _ openapi.LogoutRequestObject) (openapi.LogoutResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ids.Logout(ctx, c.claims); err != nil {
		return nil, err
	}
	return openapi.Logout204Response{}, nil
}

// GetAuthSession returns what the caller's access token proves, once
// checked as on every request (validateRequest): no other work, so it is
// the cheapest authenticated route (the auth benchmark measures it).
func (s *server) GetAuthSession(ctx context.Context, _ openapi.GetAuthSessionRequestObject) (openapi.GetAuthSessionResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	user, err := uuid.Parse(c.claims.UserID)
	if err != nil {
		return nil, err
	}
	session, err := uuid.Parse(c.claims.SessionID)
	if err != nil {
		return nil, err
	}
	out := openapi.GetAuthSession200JSONResponse{UserId: user, Role: openapi.Role(c.claims.Role), SessionId: session,
		ExpiresAt: c.claims.ExpiresAt}
	if c.claims.DeviceID != "" {
		dev, err := uuid.Parse(c.claims.DeviceID)
		if err != nil {
			return nil, err
		}
		out.DeviceId = &dev
	}
	return out, nil
}

// scope returns what the caller may see now.
func (s *server) scope(ctx context.Context) (org.Scope, caller, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return org.Scope{}, c, err
	}
	sc, err := s.org.Scope(ctx, c.user.ID, s.now())
	return sc, c, err
}

// GetMe returns the caller's own account and scope.
func (s *server) GetMe(ctx context.Context, _ openapi.GetMeRequestObject) (openapi.GetMeResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(c.user.ID)
	if err != nil {
		return nil, err
	}
	return openapi.GetMe200JSONResponse{Id: id, Username: c.user.Username, DisplayName: c.user.DisplayName,
		Role: openapi.Role(c.user.Role), OfficerCode: optional(sc.OfficerCode), StreetCode: optional(sc.StreetCode),
		DepartmentCode: optional(sc.DepartmentCode), CommunityCode: optional(sc.CommunityCode)}, nil
}

func deviceToAPI(d identity.Device) (openapi.Device, error) {
	id, err := uuid.Parse(d.ID)
	if err != nil {
		return openapi.Device{}, err
	}
	uid, err := uuid.Parse(d.UserID)
	if err != nil {
		return openapi.Device{}, err
	}
	return openapi.Device{Id: id, UserId: uid, PublicKey: d.PublicKey, Name: d.Name, RegisteredAt: d.RegisteredAt, RevokedAt: d.RevokedAt}, nil
}

// RegisterDevice binds the caller's phone to the caller by its public key.
func (s *server) RegisterDevice(ctx context.Context, req openapi.RegisterDeviceRequestObject) (openapi.RegisterDeviceResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.ids.RegisterDevice(ctx, c.user, req.Body.PublicKey, req.Body.Name)
	if err != nil {
		return nil, err
	}
	out, err := deviceToAPI(d)
	return openapi.RegisterDevice201JSONResponse(out), err
}

// RevokeDevice revokes a device; only its owner or an administrator may.
func (s *server) RevokeDevice(ctx context.Context, req openapi.RevokeDeviceRequestObject) (openapi.RevokeDeviceResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.ids.RevokeDevice(ctx, c.user, req.DeviceId.String(), req.Body.Reason)
	if derrors.CodeOf(err) == derrors.Forbidden {
		// Someone else's device: as if it did not exist.
		return nil, derrors.New(derrors.NotFound, "no device %s", req.DeviceId)
	}
	if err != nil {
		return nil, err
	}
	out, err := deviceToAPI(d)
	return openapi.RevokeDevice200JSONResponse(out), err
}

// DisableUser disables an account and ends its sessions; administrators only.
func (s *server) DisableUser(ctx context.Context, req openapi.DisableUserRequestObject) (openapi.DisableUserResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if !access.Admin(sc) {
		return nil, errAdminOnly
	}
	u, err := s.users.UserByUsername(ctx, req.Username)
	if err != nil {
		return nil, err
	}
	if _, err := s.ids.DisableUser(ctx, c.user, u.ID); err != nil {
		return nil, err
	}
	return openapi.DisableUser204Response{}, nil
}

var errAdminOnly = derrors.New(derrors.Forbidden, "only an administrator may do this")
