package api

import (
	"testing"
	"time"
)

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
