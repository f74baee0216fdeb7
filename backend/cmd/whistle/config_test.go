package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/org"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	t.Run("OKDefaults", func(t *testing.T) {
		c, err := LoadConfig(env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:8080" || c.Env != "development" || c.StartupTimeout != 30*time.Second || !c.MigrateOnStart {
			t.Fatalf("defaults = %+v", c)
		}
		// No key fixed in the repository: each start without one makes its own.
		again, err := LoadConfig(env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.SigningKey) == 0 || c.SigningKey.Equal(again.SigningKey) {
			t.Fatal("development without WHISTLE_SIGNING_KEY must not use a fixed key")
		}
	})
	t.Run("OKProduction", func(t *testing.T) {
		_, err := LoadConfig(env(map[string]string{
			"WHISTLE_ENV":           "production",
			"WHISTLE_DATABASE_URL":  "postgres://u:p@db:5432/whistle",
			"WHISTLE_S3_ACCESS_KEY": "ak",
			"WHISTLE_S3_SECRET_KEY": "sk",
			"WHISTLE_SIGNING_KEY":   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		}))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKCalendarFile", func(t *testing.T) {
		c, err := LoadConfig(env(map[string]string{"WHISTLE_CALENDAR_FILE": "testdata/calendar.json"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Calendar.Until != "2026-12-31" || !c.Calendar.Holidays["2026-10-01"] || !c.Calendar.Workdays["2026-10-10"] {
			t.Fatalf("calendar = %+v", c.Calendar)
		}
	})
	t.Run("OKOperations", func(t *testing.T) {
		c, err := LoadConfig(env(map[string]string{"WHISTLE_S3_PUBLIC_ENDPOINT": "https://files.example.org",
			"WHISTLE_OTEL_EXPORTER": "otlp", "WHISTLE_PPROF_ADDR": "127.0.0.1:6060"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.S3.PublicEndpoint != "files.example.org" || !c.S3.PublicUseTLS || c.OtelExporter != "otlp" || c.PprofAddr != "127.0.0.1:6060" {
			t.Fatalf("config = %+v", c)
		}
	})
	t.Run("OKUnavailableKinds", func(t *testing.T) {
		c, err := LoadConfig(env(nil))
		if err != nil || !slices.Equal(c.Cases.UnavailableKinds, org.AbsenceKinds) {
			t.Fatalf("default unavailable kinds = %v (%v), want every kind", c.Cases.UnavailableKinds, err)
		}
		c, err = LoadConfig(env(map[string]string{"WHISTLE_CASE_UNAVAILABLE_KINDS": "leave,sick"}))
		if err != nil || !slices.Equal(c.Cases.UnavailableKinds, []org.AbsenceKind{org.AbsenceLeave, org.AbsenceSick}) {
			t.Fatalf("unavailable kinds = %v (%v), want leave and sick", c.Cases.UnavailableKinds, err)
		}
	})
	tests := []struct {
		name    string
		vars    map[string]string
		wantVar string
	}{
		{"ErrUnavailableKind", map[string]string{"WHISTLE_CASE_UNAVAILABLE_KINDS": "leave,holiday"}, "WHISTLE_CASE_UNAVAILABLE_KINDS"},
		{"ErrUnavailableKindsEmpty", map[string]string{"WHISTLE_CASE_UNAVAILABLE_KINDS": ","}, "WHISTLE_CASE_UNAVAILABLE_KINDS"},
		{"ErrAddrNotHostPort", map[string]string{"WHISTLE_ADDR": "notaport"}, "WHISTLE_ADDR"},
		{"ErrAddrPortNotNumber", map[string]string{"WHISTLE_ADDR": "127.0.0.1:http"}, "WHISTLE_ADDR"},
		{"ErrAddrPortTooBig", map[string]string{"WHISTLE_ADDR": "127.0.0.1:70000"}, "WHISTLE_ADDR"},
		{"ErrEnv", map[string]string{"WHISTLE_ENV": "staging"}, "WHISTLE_ENV"},
		{"ErrProductionWithoutSigningKey", map[string]string{"WHISTLE_ENV": "production", "WHISTLE_DATABASE_URL": "postgres://db/w", "WHISTLE_S3_ACCESS_KEY": "a", "WHISTLE_S3_SECRET_KEY": "s"}, "WHISTLE_SIGNING_KEY"},
		{"ErrProductionWithoutDatabase", map[string]string{"WHISTLE_ENV": "production"}, "WHISTLE_DATABASE_URL"},
		{"ErrDatabaseURL", map[string]string{"WHISTLE_DATABASE_URL": "mysql://x"}, "WHISTLE_DATABASE_URL"},
		{"ErrDuration", map[string]string{"WHISTLE_REQUEST_TIMEOUT": "soon"}, "WHISTLE_REQUEST_TIMEOUT"},
		{"ErrNegativeDuration", map[string]string{"WHISTLE_STARTUP_TIMEOUT": "-1s"}, "WHISTLE_STARTUP_TIMEOUT"},
		{"ErrBool", map[string]string{"WHISTLE_MIGRATE_ON_START": "perhaps"}, "WHISTLE_MIGRATE_ON_START"},
		{"ErrS3Endpoint", map[string]string{"WHISTLE_S3_ENDPOINT": "http://minio"}, "WHISTLE_S3_ENDPOINT"},
		{"ErrS3PublicEndpointNoScheme", map[string]string{"WHISTLE_S3_PUBLIC_ENDPOINT": "files.example.org:443"}, "WHISTLE_S3_PUBLIC_ENDPOINT"},
		{"ErrS3PublicEndpointPath", map[string]string{"WHISTLE_S3_PUBLIC_ENDPOINT": "https://example.org/s3"}, "WHISTLE_S3_PUBLIC_ENDPOINT"},
		{"ErrOtelExporter", map[string]string{"WHISTLE_OTEL_EXPORTER": "jaeger"}, "WHISTLE_OTEL_EXPORTER"},
		{"ErrPprofNotLoopback", map[string]string{"WHISTLE_PPROF_ADDR": "0.0.0.0:6060"}, "WHISTLE_PPROF_ADDR"},
		{"ErrBucket", map[string]string{"WHISTLE_EVIDENCE_BUCKET": "Evidence_Bucket"}, "WHISTLE_EVIDENCE_BUCKET"},
		{"ErrBodyLimit", map[string]string{"WHISTLE_BODY_LIMIT": "12"}, "WHISTLE_BODY_LIMIT"},
		{"ErrLogLevel", map[string]string{"WHISTLE_LOG_LEVEL": "loud"}, "WHISTLE_LOG_LEVEL"},
		{"ErrSigningKey", map[string]string{"WHISTLE_SIGNING_KEY": "c2hvcnQ="}, "WHISTLE_SIGNING_KEY"},
		{"ErrMinPullAppVersion", map[string]string{"WHISTLE_MIN_PULL_APP_VERSION": "1.2.x"}, "WHISTLE_MIN_PULL_APP_VERSION"},
		{"ErrSyncRetryLimit", map[string]string{"WHISTLE_SYNC_RETRY_LIMIT": "0"}, "WHISTLE_SYNC_RETRY_LIMIT"},
		{"ErrCalendarFileMissing", map[string]string{"WHISTLE_CALENDAR_FILE": "testdata/no-such-calendar.json"}, "WHISTLE_CALENDAR_FILE"},
		{"ErrCalendarWithoutCoverage", map[string]string{"WHISTLE_CALENDAR_FILE": "testdata/calendar-without-coverage.json"}, "WHISTLE_CALENDAR_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(env(tt.vars))
			if err == nil {
				t.Fatal("LoadConfig accepted a bad value")
			}
			if !strings.HasPrefix(err.Error(), tt.wantVar+":") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q should be one line starting with %s:", err, tt.wantVar)
			}
		})
	}
}
