// Package identity holds who a caller is: user accounts and their roles, the
// phones (devices) they carry, login, refresh and token authentication.
//
// It is a domain package: it states the rules and the small interfaces it needs
// (UserStore, SessionStore, ThrottleStore, PasswordHasher, TokenIssuer) and
// leaves storage, hashing and token formats to adapters (backend/postgres,
// backend/argon2id, backend/jwt).
//
// A login opens a session (a refresh-token family). Every access token names
// its session in Claims.SessionID, and Authenticate checks on every request
// that the session, its device and its account are still live, so that a
// logout, a revoked device or a disabled account ends access at once rather
// than when the access token expires.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// User is an account that can log in.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	Role         org.Role
	PasswordHash string // encoded by the PasswordHasher; never leaves the server
	DisabledAt   *time.Time
	CreatedAt    time.Time
}

// Disabled reports whether the account may no longer log in.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// UserStore persists users.
type UserStore interface {
	// UserByUsername returns the user or a derrors.NotFound error.
	UserByUsername(ctx context.Context, username string) (User, error)
	// UserByID returns the user or a derrors.NotFound error.
	UserByID(ctx context.Context, id string) (User, error)
	// PutUser creates the user, or updates the user with the same username.
	PutUser(ctx context.Context, u User) (User, error)
}

// PasswordHasher hashes and checks passwords.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded; it takes as long for a
	// wrong password as for a right one.
	Verify(password, encoded string) (bool, error)
}

// Claims is what an access token says about its bearer.
type Claims struct {
	UserID    string
	Role      org.Role
	SessionID string // the session (refresh-token family) the token was issued in; always set
	DeviceID  string // the registered phone of the session; "" for a browser session
	ExpiresAt time.Time
}

// TokenIssuer signs and checks access tokens.
type TokenIssuer interface {
	// Issue signs a token for c; c.SessionID must be set.
	Issue(c Claims) (token string, err error)
	// Verify returns the claims of a valid token, or a derrors.Unauthenticated error.
	Verify(token string) (Claims, error)
	// TTL is how long an issued token stays valid.
	TTL() time.Duration
}

// Session is the result of a successful login or refresh: the tokens handed
// to the client.
type Session struct {
	AccessToken string
	ExpiresAt   time.Time
	ExpiresIn   time.Duration
	// RefreshToken is the opaque token that buys the next Session (see
	// Service.Refresh). Only sessions on a registered device get one; it is ""
	// for a browser login.
	RefreshToken     string
	RefreshExpiresAt time.Time
}

// DefaultRefreshTTL is how long a refresh token stays valid: long enough for
// a week of field days without a signal.
const DefaultRefreshTTL = 7 * 24 * time.Hour

// Options are what NewService needs. Users, Sessions, Throttles, Passwords
// and Tokens are required; the rest have defaults.
type Options struct {
	Users     UserStore
	Sessions  SessionStore
	Throttles ThrottleStore
	Passwords PasswordHasher
	Tokens    TokenIssuer
	// Now is the clock (required).
	Now func() time.Time
	// RefreshTTL is the lifetime of each refresh token, counted from its
	// issue (so every refresh extends the session); DefaultRefreshTTL when 0.
	RefreshTTL time.Duration
	// Throttle limits failed logins; zero fields take DefaultThrottle's values.
	Throttle Throttle
	// Log gets the warnings of failed-login bursts (none when nil).
	Log *slog.Logger
	// SessionCheckTTL is how long a successful check of an access token
	// (Authenticate) is reused for the same token without asking the
	// database again; 0 asks on every request. Serve uses
	// DefaultSessionCheckTTL: a session ended on another instance, or an
	// account disabled in the database directly, is refused here within
	// that delay; one ended through this Service is refused at once.
	SessionCheckTTL time.Duration
}

// Service logs users in, refreshes and ends their sessions, registers their
// devices and authenticates their tokens.
type Service struct {
	users      UserStore
	sessions   SessionStore
	throttles  ThrottleStore
	passwords  PasswordHasher
	tokens     TokenIssuer
	now        func() time.Time
	refreshTTL time.Duration
	throttle   Throttle
	log        *slog.Logger
	dummyHash  string // hash of no one's password, checked for unknown usernames
	checks     *sessionChecks
}

// NewService returns a Service over o. It fails when a required option is
// missing or a limit is negative.
func NewService(o Options) (*Service, error) {
	switch {
	case o.Users == nil, o.Sessions == nil, o.Throttles == nil, o.Passwords == nil, o.Tokens == nil, o.Now == nil:
		return nil, errors.New("identity: Options.Users, Sessions, Throttles, Passwords, Tokens and Now are required")
	case o.RefreshTTL < 0:
		return nil, errors.New("identity: Options.RefreshTTL is negative")
	case o.SessionCheckTTL < 0:
		return nil, errors.New("identity: Options.SessionCheckTTL is negative")
	}
	if o.RefreshTTL == 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	th, err := o.Throttle.withDefaults()
	if err != nil {
		return nil, err
	}
	dummy, err := o.Passwords.Hash("whistle-no-such-user")
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		users:      o.Users,
		sessions:   o.Sessions,
		throttles:  o.Throttles,
		passwords:  o.Passwords,
		tokens:     o.Tokens,
		now:        o.Now,
		refreshTTL: o.RefreshTTL,
		throttle:   th,
		log:        log,
		dummyHash:  dummy,
		checks:     &sessionChecks{ttl: o.SessionCheckTTL},
	}, nil
}

// errBadLogin is the one answer to every failed login, so that a caller cannot
// learn which usernames exist.
var errBadLogin = derrors.New(derrors.Unauthenticated, "wrong username or password")

// Login checks username and password and opens a session.
//
// addr is the caller's network address, for throttling ("" skips the
// per-address limit, for callers that have none). deviceID is the registered
// phone the session is for: the session then also gets a refresh token. With
// deviceID "" (a browser) the session has only the access token.
//
// It returns derrors.TooManyRequests while the account (from this address
// or from anywhere) is delayed, or the address locked out, by failed logins
// (see Throttle), even for the right password;
// derrors.Unauthenticated for an unknown user, a wrong password or a disabled
// account, without saying which; derrors.Forbidden when the device is
// unknown, revoked or registered to another user.
func (s *Service) Login(ctx context.Context, username, password, addr, deviceID string) (Session, error) {
	now := s.now()
	keys := loginKeys(username, addr)
	if err := s.refuseLocked(ctx, now, keys); err != nil {
		return Session{}, err
	}
	u, err := s.checkPassword(ctx, username, password)
	if errors.Is(err, errBadLogin) {
		if herr := s.recordFailure(ctx, now, keys); herr != nil {
			return Session{}, herr
		}
		return Session{}, err
	}
	if err != nil {
		return Session{}, err
	}
	for _, k := range []string{keys.account, keys.pair} {
		if k == "" {
			continue
		}
		if err := s.throttles.Reset(ctx, k); err != nil {
			return Session{}, err
		}
	}

	var dev Device
	if deviceID != "" {
		dev, err = s.sessions.DeviceByID(ctx, deviceID)
		if err != nil && derrors.CodeOf(err) != derrors.NotFound {
			return Session{}, err
		}
		if err != nil || dev.UserID != u.ID || dev.Revoked() {
			return Session{}, derrors.New(derrors.Forbidden, "device %q is not registered to this account or has been revoked", deviceID)
		}
	}
	return s.open(ctx, u, dev, now)
}

// checkPassword returns the enabled user with this username and password, or
// errBadLogin.
func (s *Service) checkPassword(ctx context.Context, username, password string) (User, error) {
	u, err := s.users.UserByUsername(ctx, username)
	if derrors.CodeOf(err) == derrors.NotFound {
		// Spend the same work as a real check so timing does not reveal
		// whether the username exists.
		_, _ = s.passwords.Verify(password, s.dummyHash)
		return User{}, errBadLogin
	}
	if err != nil {
		return User{}, err
	}
	ok, err := s.passwords.Verify(password, u.PasswordHash)
	if err != nil {
		return User{}, err
	}
	if !ok || u.Disabled() {
		return User{}, errBadLogin
	}
	return u, nil
}

// open starts a new session of u, on dev when dev.ID is set.
func (s *Service) open(ctx context.Context, u User, dev Device, now time.Time) (Session, error) {
	fam := Family{UserID: u.ID, DeviceID: dev.ID, CreatedAt: now}
	var refresh string
	var first *RefreshToken
	if dev.ID != "" {
		var hash []byte
		var err error
		refresh, hash, err = newRefreshToken()
		if err != nil {
			return Session{}, err
		}
		first = &RefreshToken{UserID: u.ID, DeviceID: dev.ID, Hash: hash, IssuedAt: now, ExpiresAt: now.Add(s.refreshTTL)}
	}
	fam, err := s.sessions.CreateFamily(ctx, fam, first)
	if err != nil {
		return Session{}, err
	}
	sess, err := s.issue(u, fam, now)
	if err != nil {
		return Session{}, err
	}
	if first != nil {
		sess.RefreshToken, sess.RefreshExpiresAt = refresh, first.ExpiresAt
	}
	return sess, nil
}

// issue signs an access token for u in session fam.
func (s *Service) issue(u User, fam Family, now time.Time) (Session, error) {
	exp := now.Add(s.tokens.TTL())
	tok, err := s.tokens.Issue(Claims{UserID: u.ID, Role: u.Role, SessionID: fam.ID, DeviceID: fam.DeviceID, ExpiresAt: exp})
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: tok, ExpiresAt: exp, ExpiresIn: s.tokens.TTL()}, nil
}

// Authenticate returns the live user behind an access token. A token of a
// disabled or deleted account, of a session that was logged out or revoked,
// or of a revoked device is refused, not left to its expiry: at once when
// this Service ended it, otherwise within Options.SessionCheckTTL (the time
// a successful check of the same token is reused). Every refusal is
// derrors.Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	u, _, err := s.AuthenticateClaims(ctx, token)
	return u, err
}

// AuthenticateClaims is Authenticate that also returns the token's claims,
// for operations on the caller's own session such as Logout. It returns the
// same errors as Authenticate.
func (s *Service) AuthenticateClaims(ctx context.Context, token string) (User, Claims, error) {
	now := s.now()
	if chk, ok := s.checks.get(token, now); ok {
		return chk.user, chk.claims, nil
	}
	c, err := s.tokens.Verify(token)
	if err != nil {
		return User{}, Claims{}, err
	}
	u, err := s.users.UserByID(ctx, c.UserID)
	if derrors.CodeOf(err) == derrors.NotFound {
		return User{}, Claims{}, derrors.New(derrors.Unauthenticated, "the account of this token no longer exists")
	}
	if err != nil {
		return User{}, Claims{}, err
	}
	if u.Disabled() {
		return User{}, Claims{}, derrors.New(derrors.Unauthenticated, "the account of this token is disabled")
	}
	live, err := s.sessions.SessionActive(ctx, c.UserID, c.DeviceID, c.SessionID)
	if err != nil {
		return User{}, Claims{}, err
	}
	if !live {
		return User{}, Claims{}, errSessionEnded
	}
	s.checks.put(token, u, c, now)
	return u, c, nil
}

// Renew issues a fresh access token in the live browser session of u and c
// (from AuthenticateClaims), which has no refresh token: the console keeps a
// desk user signed in while they work, and a session left idle ends with
// its last token. Ending the session (logout, revocation, a disabled
// account) still refuses every token of it. It returns derrors.Forbidden for
// a phone's session, which is renewed with its refresh token.
func (s *Service) Renew(u User, c Claims) (Session, error) {
	if c.DeviceID != "" {
		return Session{}, derrors.New(derrors.Forbidden, "a phone's session is renewed with its refresh token")
	}
	if c.SessionID == "" || c.UserID != u.ID {
		return Session{}, derrors.New(derrors.Unauthenticated, "the token names no session of this user")
	}
	return s.issue(u, Family{ID: c.SessionID, UserID: u.ID}, s.now())
}

// TokenTTL is how long an access token stays valid.
func (s *Service) TokenTTL() time.Duration { return s.tokens.TTL() }

// errSessionEnded refuses the tokens of a session that was logged out or
// revoked, or whose device was revoked.
var errSessionEnded = derrors.New(derrors.Unauthenticated, "this session has ended (logged out, device revoked or account disabled); log in again")
