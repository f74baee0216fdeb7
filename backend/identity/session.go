package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Device is a phone registered to one user: it holds the private half of an
// Ed25519 key pair whose public half the server keeps. A device is bound to
// one officer at a time; handing the phone to another officer means revoking
// it and registering it again (with a new key) for the new holder.
type Device struct {
	ID            string
	UserID        string
	PublicKey     ed25519.PublicKey
	Name          string // what the holder calls it, e.g. "Li Ming's work phone"; may be ""
	RegisteredAt  time.Time
	RevokedAt     *time.Time
	RevokedReason string
}

// Revoked reports whether the device may no longer be used.
func (d Device) Revoked() bool { return d.RevokedAt != nil }

// Family is one session: what one login opened on one device or browser,
// and the chain of refresh tokens rotation produces from it. Its ID is the
// SessionID of every access token issued in it. Revoking a family ends all of
// its tokens at once.
type Family struct {
	ID            string
	UserID        string
	DeviceID      string // "" for a browser session, which has no refresh tokens
	CreatedAt     time.Time
	RevokedAt     *time.Time
	RevokedReason string
}

// RefreshToken is the stored form of one refresh token. The token itself is
// never stored, only its SHA-256.
type RefreshToken struct {
	ID        string
	FamilyID  string
	UserID    string
	DeviceID  string
	Hash      []byte // SHA-256 of the token's 32 random bytes
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// RotationOutcome says what RotateRefresh did with a presented refresh token.
type RotationOutcome int

// The outcomes of SessionStore.RotateRefresh.
const (
	// Rotated: the token was live; it is now spent and its successor stored.
	Rotated RotationOutcome = iota + 1
	// Reused: the token had already been rotated; its whole family is now revoked.
	Reused
	// Ended: the token or its family was revoked, its device revoked or its
	// account disabled; nothing changed.
	Ended
	// Expired: the token is past its expiry; nothing changed.
	Expired
)

// Rotation is the result of SessionStore.RotateRefresh.
type Rotation struct {
	Outcome RotationOutcome
	Family  Family
}

// Reasons recorded when a family is revoked.
const (
	ReasonLogout        = "logged out"
	ReasonRefreshReused = "refresh token reused"
	ReasonUserDisabled  = "account disabled"
	ReasonDeviceRevoked = "device revoked"
)

// SessionStore persists devices, sessions (refresh-token families) and
// refresh tokens. Every method that changes several rows does so in one
// transaction.
type SessionStore interface {
	// RegisterDevice stores d with a new ID. It returns derrors.Conflict when
	// the public key is already registered (to anyone, also revoked devices)
	// and derrors.Invalid when d breaks a stored rule.
	RegisterDevice(ctx context.Context, d Device) (Device, error)
	// DeviceByID returns the device or a derrors.NotFound error.
	DeviceByID(ctx context.Context, id string) (Device, error)
	// RevokeDevice marks the device revoked at now for reason (unless it
	// already is) and revokes every family of the device. It returns the
	// device, or a derrors.NotFound error.
	RevokeDevice(ctx context.Context, id, reason string, now time.Time) (Device, error)
	// CreateFamily stores f with a new ID and, when first is not nil, first
	// as the family's first refresh token. It returns the stored family.
	CreateFamily(ctx context.Context, f Family, first *RefreshToken) (Family, error)
	// RotateRefresh finds the refresh token whose hash is oldHash and, under
	// a lock on its family so that concurrent rotations of one token are
	// serialized, does one of: if the token was already rotated, revokes its
	// family (ReasonRefreshReused) and reports Reused; if the token, its
	// family or its device is revoked or its user disabled, reports Ended; if
	// it expired at now, reports Expired; otherwise marks it rotated at now,
	// stores next (given a new ID and the family, user and device of the old
	// token) and reports Rotated. It returns derrors.NotFound when no token
	// has oldHash.
	RotateRefresh(ctx context.Context, oldHash []byte, next RefreshToken, now time.Time) (Rotation, error)
	// RevokeFamily revokes the family and its refresh tokens at now for
	// reason, unless it already is revoked. It returns derrors.NotFound for an
	// unknown family.
	RevokeFamily(ctx context.Context, id, reason string, now time.Time) error
	// DisableUser marks the account disabled at now (unless it already is)
	// and revokes every family of the user (ReasonUserDisabled). It returns
	// the user, or a derrors.NotFound error.
	DisableUser(ctx context.Context, userID string, now time.Time) (User, error)
	// SessionActive reports whether family familyID exists for this user and
	// device (deviceID "" for none), is not revoked, its device is not
	// revoked and its user not disabled. Ids that cannot exist give false.
	SessionActive(ctx context.Context, userID, deviceID, familyID string) (bool, error)
}

// ThrottleStore counts failed logins per key ("user:<username>",
// "pair:<address> <username>", "addr:<address>") in fixed windows.
type ThrottleStore interface {
	// Hit records one failure for key at now and returns the failures of
	// its window so far. A window starts at the first failure and lasts
	// window; a failure after it starts a new one. From the limit-th
	// failure of a window on, each failure locks the key from now for
	// delay, doubled for each failure past the limit, at most window.
	Hit(ctx context.Context, key string, limit int, delay, window time.Duration, now time.Time) (int, error)
	// Reset forgets the failures of key.
	Reset(ctx context.Context, key string) error
	// LockedUntil returns the latest time after now until which any of keys
	// is locked, and false when none is.
	LockedUntil(ctx context.Context, keys []string, now time.Time) (time.Time, bool, error)
}

// Throttle limits failed logins without letting one person's mistypes shut
// out everyone behind the same address (a station's NAT):
//
//   - one account from one address: from PairFailures failures within
//     Window on, each further login of the account from that address waits
//     Delay, doubled with each failure, at most Window;
//   - one account from anywhere (guessing spread over addresses): the same
//     from AccountFailures failures;
//   - one address, all accounts (password spraying): from AddressFailures
//     failures on, every login from the address is refused for Window. The
//     ceiling is far above what a team's mistypes reach.
//
// A refused login is not counted. A successful login resets the account's
// counts (its own and from its address), not the address's. Reaching a
// limit is logged as a warning ("failed logins burst"), for alerts.
type Throttle struct {
	PairFailures    int
	AccountFailures int
	AddressFailures int
	Window          time.Duration
	Delay           time.Duration
}

// DefaultThrottle: a delay from 5 failures of an account at one address or
// 10 from anywhere, starting at 1 minute; 100 failures from one address lock
// it out; in windows of 15 minutes.
var DefaultThrottle = Throttle{PairFailures: 5, AccountFailures: 10, AddressFailures: 100, Window: 15 * time.Minute, Delay: time.Minute}

func (t Throttle) withDefaults() (Throttle, error) {
	if t.PairFailures < 0 || t.AccountFailures < 0 || t.AddressFailures < 0 || t.Window < 0 || t.Delay < 0 {
		return Throttle{}, errors.New("identity: Throttle limits must not be negative")
	}
	if t.PairFailures == 0 {
		t.PairFailures = DefaultThrottle.PairFailures
	}
	if t.AccountFailures == 0 {
		t.AccountFailures = DefaultThrottle.AccountFailures
	}
	if t.AddressFailures == 0 {
		t.AddressFailures = DefaultThrottle.AddressFailures
	}
	if t.Window == 0 {
		t.Window = DefaultThrottle.Window
	}
	if t.Delay == 0 {
		t.Delay = DefaultThrottle.Delay
	}
	return t, nil
}

// throttleKeys are the keys one login attempt counts against ("" for none).
type throttleKeys struct{ account, pair, address string }

func loginKeys(username, addr string) throttleKeys {
	k := throttleKeys{account: "user:" + username}
	if addr != "" {
		k.pair, k.address = "pair:"+addr+" "+username, "addr:"+addr
	}
	return k
}

// addressKey is "" when there is no address to throttle.
func addressKey(addr string) throttleKeys {
	if addr == "" {
		return throttleKeys{}
	}
	return throttleKeys{address: "addr:" + addr}
}

// refuseLocked returns derrors.TooManyRequests when any of keys is locked
// at now, with RetryAfter the time left until the lock ends.
func (s *Service) refuseLocked(ctx context.Context, now time.Time, keys throttleKeys) error {
	var ks []string
	for _, k := range []string{keys.account, keys.pair, keys.address} {
		if k != "" {
			ks = append(ks, k)
		}
	}
	until, locked, err := s.throttles.LockedUntil(ctx, ks, now)
	if err != nil {
		return err
	}
	if locked {
		e := derrors.New(derrors.TooManyRequests, "too many failed logins; try again after %s", until.UTC().Format(time.RFC3339))
		e.RetryAfter = until.Sub(now)
		return e
	}
	return nil
}

// recordFailure counts a failed login against each of keys, and logs a
// burst when a count reaches its limit.
func (s *Service) recordFailure(ctx context.Context, now time.Time, keys throttleKeys) error {
	th := s.throttle
	for _, c := range []struct {
		scope, key   string
		limit        int
		delay, until time.Duration
	}{
		{"account at address", keys.pair, th.PairFailures, th.Delay, th.Window},
		{"account", keys.account, th.AccountFailures, th.Delay, th.Window},
		{"address", keys.address, th.AddressFailures, th.Window, th.Window},
	} {
		if c.key == "" {
			continue
		}
		n, err := s.throttles.Hit(ctx, c.key, c.limit, c.delay, c.until, now)
		if err != nil {
			return err
		}
		if n == c.limit {
			s.log.WarnContext(ctx, "failed logins burst", "scope", c.scope, "key", c.key, "failures", n, "window", th.Window.String())
		}
	}
	return nil
}

const refreshTokenBytes = 32

var refreshEncoding = base64.RawURLEncoding

// newRefreshToken returns a fresh opaque refresh token and its SHA-256.
func newRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	h := sha256.Sum256(b)
	return refreshEncoding.EncodeToString(b), h[:], nil
}

// parseRefreshToken returns the SHA-256 of a well-formed refresh token.
func parseRefreshToken(token string) ([]byte, bool) {
	b, err := refreshEncoding.DecodeString(token)
	if err != nil || len(b) != refreshTokenBytes {
		return nil, false
	}
	h := sha256.Sum256(b)
	return h[:], true
}

var errBadRefresh = derrors.New(derrors.Unauthenticated, "invalid refresh token")

// Refresh spends a refresh token and returns a new Session of the same
// session (family): a new access token and the next refresh token. Each
// refresh token can be spent once.
//
// addr is the caller's network address: malformed or unknown refresh tokens
// count as failures against it, and a locked-out address gets
// derrors.TooManyRequests ("" skips both).
//
// It returns derrors.Unauthenticated for an unknown or expired token, for a
// session that was logged out or revoked, a revoked device or a disabled
// account, and for a token that was already spent: that is taken as theft
// (two holders of one session), so the whole session is revoked, the
// successor token and the access tokens of the session included.
func (s *Service) Refresh(ctx context.Context, refreshToken, addr string) (Session, error) {
	now := s.now()
	addrKey := addressKey(addr)
	if err := s.refuseLocked(ctx, now, addrKey); err != nil {
		return Session{}, err
	}
	oldHash, ok := parseRefreshToken(refreshToken)
	if !ok {
		if err := s.recordFailure(ctx, now, addrKey); err != nil {
			return Session{}, err
		}
		return Session{}, errBadRefresh
	}
	token, hash, err := newRefreshToken()
	if err != nil {
		return Session{}, err
	}
	next := RefreshToken{Hash: hash, IssuedAt: now, ExpiresAt: now.Add(s.refreshTTL)}
	rot, err := s.sessions.RotateRefresh(ctx, oldHash, next, now)
	if derrors.CodeOf(err) == derrors.NotFound {
		if err := s.recordFailure(ctx, now, addrKey); err != nil {
			return Session{}, err
		}
		return Session{}, errBadRefresh
	}
	if err != nil {
		return Session{}, err
	}
	switch rot.Outcome {
	case Rotated:
	case Reused:
		s.checks.forget() // the family was revoked: its access tokens too
		return Session{}, derrors.New(derrors.Unauthenticated, "this session was revoked because a refresh token was reused (a spent token was presented again); log in again")
	case Expired:
		return Session{}, derrors.New(derrors.Unauthenticated, "the refresh token has expired; log in again")
	default:
		return Session{}, errSessionEnded
	}
	u, err := s.users.UserByID(ctx, rot.Family.UserID)
	if err != nil {
		return Session{}, err
	}
	if u.Disabled() {
		return Session{}, errSessionEnded
	}
	sess, err := s.issue(u, rot.Family, now)
	if err != nil {
		return Session{}, err
	}
	sess.RefreshToken, sess.RefreshExpiresAt = token, next.ExpiresAt
	return sess, nil
}

// Logout ends the session of c (the claims of the caller's access token, from
// AuthenticateClaims): its refresh token and every access token issued in it
// are refused from now on. Logging out twice is not an error. It returns
// derrors.Unauthenticated when c names no session.
func (s *Service) Logout(ctx context.Context, c Claims) error {
	if c.SessionID == "" {
		return derrors.New(derrors.Unauthenticated, "the token names no session")
	}
	err := s.sessions.RevokeFamily(ctx, c.SessionID, ReasonLogout, s.now())
	s.checks.forget()
	if derrors.CodeOf(err) == derrors.NotFound {
		return errSessionEnded
	}
	return err
}

const (
	maxDeviceName   = 64  // characters
	maxRevokeReason = 200 // characters
)

// RegisterDevice registers a phone's Ed25519 public key to user (the caller),
// so that the phone can log in with a device id and get refresh tokens.
// It returns derrors.Invalid naming "public_key" when the key is not 32
// bytes, naming "name" when the name is too long or not UTF-8, and
// derrors.Conflict when the key is already registered (a phone moving to
// another officer makes a new key pair).
func (s *Service) RegisterDevice(ctx context.Context, user User, publicKey []byte, name string) (Device, error) {
	if len(publicKey) != ed25519.PublicKeySize {
		return Device{}, derrors.Invalidf("public_key", "an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(publicKey))
	}
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxDeviceName {
		return Device{}, derrors.Invalidf("name", "a device name is valid UTF-8 of at most %d characters", maxDeviceName)
	}
	d, err := s.sessions.RegisterDevice(ctx, Device{
		UserID:       user.ID,
		PublicKey:    append(ed25519.PublicKey(nil), publicKey...),
		Name:         name,
		RegisteredAt: s.now(),
	})
	if derrors.CodeOf(err) == derrors.Conflict {
		return Device{}, &derrors.Error{
			Code:    derrors.Conflict,
			Message: "this public key is already registered; a phone re-bound to another officer makes a new key pair",
			Fields:  []derrors.FieldError{{Field: "public_key", Message: "already registered"}},
			Err:     err,
		}
	}
	return d, err
}

// RevokeDevice revokes a device (a lost or handed-over phone) and ends every
// session on it at once: its refresh tokens and access tokens are refused
// from now on. The device's holder or an administrator may do it; revoking a
// revoked device changes nothing. It returns the device, derrors.NotFound
// for an unknown device, derrors.Forbidden for any other actor, and
// derrors.Invalid naming "reason" for a reason that is too long.
func (s *Service) RevokeDevice(ctx context.Context, actor User, deviceID, reason string) (Device, error) {
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxRevokeReason {
		return Device{}, derrors.Invalidf("reason", "a reason is valid UTF-8 of at most %d characters", maxRevokeReason)
	}
	d, err := s.sessions.DeviceByID(ctx, deviceID)
	if err != nil {
		return Device{}, err
	}
	if d.UserID != actor.ID && actor.Role != org.RoleAdmin {
		return Device{}, derrors.New(derrors.Forbidden, "only the device's holder or an administrator may revoke it")
	}
	defer s.checks.forget()
	return s.sessions.RevokeDevice(ctx, d.ID, reason, s.now())
}

// DisableUser disables an account and ends all its sessions at once. Only an
// administrator may, and not on their own account. Disabling a disabled
// account changes nothing. It returns the user, derrors.Forbidden for any
// other actor or for oneself, and derrors.NotFound for an unknown user.
func (s *Service) DisableUser(ctx context.Context, actor User, userID string) (User, error) {
	if actor.Role != org.RoleAdmin {
		return User{}, derrors.New(derrors.Forbidden, "only an administrator may disable accounts")
	}
	if actor.ID == userID {
		return User{}, derrors.New(derrors.Forbidden, "an administrator may not disable their own account")
	}
	defer s.checks.forget()
	return s.sessions.DisableUser(ctx, userID, s.now())
}
