package casework

import (
	"errors"
	"testing"
	"time"
)

func TestDecisionClock(t *testing.T) {
	filed := time.Date(2024, 3, 1, 15, 20, 0, 0, cst) // 2024 is a leap year: February is behind us
	// The day of filing is not counted: 90 days run from 2 March to 30 May inclusive.
	due := time.Date(2024, 5, 31, 0, 0, 0, 0, cst)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		days      int
		pauses    []Pause
		at        time.Time
		due       time.Time
		paused    time.Duration
		status    ClockStatus
		remaining time.Duration
	}{
		{"just filed", 0, nil, filed, due, 0, ClockRunning, due.Sub(filed)},
		{"last minute of the last day", 0, nil, due.Add(-time.Minute), due, 0, ClockRunning, time.Minute},
		{"overdue at the midnight closing the period", 0, nil, due, due, 0, ClockOverdue, 0},
		{"overdue a day later", 0, nil, due.Add(day), due, 0, ClockOverdue, -day},
		{"configured 30 days", 30, nil, filed, time.Date(2024, 4, 1, 0, 0, 0, 0, cst), 0, ClockRunning,
			time.Date(2024, 4, 1, 0, 0, 0, 0, cst).Sub(filed)},
		{"a finished pause of 10 days pushes the deadline back", 0,
			[]Pause{{From: filed.Add(5 * day), To: filed.Add(15 * day), Reason: "检测"}}, due.Add(day),
			due.Add(10 * day), 10 * day, ClockRunning, 9 * day},
		{"a running pause counts up to the instant", 0,
			[]Pause{{From: filed.Add(80 * day), Reason: "中止"}}, filed.Add(95 * day),
			due.Add(15 * day), 15 * day, ClockPaused, due.Add(15 * day).Sub(filed.Add(95 * day))},
		{"two pauses, given out of order", 0,
			[]Pause{{From: filed.Add(40 * day), To: filed.Add(42 * day)}, {From: filed.Add(10 * day), To: filed.Add(11 * day)}},
			filed.Add(50 * day), due.Add(3 * day), 3 * day, ClockRunning, due.Add(3 * day).Sub(filed.Add(50 * day))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecisionClock(filed, tt.days, tt.pauses, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Due.Equal(tt.due) || c.Paused != tt.paused || c.Status != tt.status || c.Remaining != tt.remaining {
				t.Errorf("got due %s paused %s %s remaining %s, want %s %s %s %s",
					c.Due, c.Paused, c.Status, c.Remaining, tt.due, tt.paused, tt.status, tt.remaining)
			}
			if c.Basis != DecisionBasis || !c.Start.Equal(filed) {
				t.Errorf("basis %q start %s", c.Basis, c.Start)
			}
		})
	}
}

func TestDecisionClockRefusesBadPauses(t *testing.T) {
	filed := time.Date(2024, 3, 1, 15, 20, 0, 0, cst)
	at := filed.AddDate(0, 1, 0)
	day := 24 * time.Hour
	tests := map[string][]Pause{
		"before filing":       {{From: filed.Add(-day), To: filed.Add(day)}},
		"after the instant":   {{From: at.Add(time.Second)}},
		"ends before starts":  {{From: filed.Add(2 * day), To: filed.Add(day)}},
		"overlapping":         {{From: filed.Add(day), To: filed.Add(3 * day)}, {From: filed.Add(2 * day), To: filed.Add(4 * day)}},
		"after a running one": {{From: filed.Add(day)}, {From: filed.Add(2 * day), To: filed.Add(3 * day)}},
	}
	for name, pauses := range tests {
		if _, err := DecisionClock(filed, 0, pauses, at); !errors.Is(err, ErrPauses) {
			t.Errorf("%s: got %v, want ErrPauses", name, err)
		}
	}
	if _, err := DecisionClock(filed, -1, nil, at); err == nil {
		t.Error("a negative period was accepted")
	}
}
