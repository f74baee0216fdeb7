package inspection

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

// Calendar says which days are working days: Monday to Friday, except
// public holidays, plus the weekend days worked in exchange (调休). Legal
// periods whose last day is not a working day end on the next working day.
type Calendar struct {
	Holidays map[string]bool // YYYY-MM-DD
	Workdays map[string]bool // weekend days worked
	Location *time.Location  // the calendar's time zone (Asia/Shanghai)
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
	Comment  string   `json:"_comment,omitempty"`
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

// ParseCalendar reads a calendar from JSON {"holidays": [...], "workdays": [...]}.
func ParseCalendar(b []byte) (Calendar, error) {
	var f calendarFile
	if err := json.Unmarshal(b, &f); err != nil {
		return Calendar{}, fmt.Errorf("calendar: %w", err)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	c := Calendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}, Location: loc}
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
		c.Workdays[d] = true
	}
	return c, nil
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.FixedZone("CST", 8*3600)
	}
	return c.Location
}

// Workday reports whether the day of t (in the calendar's zone) is a working day.
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
// ends on the next working day.
func (c Calendar) Deadline(act time.Time, days int) time.Time {
	d := act.In(c.loc())
	last := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, c.loc()).AddDate(0, 0, days)
	for !c.Workday(last) {
		last = last.AddDate(0, 0, 1)
	}
	return last.Add(24*time.Hour - time.Second).UTC()
}
