package api_test

import (
	"net/http"
	"testing"

	"github.com/whistle/whistle/openapi"
)

// TestGetAuthSession: the route answers what the token proves (user, role,
// session, device, expiry) and refuses a token whose session has ended.
func TestGetAuthSession(t *testing.T) {
	f := newFixture(t, options{demo: true})
	c := f.client.For(t)
	browser := f.tokens(t, "officer.a")["officer.a"]
	var me openapi.Me
	getJSON(t, c, "/v1/me", browser, &me)

	var got openapi.AuthSession
	getJSON(t, c, "/v1/auth/session", browser, &got)
	if got.UserId != me.Id || got.Role != openapi.RoleOfficer || got.DeviceId != nil || !got.ExpiresAt.After(f.now()) {
		t.Errorf("browser session = %+v, want officer.a's (%s), no device, expiring after now", got, me.Id)
	}

	dev := registerDevice(t, c, browser, "phone")
	phone := deviceLogin(t, c, "officer.a", dev)
	var onPhone openapi.AuthSession
	getJSON(t, c, "/v1/auth/session", phone.AccessToken, &onPhone)
	if onPhone.DeviceId == nil || *onPhone.DeviceId != dev.Id || onPhone.SessionId == got.SessionId {
		t.Errorf("phone session = %+v, want device %s and a session of its own (browser: %s)", onPhone, dev.Id, got.SessionId)
	}

	if res := c.PostJSON("/v1/auth/logout", ``, phone.AccessToken); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	c.Get("/v1/auth/session", phone.AccessToken).Problem(t, http.StatusUnauthorized, "unauthenticated")
	c.Get("/v1/auth/session", "").Problem(t, http.StatusUnauthorized, "unauthenticated")
	getJSON(t, c, "/v1/auth/session", browser, &got) // the other session lives on
}
