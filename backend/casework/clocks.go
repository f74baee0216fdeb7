package casework

import (
	"errors"
	"fmt"
	"time"
)

// DefaultDecisionDays is the period to decide a case from its filing (处罚法 art. 60: 自立案之日起
// 九十日内作出行政处罚决定). Configuration per department; the law lets other laws set it otherwise.
const DefaultDecisionDays = 90

// DecisionBasis is the legal basis of the decision deadline.
const DecisionBasis = "《中华人民共和国行政处罚法》第六十条"

// Pause stops a clock from From to To (To zero: the pause is still running), e.g. a case suspended
// (中止) or time for testing or expert opinion that the law does not count.
type Pause struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to,omitzero"`
	Reason string    `json:"reason"`
	// EndReason is why the pause ended, when someone ended it (a deadline resumed).
	EndReason string `json:"end_reason,omitempty"`
}

// ClockStatus is where a clock stands at an instant.
type ClockStatus string

// The statuses of a clock.
const (
	ClockRunning ClockStatus = "running"
	ClockPaused  ClockStatus = "paused"
	ClockOverdue ClockStatus = "overdue"
)

// Clock is a statutory deadline judged at one instant.
type Clock struct {
	Basis string    `json:"basis"`
	Start time.Time `json:"start"`
	// Due is the instant the period ends (exclusive), pushed back by every pause up to the instant
	// judged; while a pause runs it keeps moving.
	Due time.Time `json:"due"`
	// Paused is the total time stopped up to the instant judged.
	Paused    time.Duration `json:"paused"`
	Status    ClockStatus   `json:"status"`
	Remaining time.Duration `json:"remaining"` // Due - at; negative when overdue
}

// ErrPauses reports pauses that cannot be applied: ending before they start, starting before the
// clock, after the instant judged, or overlapping.
var ErrPauses = errors.New("casework: invalid pauses")

// DecisionClock judges at instant at the deadline to decide a case filed at filedAt, for a period
// of days (DefaultDecisionDays unless configured otherwise; 0 means the default). The day of filing
// is not counted (民法典 art. 201, which counts a period of days from the next day), so the period
// ends at the midnight closing its last day, in filedAt's location. Each pause pushes the deadline
// back by its length; a pause still running at at counts up to at, and the clock is then paused.
func DecisionClock(filedAt time.Time, days int, pauses []Pause, at time.Time) (Clock, error) {
	if days == 0 {
		days = DefaultDecisionDays
	}
	if days < 0 {
		return Clock{}, fmt.Errorf("casework: decision period of %d days", days)
	}
	y, m, d := filedAt.Date()
	end := time.Date(y, m, d+days+1, 0, 0, 0, 0, filedAt.Location())

	paused, running, err := pausedUpTo(filedAt, pauses, at)
	if err != nil {
		return Clock{}, err
	}

	c := Clock{Basis: DecisionBasis, Start: filedAt, Due: end.Add(paused), Paused: paused}
	c.Remaining = c.Due.Sub(at)
	switch {
	case running:
		c.Status = ClockPaused
	case !at.Before(c.Due):
		c.Status = ClockOverdue
	default:
		c.Status = ClockRunning
	}
	return c, nil
}
