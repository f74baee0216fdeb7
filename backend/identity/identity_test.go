package identity_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/jwt"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// clock is a settable time shared by the service and the token signer.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a Service over a real PostgreSQL database, argon2id with small
// parameters and an EdDSA signer.
type fixture struct {
	svc    *identity.Service
	signer *jwt.Signer
	users  *postgres.UserStore
	hasher argon2id.Hasher
	clock  *clock
	ctx    context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, 0)
}

// newFixtureWith is newFixture with session checks reused for
// sessionCheckTTL (Options.SessionCheckTTL).
func newFixtureWith(t *testing.T, sessionCheckTTL time.Duration) *fixture {
	t.Helper()
	db, _ := pgtest.New(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	// A clock the tests advance, starting at the suite's time; the stores
	// read the same one.
	clk := &clock{now: db.Clock().UTC().Truncate(time.Second)}
	db.Clock = clk.Now
	hasher := argon2id.Hasher{Params: argon2id.Params{Memory: 1024, Time: 1, Threads: 1}}
	users := postgres.NewUserStore(db)
	signer := jwt.NewSigner(key, 15*time.Minute, clk.Now)
	svc, err := identity.NewService(identity.Options{
		Users:     users,
		Sessions:  postgres.NewSessionStore(db),
		Throttles: postgres.NewThrottleStore(db),
		Passwords: hasher,
		Tokens:    signer,
		Now:       clk.Now,

		SessionCheckTTL: sessionCheckTTL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, signer: signer, users: users, hasher: hasher, clock: clk, ctx: context.Background()}
}

func (f *fixture) addUser(t *testing.T, username string, role org.Role) identity.User {
	t.Helper()
	hash, err := f.hasher.Hash("pw-" + username)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.users.PutUser(f.ctx, identity.User{Username: username, DisplayName: username, Role: role, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) addDevice(t *testing.T, u identity.User) identity.Device {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	d, err := f.svc.RegisterDevice(f.ctx, u, pub, u.Username+"'s phone")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// login logs u in with the right password from a fixed address.
func (f *fixture) login(t *testing.T, u identity.User, deviceID string) identity.Session {
	t.Helper()
	s, err := f.svc.Login(f.ctx, u.Username, "pw-"+u.Username, "10.0.0.1", deviceID)
	if err != nil {
		t.Fatalf("login %s: %v", u.Username, err)
	}
	return s
}

func wantCode(t *testing.T, what string, err error, want derrors.Code) {
	t.Helper()
	if got := derrors.CodeOf(err); got != want {
		t.Fatalf("%s: err = %v, want code %q", what, err, want)
	}
}

// wantRetryAfter checks that a refusal says how long is left of the lock.
func wantRetryAfter(t *testing.T, err error, want time.Duration) {
	t.Helper()
	var e *derrors.Error
	if !errors.As(err, &e) || e.RetryAfter != want {
		t.Fatalf("err = %#v, want RetryAfter %s", err, want)
	}
}

// wantAuth checks that the access token is accepted (want "") or refused with want.
func (f *fixture) wantAuth(t *testing.T, what, token string, want derrors.Code) {
	t.Helper()
	_, err := f.svc.Authenticate(f.ctx, token)
	wantCode(t, what, err, want)
}

func TestService_Login(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	wang := f.addUser(t, "wang.fang", org.RoleOfficer)
	liPhone := f.addDevice(t, li)
	wangPhone := f.addDevice(t, wang)
	lost := f.addDevice(t, li)
	if _, err := f.svc.RevokeDevice(f.ctx, li, lost.ID, "lost"); err != nil {
		t.Fatal(err)
	}
	disabled := f.addUser(t, "zhao.lei", org.RoleOfficer)
	now := f.clock.Now()
	disabled.DisabledAt = &now
	if _, err := f.users.PutUser(f.ctx, disabled); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		username    string
		password    string
		device      string
		want        derrors.Code
		wantRefresh bool
	}{
		{"OK", "li.ming", "pw-li.ming", "", "", false},
		{"OKWithDevice", "li.ming", "pw-li.ming", liPhone.ID, "", true},
		{"ErrWrongPassword", "li.ming", "nope", "", derrors.Unauthenticated, false},
		{"ErrUnknownUser", "nobody", "pw-li.ming", "", derrors.Unauthenticated, false},
		{"ErrDisabled", "zhao.lei", "pw-zhao.lei", "", derrors.Unauthenticated, false},
		{"ErrDeviceOfAnotherUser", "li.ming", "pw-li.ming", wangPhone.ID, derrors.Forbidden, false},
		{"ErrRevokedDevice", "li.ming", "pw-li.ming", lost.ID, derrors.Forbidden, false},
		{"ErrUnknownDevice", "li.ming", "pw-li.ming", "3b2c1d6e-0000-4000-8000-000000000000", derrors.Forbidden, false},
		{"ErrDeviceNotAUUID", "li.ming", "pw-li.ming", "phone-1", derrors.Forbidden, false},
		{"ErrWrongPasswordWithOthersDevice", "li.ming", "nope", wangPhone.ID, derrors.Unauthenticated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := f.svc.Login(f.ctx, tt.username, tt.password, "10.0.0.1", tt.device)
			wantCode(t, "Login", err, tt.want)
			if tt.want != "" {
				return
			}
			if (s.RefreshToken != "") != tt.wantRefresh {
				t.Fatalf("refresh token %q, want one: %v", s.RefreshToken, tt.wantRefresh)
			}
			if tt.wantRefresh && !s.RefreshExpiresAt.Equal(f.clock.Now().Add(identity.DefaultRefreshTTL)) {
				t.Fatalf("refresh expires %v, want in 7 days", s.RefreshExpiresAt)
			}
			u, c, err := f.svc.AuthenticateClaims(f.ctx, s.AccessToken)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if u.ID != li.ID || c.SessionID == "" || c.DeviceID != tt.device || s.ExpiresIn != 15*time.Minute {
				t.Fatalf("user %s claims %+v session %+v", u.Username, c, s)
			}
		})
	}
	t.Run("ErrSameAnswerForUnknownWrongAndDisabled", func(t *testing.T) {
		var msgs []string
		for _, l := range [][2]string{{"li.ming", "nope"}, {"nobody", "nope"}, {"zhao.lei", "pw-zhao.lei"}} {
			_, err := f.svc.Login(f.ctx, l[0], l[1], "10.0.0.2", "")
			msgs = append(msgs, err.Error())
		}
		if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
			t.Fatalf("login failures differ: %q", msgs)
		}
	})
}

func TestService_Refresh(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	phone := f.addDevice(t, li)

	t.Run("OK", func(t *testing.T) {
		s1 := f.login(t, li, phone.ID)
		_, c1, err := f.svc.AuthenticateClaims(f.ctx, s1.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
		s2, err := f.svc.Refresh(f.ctx, s1.RefreshToken, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if s2.RefreshToken == s1.RefreshToken || s2.AccessToken == s1.AccessToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		if !s2.RefreshExpiresAt.Equal(f.clock.Now().Add(identity.DefaultRefreshTTL)) {
			t.Fatalf("new refresh token expires %v, want 7 days from the refresh", s2.RefreshExpiresAt)
		}
		_, c2, err := f.svc.AuthenticateClaims(f.ctx, s2.AccessToken)
		if err != nil || c2.SessionID != c1.SessionID || c2.DeviceID != phone.ID || c2.UserID != li.ID {
			t.Fatalf("refreshed claims %+v (%v), want session %s on device %s", c2, err, c1.SessionID, phone.ID)
		}
		// The chain goes on: the new token buys the next session.
		if _, err := f.svc.Refresh(f.ctx, s2.RefreshToken, "10.0.0.1"); err != nil {
			t.Fatalf("second refresh: %v", err)
		}
	})
	t.Run("OKAfterSixDaysOffline", func(t *testing.T) {
		s := f.login(t, li, phone.ID)
		f.clock.Advance(6*24*time.Hour + 23*time.Hour)
		if _, err := f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrReused", func(t *testing.T) {
		s1 := f.login(t, li, phone.ID)
		s2, err := f.svc.Refresh(f.ctx, s1.RefreshToken, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		f.wantAuth(t, "access token before reuse", s2.AccessToken, "")
		// Someone presents the spent token again: the whole family goes.
		_, err = f.svc.Refresh(f.ctx, s1.RefreshToken, "10.0.0.9")
		wantCode(t, "reused refresh token", err, derrors.Unauthenticated)
		if !strings.Contains(err.Error(), "revoked because a refresh token was reused") {
			t.Fatalf("message %q does not say why", err)
		}
		_, err = f.svc.Refresh(f.ctx, s2.RefreshToken, "10.0.0.1")
		wantCode(t, "successor of a reused token", err, derrors.Unauthenticated)
		f.wantAuth(t, "access token of the revoked family", s2.AccessToken, derrors.Unauthenticated)
		f.wantAuth(t, "first access token of the revoked family", s1.AccessToken, derrors.Unauthenticated)
		// Other sessions of the same officer and phone are untouched.
		other := f.login(t, li, phone.ID)
		f.wantAuth(t, "another session", other.AccessToken, "")
	})
	t.Run("ErrExpired", func(t *testing.T) {
		s := f.login(t, li, phone.ID)
		f.clock.Advance(identity.DefaultRefreshTTL)
		_, err := f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1")
		wantCode(t, "expired refresh token", err, derrors.Unauthenticated)
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		random := make([]byte, 32)
		_, _ = rand.Read(random)
		for _, tok := range []string{"", "not-a-token", base64.RawURLEncoding.EncodeToString(random), base64.RawURLEncoding.EncodeToString(random[:16])} {
			_, err := f.svc.Refresh(f.ctx, tok, "10.0.0.1")
			wantCode(t, fmt.Sprintf("Refresh(%q)", tok), err, derrors.Unauthenticated)
		}
	})
	t.Run("ErrRevokedDevice", func(t *testing.T) {
		d := f.addDevice(t, li)
		a := f.login(t, li, d.ID)
		b := f.login(t, li, d.ID)
		browser := f.login(t, li, "")
		if _, err := f.svc.RevokeDevice(f.ctx, li, d.ID, "phone lost on patrol"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []identity.Session{a, b} {
			_, err := f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1")
			wantCode(t, "refresh on a revoked device", err, derrors.Unauthenticated)
			f.wantAuth(t, "access token of a revoked device", s.AccessToken, derrors.Unauthenticated)
		}
		f.wantAuth(t, "browser session of the same officer", browser.AccessToken, "")
		_, err := f.svc.Login(f.ctx, li.Username, "pw-"+li.Username, "10.0.0.1", d.ID)
		wantCode(t, "login on a revoked device", err, derrors.Forbidden)
	})
	t.Run("ErrDisabledUser", func(t *testing.T) {
		admin := f.addUser(t, "admin", org.RoleAdmin)
		wang := f.addUser(t, "wang.fang", org.RoleOfficer)
		d := f.addDevice(t, wang)
		s := f.login(t, wang, d.ID)
		browser := f.login(t, wang, "")
		if _, err := f.svc.DisableUser(f.ctx, admin, wang.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1")
		wantCode(t, "refresh of a disabled user", err, derrors.Unauthenticated)
		f.wantAuth(t, "access token of a disabled user", s.AccessToken, derrors.Unauthenticated)
		f.wantAuth(t, "browser token of a disabled user", browser.AccessToken, derrors.Unauthenticated)
		_, err = f.svc.Login(f.ctx, wang.Username, "pw-"+wang.Username, "10.0.0.1", "")
		wantCode(t, "login of a disabled user", err, derrors.Unauthenticated)
	})
	t.Run("ErrBrowserSessionHasNoRefreshToken", func(t *testing.T) {
		s := f.login(t, li, "")
		if s.RefreshToken != "" {
			t.Fatalf("browser login got refresh token %q", s.RefreshToken)
		}
	})
}

// TestService_RefreshConcurrent presents one refresh token several times at
// once, as a phone retrying on a bad network or a thief racing its owner
// would: exactly one refresh succeeds, and the others count as reuse, which
// ends the session, the winner's tokens included.
func TestService_RefreshConcurrent(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	phone := f.addDevice(t, li)
	for round := range 5 {
		s := f.login(t, li, phone.ID)
		const n = 8
		var wg sync.WaitGroup
		sessions := make([]identity.Session, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { sessions[i], errs[i] = f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1") })
		}
		wg.Wait()
		var won []identity.Session
		for i, err := range errs {
			switch derrors.CodeOf(err) {
			case "":
				won = append(won, sessions[i])
			case derrors.Unauthenticated:
			default:
				t.Fatalf("round %d: refresh %d: %v", round, i, err)
			}
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d of %d concurrent refreshes succeeded, want exactly 1", round, len(won), n)
		}
		_, err := f.svc.Refresh(f.ctx, won[0].RefreshToken, "10.0.0.1")
		wantCode(t, "winner's refresh token after the race", err, derrors.Unauthenticated)
		f.wantAuth(t, "winner's access token after the race", won[0].AccessToken, derrors.Unauthenticated)
	}
}

func TestService_Logout(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	phone := f.addDevice(t, li)
	t.Run("OK", func(t *testing.T) {
		s := f.login(t, li, phone.ID)
		other := f.login(t, li, "")
		_, c, err := f.svc.AuthenticateClaims(f.ctx, s.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(f.ctx, c); err != nil {
			t.Fatal(err)
		}
		f.wantAuth(t, "access token after logout", s.AccessToken, derrors.Unauthenticated)
		_, err = f.svc.Refresh(f.ctx, s.RefreshToken, "10.0.0.1")
		wantCode(t, "refresh after logout", err, derrors.Unauthenticated)
		f.wantAuth(t, "another session after logout", other.AccessToken, "")
		if err := f.svc.Logout(f.ctx, c); err != nil {
			t.Fatalf("second logout: %v", err)
		}
	})
	t.Run("ErrNoSession", func(t *testing.T) {
		err := f.svc.Logout(f.ctx, identity.Claims{UserID: li.ID})
		wantCode(t, "Logout without session", err, derrors.Unauthenticated)
		err = f.svc.Logout(f.ctx, identity.Claims{UserID: li.ID, SessionID: "3b2c1d6e-0000-4000-8000-000000000000"})
		wantCode(t, "Logout of an unknown session", err, derrors.Unauthenticated)
	})
}

func TestService_Authenticate(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	wang := f.addUser(t, "wang.fang", org.RoleOfficer)
	phone := f.addDevice(t, li)
	s := f.login(t, li, phone.ID)
	_, c, err := f.svc.AuthenticateClaims(f.ctx, s.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens signed with the server's own key: only the session check can refuse them.
	tests := []struct {
		name   string
		claims identity.Claims
		want   derrors.Code
	}{
		{"OK", c, ""},
		{"ErrUnknownSession", identity.Claims{UserID: li.ID, Role: li.Role, SessionID: "3b2c1d6e-0000-4000-8000-000000000000", DeviceID: phone.ID}, derrors.Unauthenticated},
		{"ErrSessionNotAUUID", identity.Claims{UserID: li.ID, Role: li.Role, SessionID: "s1"}, derrors.Unauthenticated},
		{"ErrSessionOfAnotherUser", identity.Claims{UserID: wang.ID, Role: wang.Role, SessionID: c.SessionID, DeviceID: phone.ID}, derrors.Unauthenticated},
		{"ErrOtherDevice", identity.Claims{UserID: li.ID, Role: li.Role, SessionID: c.SessionID}, derrors.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.claims.ExpiresAt = f.clock.Now().Add(time.Minute)
			tok, err := f.signer.Issue(tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			f.wantAuth(t, "Authenticate", tok, tt.want)
		})
	}
}

func TestService_RegisterDevice(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	wang := f.addUser(t, "wang.fang", org.RoleOfficer)
	taken, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := f.svc.RegisterDevice(f.ctx, li, taken, "first"); err != nil {
		t.Fatal(err)
	}
	fresh := func() []byte { k, _, _ := ed25519.GenerateKey(rand.Reader); return k }
	tests := []struct {
		name      string
		user      identity.User
		key       []byte
		devName   string
		want      derrors.Code
		wantField string
	}{
		{"OK", li, fresh(), "  李明的手机 ", "", ""},
		{"OKNoName", wang, fresh(), "", "", ""},
		{"ErrShortKey", li, fresh()[:31], "x", derrors.Invalid, "public_key"},
		{"ErrLongKey", li, append(fresh(), 0), "x", derrors.Invalid, "public_key"},
		{"ErrNoKey", li, nil, "x", derrors.Invalid, "public_key"},
		{"ErrLongName", li, fresh(), strings.Repeat("机", 65), derrors.Invalid, "name"},
		{"ErrConflictSameUser", li, taken, "again", derrors.Conflict, "public_key"},
		{"ErrConflictOtherUser", wang, taken, "stolen", derrors.Conflict, "public_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.svc.RegisterDevice(f.ctx, tt.user, tt.key, tt.devName)
			wantCode(t, "RegisterDevice", err, tt.want)
			if tt.want != "" {
				var de *derrors.Error
				if !errors.As(err, &de) || len(de.Fields) == 0 || de.Fields[0].Field != tt.wantField {
					t.Fatalf("error %v does not name field %s", err, tt.wantField)
				}
				return
			}
			if d.ID == "" || d.UserID != tt.user.ID || !d.PublicKey.Equal(ed25519.PublicKey(tt.key)) ||
				d.Name != strings.TrimSpace(tt.devName) || d.Revoked() || !d.RegisteredAt.Equal(f.clock.Now()) {
				t.Fatalf("device = %+v", d)
			}
		})
	}
	t.Run("ErrConflictAfterRevocation", func(t *testing.T) {
		k := fresh()
		d, err := f.svc.RegisterDevice(f.ctx, li, k, "handed over")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RevokeDevice(f.ctx, li, d.ID, "handed to wang.fang"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.RegisterDevice(f.ctx, wang, k, "from li.ming")
		wantCode(t, "re-registering a revoked key", err, derrors.Conflict)
	})
}

func TestService_RevokeDevice(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleOfficer)
	wang := f.addUser(t, "wang.fang", org.RoleTeamLeader)
	admin := f.addUser(t, "admin", org.RoleAdmin)
	tests := []struct {
		name       string
		actor      identity.User
		device     func() string
		reason     string
		want       derrors.Code
		wantReason string
	}{
		{"OKHolder", li, func() string { return f.addDevice(t, li).ID }, " lost on patrol ", "", "lost on patrol"},
		{"OKAdmin", admin, func() string { return f.addDevice(t, li).ID }, "reported stolen", "", "reported stolen"},
		{"OKAlreadyRevoked", li, func() string {
			d := f.addDevice(t, li)
			if _, err := f.svc.RevokeDevice(f.ctx, li, d.ID, "lost on patrol"); err != nil {
				t.Fatal(err)
			}
			return d.ID
		}, "found again", "", "lost on patrol"},
		{"ErrForbiddenOtherOfficer", wang, func() string { return f.addDevice(t, li).ID }, "", derrors.Forbidden, ""},
		{"ErrNotFound", li, func() string { return "3b2c1d6e-0000-4000-8000-000000000000" }, "", derrors.NotFound, ""},
		{"ErrNotFoundNotAUUID", li, func() string { return "phone" }, "", derrors.NotFound, ""},
		{"ErrInvalidReason", li, func() string { return f.addDevice(t, li).ID }, strings.Repeat("x", 201), derrors.Invalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.device()
			s, loginErr := f.svc.Login(f.ctx, li.Username, "pw-"+li.Username, "10.0.0.1", id)
			d, err := f.svc.RevokeDevice(f.ctx, tt.actor, id, tt.reason)
			wantCode(t, "RevokeDevice", err, tt.want)
			if tt.want != "" {
				if loginErr == nil {
					f.wantAuth(t, "session on a device not revoked", s.AccessToken, "")
				}
				return
			}
			if !d.Revoked() || d.RevokedReason != tt.wantReason || d.ID != id {
				t.Fatalf("device = %+v, want revoked for %q", d, tt.wantReason)
			}
			if loginErr == nil {
				f.wantAuth(t, "session on the revoked device", s.AccessToken, derrors.Unauthenticated)
			}
		})
	}
}

func TestService_DisableUser(t *testing.T) {
	f := newFixture(t)
	admin := f.addUser(t, "admin", org.RoleAdmin)
	leader := f.addUser(t, "wang.fang", org.RoleTeamLeader)
	tests := []struct {
		name   string
		actor  identity.User
		target func() string
		want   derrors.Code
	}{
		{"OK", admin, func() string { return f.addUser(t, "li.ming", org.RoleOfficer).ID }, ""},
		{"OKAlreadyDisabled", admin, func() string {
			u := f.addUser(t, "chen.jing", org.RoleOfficer)
			if _, err := f.svc.DisableUser(f.ctx, admin, u.ID); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}, ""},
		{"ErrForbiddenNotAdmin", leader, func() string { return f.addUser(t, "zhao.lei", org.RoleOfficer).ID }, derrors.Forbidden},
		{"ErrForbiddenSelf", admin, func() string { return admin.ID }, derrors.Forbidden},
		{"ErrNotFound", admin, func() string { return "3b2c1d6e-0000-4000-8000-000000000000" }, derrors.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.target()
			u, err := f.svc.DisableUser(f.ctx, tt.actor, id)
			wantCode(t, "DisableUser", err, tt.want)
			if tt.want == "" && (u.ID != id || !u.Disabled()) {
				t.Fatalf("user = %+v, want %s disabled", u, id)
			}
		})
	}
}

func TestService_LoginThrottle(t *testing.T) {
	t.Run("ErrAccountDelayed", func(t *testing.T) {
		f := newFixture(t)
		li := f.addUser(t, "li.ming", org.RoleOfficer)
		wang := f.addUser(t, "wang.fang", org.RoleOfficer)
		limit := identity.DefaultThrottle.AccountFailures
		for i := range limit {
			// From different addresses: the account's limit holds on its own.
			_, err := f.svc.Login(f.ctx, "li.ming", "guess", fmt.Sprintf("10.1.0.%d", i), "")
			wantCode(t, fmt.Sprintf("failure %d", i+1), err, derrors.Unauthenticated)
		}
		_, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "10.2.0.1", "")
		wantCode(t, "right password at the limit", err, derrors.TooManyRequests)
		wantRetryAfter(t, err, time.Minute)
		// Another account from the same addresses is not affected.
		f.login(t, wang, "")
		if _, err := f.svc.Login(f.ctx, "wang.fang", "pw-wang.fang", "10.1.0.1", ""); err != nil {
			t.Fatalf("other account: %v", err)
		}
		// Each failure after the limit doubles the delay.
		f.clock.Advance(time.Minute)
		_, err = f.svc.Login(f.ctx, "li.ming", "guess", "10.2.0.1", "")
		wantCode(t, "a failure after the delay", err, derrors.Unauthenticated)
		_, err = f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "10.2.0.1", "")
		wantCode(t, "right password after it", err, derrors.TooManyRequests)
		wantRetryAfter(t, err, 2*time.Minute)
		f.clock.Advance(2*time.Minute - time.Second)
		_, err = f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "10.2.0.1", "")
		wantCode(t, "just before the delay ends", err, derrors.TooManyRequests)
		wantRetryAfter(t, err, time.Second)
		f.clock.Advance(time.Second)
		f.login(t, li, "")
	})
	t.Run("ErrAccountAtAddressDelayed", func(t *testing.T) {
		// Five mistypes at one address delay that account there; the same
		// account elsewhere, and other accounts there, are not delayed.
		f := newFixture(t)
		li := f.addUser(t, "li.ming", org.RoleOfficer)
		wang := f.addUser(t, "wang.fang", org.RoleOfficer)
		for i := range identity.DefaultThrottle.PairFailures {
			_, err := f.svc.Login(f.ctx, "li.ming", "guess", "10.0.0.1", "")
			wantCode(t, fmt.Sprintf("failure %d", i+1), err, derrors.Unauthenticated)
		}
		_, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "10.0.0.1", "")
		wantCode(t, "right password at the same address", err, derrors.TooManyRequests)
		wantRetryAfter(t, err, time.Minute)
		if _, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "10.9.0.1", ""); err != nil {
			t.Fatalf("the same account from another address: %v", err)
		}
		f.login(t, wang, "") // at 10.0.0.1
		f.clock.Advance(time.Minute)
		f.login(t, li, "")
	})
	t.Run("OKSuccessResetsAccount", func(t *testing.T) {
		f := newFixture(t)
		li := f.addUser(t, "li.ming", org.RoleOfficer)
		// At the same address: a success there resets the account's counts
		// there. (A success elsewhere does not: it would let a guesser at
		// one address start again whenever the owner logs in at another.)
		for range 4 {
			_, err := f.svc.Login(f.ctx, "li.ming", "guess", "10.0.0.1", "")
			wantCode(t, "failure", err, derrors.Unauthenticated)
		}
		f.login(t, li, "")
		for range 4 {
			_, err := f.svc.Login(f.ctx, "li.ming", "guess", "10.0.0.1", "")
			wantCode(t, "failure after success", err, derrors.Unauthenticated)
		}
		f.login(t, li, "")
	})
	t.Run("ErrAddressLocked", func(t *testing.T) {
		f := newFixture(t)
		li := f.addUser(t, "li.ming", org.RoleOfficer)
		// Password spraying: one guess at each of many accounts.
		for i := range identity.DefaultThrottle.AddressFailures {
			_, err := f.svc.Login(f.ctx, fmt.Sprintf("user%03d", i), "guess", "203.0.113.7", "")
			wantCode(t, fmt.Sprintf("failure %d", i+1), err, derrors.Unauthenticated)
		}
		_, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "203.0.113.7", "")
		wantCode(t, "the attempt after the ceiling, right password", err, derrors.TooManyRequests)
		// A locked-out address cannot probe refresh tokens either.
		_, err = f.svc.Refresh(f.ctx, "not-a-token", "203.0.113.7")
		wantCode(t, "refresh from a locked address", err, derrors.TooManyRequests)
		// The same account from elsewhere is fine.
		f.login(t, li, "")
		f.clock.Advance(15 * time.Minute)
		if _, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "203.0.113.7", ""); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("OKMistypesDoNotLockOthersBehindAddress", func(t *testing.T) {
		// A station behind one NAT: one officer mistypes his password 20
		// times in a morning (and gets it right in between); the others at
		// the same address still log in.
		f := newFixture(t)
		li := f.addUser(t, "li.ming", org.RoleOfficer)
		wang := f.addUser(t, "wang.fang", org.RoleOfficer)
		for i := range 20 {
			_, err := f.svc.Login(f.ctx, "li.ming", "guess", "203.0.113.9", "")
			if c := derrors.CodeOf(err); c != derrors.Unauthenticated && c != derrors.TooManyRequests {
				t.Fatalf("mistype %d: %v", i+1, err)
			}
			f.clock.Advance(10 * time.Second)
			if i%4 == 3 && i < 19 {
				f.clock.Advance(2 * time.Minute) // any delay of his has passed
				if _, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "203.0.113.9", ""); err != nil {
					t.Fatalf("li.ming after mistype %d: %v", i+1, err)
				}
			}
		}
		f.login(t, li, "")
		if _, err := f.svc.Login(f.ctx, "wang.fang", "pw-wang.fang", "203.0.113.9", ""); err != nil {
			t.Fatalf("another user at the same address: %v", err)
		}
		f.login(t, wang, "")
	})
	t.Run("ErrAddressLockedByBadRefreshTokens", func(t *testing.T) {
		f := newFixture(t)
		f.addUser(t, "li.ming", org.RoleOfficer)
		for range identity.DefaultThrottle.AddressFailures {
			_, err := f.svc.Refresh(f.ctx, "not-a-token", "203.0.113.8")
			wantCode(t, "bad refresh token", err, derrors.Unauthenticated)
		}
		_, err := f.svc.Login(f.ctx, "li.ming", "pw-li.ming", "203.0.113.8", "")
		wantCode(t, "login from the address", err, derrors.TooManyRequests)
	})
	t.Run("OKCustomLimits", func(t *testing.T) {
		var logged bytes.Buffer
		db, _ := pgtest.New(t)
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		hasher := argon2id.Hasher{Params: argon2id.Params{Memory: 1024, Time: 1, Threads: 1}}
		users := postgres.NewUserStore(db)
		svc, err := identity.NewService(identity.Options{
			Users: users, Sessions: postgres.NewSessionStore(db), Throttles: postgres.NewThrottleStore(db),
			Passwords: hasher, Tokens: jwt.NewSigner(key, time.Minute, db.Clock), Now: db.Clock,
			Throttle: identity.Throttle{AccountFailures: 2},
			Log:      slog.New(slog.NewTextHandler(&logged, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for range 2 {
			_, err := svc.Login(ctx, "nobody", "guess", "", "")
			wantCode(t, "failure", err, derrors.Unauthenticated)
		}
		_, err = svc.Login(ctx, "nobody", "guess", "", "")
		wantCode(t, "3rd attempt with limit 2", err, derrors.TooManyRequests)
		// Reaching the limit raised the alert, once.
		if n := strings.Count(logged.String(), "failed logins burst"); n != 1 || !strings.Contains(logged.String(), "key=user:nobody") {
			t.Fatalf("burst logged %d times: %s", n, logged.String())
		}
	})
}

// TestService_Renew: a browser session's token is renewed in the same
// session (its logout refuses the renewed token too); a phone's is not.
func TestService_Renew(t *testing.T) {
	f := newFixture(t)
	li := f.addUser(t, "li.ming", org.RoleTeamLeader)
	s := f.login(t, li, "")
	u, c, err := f.svc.AuthenticateClaims(f.ctx, s.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	next, err := f.svc.Renew(u, c)
	if err != nil {
		t.Fatal(err)
	}
	if !next.ExpiresAt.Equal(f.clock.Now().Add(15*time.Minute)) || next.RefreshToken != "" {
		t.Errorf("renewed: expires %s, refresh token %q", next.ExpiresAt, next.RefreshToken)
	}
	f.clock.Advance(10 * time.Minute)
	f.wantAuth(t, "the first token past its lifetime", s.AccessToken, derrors.Unauthenticated)
	_, nc, err := f.svc.AuthenticateClaims(f.ctx, next.AccessToken)
	if err != nil || nc.SessionID != c.SessionID {
		t.Fatalf("the renewed token: %v, session %s, want %s", err, nc.SessionID, c.SessionID)
	}
	if err := f.svc.Logout(f.ctx, nc); err != nil {
		t.Fatal(err)
	}
	f.wantAuth(t, "the renewed token after logout", next.AccessToken, derrors.Unauthenticated)

	phone := f.login(t, li, f.addDevice(t, li).ID)
	pu, pc, err := f.svc.AuthenticateClaims(f.ctx, phone.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Renew(pu, pc)
	wantCode(t, "renewing a phone's session", err, derrors.Forbidden)
}
