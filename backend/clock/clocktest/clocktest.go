// Package clocktest gives tests the suite's clock: the machine's time moved
// forward by WHISTLE_TEST_CLOCK_SHIFT, so that `make test` can run the
// date-dependent tests a second time on a day far from today and prove that
// none of them is pinned to the calendar.
package clocktest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/clock"
)

// EnvShift names the variable that moves the suite's clock: a Go duration
// ("13140h") or a number of days ("548d"). Unset or empty means no shift.
const EnvShift = "WHISTLE_TEST_CLOCK_SHIFT"

// Shift returns the suite's clock shift, failing t when the variable does
// not parse.
func Shift(t testing.TB) time.Duration {
	t.Helper()
	d, err := ParseShift(os.Getenv(EnvShift))
	if err != nil {
		t.Fatalf("%s: %v", EnvShift, err)
	}
	return d
}

// ParseShift reads a shift: "" (none), a Go duration, or whole days ("548d").
func ParseShift(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days such as 548d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither a duration such as 13140h nor days such as 548d", s)
	}
	return d, nil
}

// Clock is the suite's clock for t: the machine's time moved by Shift. It
// runs, so tests that measure expiry (tokens, leases) see time pass.
func Clock(t testing.TB) clock.Clock {
	t.Helper()
	return clock.System().Add(Shift(t))
}

// Pinned is a clock fixed at the suite's current time for t, for tests that
// compare exact times.
func Pinned(t testing.TB) clock.Clock {
	t.Helper()
	return clock.Fixed(Clock(t)().UTC().Truncate(time.Microsecond))
}
