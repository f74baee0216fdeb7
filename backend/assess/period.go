package assess

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
)

// MaxPeriodDays is the longest period a report covers: a year (a leap year's included).
const MaxPeriodDays = 366

// Period is the span a report counts: From inclusive, To exclusive, both midnight in clock.Beijing.
type Period struct {
	From, To time.Time
	// Label is how the period was asked for: 2026Q4, 2026-11, 2026, or from..to.
	Label string
}

var (
	quarterRE = regexp.MustCompile(`^(\d{4})Q([1-4])$`)
	monthRE   = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])$`)
	yearRE    = regexp.MustCompile(`^(\d{4})$`)
)

// ParsePeriod reads a period given either as `period` (a quarter 2026Q4, a month 2026-11 or a
// year 2026) or as the dates `from` (inclusive) and `to` (exclusive), YYYY-MM-DD in clock.Beijing.
// Errors: derrors.BadRequest naming the parameter (both ways given, neither, a malformed value,
// to not after from, longer than MaxPeriodDays).
func ParsePeriod(period, from, to string) (Period, error) {
	bad := func(field, format string, args ...any) error {
		return &derrors.Error{Code: derrors.BadRequest, Message: fmt.Sprintf(format, args...),
			Fields: []derrors.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
	}
	switch {
	case period != "" && (from != "" || to != ""):
		return Period{}, bad("period", "give period, or from and to, not both")
	case period != "":
		return parseNamed(period, bad)
	case from == "" || to == "":
		field := "from"
		if from != "" {
			field = "to"
		}
		return Period{}, bad(field, "give period (2026Q4, 2026-11, 2026), or from and to (YYYY-MM-DD)")
	}
	f, err := time.ParseInLocation(time.DateOnly, from, clock.Beijing)
	if err != nil {
		return Period{}, bad("from", "from is a date YYYY-MM-DD")
	}
	t, err := time.ParseInLocation(time.DateOnly, to, clock.Beijing)
	if err != nil {
		return Period{}, bad("to", "to is a date YYYY-MM-DD")
	}
	if !t.After(f) {
		return Period{}, bad("to", "to (exclusive) is after from")
	}
	if t.After(f.AddDate(0, 0, MaxPeriodDays)) {
		return Period{}, bad("to", "a period is at most %d days", MaxPeriodDays)
	}
	return Period{From: f, To: t, Label: from + ".." + to}, nil
}

func parseNamed(p string, bad func(string, string, ...any) error) (Period, error) {
	day := func(y, m int) time.Time { return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, clock.Beijing) }
	if m := quarterRE.FindStringSubmatch(p); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		f := day(y, 3*(q-1)+1)
		return Period{From: f, To: f.AddDate(0, 3, 0), Label: p}, nil
	}
	if m := monthRE.FindStringSubmatch(p); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		f := day(y, mo)
		return Period{From: f, To: f.AddDate(0, 1, 0), Label: p}, nil
	}
	if m := yearRE.FindStringSubmatch(p); m != nil {
		y, _ := strconv.Atoi(m[1])
		f := day(y, 1)
		return Period{From: f, To: f.AddDate(1, 0, 0), Label: p}, nil
	}
	return Period{}, bad("period", "period is a quarter (2026Q4), a month (2026-11) or a year (2026)")
}

// FromDate and ToDate are the period's bounds as the dates the API shows (to exclusive).
func (p Period) FromDate() string { return p.From.In(clock.Beijing).Format(time.DateOnly) }

// ToDate is the first day after the period.
func (p Period) ToDate() string { return p.To.In(clock.Beijing).Format(time.DateOnly) }
