package derrors

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain error is internal", errors.New("boom"), Internal},
		{"direct", New(NotFound, "no user %q", "x"), NotFound},
		{"wrapped by fmt", fmt.Errorf("load: %w", New(Conflict, "taken")), Conflict},
		{"wrap keeps code and cause", Wrap(errors.New("dial"), Unavailable, "database down"), Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Fatalf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestWrap_Unwrap(t *testing.T) {
	cause := errors.New("dial tcp: refused")
	err := Wrap(cause, Unavailable, "database down")
	if !errors.Is(err, cause) {
		t.Fatal("Wrap lost its cause")
	}
}

func TestCode_Transient(t *testing.T) {
	for _, c := range []Code{Unavailable, Timeout, Contention} {
		if !c.Transient() {
			t.Errorf("%s is not transient", c)
		}
	}
	for _, c := range []Code{Conflict, EntityConflict, Invalid, Forbidden, NotFound, Internal} {
		if c.Transient() {
			t.Errorf("%s is transient", c)
		}
	}
}
