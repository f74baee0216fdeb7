package casework

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Statutory deadlines (DOMAIN.md section 4, issue 14): each kind of deadline has its legal basis
// and a default period from the law; the periods are configuration per department (DeadlinePolicy). A
// Deadline is judged at an instant against the working-day calendar, with the pauses that stop
// it: its due instant, what remains, and whether it is open, paused, met or overdue.

// DeadlineKind is the kind of a statutory deadline.
type DeadlineKind string

// The kinds of deadline.
const (
	DeadlineDecision        DeadlineKind = "decision"         // decide within 90 days of filing (处罚法 art. 60)
	DeadlineService         DeadlineKind = "service"          // serve the decision within 7 working days (art. 61, 85)
	DeadlinePayment         DeadlineKind = "payment"          // pay the fine within 15 days of service (art. 67)
	DeadlineSeizure         DeadlineKind = "seizure"          // a seizure lasts at most 30 days, extended once by 30 (强制法 art. 25)
	DeadlineEmergencyReport DeadlineKind = "emergency_report" // an emergency measure reported within 24 hours (强制法 art. 19)
	DeadlineWorkOrder       DeadlineKind = "work_order"       // a work order's own limit, written on the order (接诉即办)
)

// DeadlineKinds lists every kind of deadline.
var DeadlineKinds = []DeadlineKind{DeadlineDecision, DeadlineService, DeadlinePayment, DeadlineSeizure, DeadlineEmergencyReport, DeadlineWorkOrder}

// PeriodSeizureExtension is the key of Periods for the one extension of a seizure (强制法 art. 25);
// it names a period, not a kind of deadline.
const PeriodSeizureExtension DeadlineKind = "seizure_extension"

// DeadlineBasis is the legal basis of a deadline, in Chinese and English.
type DeadlineBasis struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// bases are the legal bases of the kinds.
var bases = map[DeadlineKind]DeadlineBasis{
	DeadlineDecision: {"《中华人民共和国行政处罚法》第六十条：自立案之日起九十日内作出行政处罚决定",
		"Administrative Penalty Law art. 60: decide within 90 days of filing"},
	DeadlineService: {"《中华人民共和国行政处罚法》第六十一条、第八十五条：决定书七日内送达（工作日）",
		"Administrative Penalty Law arts 61 and 85: serve the decision within 7 working days"},
	DeadlinePayment: {"《中华人民共和国行政处罚法》第六十七条：自收到决定书之日起十五日内缴纳罚款",
		"Administrative Penalty Law art. 67: pay the fine within 15 days of receiving the decision"},
	DeadlineSeizure: {"《中华人民共和国行政强制法》第二十五条：查封、扣押不得超过三十日，可延长一次，不得超过三十日；检测等期间不计入",
		"Administrative Compulsion Law art. 25: a seizure lasts at most 30 days, extended once by at most 30; testing time is not counted"},
	DeadlineEmergencyReport: {"《中华人民共和国行政强制法》第十九条：当场实施强制措施后二十四小时内向行政机关负责人报告",
		"Administrative Compulsion Law art. 19: an emergency measure is reported to the agency head within 24 hours"},
	DeadlineWorkOrder: {"《北京市接诉即办工作条例》：按工单载明的时限办理",
		"Beijing Regulations on Responding to Public Complaints: within the limit written on the work order"},
}

// DeadlineBasisOf returns the legal basis of kind k.
func DeadlineBasisOf(k DeadlineKind) DeadlineBasis { return bases[k] }

// Valid reports whether k is a kind of deadline.
func (k DeadlineKind) Valid() bool { return slices.Contains(DeadlineKinds, k) }

// PeriodUnit is what a period counts.
type PeriodUnit string

// The units of a period.
const (
	UnitDays        PeriodUnit = "d"  // calendar days from the day after the start; a last day off work moves to the next working day
	UnitWorkingDays PeriodUnit = "wd" // working days from the day after the start (处罚法 art. 85, 强制法 art. 69)
	UnitHours       PeriodUnit = "h"  // hours from the start instant
	UnitSeconds     PeriodUnit = "s"  // seconds from the start instant: a limit written as an instant (a work order's)
)

// Period is a legal period: N units.
type Period struct {
	N    int
	Unit PeriodUnit
}

// String is the period as configured: "90d", "7wd", "24h".
func (p Period) String() string { return strconv.Itoa(p.N) + string(p.Unit) }

// ParsePeriod reads a period written as a positive number and a unit: "90d" (calendar days),
// "7wd" (working days), "24h" (hours) or "3600s" (seconds: a work order's limit, stored so).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	for _, u := range []PeriodUnit{UnitWorkingDays, UnitDays, UnitHours, UnitSeconds} { // "wd" before "d"
		if n, ok := strings.CutSuffix(s, string(u)); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				break
			}
			return Period{N: v, Unit: u}, nil
		}
	}
	return Period{}, fmt.Errorf("period %q is not a positive number of days (90d), working days (7wd) or hours (24h)", s)
}

// Calendar is the working-day calendar the periods are counted on (inspection.Calendar: weekends,
// public holidays and the weekend days worked in exchange).
type Calendar interface {
	// Workday reports whether the day of t, in the calendar's zone, is a working day.
	Workday(t time.Time) bool
	// Zone is the calendar's time zone, in which days begin and end.
	Zone() *time.Location
}

// midnightAfter is the start of the day after the day of t in loc.
func midnightAfter(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// elapsed tells a period of elapsed time (hours, seconds), counted from an instant with no
// calendar, from one of days.
func (p Period) elapsed() bool { return p.Unit == UnitHours || p.Unit == UnitSeconds }

// span is the length of a period of elapsed time.
func (p Period) span() time.Duration {
	if p.Unit == UnitSeconds {
		return time.Duration(p.N) * time.Second
	}
	return time.Duration(p.N) * time.Hour
}

// End is the instant (exclusive) a period started at start ends, without pauses: for hours,
// start plus the hours; for days, the midnight closing the last day, the day of the start not
// counted (民法典 art. 201) and a last day off work moved to the next working day (民法典 art.
// 203); for working days, the midnight closing the N-th working day after the day of the start.
func (p Period) End(start time.Time, cal Calendar) time.Time {
	loc := cal.Zone()
	switch p.Unit {
	case UnitHours, UnitSeconds:
		return start.Add(p.span())
	case UnitWorkingDays:
		day := midnightAfter(start, loc) // the first day counted
		for n := 0; ; day = day.AddDate(0, 0, 1) {
			if cal.Workday(day) {
				if n++; n == p.N {
					return day.AddDate(0, 0, 1)
				}
			}
		}
	default:
		end := midnightAfter(start, loc).AddDate(0, 0, p.N)
		return toWorkday(end, cal)
	}
}

// toWorkday moves a period's end (exclusive) by whole days until the day it closes is a working day.
func toWorkday(end time.Time, cal Calendar) time.Time {
	for !cal.Workday(end.Add(-time.Nanosecond)) {
		end = end.In(cal.Zone()).AddDate(0, 0, 1)
	}
	return end
}

// Pause stops a clock from From to To (To zero: the pause is still running), e.g. a case suspended
// (中止) or time for testing or expert opinion that the law does not count.
type Pause struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to,omitzero"`
	Reason string    `json:"reason"`
	// EndReason is why the pause ended, when someone ended it (a deadline resumed).
	EndReason string `json:"end_reason,omitempty"`
}

// ErrPauses reports pauses that cannot be applied: ending before they start, starting before the
// clock, after the instant judged, or overlapping.
var ErrPauses = errors.New("casework: invalid pauses")

// DeadlineState is where a deadline stands.
type DeadlineState string

// The states of a deadline.
const (
	DeadlineOpen    DeadlineState = "open"    // running, not due yet
	DeadlinePaused  DeadlineState = "paused"  // stopped by a pause still running
	DeadlineMet     DeadlineState = "met"     // the act it waits for was done in time, or late (MetAt)
	DeadlineOverdue DeadlineState = "overdue" // due and not met
)

// DeadlineSubject is what a deadline is about: an inspection record, a case (later), a work order.
type DeadlineSubject struct {
	Kind string `json:"kind"` // "inspection" or "case" (a work order's own limit is a deadline of its case)
	ID   string `json:"id"`
}

// Deadline is one statutory deadline.
type Deadline struct {
	ID         string          `json:"id"`
	StreetCode string          `json:"street_code"`
	TeamCode   string          `json:"team_code"`
	Department string          `json:"department"` // the department whose periods apply; "" for the defaults
	Subject    DeadlineSubject `json:"subject"`
	Kind       DeadlineKind    `json:"kind"`
	Period     Period          `json:"-"`
	Extended   bool            `json:"extended"` // a seizure extended once (强制法 art. 25)
	Extension  Period          `json:"-"`        // the extension's period, when Extended
	Start      time.Time       `json:"started_at"`
	Pauses     []Pause         `json:"pauses"`
	// Officer is the officer code of the officer responsible for the act the deadline waits for.
	Officer string    `json:"officer_code"`
	MetAt   time.Time `json:"met_at,omitzero"`
	// EscalatedAt is when the deadline was found overdue and escalated to the team leader.
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
	Version     int       `json:"version"`
}

// Standing is a deadline judged at an instant.
type Standing struct {
	State DeadlineState
	// Due is the instant the deadline ends (exclusive), pushed back by the pauses up to the instant
	// judged; while a pause runs it keeps moving.
	Due       time.Time
	Paused    time.Duration // total time stopped up to the instant judged
	Remaining time.Duration // Due - at; negative when overdue
	DueSoon   bool          // open, and due within the due-soon window
}

// ErrDeadline reports an act on a deadline that its state does not allow: pausing a paused, met
// or overdue deadline, resuming one that is not paused, meeting one already met.
var ErrDeadline = errors.New("casework: deadline")

// Judge says where d stands at instant at, counted on cal; a deadline due within dueSoon of at is
// due soon. Each pause pushes the due instant back by its length; a day period whose pushed end
// falls on a day off work ends on the next working day.
func (d Deadline) Judge(cal Calendar, dueSoon time.Duration, at time.Time) (Standing, error) {
	paused, running, err := pausedUpTo(d.Start, d.Pauses, at)
	if err != nil {
		return Standing{}, err
	}
	end := d.Period.End(d.Start, cal)
	if d.Extended {
		end = d.Extension.after(end, cal)
	}
	due := end.Add(paused)
	if paused > 0 && !d.Period.elapsed() {
		due = toWorkday(due, cal)
	}
	s := Standing{Due: due, Paused: paused, Remaining: due.Sub(at)}
	switch {
	case !d.MetAt.IsZero():
		s.State = DeadlineMet
	case running:
		s.State = DeadlinePaused
	case !at.Before(due):
		s.State = DeadlineOverdue
	default:
		s.State = DeadlineOpen
		s.DueSoon = s.Remaining <= dueSoon
	}
	return s, nil
}

// after is the end of p counted on from the end (exclusive) of another period, as an extension
// is: hours from that instant, days from the day after the other period's last day.
func (p Period) after(end time.Time, cal Calendar) time.Time {
	if p.elapsed() {
		return end.Add(p.span())
	}
	return p.End(end.Add(-time.Nanosecond), cal)
}

// Pause stops d at instant at, with the reason (testing time excluded from a seizure, a case
// suspended): ErrDeadline unless d is open at at.
func (d Deadline) Pause(cal Calendar, at time.Time, reason string) (Deadline, error) {
	if strings.TrimSpace(reason) == "" {
		return d, fmt.Errorf("%w: a pause needs a reason", ErrDeadline)
	}
	s, err := d.Judge(cal, 0, at)
	if err != nil {
		return d, err
	}
	if s.State != DeadlineOpen {
		return d, fmt.Errorf("%w: only an open deadline can be paused; this one is %s", ErrDeadline, s.State)
	}
	if n := len(d.Pauses); n > 0 && at.Before(d.Pauses[n-1].To) {
		return d, fmt.Errorf("%w: a pause cannot start before the last one ended", ErrDeadline)
	}
	d.Pauses = append(slices.Clone(d.Pauses), Pause{From: at, Reason: reason})
	return d, nil
}

// Resume restarts d, paused, at instant at, with the reason: ErrDeadline unless a pause of d is
// running.
func (d Deadline) Resume(at time.Time, reason string) (Deadline, error) {
	n := len(d.Pauses)
	if !d.MetAt.IsZero() || n == 0 || !d.Pauses[n-1].To.IsZero() {
		return d, fmt.Errorf("%w: only a paused deadline can be resumed", ErrDeadline)
	}
	if at.Before(d.Pauses[n-1].From) {
		return d, fmt.Errorf("%w: the pause cannot end before it began", ErrDeadline)
	}
	d.Pauses = slices.Clone(d.Pauses)
	d.Pauses[n-1].To, d.Pauses[n-1].EndReason = at, reason
	return d, nil
}

// Meet records that the act d waits for was done at instant at (in time or late; Judge tells
// which from the due instant): ErrDeadline when d was met already. A running pause ends at at.
func (d Deadline) Meet(at time.Time) (Deadline, error) {
	if !d.MetAt.IsZero() {
		return d, fmt.Errorf("%w: the deadline was met already", ErrDeadline)
	}
	if n := len(d.Pauses); n > 0 && d.Pauses[n-1].To.IsZero() {
		d.Pauses = slices.Clone(d.Pauses)
		d.Pauses[n-1].To = at
	}
	d.MetAt = at
	return d, nil
}

// pausedUpTo is the time pauses stopped a clock started at start, up to instant at, and whether a
// pause is still running at at: ErrPauses for pauses ending before they start, starting before
// the clock or after at, or overlapping.
func pausedUpTo(start time.Time, pauses []Pause, at time.Time) (time.Duration, bool, error) {
	sorted := slices.Clone(pauses)
	slices.SortFunc(sorted, func(a, b Pause) int { return a.From.Compare(b.From) })
	var paused time.Duration
	running := false
	var prevEnd time.Time
	for i, p := range sorted {
		switch {
		case p.From.Before(start) || p.From.After(at):
			return 0, false, fmt.Errorf("%w: pause %d starts at %s, outside %s to %s", ErrPauses, i, p.From, start, at)
		case !p.To.IsZero() && p.To.Before(p.From):
			return 0, false, fmt.Errorf("%w: pause %d ends before it starts", ErrPauses, i)
		case i > 0 && (prevEnd.IsZero() || p.From.Before(prevEnd)):
			return 0, false, fmt.Errorf("%w: pause %d overlaps the one before", ErrPauses, i)
		}
		to := p.To
		if to.IsZero() || to.After(at) {
			to, running = at, true
		}
		paused += to.Sub(p.From)
		prevEnd = p.To
	}
	return paused, running, nil
}

// Periods are the periods of the kinds of deadline (and PeriodSeizureExtension).
type Periods map[DeadlineKind]Period

// DeadlinePolicy is the configuration of deadlines: the periods by default and per department, and the
// window in which an open deadline is listed as due soon.
type DeadlinePolicy struct {
	Defaults    Periods
	Departments map[string]Periods // department code -> the periods it sets otherwise
	DueSoon     time.Duration
}

// DefaultDueSoon is the due-soon window by default.
const DefaultDueSoon = 72 * time.Hour

// DefaultPeriods are the periods of the law. A work order has none: its limit is on the order.
func DefaultPeriods() Periods {
	return Periods{
		DeadlineDecision:        {90, UnitDays},
		DeadlineService:         {7, UnitWorkingDays},
		DeadlinePayment:         {15, UnitDays},
		DeadlineSeizure:         {30, UnitDays},
		PeriodSeizureExtension:  {30, UnitDays},
		DeadlineEmergencyReport: {24, UnitHours},
	}
}

// DefaultDeadlinePolicy is the law's periods for every department, and DefaultDueSoon.
func DefaultDeadlinePolicy() DeadlinePolicy {
	return DeadlinePolicy{Defaults: DefaultPeriods(), DueSoon: DefaultDueSoon}
}

// PeriodFor returns the period of kind k (or PeriodSeizureExtension) for department dept: the
// department's own if it sets one, else the default; false when there is none (a work order).
func (p DeadlinePolicy) PeriodFor(dept string, k DeadlineKind) (Period, bool) {
	if per, ok := p.Departments[dept][k]; ok {
		return per, true
	}
	per, ok := p.Defaults[k]
	return per, ok
}

// ParseDeadlinePolicy reads the periods of a policy from the defaults of the law and spec, a
// comma-separated list of kind=period (the defaults) and department.kind=period (one
// department's), e.g. "decision=90d,service=7wd,cg.decision=60d". DeadlineKinds: the kinds of deadline but
// work_order, and seizure_extension.
func ParseDeadlinePolicy(spec string, dueSoon time.Duration) (DeadlinePolicy, error) {
	p := DeadlinePolicy{Defaults: DefaultPeriods(), Departments: map[string]Periods{}, DueSoon: dueSoon}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		if !ok {
			return p, fmt.Errorf("%q is not kind=period or department.kind=period", item)
		}
		dept, kind := "", strings.TrimSpace(key)
		if d, k, ok := strings.Cut(kind, "."); ok {
			dept, kind = d, k
		}
		k := DeadlineKind(kind)
		if k == DeadlineWorkOrder || (!k.Valid() && k != PeriodSeizureExtension) {
			return p, fmt.Errorf("%q: %q is none of decision, service, payment, seizure, seizure_extension, emergency_report", item, kind)
		}
		per, err := ParsePeriod(value)
		if err != nil {
			return p, fmt.Errorf("%q: %w", item, err)
		}
		if dept == "" {
			p.Defaults[k] = per
			continue
		}
		if p.Departments[dept] == nil {
			p.Departments[dept] = Periods{}
		}
		p.Departments[dept][k] = per
	}
	return p, nil
}

// DeadlineOpening is what opens a deadline: its subject, where it belongs, who answers for it and when it
// starts.
type DeadlineOpening struct {
	ID         string
	StreetCode string
	TeamCode   string
	Department string
	Subject    DeadlineSubject
	Kind       DeadlineKind
	Start      time.Time
	Officer    string
	Extended   bool   // a seizure extended at once (the record gives the extension's reason)
	Limit      Period // a work order's own limit; ignored for the other kinds
}

// Open makes the deadline o opens, with the periods of p for o's department: ErrDeadline for an
// unknown kind, or a work order without its limit.
func (p DeadlinePolicy) Open(o DeadlineOpening) (Deadline, error) {
	d := Deadline{ID: o.ID, StreetCode: o.StreetCode, TeamCode: o.TeamCode, Department: o.Department, Subject: o.Subject,
		Kind: o.Kind, Start: o.Start, Officer: o.Officer, Pauses: []Pause{}, Version: 1}
	if !o.Kind.Valid() {
		return d, fmt.Errorf("%w: no kind of deadline %q", ErrDeadline, o.Kind)
	}
	if o.Kind == DeadlineWorkOrder {
		if o.Limit.N <= 0 {
			return d, fmt.Errorf("%w: a work order deadline needs the order's limit", ErrDeadline)
		}
		d.Period = o.Limit
		return d, nil
	}
	d.Period, _ = p.PeriodFor(o.Department, o.Kind)
	if o.Extended && o.Kind == DeadlineSeizure {
		d.Extended = true
		d.Extension, _ = p.PeriodFor(o.Department, PeriodSeizureExtension)
	}
	return d, nil
}
