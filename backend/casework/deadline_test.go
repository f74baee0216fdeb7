package casework

import (
	"errors"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/inspection"
)

// testCalendar is 2026 as the State Council's notice set it, around the days the tests count
// over: the Mid-Autumn Festival and National Day holidays (25-27 September, 1-7 October) and the
// Saturday worked in exchange (10 October).
func testCalendar(t *testing.T) inspection.Calendar {
	t.Helper()
	c, err := inspection.ParseCalendar([]byte(`{"covered_until":"2026-12-31",
		"holidays":["2026-09-25","2026-09-26","2026-09-27","2026-10-01","2026-10-02","2026-10-03","2026-10-04","2026-10-05","2026-10-06","2026-10-07"],
		"workdays":["2026-09-20","2026-10-10"]}`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cstAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, cst)
}

func TestPeriodEnd(t *testing.T) {
	cal := testCalendar(t)
	tests := []struct {
		name   string
		period Period
		start  time.Time
		end    time.Time
	}{
		// 30 days from Thursday 3 September: the last day, 3 October, is a holiday; the
		// holidays run to 7 October, so the seizure ends with Thursday 8 October.
		{"seizure over National Day", Period{30, UnitDays}, cstAt(2026, 9, 3, 10, 0), cstAt(2026, 10, 9, 0, 0)},
		// 7 working days from Wednesday 30 September: 8, 9, 10 (the Saturday worked), 12, 13,
		// 14, 15 October. Without the make-up working day it would end a day later.
		{"service counts the make-up Saturday", Period{7, UnitWorkingDays}, cstAt(2026, 9, 30, 16, 0), cstAt(2026, 10, 16, 0, 0)},
		// 15 days from Friday 6 November end on Saturday 21: moved to Monday 23.
		{"payment ending on a weekend", Period{15, UnitDays}, cstAt(2026, 11, 6, 9, 0), cstAt(2026, 11, 24, 0, 0)},
		// 90 days from Monday 2 March end on Sunday 31 May: moved to Monday 1 June.
		{"decision ending on a Sunday", Period{90, UnitDays}, cstAt(2026, 3, 2, 11, 0), cstAt(2026, 6, 2, 0, 0)},
		// 24 hours are 24 hours, holiday or not.
		{"emergency report in hours", Period{24, UnitHours}, cstAt(2026, 10, 1, 9, 30), cstAt(2026, 10, 2, 9, 30)},
		// The day of the start is never counted, even a working day started at 00:00.
		{"one working day from a Friday midnight", Period{1, UnitWorkingDays}, cstAt(2026, 11, 6, 0, 0), cstAt(2026, 11, 10, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.period.End(tt.start, cal); !got.Equal(tt.end) {
				t.Errorf("End = %s, want %s", got.In(cst), tt.end)
			}
		})
	}
}

func TestDeadlineJudge(t *testing.T) {
	cal := testCalendar(t)
	day := 24 * time.Hour
	start := cstAt(2026, 9, 3, 10, 0)
	due := cstAt(2026, 10, 9, 0, 0) // see TestPeriodEnd
	seizure := func(pauses ...Pause) Deadline {
		d, err := DefaultDeadlinePolicy().Open(DeadlineOpening{Kind: DeadlineSeizure, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		d.Pauses = pauses
		return d
	}
	tests := []struct {
		name    string
		d       Deadline
		at      time.Time
		state   DeadlineState
		due     time.Time
		dueSoon bool
	}{
		{"open", seizure(), start, DeadlineOpen, due, false},
		{"due soon within 72 hours", seizure(), due.Add(-72 * time.Hour), DeadlineOpen, due, true},
		{"overdue at the midnight closing the last day", seizure(), due, DeadlineOverdue, due, false},
		// Five days of testing (强制法 art. 25) push the end to Wednesday 14 October.
		{"a finished pause", seizure(Pause{From: start.Add(day), To: start.Add(6 * day), Reason: "检测"}), due,
			DeadlineOpen, cstAt(2026, 10, 14, 0, 0), false},
		// Two days push the end to the close of Saturday 10 October, a day worked: it stays.
		{"a pause ending on the make-up Saturday", seizure(Pause{From: start.Add(day), To: start.Add(3 * day), Reason: "检测"}), due,
			DeadlineOpen, cstAt(2026, 10, 11, 0, 0), true},
		// Three days push it to the close of Sunday 11 October: moved to Monday 12.
		{"a pause ending on a Sunday", seizure(Pause{From: start.Add(day), To: start.Add(4 * day), Reason: "检测"}), due,
			DeadlineOpen, cstAt(2026, 10, 13, 0, 0), false},
		{"a running pause", seizure(Pause{From: start.Add(day), Reason: "检测"}), start.Add(40 * day), DeadlinePaused,
			due.Add(39 * day), false},
		{"met", Deadline{Kind: DeadlineSeizure, Period: Period{30, UnitDays}, Start: start, MetAt: due.Add(day)}, due.Add(2 * day),
			DeadlineMet, due, false},
		// Extended once: the 30 days of the extension count from the day after the first period's
		// last day (8 October) and end on Saturday 7 November, moved to Monday 9.
		{"extended seizure", Deadline{Kind: DeadlineSeizure, Period: Period{30, UnitDays}, Extended: true, Extension: Period{30, UnitDays}, Start: start},
			due, DeadlineOpen, cstAt(2026, 11, 10, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.d.Judge(cal, DefaultDueSoon, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if s.State != tt.state || !s.Due.Equal(tt.due) || s.DueSoon != tt.dueSoon || s.Remaining != s.Due.Sub(tt.at) {
				t.Errorf("got %s due %s soon %v remaining %s, want %s due %s soon %v", s.State, s.Due.In(cst), s.DueSoon, s.Remaining,
					tt.state, tt.due, tt.dueSoon)
			}
		})
	}
}

func TestDeadlineKinds(t *testing.T) {
	cal := testCalendar(t)
	start := cstAt(2026, 9, 30, 16, 0) // Wednesday before National Day
	p, err := ParseDeadlinePolicy("cg.decision=60d", DefaultDueSoon)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind  DeadlineKind
		dept  string
		limit Period
		due   time.Time
	}{
		{DeadlineDecision, "", Period{}, cstAt(2026, 12, 30, 0, 0)},  // 90 days: Tuesday 29 December
		{DeadlineDecision, "cg", Period{}, cstAt(2026, 12, 1, 0, 0)}, // the department's 60 days: Sunday 29 November -> Monday 30
		{DeadlineService, "", Period{}, cstAt(2026, 10, 16, 0, 0)},   // 7 working days, see TestPeriodEnd
		{DeadlinePayment, "", Period{}, cstAt(2026, 10, 16, 0, 0)},   // 15 days: Thursday 15 October
		{DeadlineSeizure, "", Period{}, cstAt(2026, 10, 31, 0, 0)},   // 30 days: Friday 30 October
		{DeadlineEmergencyReport, "", Period{}, cstAt(2026, 10, 1, 16, 0)},
		{DeadlineWorkOrder, "", Period{3, UnitWorkingDays}, cstAt(2026, 10, 11, 0, 0)}, // 8, 9, 10 October
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.dept, func(t *testing.T) {
			d, err := p.Open(DeadlineOpening{Kind: tt.kind, Department: tt.dept, Start: start, Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Judge(cal, 0, start)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Due.Equal(tt.due) || s.State != DeadlineOpen {
				t.Errorf("due %s (%s), want %s", s.Due.In(cst), s.State, tt.due)
			}
			if b := DeadlineBasisOf(tt.kind); b.Zh == "" || b.En == "" {
				t.Errorf("no legal basis for %s", tt.kind)
			}
		})
	}
	if _, err := p.Open(DeadlineOpening{Kind: DeadlineWorkOrder, Start: start}); !errors.Is(err, ErrDeadline) {
		t.Errorf("a work order without its limit: %v, want ErrDeadline", err)
	}
	if _, err := p.Open(DeadlineOpening{Kind: "nap", Start: start}); !errors.Is(err, ErrDeadline) {
		t.Errorf("an unknown kind: %v, want ErrDeadline", err)
	}
}

func TestDeadlinePauseResumeMeet(t *testing.T) {
	cal := testCalendar(t)
	day := 24 * time.Hour
	start := cstAt(2026, 9, 3, 10, 0)
	d, err := DefaultDeadlinePolicy().Open(DeadlineOpening{Kind: DeadlineSeizure, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pause(cal, start.Add(day), " "); !errors.Is(err, ErrDeadline) {
		t.Errorf("a pause without reason: %v", err)
	}
	if _, err := d.Resume(start.Add(day), ""); !errors.Is(err, ErrDeadline) {
		t.Errorf("resuming an open deadline: %v", err)
	}
	if _, err := d.Pause(cal, cstAt(2026, 10, 9, 0, 0), "检测"); !errors.Is(err, ErrDeadline) {
		t.Errorf("pausing an overdue deadline: %v", err)
	}
	p, err := d.Pause(cal, start.Add(day), "检测")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Pauses) != 0 {
		t.Error("Pause changed the deadline it was called on")
	}
	if _, err := p.Pause(cal, start.Add(2*day), "again"); !errors.Is(err, ErrDeadline) {
		t.Errorf("pausing a paused deadline: %v", err)
	}
	if _, err := p.Resume(start, ""); !errors.Is(err, ErrDeadline) {
		t.Errorf("resuming before the pause began: %v", err)
	}
	r, err := p.Resume(start.Add(3*day), "检测完毕")
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Judge(cal, 0, start.Add(4*day))
	if err != nil {
		t.Fatal(err)
	}
	if s.State != DeadlineOpen || s.Paused != 2*day || !s.Due.Equal(cstAt(2026, 10, 11, 0, 0)) {
		t.Errorf("after two days paused: %s paused %s due %s", s.State, s.Paused, s.Due.In(cst))
	}
	m, err := p.Meet(start.Add(5 * day)) // met while paused: the pause ends
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := m.Judge(cal, 0, start.Add(50*day)); s.State != DeadlineMet || s.Paused != 4*day {
		t.Errorf("met: %s paused %s", s.State, s.Paused)
	}
	if _, err := m.Meet(start.Add(6 * day)); !errors.Is(err, ErrDeadline) {
		t.Errorf("meeting twice: %v", err)
	}
	if _, err := m.Pause(cal, start.Add(6*day), "x"); !errors.Is(err, ErrDeadline) {
		t.Errorf("pausing a met deadline: %v", err)
	}
}

func TestParseDeadlinePolicy(t *testing.T) {
	p, err := ParseDeadlinePolicy(" service=5wd , cg.seizure_extension=15d,sc.emergency_report=12h", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		dept string
		kind DeadlineKind
		want Period
	}{
		{"", DeadlineService, Period{5, UnitWorkingDays}},
		{"cg", DeadlineService, Period{5, UnitWorkingDays}},
		{"", DeadlineDecision, Period{90, UnitDays}},
		{"cg", PeriodSeizureExtension, Period{15, UnitDays}},
		{"sc", PeriodSeizureExtension, Period{30, UnitDays}},
		{"sc", DeadlineEmergencyReport, Period{12, UnitHours}},
	}
	for _, c := range checks {
		if got, _ := p.PeriodFor(c.dept, c.kind); got != c.want {
			t.Errorf("%s %s = %s, want %s", c.dept, c.kind, got, c.want)
		}
	}
	if p.DueSoon != time.Hour {
		t.Errorf("due soon %s", p.DueSoon)
	}
	for _, bad := range []string{"decision", "decision=90", "decision=0d", "decision=-3d", "nap=3d", "work_order=3d", "cg.x=1d", "seizure=30w"} {
		if _, err := ParseDeadlinePolicy(bad, time.Hour); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDeadlineRefusesBadPauses: pauses that cannot be applied are refused, never counted.
func TestDeadlineRefusesBadPauses(t *testing.T) {
	filed := time.Date(2024, 3, 1, 15, 20, 0, 0, cst)
	at := filed.AddDate(0, 1, 0)
	day := 24 * time.Hour
	tests := map[string][]Pause{
		"before the start":    {{From: filed.Add(-day), To: filed.Add(day)}},
		"after the instant":   {{From: at.Add(time.Second)}},
		"ends before starts":  {{From: filed.Add(2 * day), To: filed.Add(day)}},
		"overlapping":         {{From: filed.Add(day), To: filed.Add(3 * day)}, {From: filed.Add(2 * day), To: filed.Add(4 * day)}},
		"after a running one": {{From: filed.Add(day)}, {From: filed.Add(2 * day), To: filed.Add(3 * day)}},
	}
	cal := inspection.DefaultCalendar()
	for name, pauses := range tests {
		d := Deadline{Kind: DeadlineDecision, Period: Period{90, UnitDays}, Start: filed, Pauses: pauses}
		if _, err := d.Judge(cal, 0, at); !errors.Is(err, ErrPauses) {
			t.Errorf("%s: got %v, want ErrPauses", name, err)
		}
	}
}
