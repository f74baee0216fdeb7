package inspection

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/whistle/whistle/backend/clock"
)

// Calendar says which days are working days: Monday to Friday, except
// public holidays, plus the weekend days worked in exchange (调休). Legal
// periods whose last day is not a working day end on the next working day.
//
// The holidays and exchanged working days of a year are known only once the
// State Council General Office publishes its notice (国务院办公厅关于某年部分
// 节假日安排的通知, each November or December), so a calendar is complete only
// up to its coverage end (CoveredUntil). Past it Workday knows the weekends
// and the fixed-date statutory holidays it was given, nothing more; callers
// that compute a legal period check Covers and flag a period that runs past.
type Calendar struct {
	Holidays map[string]bool // YYYY-MM-DD
	Workdays map[string]bool // weekend days worked
	Location *time.Location  // the calendar's time zone (Asia/Shanghai)
	// Until is the last day (YYYY-MM-DD, in the calendar's zone) for which
	// the holidays and exchanged working days are known. Empty: none is.
	Until string
}

// defaultCalendar is the built-in calendar of mainland China's public holidays.
//
//go:embed calendar_cn.json
var defaultCalendar []byte

// DefaultCalendar returns the built-in calendar (calendar_cn.json).
func DefaultCalendar() Calendar {
	c, err := ParseCalendar(defaultCalendar)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return c
}

// calendarFile is the JSON form of a calendar.
type calendarFile struct {
	Comment      string   `json:"_comment,omitempty"`
	Sources      []string `json:"sources,omitempty"`
	CoveredUntil string   `json:"covered_until"`
	Holidays     []string `json:"holidays"`
	Workdays     []string `json:"workdays"`
}

// ParseCalendar reads a calendar from JSON
// {"covered_until": "YYYY-MM-DD", "holidays": [...], "workdays": [...]}.
// covered_until is required: it is the last day for which the file knows
// every holiday and exchanged working day. A working day after it is refused
// (exchanges come from the notice that also fixes the coverage); a holiday
// after it is accepted, for the fixed-date statutory holidays known in advance.
func ParseCalendar(b []byte) (Calendar, error) {
	var f calendarFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	if f.CoveredUntil == "" {
		return Calendar{}, fmt.Errorf(`calendar: "covered_until" is required: the last day (YYYY-MM-DD) for which the holidays and weekend working days are known`)
	}
	if _, err := time.Parse(time.DateOnly, f.CoveredUntil); err != nil {
		return Calendar{}, fmt.Errorf("calendar: covered_until %q: %w", f.CoveredUntil, err)
	}
	c := Calendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}, Location: clock.Beijing, Until: f.CoveredUntil}
	for _, d := range f.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return Calendar{}, fmt.Errorf("calendar: holiday %q: %w", d, err)
		}
		c.Holidays[d] = true
	}
	for _, d := range f.Workdays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return Calendar{}, fmt.Errorf("calendar: workday %q: %w", d, err)
		}
		if d > f.CoveredUntil {
			return Calendar{}, fmt.Errorf("calendar: workday %q is after covered_until %s", d, f.CoveredUntil)
		}
		if c.Holidays[d] {
			return Calendar{}, fmt.Errorf("calendar: %s is both a holiday and a workday", d)
		}
		c.Workdays[d] = true
	}
	return c, nil
}

// Zone is the calendar's time zone, in which its days begin and end.
func (c Calendar) Zone() *time.Location { return c.loc() }

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return clock.Beijing
	}
	return c.Location
}

// CoveredUntil is the start (00:00 in the calendar's zone) of the last day
// for which the calendar knows every holiday and exchanged working day; the
// zero time when it knows none.
func (c Calendar) CoveredUntil() time.Time {
	d, err := time.ParseInLocation(time.DateOnly, c.Until, c.loc())
	if err != nil {
		return time.Time{}
	}
	return d
}

// Covers reports whether the day of t (in the calendar's zone) is within the
// calendar's coverage, i.e. whether Workday is known to be right for it.
func (c Calendar) Covers(t time.Time) bool {
	return c.Until != "" && t.In(c.loc()).Format(time.DateOnly) <= c.Until
}

// Workday reports whether the day of t (in the calendar's zone) is a working
// day. Past the coverage end it only knows weekends and the holidays given.
func (c Calendar) Workday(t time.Time) bool {
	d := t.In(c.loc())
	key := d.Format(time.DateOnly)
	if c.Holidays[key] {
		return false
	}
	if c.Workdays[key] {
		return true
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// Deadline is the end (23:59:59 local) of the period of days counted from
// the day after the act; when its last day is not a working day, the period
// ends on the next working day. Only the days from the nominal last day on
// are looked up, so the result is exact when Covers(deadline); otherwise it
// was computed on weekends and the known holidays only and must be confirmed.
func (c Calendar) Deadline(act time.Time, days int) time.Time {
	d := act.In(c.loc())
	last := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, c.loc()).AddDate(0, 0, days)
	for !c.Workday(last) {
		last = last.AddDate(0, 0, 1)
	}
	return last.Add(24*time.Hour - time.Second).UTC()
}
