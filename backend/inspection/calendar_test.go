package inspection

import (
	"strings"
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

// days lists the days from first to last (YYYY-MM-DD), inclusive.
func days(first, last string) []string {
	d, _ := time.Parse(time.DateOnly, first)
	var out []string
	for ; d.Format(time.DateOnly) <= last; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func noon(day string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, day, cst)
	if err != nil {
		panic(err)
	}
	return d.Add(12 * time.Hour)
}

// TestDefaultCalendar_2026 checks the built-in calendar against the State
// Council General Office's notice on the 2026 holidays (2025-11-04), item by
// item: the days off of each holiday and the weekend days worked.
func TestDefaultCalendar_2026(t *testing.T) {
	cal := DefaultCalendar()
	notice := []struct {
		holiday    string
		off        []string
		workedDays []string
	}{
		{"元旦", days("2026-01-01", "2026-01-03"), []string{"2026-01-04"}},
		{"春节", days("2026-02-15", "2026-02-23"), []string{"2026-02-14", "2026-02-28"}},
		{"清明节", days("2026-04-04", "2026-04-06"), nil},
		{"劳动节", days("2026-05-01", "2026-05-05"), []string{"2026-05-09"}},
		{"端午节", days("2026-06-19", "2026-06-21"), nil},
		{"中秋节", days("2026-09-25", "2026-09-27"), nil},
		{"国庆节", days("2026-10-01", "2026-10-07"), []string{"2026-09-20", "2026-10-10"}},
	}
	off, worked := 0, 0
	for _, h := range notice {
		for _, d := range h.off {
			if cal.Workday(noon(d)) {
				t.Errorf("%s: %s should be a day off", h.holiday, d)
			}
			if !cal.Covers(noon(d)) {
				t.Errorf("%s: %s should be covered", h.holiday, d)
			}
			off++
		}
		for _, d := range h.workedDays {
			if wd := noon(d).Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s: %s is a %s, not a weekend day", h.holiday, d, wd)
			}
			if !cal.Workday(noon(d)) {
				t.Errorf("%s: %s should be worked", h.holiday, d)
			}
			worked++
		}
	}
	// Nothing else: every other day of 2026 is a weekday worked or a weekend off.
	var extra []string
	for d := range cal.Holidays {
		if strings.HasPrefix(d, "2026-") {
			off--
		}
	}
	for d := range cal.Workdays {
		if strings.HasPrefix(d, "2026-") {
			worked--
		} else {
			extra = append(extra, d)
		}
	}
	if off != 0 || worked != 0 || len(extra) != 0 {
		t.Errorf("2026 holds %d days off and %d worked days not in the notice; workdays outside 2026: %v", -off, -worked, extra)
	}
}

// TestDefaultCalendar_Coverage: the notice for 2027 was not available, so the
// built-in calendar is complete to 2026-12-31 and, after it, holds only the
// fixed-date statutory holidays of 全国年节及纪念日放假办法 art. 2.
func TestDefaultCalendar_Coverage(t *testing.T) {
	cal := DefaultCalendar()
	if got := cal.CoveredUntil(); got.Format(time.DateOnly) != "2026-12-31" || got.Location() != cal.Location {
		t.Fatalf("CoveredUntil = %s", got)
	}
	covers := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 12, 31, 23, 59, 59, 0, cst), true},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, cst), false},
		// 16:30 UTC on 31 December is already 1 January in Beijing.
		{time.Date(2026, 12, 31, 15, 59, 0, 0, time.UTC), true},
		{time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), false},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, cst), true},
	}
	for _, c := range covers {
		if got := cal.Covers(c.at); got != c.want {
			t.Errorf("Covers(%s) = %t, want %t", c.at, got, c.want)
		}
	}
	var after []string
	for d := range cal.Holidays {
		if d > "2026-12-31" {
			after = append(after, d)
		}
	}
	fixed := []string{"2027-01-01", "2027-05-01", "2027-05-02", "2027-10-01", "2027-10-02", "2027-10-03"}
	if len(after) != len(fixed) {
		t.Errorf("holidays after the coverage: %v, want only the fixed-date ones %v", after, fixed)
	}
	for _, d := range fixed {
		if cal.Workday(noon(d)) {
			t.Errorf("%s is a statutory holiday", d)
		}
	}
	if !cal.Workday(noon("2027-01-04")) || cal.Workday(noon("2027-01-09")) {
		t.Error("past the coverage, weekdays are worked and weekends are not")
	}
}

func TestParseCalendar(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, err := ParseCalendar([]byte(`{"covered_until":"2027-12-31","holidays":["2027-02-08"],"workdays":["2027-02-20"]}`))
		if err != nil {
			t.Fatal(err)
		}
		if !c.Covers(noon("2027-12-31")) || c.Covers(noon("2028-01-01")) || c.Workday(noon("2027-02-08")) || !c.Workday(noon("2027-02-20")) {
			t.Fatalf("calendar = %+v", c)
		}
	})
	errs := []struct {
		name, json, want string
	}{
		{"ErrNoCoverage", `{"holidays":["2026-10-01"],"workdays":[]}`, `"covered_until" is required`},
		{"ErrCoverageDate", `{"covered_until":"31/12/2026","holidays":[],"workdays":[]}`, "covered_until"},
		{"ErrHoliday", `{"covered_until":"2026-12-31","holidays":["2026-13-01"],"workdays":[]}`, "holiday"},
		{"ErrWorkdayAfterCoverage", `{"covered_until":"2026-12-31","holidays":[],"workdays":["2027-01-30"]}`, "after covered_until"},
		{"ErrBoth", `{"covered_until":"2026-12-31","holidays":["2026-10-10"],"workdays":["2026-10-10"]}`, "both"},
		{"ErrJSON", `{"covered_until":`, "calendar"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCalendar([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	t.Run("ZeroCoversNothing", func(t *testing.T) {
		var c Calendar
		if c.Covers(noon("2026-06-01")) || !c.CoveredUntil().IsZero() {
			t.Fatal("a calendar without coverage covers no day")
		}
	})
}

func TestAssess_SeizureDeadlineCoverage(t *testing.T) {
	seizure := func(extension string) Measure {
		return Measure{Kind: "seizure", MatterCode: "SJ-1", Seizure: &Seizure{Items: []SeizedItem{{Name: "x", Quantity: 1, Unit: "件"}},
			CustodyPlace: "p", ExtensionReason: extension}}
	}
	t.Run("WithinCoverage", func(t *testing.T) {
		// 2026-11-10 (Beijing) + 30 days = 2026-12-10, a Thursday.
		r := record([]string{"sj1", "sj2"}, seizure(""))
		a := Assess(&r, facts(r, sjMatter))
		if codes(a) != "" {
			t.Fatalf("exceptions %q, want none", codes(a))
		}
		if got := r.Measures[0].Seizure.Deadline.In(cst); got.Format(time.DateTime) != "2026-12-10 23:59:59" {
			t.Fatalf("deadline %s", got)
		}
	})
	t.Run("PastCoverage", func(t *testing.T) {
		// 2026-11-10 + 60 days = 2027-01-09, a Saturday: on weekends only the
		// period ends on Monday 2027-01-11, which the calendar cannot vouch for.
		r := record([]string{"sj1", "sj2"}, seizure("需要检验"))
		a := Assess(&r, facts(r, sjMatter))
		if codes(a) != ExCalendarNotCovered {
			t.Fatalf("exceptions %q, want %s", codes(a), ExCalendarNotCovered)
		}
		e := a.Exceptions[0]
		if e.Subject != "2027-01-11" || !strings.Contains(e.EN, "2026-12-31") || !strings.Contains(e.ZH, "2026-12-31") || !strings.Contains(e.EN, "confirm the deadline by hand") {
			t.Fatalf("exception %+v", e)
		}
		if got := r.Measures[0].Seizure.Deadline.In(cst); got.Format(time.DateTime) != "2027-01-11 23:59:59" {
			t.Fatalf("deadline %s, want it still computed", got)
		}
	})
	t.Run("MovedPastCoverage", func(t *testing.T) {
		// 2026-12-02 + 30 = 2027-01-01, New Year's Day, then a weekend: the
		// nominal day is past the coverage and so is the deadline, 2027-01-04.
		r := record([]string{"sj1", "sj2"}, seizure(""))
		r.StartedAt.Wall = time.Date(2026, 12, 2, 9, 0, 0, 0, cst)
		for i := range r.Crew {
			r.Crew[i].CheckedInAt = r.StartedAt.Wall.Add(-time.Minute)
		}
		a := Assess(&r, facts(r, sjMatter))
		if codes(a) != ExCalendarNotCovered || a.Exceptions[0].Subject != "2027-01-04" {
			t.Fatalf("exceptions %+v", a.Exceptions)
		}
	})
	t.Run("LastCoveredDay", func(t *testing.T) {
		// 2026-12-01 + 30 = 2026-12-31, a Thursday: the last day covered.
		r := record([]string{"sj1", "sj2"}, seizure(""))
		r.StartedAt.Wall = time.Date(2026, 12, 1, 9, 0, 0, 0, cst)
		for i := range r.Crew {
			r.Crew[i].CheckedInAt = r.StartedAt.Wall.Add(-time.Minute)
		}
		a := Assess(&r, facts(r, sjMatter))
		if codes(a) != "" || r.Measures[0].Seizure.Deadline.In(cst).Format(time.DateOnly) != "2026-12-31" {
			t.Fatalf("exceptions %q, deadline %s", codes(a), r.Measures[0].Seizure.Deadline)
		}
	})
}
