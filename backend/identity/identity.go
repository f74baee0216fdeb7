// Package identity holds who a caller is: user accounts, their roles, and the
// login that turns a username and password into an access token.
//
// It is a domain package: it states the rules and the small interfaces it needs
// (UserStore, PasswordHasher, TokenIssuer) and leaves storage, hashing and token
// formats to adapters (backend/postgres, backend/argon2id, backend/jwt).
package identity

import (
	"context"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// Role is what a user does in the system; authorization starts from it.
type Role string

// The roles of DOMAIN.md section 8.
const (
	RoleOfficer      Role = "officer"       // enforcement officer 执法队员, on a phone in the street
	RoleTeamLeader   Role = "team_leader"   // team leader 队长: reviews flagged acts, closes case archives
	RoleDeptReviewer Role = "dept_reviewer" // department reviewer: evidence of cases routed to the department
	RoleGridOperator Role = "grid_operator" // grid center operator 网格中心: takes in problems, whistles
	RoleCommunity    Role = "community"     // community office 社区: reports problems, rates responses
	RoleAdmin        Role = "admin"         // district administrator: organization, certificates, matters
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOfficer, RoleTeamLeader, RoleDeptReviewer, RoleGridOperator, RoleCommunity, RoleAdmin:
		return true
	}
	return false
}

// User is an account that can log in.
type User struct {
	ID           string
	Username     string
	DisplayName  string
	Role         Role
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
	Role      Role
	ExpiresAt time.Time
}

// TokenIssuer signs and checks access tokens.
type TokenIssuer interface {
	Issue(c Claims) (token string, err error)
	// Verify returns the claims of a valid token, or a derrors.Unauthenticated error.
	Verify(token string) (Claims, error)
	// TTL is how long an issued token stays valid.
	TTL() time.Duration
}

// Session is the result of a successful login.
type Session struct {
	AccessToken string
	ExpiresAt   time.Time
	ExpiresIn   time.Duration
}

// Service logs users in and authenticates their tokens.
type Service struct {
	users     UserStore
	passwords PasswordHasher
	tokens    TokenIssuer
	now       func() time.Time
	dummyHash string // hash of no one's password, checked for unknown usernames
}

// NewService returns a Service over the given store, hasher and token issuer.
func NewService(users UserStore, passwords PasswordHasher, tokens TokenIssuer, now func() time.Time) (*Service, error) {
	dummy, err := passwords.Hash("whistle-no-such-user")
	if err != nil {
		return nil, err
	}
	return &Service{users: users, passwords: passwords, tokens: tokens, now: now, dummyHash: dummy}, nil
}

// errBadLogin is the one answer to every failed login, so that a caller cannot
// learn which usernames exist.
var errBadLogin = derrors.New(derrors.Unauthenticated, "wrong username or password")

// Login checks username and password and issues an access token.
// It returns derrors.Unauthenticated for an unknown user, a wrong password or
// a disabled account, without saying which.
func (s *Service) Login(ctx context.Context, username, password string) (Session, error) {
	u, err := s.users.UserByUsername(ctx, username)
	if derrors.CodeOf(err) == derrors.NotFound {
		// Spend the same work as a real check so timing does not reveal
		// whether the username exists.
		_, _ = s.passwords.Verify(password, s.dummyHash)
		return Session{}, errBadLogin
	}
	if err != nil {
		return Session{}, err
	}
	ok, err := s.passwords.Verify(password, u.PasswordHash)
	if err != nil {
		return Session{}, err
	}
	if !ok || u.Disabled() {
		return Session{}, errBadLogin
	}
	exp := s.now().Add(s.tokens.TTL())
	tok, err := s.tokens.Issue(Claims{UserID: u.ID, Role: u.Role, ExpiresAt: exp})
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: tok, ExpiresAt: exp, ExpiresIn: s.tokens.TTL()}, nil
}

// Authenticate returns the live user behind an access token. A token of a
// disabled or deleted account is refused at once, not at its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return User{}, err
	}
	u, err := s.users.UserByID(ctx, c.UserID)
	if derrors.CodeOf(err) == derrors.NotFound {
		return User{}, derrors.New(derrors.Unauthenticated, "the account of this token no longer exists")
	}
	if err != nil {
		return User{}, err
	}
	if u.Disabled() {
		return User{}, derrors.New(derrors.Unauthenticated, "the account of this token is disabled")
	}
	return u, nil
}
