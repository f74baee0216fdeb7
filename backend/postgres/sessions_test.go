package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// epoch is the clock of the session store tests.
var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newTokenHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	h := sha256.Sum256(b)
	return h[:]
}

func addSessionUser(t *testing.T, users *postgres.UserStore, username string) identity.User {
	t.Helper()
	u, err := users.PutUser(context.Background(), identity.User{Username: username, DisplayName: username, Role: org.RoleOfficer, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func addSessionDevice(t *testing.T, s *postgres.SessionStore, u identity.User) identity.Device {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	d, err := s.RegisterDevice(context.Background(), identity.Device{UserID: u.ID, PublicKey: pub, Name: "phone", RegisteredAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSessionStore_RotateRefresh(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	s := postgres.NewSessionStore(db)
	users := postgres.NewUserStore(db)
	u := addSessionUser(t, users, "li.ming")

	// open starts a device session whose first refresh token has hash h0.
	open := func(t *testing.T) (identity.Family, identity.Device, []byte) {
		d := addSessionDevice(t, s, u)
		h0 := newTokenHash()
		f, err := s.CreateFamily(ctx, identity.Family{UserID: u.ID, DeviceID: d.ID, CreatedAt: epoch},
			&identity.RefreshToken{Hash: h0, IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return f, d, h0
	}
	next := func(at time.Time) identity.RefreshToken {
		return identity.RefreshToken{Hash: newTokenHash(), IssuedAt: at, ExpiresAt: at.Add(time.Hour)}
	}
	rotate := func(t *testing.T, h []byte, at time.Time) identity.RefreshToken {
		t.Helper()
		n := next(at)
		rot, err := s.RotateRefresh(ctx, h, n, at)
		if err != nil || rot.Outcome != identity.Rotated {
			t.Fatalf("rotate = %+v, %v; want rotated", rot, err)
		}
		return n
	}

	tests := []struct {
		name       string
		present    func(t *testing.T, f identity.Family, d identity.Device, h0 []byte) ([]byte, time.Time)
		want       identity.RotationOutcome
		wantCode   derrors.Code
		wantReason string // of the family afterwards
	}{
		{"OK", func(t *testing.T, _ identity.Family, _ identity.Device, h0 []byte) ([]byte, time.Time) {
			return rotate(t, h0, epoch.Add(time.Minute)).Hash, epoch.Add(2 * time.Minute)
		}, identity.Rotated, "", ""},
		{"ErrReused", func(t *testing.T, _ identity.Family, _ identity.Device, h0 []byte) ([]byte, time.Time) {
			rotate(t, h0, epoch.Add(time.Minute))
			return h0, epoch.Add(2 * time.Minute)
		}, identity.Reused, "", identity.ReasonRefreshReused},
		{"ErrSuccessorOfReused", func(t *testing.T, _ identity.Family, _ identity.Device, h0 []byte) ([]byte, time.Time) {
			h1 := rotate(t, h0, epoch.Add(time.Minute)).Hash
			if rot, err := s.RotateRefresh(ctx, h0, next(epoch), epoch.Add(2*time.Minute)); err != nil || rot.Outcome != identity.Reused {
				t.Fatalf("reuse = %+v, %v", rot, err)
			}
			return h1, epoch.Add(3 * time.Minute)
		}, identity.Ended, "", identity.ReasonRefreshReused},
		{"ErrFamilyRevoked", func(t *testing.T, f identity.Family, _ identity.Device, h0 []byte) ([]byte, time.Time) {
			if err := s.RevokeFamily(ctx, f.ID, identity.ReasonLogout, epoch); err != nil {
				t.Fatal(err)
			}
			return h0, epoch.Add(time.Minute)
		}, identity.Ended, "", identity.ReasonLogout},
		{"ErrDeviceRevoked", func(t *testing.T, _ identity.Family, d identity.Device, h0 []byte) ([]byte, time.Time) {
			if _, err := s.RevokeDevice(ctx, d.ID, "lost", epoch); err != nil {
				t.Fatal(err)
			}
			return h0, epoch.Add(time.Minute)
		}, identity.Ended, "", identity.ReasonDeviceRevoked},
		{"ErrExpired", func(t *testing.T, _ identity.Family, _ identity.Device, h0 []byte) ([]byte, time.Time) {
			return h0, epoch.Add(time.Hour)
		}, identity.Expired, "", ""},
		{"ErrNotFound", func(t *testing.T, _ identity.Family, _ identity.Device, _ []byte) ([]byte, time.Time) {
			return newTokenHash(), epoch
		}, 0, derrors.NotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, d, h0 := open(t)
			h, at := tt.present(t, f, d, h0)
			rot, err := s.RotateRefresh(ctx, h, next(at), at)
			if derrors.CodeOf(err) != tt.wantCode {
				t.Fatalf("err = %v, want code %q", err, tt.wantCode)
			}
			if rot.Outcome != tt.want {
				t.Fatalf("outcome = %v, want %v", rot.Outcome, tt.want)
			}
			if tt.wantCode != "" {
				return
			}
			if rot.Family.ID != f.ID || rot.Family.UserID != u.ID || rot.Family.DeviceID != d.ID {
				t.Fatalf("family = %+v, want %+v", rot.Family, f)
			}
			var reason sql.NullString
			var live int
			if err := db.SQL.QueryRow(`SELECT revoked_reason, (SELECT count(*) FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL)
				FROM refresh_families WHERE id = $1`, f.ID).Scan(&reason, &live); err != nil {
				t.Fatal(err)
			}
			if got := reason.String; got != tt.wantReason {
				t.Fatalf("family revoked for %q, want %q", got, tt.wantReason)
			}
			if tt.wantReason != "" && live != 0 {
				t.Fatalf("%d refresh tokens of a revoked family are not marked revoked", live)
			}
		})
	}
}

func TestSessionStore_Constraints(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	s := postgres.NewSessionStore(db)
	users := postgres.NewUserStore(db)
	li, wang := addSessionUser(t, users, "li.ming"), addSessionUser(t, users, "wang.fang")
	phone := addSessionDevice(t, s, li)
	key := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }
	tests := []struct {
		name string
		do   func() error
		want derrors.Code
	}{
		{"OKBrowserSession", func() error {
			_, err := s.CreateFamily(ctx, identity.Family{UserID: li.ID, CreatedAt: epoch}, nil)
			return err
		}, ""},
		{"ErrConflictKey", func() error {
			_, err := s.RegisterDevice(ctx, identity.Device{UserID: wang.ID, PublicKey: phone.PublicKey, RegisteredAt: epoch})
			return err
		}, derrors.Conflict},
		{"ErrInvalidKeyLength", func() error {
			_, err := s.RegisterDevice(ctx, identity.Device{UserID: li.ID, PublicKey: key(31), RegisteredAt: epoch})
			return err
		}, derrors.Invalid},
		{"ErrInvalidUnknownUser", func() error {
			_, err := s.RegisterDevice(ctx, identity.Device{UserID: "3b2c1d6e-0000-4000-8000-000000000000", PublicKey: key(32), RegisteredAt: epoch})
			return err
		}, derrors.Invalid},
		{"ErrInvalidSessionOnAnothersDevice", func() error {
			_, err := s.CreateFamily(ctx, identity.Family{UserID: wang.ID, DeviceID: phone.ID, CreatedAt: epoch}, nil)
			return err
		}, derrors.Invalid},
		{"ErrInvalidRefreshWithoutDevice", func() error {
			_, err := s.CreateFamily(ctx, identity.Family{UserID: li.ID, CreatedAt: epoch},
				&identity.RefreshToken{Hash: newTokenHash(), IssuedAt: epoch, ExpiresAt: epoch.Add(time.Hour)})
			return err
		}, derrors.Invalid},
		{"ErrNotFoundDevice", func() error {
			_, err := s.DeviceByID(ctx, "3b2c1d6e-0000-4000-8000-000000000000")
			return err
		}, derrors.NotFound},
		{"ErrNotFoundRevokeFamily", func() error {
			return s.RevokeFamily(ctx, "3b2c1d6e-0000-4000-8000-000000000000", identity.ReasonLogout, epoch)
		}, derrors.NotFound},
		{"ErrNotFoundDisableUser", func() error {
			_, err := s.DisableUser(ctx, "nobody", epoch)
			return err
		}, derrors.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); derrors.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want code %q", err, tt.want)
			}
		})
	}
	t.Run("ErrNoRowsLeftBehind", func(t *testing.T) {
		// The refused CreateFamily with a refresh token rolled back its family.
		var n int
		if err := db.SQL.QueryRow(`SELECT count(*) FROM refresh_families WHERE user_id = $1`, li.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d sessions of li.ming, want 1 (the browser session)", n)
		}
	})
}

func TestThrottleStore(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	s := postgres.NewThrottleStore(db)
	const limit, delay, window = 3, time.Minute, 10 * time.Minute
	tests := []struct {
		name      string
		hits      []time.Duration // after epoch
		at        time.Duration
		wantUntil time.Duration // after epoch; 0: not locked
	}{
		{"OKUnderLimit", []time.Duration{0, time.Minute}, 2 * time.Minute, 0},
		{"ErrDelayedAtLimit", []time.Duration{0, time.Minute, 2 * time.Minute}, 2*time.Minute + 30*time.Second, 3 * time.Minute},
		{"OKDelayPassed", []time.Duration{0, time.Minute, 2 * time.Minute}, 3 * time.Minute, 0},
		{"ErrDelayDoubles", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}, 4 * time.Minute, 5 * time.Minute},
		{"ErrDelayAtMostWindow", []time.Duration{0, 1 * time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute, 6 * time.Minute},
			7 * time.Minute, 6*time.Minute + window},
		{"OKNewWindow", []time.Duration{0, time.Minute, 11 * time.Minute, 12 * time.Minute}, 12 * time.Minute, 0},
		{"ErrNewWindowDelayed", []time.Duration{0, 11 * time.Minute, 12 * time.Minute, 13 * time.Minute}, 13*time.Minute + 30*time.Second, 14 * time.Minute},
		{"OKNoHits", nil, 0, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("user:case%d", i)
			for _, h := range tt.hits {
				if _, err := s.Hit(ctx, key, limit, delay, window, epoch.Add(h)); err != nil {
					t.Fatal(err)
				}
			}
			until, locked, err := s.LockedUntil(ctx, []string{key, "addr:elsewhere"}, epoch.Add(tt.at))
			if err != nil {
				t.Fatal(err)
			}
			if locked != (tt.wantUntil != 0) || (locked && !until.Equal(epoch.Add(tt.wantUntil))) {
				t.Fatalf("LockedUntil = %v, %v; want locked until epoch+%v", until, locked, tt.wantUntil)
			}
		})
	}
	t.Run("OKReset", func(t *testing.T) {
		for range limit {
			if _, err := s.Hit(ctx, "user:reset", limit, delay, window, epoch); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Reset(ctx, "user:reset"); err != nil {
			t.Fatal(err)
		}
		if _, locked, err := s.LockedUntil(ctx, []string{"user:reset"}, epoch); err != nil || locked {
			t.Fatalf("after Reset: locked %v, %v", locked, err)
		}
	})
	t.Run("OKConcurrentHitsAllCount", func(t *testing.T) {
		const n = 30
		var wg sync.WaitGroup
		errs := make([]error, n)
		counts := make([]int, n)
		for i := range n {
			wg.Go(func() { counts[i], errs[i] = s.Hit(ctx, "addr:10.9.9.9", 100, window, window, epoch) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Each hit saw its own count: 1 to n, in some order.
		slices.Sort(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("counts returned %v, want 1..%d", counts, n)
			}
		}
		var failures int
		if err := db.SQL.QueryRow(`SELECT failures FROM login_throttle WHERE key = 'addr:10.9.9.9'`).Scan(&failures); err != nil {
			t.Fatal(err)
		}
		if failures != n {
			t.Fatalf("failures = %d, want %d", failures, n)
		}
	})
}
