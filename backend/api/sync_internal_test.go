package api

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

func TestOlderVersion(t *testing.T) {
	tests := []struct {
		v, min string
		want   bool
	}{
		{"1.2.0-rc10", "1.2.0", true}, // a pre-release comes before its release
		{"1.2.0", "1.2.0-rc10", false},
		{"1.2.0-rc10", "1.2.10", true}, // not read as 1.2.10
		{"1.2.10", "1.2.0-rc10", false},
		{"1.2.0-rc.2", "1.2.0-rc.10", true}, // numeric identifiers compare as numbers
		{"1.9.2", "1.10.0", true},
		{"1.10.0", "1.9.2", false},
		{"1.2.0", "1.2.0", false},
		{"1.2.0+build.7", "1.2.0", false}, // build metadata does not count
		{"v1.2.0", "1.2.0", false},
		{"2.0", "1.2.0", false}, // MAJOR.MINOR stands for MAJOR.MINOR.0
		{"1", "1.0.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.v+"<"+tt.min, func(t *testing.T) {
			got, err := olderVersion(tt.v, tt.min)
			if err != nil || got != tt.want {
				t.Fatalf("olderVersion(%q, %q) = %t, %v; want %t", tt.v, tt.min, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "1.2.x", "one", "1.2.3.4", "1.02.0", "1.2.0-"} {
		t.Run("ErrInvalid/"+bad, func(t *testing.T) {
			_, err := olderVersion(bad, "1.2.0")
			if derrors.CodeOf(err) != derrors.Invalid {
				t.Fatalf("olderVersion(%q) error %v, want validation_failed", bad, err)
			}
			if e, ok := err.(*derrors.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Field != "/report/app_version" {
				t.Fatalf("error %#v should name /report/app_version", err)
			}
		})
	}
	if _, err := ParseAppVersion("1.2.x"); err == nil || err.Error() != `"1.2.x" is not a semantic version such as 1.2.0 or 1.2.0-rc.1` {
		t.Fatalf("ParseAppVersion error %v", err)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{15 * time.Minute, "900"},
		{1500 * time.Millisecond, "2"}, // rounded up: never ask to come back early
		{time.Millisecond, "1"},
		{0, "60"}, // a refusal that did not say
	}
	for _, tt := range tests {
		if got := retryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("retryAfterSeconds(%s) = %s, want %s", tt.d, got, tt.want)
		}
	}
}
