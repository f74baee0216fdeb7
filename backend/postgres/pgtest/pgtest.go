// Package pgtest gives each test its own migrated PostgreSQL database.
//
// `make test` starts a throwaway cluster and exports its superuser address as
// WHISTLE_TEST_DATABASE_URL. The first test in a process migrates a template
// database once (guarded by an advisory lock across test processes); every
// test then gets a clone of it, which costs milliseconds instead of a
// migration run, and which is dropped when the test ends.
//
// A test that calls New without WHISTLE_TEST_DATABASE_URL fails; it never skips.
// The database's Clock is the suite's (clocktest.Clock): tests build every
// service over the same one, so moving the suite's clock moves them all.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/whistle/whistle/backend/clock/clocktest"
	"github.com/whistle/whistle/backend/postgres"
)

// EnvURL names the variable holding the throwaway cluster's superuser URL.
const EnvURL = "WHISTLE_TEST_DATABASE_URL"

var template struct {
	once sync.Once
	name string
	err  error
}

// AdminURL returns the superuser URL of the test cluster, failing t if the
// tests were not started by `make test`.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Fatalf("%s is not set: this test needs the PostgreSQL that `make test` starts (run `make test`, or export %s to a superuser URL)", EnvURL, EnvURL)
	}
	return u
}

// New returns a fresh migrated database for t, dropped at the end of t, and
// its URL.
func New(t testing.TB) (*postgres.DB, string) {
	t.Helper()
	admin := AdminURL(t)
	template.once.Do(func() { template.name, template.err = ensureTemplate(admin) })
	if template.err != nil {
		t.Fatalf("pgtest: template database: %v", template.err)
	}
	ctx := context.Background()
	name := "t_" + randomHex(8)
	if err := execAdmin(ctx, admin, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template.name)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dsn := withDatabase(admin, name)
	db, err := postgres.Open(ctx, dsn, 10*time.Second)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	db.Clock = clocktest.Clock(t)
	t.Cleanup(func() {
		_ = db.Close()
		if err := execAdmin(context.Background(), admin, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return db, dsn
}

// ensureTemplate creates the migrated template database named after a hash of
// the migrations, unless another test process already did.
func ensureTemplate(admin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name, err := templateName()
	if err != nil {
		return "", err
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", postgres.Redact(admin), err)
	}
	defer conn.Close()
	// One builder across all test processes of this run.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(727274)`)

	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// Build under another name and rename, so a half-built template is never used.
	wip := name + "_wip"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, wip)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, wip)); err != nil {
		return "", err
	}
	tdb, err := postgres.Open(ctx, withDatabase(admin, wip), 10*time.Second)
	if err != nil {
		return "", err
	}
	_, err = postgres.Migrate(ctx, tdb.SQL)
	tdb.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, wip, name)); err != nil {
		return "", err
	}
	return name, nil
}

// templateName is derived from the migrations' content, so a changed
// migration gets a new template rather than a stale one.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(postgres.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.Migrations, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return "whistle_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func execAdmin(ctx context.Context, admin, stmt string) error {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
