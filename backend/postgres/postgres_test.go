package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// TestMigrate_Concurrent starts several migrators at once on an empty
// database, as several API instances starting together would: all succeed
// and each migration is applied once.
func TestMigrate_Concurrent(t *testing.T) {
	admin := pgtest.AdminURL(t)
	ctx := context.Background()
	name := fmt.Sprintf("migrate_%d", time.Now().UnixNano())
	adminDB, err := postgres.Open(ctx, admin, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	if _, err := adminDB.SQL.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminDB.SQL.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	dsn := strings.Replace(admin, "/postgres?", "/"+name+"?", 1)

	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	applied := make([][]string, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, dsn, 10*time.Second)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = postgres.Migrate(ctx, db.SQL)
		}()
	}
	wg.Wait()
	total := 0
	for i := range instances {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	// River's migrations run under their own lock, after goose's.
	var riverRows, riverDistinct int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT version) FROM river_migration`).Scan(&riverRows, &riverDistinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct || riverRows != riverDistinct || rows+riverRows != total || rows == 0 || riverRows == 0 {
		t.Fatalf("migrations recorded %d+%d times (%d+%d distinct), applied %d in all: want each exactly once",
			rows, riverRows, distinct, riverDistinct, total)
	}
	// A later start finds nothing to do.
	again, err := postgres.Migrate(ctx, db)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, err %v; want nothing", again, err)
	}
}

func TestOpen_ErrUnreachable(t *testing.T) {
	start := time.Now()
	_, err := postgres.Open(context.Background(), "postgres://x:secretpw@127.0.0.1:1/none?sslmode=disable", time.Second)
	if derrors.CodeOf(err) != derrors.Unavailable {
		t.Fatalf("err = %v, want code %s", err, derrors.Unavailable)
	}
	if strings.Contains(err.Error(), "secretpw") {
		t.Fatalf("error leaks the password: %v", err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Open gave up before its start-up timeout")
	}
}

func TestUserStore(t *testing.T) {
	db, _ := pgtest.New(t)
	s := postgres.NewUserStore(db)
	ctx := context.Background()
	u, err := s.PutUser(ctx, identity.User{Username: "chen.jing", DisplayName: "陈静", Role: org.RoleDeptReviewer, PasswordHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := s.UserByUsername(ctx, "chen.jing")
		if err != nil || got.ID != u.ID || got.DisplayName != "陈静" || got.Role != org.RoleDeptReviewer {
			t.Fatalf("UserByUsername = %+v, %v", got, err)
		}
		got, err = s.UserByID(ctx, u.ID)
		if err != nil || got.Username != "chen.jing" {
			t.Fatalf("UserByID = %+v, %v", got, err)
		}
	})
	t.Run("PutUpdatesSameUsername", func(t *testing.T) {
		again, err := s.PutUser(ctx, identity.User{Username: "chen.jing", DisplayName: "陈静", Role: org.RoleAdmin, PasswordHash: "h2"})
		if err != nil || again.ID != u.ID || again.Role != org.RoleAdmin || again.PasswordHash != "h2" {
			t.Fatalf("PutUser again = %+v, %v; want same id, new role and hash", again, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, f := range []func() error{
			func() error { _, err := s.UserByUsername(ctx, "nobody"); return err },
			func() error { _, err := s.UserByID(ctx, "3b2c1d6e-0000-4000-8000-000000000000"); return err },
			func() error { _, err := s.UserByID(ctx, "not-a-uuid"); return err },
		} {
			if err := f(); derrors.CodeOf(err) != derrors.NotFound {
				t.Fatalf("err = %v, want not_found", err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := s.PutUser(ctx, identity.User{Username: "Bad Name", DisplayName: "x", Role: org.RoleOfficer, PasswordHash: "h"})
		if derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("err = %v, want validation_failed", err)
		}
		_, err = s.PutUser(ctx, identity.User{Username: "someone", DisplayName: "x", Role: "emperor", PasswordHash: "h"})
		if derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("err = %v, want validation_failed", err)
		}
	})
}
