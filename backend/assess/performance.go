package assess

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
)

// The performance record 实绩档案 of a seconded officer (DOMAIN.md section 7): the street keeps the
// officer's positive and negative events and proposes a yearly rating to the home department. The
// automatic events are derived from the recorded facts of the period (the store's query), the
// manual ones are recorded by the team leader; this file holds what they are worth and how they
// add up, as data and pure functions.

// Polarity says whether an event counts for (positive) or against (negative) the officer.
type Polarity string

// The polarities.
const (
	Positive Polarity = "positive"
	Negative Polarity = "negative"
)

// Valid reports whether p is a polarity.
func (p Polarity) Valid() bool { return p == Positive || p == Negative }

// EventSource says where an event comes from: the trail and case data (derived, never stored), or
// the street's hand.
type EventSource string

// The sources of events.
const (
	SourceTrail  EventSource = "trail"
	SourceManual EventSource = "manual"
)

// EventKind is what an event of a performance record is.
type EventKind string

// The kinds of events. The automatic ones are derived from facts; the manual ones are recorded.
const (
	// KindCaseConcludedOnTime: a case the officer held when it was concluded, none of whose
	// deadlines was escalated or met after its due instant.
	KindCaseConcludedOnTime EventKind = "case_concluded_on_time"
	// KindDeadlineEscalated: a statutory deadline escalated as overdue while the officer answered
	// for it (for a case's deadline, the officer holding the case at the escalation).
	KindDeadlineEscalated EventKind = "deadline_escalated"
	// KindEvidenceReturned: a department's evidence review returned the evidence of a case the
	// officer held at the review.
	KindEvidenceReturned EventKind = "evidence_review_returned"
	// KindInspectionReturned: the team leader returned an inspection record the officer recorded.
	KindInspectionReturned EventKind = "inspection_returned"
	// KindCommendation, KindComplaint and KindOther are recorded by hand: a commendation 表扬, a
	// complaint 投诉 (upheld), or another event with its reason.
	KindCommendation EventKind = "commendation"
	KindComplaint    EventKind = "complaint"
	KindOther        EventKind = "other"
)

// Rule is a kind of event as data: where it comes from, which way it counts, its default points
// (a magnitude; the polarity gives the sign), what it refers to and its title.
type Rule struct {
	Kind     EventKind
	Source   EventSource
	Polarity Polarity // of an automatic kind; a manual event says its own ("" here)
	Points   int
	Refers   string // what the reference names: case, deadline, evidence_review, inspection, performance_event
	TitleZH  string
	TitleEN  string
}

// Rules are every kind of event, the automatic ones first. Points are the defaults that
// WHISTLE_PERFORMANCE_POINTS overrides.
var Rules = []Rule{
	{KindCaseConcludedOnTime, SourceTrail, Positive, 2, "case", "案件按期办结", "case concluded with every deadline met"},
	{KindDeadlineEscalated, SourceTrail, Negative, 3, "deadline", "法定期限超期督办", "statutory deadline escalated as overdue"},
	{KindEvidenceReturned, SourceTrail, Negative, 2, "evidence_review", "证据被部门退回", "case evidence returned by the department's review"},
	{KindInspectionReturned, SourceTrail, Negative, 1, "inspection", "检查记录被队长退回", "inspection record returned by the team leader"},
	{KindCommendation, SourceManual, "", 5, "performance_event", "表扬", "commendation"},
	{KindComplaint, SourceManual, "", 5, "performance_event", "投诉", "complaint"},
	{KindOther, SourceManual, "", 1, "performance_event", "其他", "other"},
}

// RuleOf returns the rule of kind k, and whether there is one.
func RuleOf(k EventKind) (Rule, bool) {
	i := slices.IndexFunc(Rules, func(r Rule) bool { return r.Kind == k })
	if i < 0 {
		return Rule{}, false
	}
	return Rules[i], true
}

// MaxManualPoints bounds the points of one manual event, so that no single hand-made entry
// outweighs a year of recorded work.
const MaxManualPoints = 20

// Points are the points of each kind of event (magnitudes): the configuration
// WHISTLE_PERFORMANCE_POINTS, over the defaults of Rules. A manual event may carry its own.
type Points map[EventKind]int

// DefaultPoints are the points of Rules.
func DefaultPoints() Points {
	p := Points{}
	for _, r := range Rules {
		p[r.Kind] = r.Points
	}
	return p
}

// ParsePoints reads `kind=n,kind=n` (the form of WHISTLE_PERFORMANCE_POINTS) over the defaults:
// every kind named must be one of Rules, n a whole number up to MaxManualPoints, from 0 for an
// automatic kind (0 turns it off), from 1 for a manual one. An empty string is the defaults.
func ParsePoints(s string) (Points, error) {
	p := DefaultPoints()
	seen := map[EventKind]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		kind := EventKind(strings.TrimSpace(k))
		if _, known := RuleOf(kind); !ok || !known {
			return nil, fmt.Errorf("%q is not kind=points with a kind of %s", part, kindNames())
		}
		r, _ := RuleOf(kind)
		least := 0 // an automatic kind at 0 counts no more; a manual event always weighs something
		if r.Source == SourceManual {
			least = 1
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < least || n > MaxManualPoints {
			return nil, fmt.Errorf("%q: points of %s must be a whole number from %d to %d", part, kind, least, MaxManualPoints)
		}
		if seen[kind] {
			return nil, fmt.Errorf("kind %q given twice", kind)
		}
		seen[kind] = true
		p[kind] = n
	}
	return p, nil
}

func kindNames() string {
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = string(r.Kind)
	}
	return strings.Join(names, ", ")
}

// Grade is the yearly rating proposed to the home department, in the four grades of the civil
// servants' assessment (公务员考核规定 art. 6: 优秀、称职、基本称职、不称职).
type Grade string

// The grades, best first.
const (
	GradeExcellent          Grade = "excellent"           // 优秀
	GradeCompetent          Grade = "competent"           // 称职
	GradeBasicallyCompetent Grade = "basically_competent" // 基本称职
	GradeIncompetent        Grade = "incompetent"         // 不称职
)

// Grades are the lowest net points of each grade but the last (below BasicallyCompetent:
// incompetent): the configuration WHISTLE_PERFORMANCE_GRADES.
type Grades struct {
	Excellent, Competent, BasicallyCompetent int
}

// DefaultGrades: 30 net points or more is excellent (some fifteen cases concluded on time net of
// setbacks), 0 or more competent, down to -10 basically competent, below that incompetent.
func DefaultGrades() Grades { return Grades{Excellent: 30, Competent: 0, BasicallyCompetent: -10} }

// ParseGrades reads `excellent=n,competent=n,basically_competent=n` (each optional, over the
// defaults); the thresholds must fall strictly from excellent to basically_competent.
func ParseGrades(s string) (Grades, error) {
	g := DefaultGrades()
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			return Grades{}, fmt.Errorf("%q is not grade=net points", part)
		}
		switch Grade(strings.TrimSpace(k)) {
		case GradeExcellent:
			g.Excellent = n
		case GradeCompetent:
			g.Competent = n
		case GradeBasicallyCompetent:
			g.BasicallyCompetent = n
		default:
			return Grades{}, fmt.Errorf("%q: the grades with a threshold are excellent, competent, basically_competent", part)
		}
	}
	if g.Excellent <= g.Competent || g.Competent <= g.BasicallyCompetent {
		return Grades{}, fmt.Errorf("thresholds must fall: excellent (%d) > competent (%d) > basically_competent (%d)",
			g.Excellent, g.Competent, g.BasicallyCompetent)
	}
	return g, nil
}

// Rate is the grade of net points.
func (g Grades) Rate(net int) Grade {
	switch {
	case net >= g.Excellent:
		return GradeExcellent
	case net >= g.Competent:
		return GradeCompetent
	case net >= g.BasicallyCompetent:
		return GradeBasicallyCompetent
	}
	return GradeIncompetent
}

// YearPeriod is calendar year y in Asia/Shanghai: a record's period (Period, period.go).
func YearPeriod(y int) Period {
	return Period{From: time.Date(y, 1, 1, 0, 0, 0, 0, clock.Beijing), To: time.Date(y+1, 1, 1, 0, 0, 0, 0, clock.Beijing), Label: strconv.Itoa(y)}
}

// DaysPeriod is the days from the start of day from to the end of day to (both inclusive) in
// Asia/Shanghai. Errors: derrors.Invalid naming /to when to is before from.
func DaysPeriod(from, to time.Time) (Period, error) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, clock.Beijing) }
	p := Period{From: day(from), To: day(to).AddDate(0, 0, 1)}
	if !p.From.Before(p.To) {
		return Period{}, derrors.Invalidf("to", "to (%s) is before from (%s)", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return p, nil
}

// Contains reports whether t falls in p.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Event is one entry of a performance record. Automatic events have the ID `kind:reference` (the
// same fact, the same id, whenever it is derived); manual events a UUID and the bookkeeping of
// who recorded and withdrew them.
type Event struct {
	ID          string
	OfficerCode string
	// StreetCode is the street of the officer's team at the event's time: the street whose
	// record it is.
	StreetCode string
	Kind       EventKind
	Polarity   Polarity
	Source     EventSource
	At         time.Time
	// Reference is the id of what the event counts (Rule.Refers says of what); Detail what it
	// was (a deadline's kind, a matter's code) for the reason.
	Reference string
	Detail    string
	// Points is the magnitude; for manual events as recorded, for automatic ones set by Score.
	Points int
	Reason string
	// Manual events only.
	RecordedBy       string // username
	RecordedAt       time.Time
	Version          int
	WithdrawnAt      *time.Time
	WithdrawnBy      string // username
	WithdrawalReason string
}

// Withdrawn reports whether e was withdrawn (and so counts no more).
func (e Event) Withdrawn() bool { return e.WithdrawnAt != nil }

// Signed is e's points with the sign of its polarity, 0 when withdrawn.
func (e Event) Signed() int {
	switch {
	case e.Withdrawn():
		return 0
	case e.Polarity == Negative:
		return -e.Points
	}
	return e.Points
}

// Link is the API path of what e counts: the case, the deadline, the evidence review, the
// inspection record, or the manual event itself.
func (e Event) Link() string {
	r, _ := RuleOf(e.Kind)
	switch r.Refers {
	case "case":
		return "/v1/cases/" + e.Reference
	case "deadline":
		return "/v1/deadlines/" + e.Reference
	case "evidence_review":
		return "/v1/evidence-reviews/" + e.Reference
	case "inspection":
		return "/v1/inspections/" + e.Reference
	}
	return "/v1/officers/" + e.OfficerCode + "/performance-events/" + e.ID
}

// CheckManual returns derrors.Invalid naming the field unless e is a manual event that may be
// recorded at now: a manual kind, a polarity agreeing with it (a commendation is positive, a
// complaint negative), a reason, a time not after now, points from 1 to MaxManualPoints.
func CheckManual(e Event, now time.Time) error {
	r, ok := RuleOf(e.Kind)
	switch {
	case !ok || r.Source != SourceManual:
		return derrors.Invalidf("/kind", "kind must be commendation, complaint or other")
	case !e.Polarity.Valid():
		return derrors.Invalidf("/polarity", "polarity must be positive or negative")
	case e.Kind == KindCommendation && e.Polarity != Positive, e.Kind == KindComplaint && e.Polarity != Negative:
		return derrors.Invalidf("/polarity", "a %s is %s", e.Kind, map[EventKind]Polarity{KindCommendation: Positive, KindComplaint: Negative}[e.Kind])
	case strings.TrimSpace(e.Reason) == "":
		return derrors.Invalidf("/reason", "a manual event needs its reason")
	case e.At.IsZero() || e.At.After(now):
		return derrors.Invalidf("/at", "at must be a past instant (now %s)", now.UTC().Format(time.RFC3339))
	case e.Points < 1 || e.Points > MaxManualPoints:
		return derrors.Invalidf("/points", "points must be from 1 to %d", MaxManualPoints)
	}
	return nil
}

// Totals add up the events of a record that count (withdrawn ones are listed, not counted).
type Totals struct {
	Positive  int // points of positive events
	Negative  int // points of negative events (a magnitude)
	Net       int // Positive - Negative
	Events    int // events counted
	Withdrawn int // events withdrawn
}

// Record is an officer's performance record for a period: its events in time order, their totals
// and the rating proposed to the home department.
type Record struct {
	OfficerCode    string
	HomeDepartment string // the officer's department_code: who receives the proposal
	Period         Period
	Events         []Event
	Totals         Totals
	Proposal       Grade
}

// Summarize scores events (the automatic ones by points, the manual ones as recorded), orders
// them by time (ties by id), adds them up and rates the net by grades.
func Summarize(officer, department string, p Period, events []Event, points Points, grades Grades) Record {
	out := Record{OfficerCode: officer, HomeDepartment: department, Period: p, Events: slices.Clone(events)}
	for i := range out.Events {
		if e := &out.Events[i]; e.Source == SourceTrail {
			e.Points = points[e.Kind]
			if r, ok := RuleOf(e.Kind); ok {
				e.Polarity = r.Polarity
				e.Reason = reasonOf(r, e.Detail)
			}
		}
	}
	slices.SortFunc(out.Events, func(a, b Event) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, e := range out.Events {
		switch {
		case e.Withdrawn():
			out.Totals.Withdrawn++
			continue
		case e.Polarity == Negative:
			out.Totals.Negative += e.Points
		default:
			out.Totals.Positive += e.Points
		}
		out.Totals.Events++
	}
	out.Totals.Net = out.Totals.Positive - out.Totals.Negative
	out.Proposal = grades.Rate(out.Totals.Net)
	return out
}

// reasonOf is the reason of an automatic event: its rule's title and what the fact was.
func reasonOf(r Rule, detail string) string {
	if detail == "" {
		return r.TitleZH + " / " + r.TitleEN
	}
	return r.TitleZH + " / " + r.TitleEN + ": " + detail
}
