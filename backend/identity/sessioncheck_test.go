package identity_test

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

// TestSessionCheckTTL: with Options.SessionCheckTTL, a successful check of
// a token is reused for that long, so a change written to the database by
// someone else (another instance, an import) is seen within the TTL and
// not before; a session ended through the Service is refused at once.
func TestSessionCheckTTL(t *testing.T) {
	const ttl = identity.DefaultSessionCheckTTL
	refused := func(t *testing.T, f *fixture, token, why string) {
		t.Helper()
		if _, err := f.svc.Authenticate(f.ctx, token); derrors.CodeOf(err) != derrors.Unauthenticated {
			t.Fatalf("%s: err = %v, want unauthenticated", why, err)
		}
	}
	accepted := func(t *testing.T, f *fixture, token, why string) {
		t.Helper()
		if _, err := f.svc.Authenticate(f.ctx, token); err != nil {
			t.Fatalf("%s: %v", why, err)
		}
	}

	t.Run("DisabledElsewhereWithinTTL", func(t *testing.T) {
		f := newFixtureWith(t, ttl)
		u := f.addUser(t, "li.wei", org.RoleOfficer)
		tok := f.login(t, u, "").AccessToken
		accepted(t, f, tok, "fresh token")
		now := f.clock.Now()
		u.DisabledAt = &now
		if _, err := f.users.PutUser(f.ctx, u); err != nil { // not through the Service
			t.Fatal(err)
		}
		f.clock.Advance(ttl - time.Millisecond)
		accepted(t, f, tok, "within the TTL the earlier check holds")
		f.clock.Advance(time.Millisecond)
		refused(t, f, tok, "once the TTL has passed")
		f.clock.Advance(time.Hour)
		refused(t, f, tok, "a refusal is not kept but re-checked, and still refused")
	})

	t.Run("EndedHereAtOnce", func(t *testing.T) {
		f := newFixtureWith(t, ttl)
		admin := f.addUser(t, "admin", org.RoleAdmin)
		u := f.addUser(t, "zhang.min", org.RoleOfficer)
		dev := f.addDevice(t, u)

		browser := f.login(t, u, "").AccessToken
		accepted(t, f, browser, "browser token")
		_, claims, err := f.svc.AuthenticateClaims(f.ctx, browser)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Logout(f.ctx, claims); err != nil {
			t.Fatal(err)
		}
		refused(t, f, browser, "logged out")

		phone := f.login(t, u, dev.ID).AccessToken
		accepted(t, f, phone, "phone token")
		if _, err := f.svc.RevokeDevice(f.ctx, u, dev.ID, "lost"); err != nil {
			t.Fatal(err)
		}
		refused(t, f, phone, "device revoked")

		other := f.login(t, u, "").AccessToken
		accepted(t, f, other, "another browser token")
		if _, err := f.svc.DisableUser(f.ctx, admin, u.ID); err != nil {
			t.Fatal(err)
		}
		refused(t, f, other, "account disabled")
	})

	t.Run("NotPastTheTokensExpiry", func(t *testing.T) {
		f := newFixtureWith(t, time.Hour) // longer than the token's 15 minutes
		u := f.addUser(t, "sun.li", org.RoleOfficer)
		tok := f.login(t, u, "").AccessToken
		accepted(t, f, tok, "fresh token")
		f.clock.Advance(15*time.Minute + time.Second)
		refused(t, f, tok, "expired token, its check made within the TTL")
	})

	t.Run("Off", func(t *testing.T) {
		f := newFixture(t)
		u := f.addUser(t, "wu.hao", org.RoleOfficer)
		tok := f.login(t, u, "").AccessToken
		accepted(t, f, tok, "fresh token")
		now := f.clock.Now()
		u.DisabledAt = &now
		if _, err := f.users.PutUser(f.ctx, u); err != nil {
			t.Fatal(err)
		}
		refused(t, f, tok, "without a TTL every request asks the database")
	})
}
