// Package clock is Whistle's one source of the current time.
//
// Every rule that depends on the date (is a certificate valid, is a period
// over, may a policy start) reads the time from a Clock that main injects;
// no domain package, store or handler calls time.Now, and no SQL statement
// uses now() for a rule. Tests inject a clock of their own (see clocktest),
// so the suite passes on any day and can be run with its clock moved.
package clock

import "time"

// Clock tells the current time. It is a plain function so that it can be
// passed where a func() time.Time is expected.
type Clock func() time.Time

// System is the machine's clock.
func System() Clock { return time.Now }

// Fixed is a clock that always reads t.
func Fixed(t time.Time) Clock { return func() time.Time { return t } }

// Add is c moved by d: it reads c's time plus d.
func (c Clock) Add(d time.Duration) Clock {
	return func() time.Time { return c().Add(d) }
}

// Now reads c.
func (c Clock) Now() time.Time { return c() }

// Today is midnight UTC of the day c reads.
func (c Clock) Today() time.Time {
	return c().UTC().Truncate(24 * time.Hour)
}

// Beijing is the zone in which the streets' days, months and years begin and end (China
// Standard Time, Asia/Shanghai): statutory days, report periods, numbering years. Mainland China
// has kept UTC+8 without summer time since 1991, so a fixed zone stands in where the time zone
// database is absent.
var Beijing = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()
