package whistle

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Type is a whistle's type, the kind of whistle 哨 a matter calls for (org.WhistleType).
type Type = org.WhistleType

// Types are the three whistle types, most urgent first.
var Types = []Type{org.WhistleEmergency, org.WhistleKey, org.WhistleRegular}

// Source is where a whistle's problem came from (哨源).
type Source string

// The sources of a whistle.
const (
	SourceGridWorker Source = "grid_worker" // a grid worker 网格员 on their round
	SourceCommunity  Source = "community"   // a community office 社区
	SourceHotline    Source = "hotline"     // the 12345 hotline (its resident is asked whether satisfied)
	SourcePatrol     Source = "patrol"      // the street's patrol
)

// Scope keeps common problems (共性, many places or people) apart from individual ones (个性):
// the "2 task lists".
type Scope string

// The scopes of a whistle.
const (
	ScopeCommon     Scope = "common"
	ScopeIndividual Scope = "individual"
)

// State is where a whistle stands: open until the street closes it.
type State string

// The states of a whistle.
const (
	StateOpen   State = "open"
	StateClosed State = "closed"
)

// Step is one step of a department's report (报到).
type Step string

// The steps of a report, in their order.
const (
	StepAck    Step = "ack"    // acknowledged 响应
	StepArrive Step = "arrive" // arrived on site 到场
	StepFinish Step = "finish" // finished 办结
)

// Steps are the steps of a report in their order.
var Steps = []Step{StepAck, StepArrive, StepFinish}

// CallStatus is whether a called department must report.
type CallStatus string

// The statuses of a call.
const (
	CallCalled   CallStatus = "called"   // must report
	CallReleased CallStatus = "released" // its objection was accepted
)

// Outcome is the street's ruling on an objection.
type Outcome string

// The outcomes of an objection.
const (
	OutcomePending   Outcome = "pending"
	OutcomeAccepted  Outcome = "accepted"  // the department is released; others may be called
	OutcomeOverruled Outcome = "overruled" // the department must report, on its original deadlines
)

// Rating is a rater's verdict on a closed whistle.
type Rating string

// The ratings.
const (
	RatingSatisfied          Rating = "satisfied"
	RatingBasicallySatisfied Rating = "basically_satisfied"
	RatingNotSatisfied       Rating = "not_satisfied"
)

// Answer is a resident's answer when asked about a hotline whistle: a Rating, or unreachable.
type Answer string

// AnswerUnreachable: the resident could not be reached (asked again later).
const AnswerUnreachable Answer = "unreachable"

// Escalated are whom a late step is escalated to: offices, not accounts.
var Escalated = []string{"street_director", "district_coordination_office"}

// Filing is the whistle's filing with the district grid center (备案), recorded before it is
// raised: when, by which desk officer (a name: the district's desk has no account here), under
// which reference.
type Filing struct {
	FiledAt   time.Time `json:"filed_at"`
	FiledBy   string    `json:"filed_by"`
	Reference string    `json:"reference"`
}

// Location is where a department arrived, or where the problem is.
type Location struct {
	Address string   `json:"address,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
}

// Report is one step reported by a called department: at is the act's time (the device's clock
// offline), received_at when the server got it, late when at is after the step's due instant.
type Report struct {
	At          time.Time `json:"at"`
	ReceivedAt  time.Time `json:"received_at"`
	By          string    `json:"by"`
	Location    *Location `json:"location,omitempty"`
	Result      string    `json:"result,omitempty"`
	EvidenceIDs []string  `json:"evidence_ids,omitempty"`
	Late        bool      `json:"late"`
}

// Timing is a step of a call: its due instant, its report once done, and whether it was
// escalated (not done by the one clock at its due instant).
type Timing struct {
	Step      Step      `json:"step"`
	Due       time.Time `json:"due"`
	Report    *Report   `json:"report,omitempty"`
	Escalated bool      `json:"escalated"`
}

// Call is a department called by the whistle, with its three steps.
type Call struct {
	DepartmentCode string     `json:"department_code"`
	CalledAt       time.Time  `json:"called_at"`
	Status         CallStatus `json:"status"`
	Steps          []Timing   `json:"steps"`
}

// step returns the timing of s.
func (c *Call) step(s Step) *Timing {
	for i := range c.Steps {
		if c.Steps[i].Step == s {
			return &c.Steps[i]
		}
	}
	return nil
}

// Finished reports whether the call's finish step is done.
func (c Call) Finished() bool { return c.step(StepFinish).Report != nil }

// Ruling is the street's decision on an objection.
type Ruling struct {
	At          time.Time `json:"at"`
	By          string    `json:"by"`
	Reason      string    `json:"reason,omitempty"`
	Departments []string  `json:"departments,omitempty"` // called instead (an accepted objection)
}

// Objection is a called department's objection (not its remit) and its ruling.
type Objection struct {
	ID             string    `json:"id"`
	DepartmentCode string    `json:"department_code"`
	Reasons        string    `json:"reasons"`
	By             string    `json:"by"`
	At             time.Time `json:"at"`
	Outcome        Outcome   `json:"outcome"`
	Ruling         *Ruling   `json:"ruling,omitempty"`
}

// Escalation is a step escalated at its due instant, to Escalated.
type Escalation struct {
	DepartmentCode string    `json:"department_code"`
	Step           Step      `json:"step"`
	Due            time.Time `json:"due"`
	At             time.Time `json:"at"`
	To             []string  `json:"to"`
}

// Note is a progress note of the street.
type Note struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// Closure is the street's closing of a whistle: the result fed back to the source, and the reason
// when not every called department finished.
type Closure struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Result string    `json:"result"`
	Reason string    `json:"reason,omitempty"`
}

// RatingEntry is one rater's rating of a closed whistle.
type RatingEntry struct {
	By      string    `json:"by"`
	Role    org.Role  `json:"role"`
	Rating  Rating    `json:"rating"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Satisfaction is a hotline resident's answer, asked by the street (回访): at is when asked.
type Satisfaction struct {
	Answer     Answer    `json:"answer"`
	At         time.Time `json:"at"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// Event is an entry of a whistle's history: every act on it, by whom (empty: the system).
type Event struct {
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	Action string    `json:"action"`
	Note   string    `json:"note,omitempty"`
}

// Whistle is a whistle as stored, served and published to the street's phones.
type Whistle struct {
	ID           string         `json:"id"`
	Number       string         `json:"number"`
	StreetCode   string         `json:"street_code"`
	TeamCode     string         `json:"team_code"`
	CaseID       string         `json:"case_id,omitempty"`
	Type         Type           `json:"type"`
	Scope        Scope          `json:"scope"`
	Source       Source         `json:"source"`
	Channel      string         `json:"channel"`
	Description  string         `json:"description"`
	Location     *Location      `json:"location,omitempty"`
	Receiver     string         `json:"receiver"`
	Opinion      string         `json:"opinion,omitempty"`
	Filing       Filing         `json:"filing"`
	RaisedAt     time.Time      `json:"raised_at"`
	RaisedBy     string         `json:"raised_by"`
	State        State          `json:"state"`
	Calls        []Call         `json:"calls"`
	Objections   []Objection    `json:"objections"`
	Escalations  []Escalation   `json:"escalations"`
	Progress     []Note         `json:"progress"`
	Closure      *Closure       `json:"closure,omitempty"`
	Ratings      []RatingEntry  `json:"ratings"`
	Satisfaction []Satisfaction `json:"satisfaction"`
	History      []Event        `json:"history"`
	// Version counts the changes of the whistle.
	Version int `json:"version"`
	// Year and Seq are the whistle's place in its street's numbering (the number's parts).
	Year int `json:"-"`
	Seq  int `json:"-"`
}

// call returns the call of department code, or nil.
func (w *Whistle) call(code string) *Call {
	for i := range w.Calls {
		if w.Calls[i].DepartmentCode == code {
			return &w.Calls[i]
		}
	}
	return nil
}

// Deadlines are the periods of each step per whistle type, counted from the call
// (WHISTLE_WHISTLE_DEADLINES).
type Deadlines struct {
	periods map[Type]map[Step]time.Duration
}

// DefaultDeadlines are the response deadlines of the reform (ack: emergency 30 minutes, key 2
// hours, regular 24 hours) with the district's defaults for arriving and finishing.
func DefaultDeadlines() Deadlines {
	return Deadlines{periods: map[Type]map[Step]time.Duration{
		org.WhistleEmergency: {StepAck: 30 * time.Minute, StepArrive: time.Hour, StepFinish: 24 * time.Hour},
		org.WhistleKey:       {StepAck: 2 * time.Hour, StepArrive: 4 * time.Hour, StepFinish: 72 * time.Hour},
		org.WhistleRegular:   {StepAck: 24 * time.Hour, StepArrive: 48 * time.Hour, StepFinish: 168 * time.Hour},
	}}
}

// DefaultDeadlinesSpec is DefaultDeadlines written as ParseDeadlines reads it.
const DefaultDeadlinesSpec = "emergency=30m,emergency.arrive=1h,emergency.finish=24h,key=2h,key.arrive=4h,key.finish=72h,regular=24h,regular.arrive=48h,regular.finish=168h"

// ParseDeadlines reads deadlines over the defaults from spec, comma-separated `type=duration` (the
// type's response deadline: its ack step) or `type.step=duration`, durations as Go writes them
// (30m, 2h, 168h). Each type's steps must not come before the previous one's.
func ParseDeadlines(spec string) (Deadlines, error) {
	d := DefaultDeadlines()
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return Deadlines{}, fmt.Errorf("whistle deadline %q: want type=duration or type.step=duration", item)
		}
		typ, step, hasStep := strings.Cut(strings.TrimSpace(key), ".")
		if !hasStep {
			step = string(StepAck)
		}
		steps, known := d.periods[Type(typ)]
		if !known {
			return Deadlines{}, fmt.Errorf("whistle deadline %q: no whistle type %q (emergency, key, regular)", item, typ)
		}
		if !slices.Contains(Steps, Step(step)) {
			return Deadlines{}, fmt.Errorf("whistle deadline %q: no step %q (ack, arrive, finish)", item, step)
		}
		p, err := time.ParseDuration(strings.TrimSpace(val))
		if err != nil || p <= 0 {
			return Deadlines{}, fmt.Errorf("whistle deadline %q: a positive duration such as 30m or 2h", item)
		}
		steps[Step(step)] = p
	}
	for _, t := range Types {
		p := d.periods[t]
		if p[StepArrive] < p[StepAck] || p[StepFinish] < p[StepArrive] {
			return Deadlines{}, fmt.Errorf("whistle deadlines of %s: ack %s, arrive %s, finish %s must not decrease", t, p[StepAck], p[StepArrive], p[StepFinish])
		}
	}
	return d, nil
}

// Period is how long after the call step s of a whistle of type t is due.
func (d Deadlines) Period(t Type, s Step) time.Duration {
	if d.periods == nil {
		d = DefaultDeadlines()
	}
	return d.periods[t][s]
}

// newCall is department code called at at by a whistle of type t.
func (d Deadlines) newCall(code string, t Type, at time.Time) Call {
	c := Call{DepartmentCode: code, CalledAt: at, Status: CallCalled}
	for _, s := range Steps {
		c.Steps = append(c.Steps, Timing{Step: s, Due: at.Add(d.Period(t, s))})
	}
	return c
}

// Timer is a step's escalation to schedule: the River job at its due instant.
type Timer struct {
	DepartmentCode string
	Step           Step
	Due            time.Time
}

// timers are the escalation timers of call c.
func timers(c Call) []Timer {
	out := make([]Timer, len(c.Steps))
	for i, s := range c.Steps {
		out[i] = Timer{DepartmentCode: c.DepartmentCode, Step: s.Step, Due: s.Due}
	}
	return out
}

// RaiseRequest is a whistle asked for.
type RaiseRequest struct {
	CaseID      string
	Type        Type
	Scope       Scope
	Source      Source
	Channel     string
	Description string
	Location    *Location
	Receiver    string
	Opinion     string
	Departments []string
	Filing      *Filing
}

// CheckRaise judges a whistle asked for at now, with the departments of the district (by code):
// a known type, scope and source, a description, a receiver, at least one known department, each
// once, and a filing with the district grid center recorded (its time not after now, the desk
// officer and the reference). Errors: derrors.Invalid naming the field.
func CheckRaise(r RaiseRequest, departments map[string]bool, now time.Time) error {
	if !slices.Contains(Types, r.Type) {
		return derrors.Invalidf("/type", "the type is emergency, key or regular, not %q", r.Type)
	}
	if r.Scope != ScopeCommon && r.Scope != ScopeIndividual {
		return derrors.Invalidf("/scope", "the scope is common or individual, not %q", r.Scope)
	}
	switch r.Source {
	case SourceGridWorker, SourceCommunity, SourceHotline, SourcePatrol:
	default:
		return derrors.Invalidf("/source", "the source is grid_worker, community, hotline or patrol, not %q", r.Source)
	}
	if strings.TrimSpace(r.Description) == "" {
		return derrors.Invalidf("/description", "a whistle says what the problem is")
	}
	if strings.TrimSpace(r.Receiver) == "" {
		return derrors.Invalidf("/receiver", "a whistle names who received the problem")
	}
	if err := checkDepartments("/departments", r.Departments, departments); err != nil {
		return err
	}
	f := r.Filing
	switch {
	case f == nil:
		return derrors.Invalidf("/filing", "a whistle is raised only after it was filed with the district grid center: record the filing")
	case f.FiledAt.IsZero() || f.FiledAt.After(now):
		return derrors.Invalidf("/filing/filed_at", "the filing is recorded once it happened, not after now")
	case strings.TrimSpace(f.FiledBy) == "":
		return derrors.Invalidf("/filing/filed_by", "the filing names the district desk officer who took it")
	case strings.TrimSpace(f.Reference) == "":
		return derrors.Invalidf("/filing/reference", "the filing has the district grid center's reference")
	}
	return nil
}

// checkDepartments judges a list of departments to call: at least one, each known and once.
func checkDepartments(field string, codes []string, departments map[string]bool) error {
	if len(codes) == 0 {
		return derrors.Invalidf(field, "call at least one department")
	}
	for i, c := range codes {
		if !departments[c] {
			return derrors.Invalidf(fmt.Sprintf("%s/%d", field, i), "no department %q", c)
		}
		if slices.Index(codes, c) != i {
			return derrors.Invalidf(fmt.Sprintf("%s/%d", field, i), "department %s is named twice", c)
		}
	}
	return nil
}

// Raise is the whistle w of request r raised at now by userID, with its calls and their timers.
// The number is given by the store.
func Raise(d Deadlines, id, userID, street, team string, r RaiseRequest, now time.Time) (Whistle, []Timer) {
	w := Whistle{ID: id, StreetCode: street, TeamCode: team, CaseID: r.CaseID, Type: r.Type, Scope: r.Scope, Source: r.Source,
		Channel: r.Channel, Description: r.Description, Location: r.Location, Receiver: r.Receiver, Opinion: r.Opinion,
		Filing: *r.Filing, RaisedAt: now, RaisedBy: userID, State: StateOpen, Calls: []Call{}, Objections: []Objection{},
		Escalations: []Escalation{}, Progress: []Note{}, Ratings: []RatingEntry{}, Satisfaction: []Satisfaction{}, Version: 1}
	w.Filing.FiledAt = w.Filing.FiledAt.UTC()
	var ts []Timer
	for _, code := range r.Departments {
		c := d.newCall(code, r.Type, now)
		w.Calls = append(w.Calls, c)
		ts = append(ts, timers(c)...)
	}
	w.History = []Event{
		{At: w.Filing.FiledAt, By: userID, Action: "whistle.file", Note: r.Filing.Reference + " " + r.Filing.FiledBy},
		{At: now, By: userID, Action: "whistle.raise", Note: strings.Join(r.Departments, ",")},
	}
	return w, ts
}

// ReportRequest is a step reported by a department: At is the act's time (zero: now).
type ReportRequest struct {
	DepartmentCode string
	Step           Step
	At             time.Time
	Location       *Location
	Result         string
	EvidenceIDs    []string
}

// ApplyReport records step r.Step of r.DepartmentCode on w, received at now by userID: the whistle
// open, the department called and not released, the step not done yet and the previous one done,
// at not before the call or the previous step and not after now; arriving names the location,
// finishing the result. The step is late when at is after its due instant, whenever the server
// hears of it. Errors: derrors.Invalid, derrors.Conflict.
func ApplyReport(w *Whistle, r ReportRequest, userID string, now time.Time) error {
	if w.State != StateOpen {
		return derrors.New(derrors.Conflict, "whistle %s is closed", w.Number)
	}
	c := w.call(r.DepartmentCode)
	if c == nil {
		return derrors.Invalidf("/department_code", "whistle %s does not call department %s", w.Number, r.DepartmentCode)
	}
	if c.Status == CallReleased {
		return derrors.New(derrors.Conflict, "department %s was released from whistle %s", r.DepartmentCode, w.Number)
	}
	i := slices.Index(Steps, r.Step)
	if i < 0 {
		return derrors.Invalidf("/step", "the step is ack, arrive or finish, not %q", r.Step)
	}
	t := c.step(r.Step)
	if t.Report != nil {
		return derrors.New(derrors.Conflict, "department %s reported %s already", r.DepartmentCode, r.Step)
	}
	after := c.CalledAt
	if i > 0 {
		prev := c.step(Steps[i-1])
		if prev.Report == nil {
			return derrors.New(derrors.Conflict, "department %s reports %s before %s", r.DepartmentCode, Steps[i-1], r.Step)
		}
		after = prev.Report.At
	}
	at := r.At
	if at.IsZero() {
		at = now
	}
	at = at.UTC().Truncate(time.Microsecond)
	if at.Before(after) || at.After(now) {
		return derrors.Invalidf("/at", "the act's time is between %s and now", after.Format(time.RFC3339))
	}
	switch {
	case r.Step == StepArrive && (r.Location == nil || strings.TrimSpace(r.Location.Address) == "" && (r.Location.Lat == nil || r.Location.Lng == nil)):
		return derrors.Invalidf("/location", "arriving on site says where: an address or coordinates")
	case r.Step == StepFinish && strings.TrimSpace(r.Result) == "":
		return derrors.Invalidf("/result", "finishing says the result")
	}
	t.Report = &Report{At: at, ReceivedAt: now, By: userID, Location: r.Location, Result: r.Result,
		EvidenceIDs: slices.Clone(r.EvidenceIDs), Late: at.After(t.Due)}
	note := r.DepartmentCode
	if t.Report.Late {
		note += " late"
	}
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle." + string(r.Step), Note: note})
	return nil
}

// Escalate escalates step s of department code of w if it is due by now and still not done: the
// whistle open, the department called, the step not done and not escalated yet. It returns whether
// it escalated; for a step not due yet, its due instant (the job waits until then).
func Escalate(w *Whistle, code string, s Step, now time.Time) (bool, time.Time) {
	c := w.call(code)
	if w.State != StateOpen || c == nil || c.Status != CallCalled {
		return false, time.Time{}
	}
	t := c.step(s)
	if t == nil || t.Report != nil || t.Escalated {
		return false, time.Time{}
	}
	if now.Before(t.Due) {
		return false, t.Due
	}
	t.Escalated = true
	w.Escalations = append(w.Escalations, Escalation{DepartmentCode: code, Step: s, Due: t.Due, At: now, To: slices.Clone(Escalated)})
	w.History = append(w.History, Event{At: now, Action: "whistle.escalate", Note: code + " " + string(s)})
	return true, time.Time{}
}

// LateStep is a step of a called department past its due instant without a report.
type LateStep struct {
	DepartmentCode string
	Step           Step
	Due            time.Time
}

// Late lists the steps of w that are late at now, in the order of the calls and their steps: the
// whistle open, the department called (not released), the step not reported and due by now,
// escalated or not yet.
func Late(w Whistle, now time.Time) []LateStep {
	if w.State != StateOpen {
		return nil
	}
	var out []LateStep
	for _, c := range w.Calls {
		if c.Status != CallCalled {
			continue
		}
		for _, t := range c.Steps {
			if t.Report == nil && !now.Before(t.Due) {
				out = append(out, LateStep{DepartmentCode: c.DepartmentCode, Step: t.Step, Due: t.Due})
			}
		}
	}
	return out
}

// PendingObjections are the objections of w waiting for the street's ruling.
func PendingObjections(w Whistle) []Objection {
	var out []Objection
	for _, o := range w.Objections {
		if o.Outcome == OutcomePending {
			out = append(out, o)
		}
	}
	return out
}

// ApplyObjection records department code's objection with reasons on w at now: the whistle open,
// the department called and not finished, no objection of it pending. Errors: derrors.Invalid,
// derrors.Conflict.
func ApplyObjection(w *Whistle, id, code, reasons, userID string, now time.Time) error {
	if w.State != StateOpen {
		return derrors.New(derrors.Conflict, "whistle %s is closed", w.Number)
	}
	c := w.call(code)
	switch {
	case c == nil:
		return derrors.Invalidf("/department_code", "whistle %s does not call department %s", w.Number, code)
	case c.Status == CallReleased:
		return derrors.New(derrors.Conflict, "department %s was released already", code)
	case c.Finished():
		return derrors.New(derrors.Conflict, "department %s finished its part", code)
	case strings.TrimSpace(reasons) == "":
		return derrors.Invalidf("/reasons", "an objection says why the problem is not the department's remit")
	}
	if pendingObjection(w, code) != nil {
		return derrors.New(derrors.Conflict, "department %s has an objection waiting for the street's ruling", code)
	}
	w.Objections = append(w.Objections, Objection{ID: id, DepartmentCode: code, Reasons: reasons, By: userID, At: now, Outcome: OutcomePending})
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle.object", Note: code})
	return nil
}

func pendingObjection(w *Whistle, code string) *Objection {
	for i := range w.Objections {
		if o := &w.Objections[i]; o.DepartmentCode == code && o.Outcome == OutcomePending {
			return o
		}
	}
	return nil
}

// RulingRequest is the street's ruling on department code's pending objection.
type RulingRequest struct {
	DepartmentCode string
	Outcome        Outcome
	Departments    []string
	Reason         string
}

// ApplyRuling rules on the pending objection of r.DepartmentCode at now. Accepted: the department
// is released (its steps no longer escalate) and each department of r.Departments (known, not
// called by w yet) is called now, with deadlines of its own. Overruled: the department must
// report; its deadlines ran from its call all along. It returns the timers of the new calls.
// Errors: derrors.Invalid, derrors.Conflict (no pending objection, a closed whistle).
func ApplyRuling(w *Whistle, d Deadlines, r RulingRequest, departments map[string]bool, userID string, now time.Time) ([]Timer, error) {
	if w.State != StateOpen {
		return nil, derrors.New(derrors.Conflict, "whistle %s is closed", w.Number)
	}
	o := pendingObjection(w, r.DepartmentCode)
	if o == nil {
		return nil, derrors.New(derrors.Conflict, "department %s has no objection waiting for a ruling", r.DepartmentCode)
	}
	var ts []Timer
	switch r.Outcome {
	case OutcomeAccepted:
		if len(r.Departments) > 0 {
			if err := checkDepartments("/departments", r.Departments, departments); err != nil {
				return nil, err
			}
		}
		for i, code := range r.Departments {
			if w.call(code) != nil {
				return nil, derrors.Invalidf(fmt.Sprintf("/departments/%d", i), "whistle %s called department %s already", w.Number, code)
			}
		}
		w.call(r.DepartmentCode).Status = CallReleased
		for _, code := range r.Departments {
			c := d.newCall(code, w.Type, now)
			w.Calls = append(w.Calls, c)
			ts = append(ts, timers(c)...)
		}
	case OutcomeOverruled:
		if len(r.Departments) > 0 {
			return nil, derrors.Invalidf("/departments", "an overruled objection calls no other department")
		}
		if strings.TrimSpace(r.Reason) == "" {
			return nil, derrors.Invalidf("/reason", "overruling an objection says why the problem is the department's")
		}
	default:
		return nil, derrors.Invalidf("/outcome", "the outcome is accepted or overruled, not %q", r.Outcome)
	}
	o.Outcome = r.Outcome
	o.Ruling = &Ruling{At: now, By: userID, Reason: r.Reason, Departments: slices.Clone(r.Departments)}
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle.rule", Note: r.DepartmentCode + " " + string(r.Outcome) + " " + strings.Join(r.Departments, ",")})
	return ts, nil
}

// ApplyNote adds a progress note to an open whistle. Errors: derrors.Invalid, derrors.Conflict.
func ApplyNote(w *Whistle, text, userID string, now time.Time) error {
	if w.State != StateOpen {
		return derrors.New(derrors.Conflict, "whistle %s is closed", w.Number)
	}
	if strings.TrimSpace(text) == "" {
		return derrors.Invalidf("/text", "a progress note says something")
	}
	w.Progress = append(w.Progress, Note{At: now, By: userID, Text: text})
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle.note"})
	return nil
}

// Unfinished are the departments called (not released) that have not finished, in call order.
func Unfinished(w Whistle) []string {
	var out []string
	for _, c := range w.Calls {
		if c.Status == CallCalled && !c.Finished() {
			out = append(out, c.DepartmentCode)
		}
	}
	return out
}

// ApplyClose closes an open whistle at now with the result fed back to its source: when a called
// department has not finished, only with a reason. Errors: derrors.Invalid, derrors.Conflict.
func ApplyClose(w *Whistle, result, reason, userID string, now time.Time) error {
	if w.State != StateOpen {
		return derrors.New(derrors.Conflict, "whistle %s is closed already", w.Number)
	}
	if strings.TrimSpace(result) == "" {
		return derrors.Invalidf("/result", "closing says the result fed back to the source")
	}
	if open := Unfinished(*w); len(open) > 0 && strings.TrimSpace(reason) == "" {
		return derrors.Invalidf("/reason", "department(s) %s have not finished: closing now needs a reason", strings.Join(open, ", "))
	}
	w.State = StateClosed
	w.Closure = &Closure{At: now, By: userID, Result: result, Reason: reason}
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle.close", Note: reason})
	return nil
}

// MayRate reports whether the caller of scope sc rates w: the source's side (the account that
// raised the whistle) or a community of the whistle's street.
func MayRate(w Whistle, sc org.Scope) bool {
	return sc.UserID == w.RaisedBy || sc.Role == org.RoleCommunity && sc.StreetCode == w.StreetCode
}

// ApplyRating records the rating of a closed whistle by sc at now, once per rater. Errors:
// derrors.Invalid, derrors.Conflict (open, or rated already by the caller).
func ApplyRating(w *Whistle, sc org.Scope, rating Rating, comment string, now time.Time) error {
	if w.State != StateClosed {
		return derrors.New(derrors.Conflict, "whistle %s is not closed: its result is rated once it is", w.Number)
	}
	switch rating {
	case RatingSatisfied, RatingBasicallySatisfied, RatingNotSatisfied:
	default:
		return derrors.Invalidf("/rating", "the rating is satisfied, basically_satisfied or not_satisfied, not %q", rating)
	}
	for _, r := range w.Ratings {
		if r.By == sc.UserID {
			return derrors.New(derrors.Conflict, "you rated whistle %s already", w.Number)
		}
	}
	w.Ratings = append(w.Ratings, RatingEntry{By: sc.UserID, Role: sc.Role, Rating: rating, Comment: comment, At: now})
	w.History = append(w.History, Event{At: now, By: sc.UserID, Action: "whistle.rate", Note: string(rating)})
	return nil
}

// ApplySatisfaction records the answer of the resident of a closed hotline whistle, asked at at
// (not after now): until an answer other than unreachable is recorded. Errors: derrors.Invalid,
// derrors.Conflict (not a hotline whistle, open, answered already).
func ApplySatisfaction(w *Whistle, answer Answer, at time.Time, userID string, now time.Time) error {
	if w.Source != SourceHotline {
		return derrors.New(derrors.Conflict, "whistle %s did not come from the hotline: its resident is not asked", w.Number)
	}
	if w.State != StateClosed {
		return derrors.New(derrors.Conflict, "whistle %s is not closed: the resident is asked about its result", w.Number)
	}
	switch answer {
	case Answer(RatingSatisfied), Answer(RatingBasicallySatisfied), Answer(RatingNotSatisfied), AnswerUnreachable:
	default:
		return derrors.Invalidf("/answer", "the answer is satisfied, basically_satisfied, not_satisfied or unreachable, not %q", answer)
	}
	if at.IsZero() {
		at = now
	}
	at = at.UTC().Truncate(time.Microsecond)
	if at.Before(w.Closure.At) || at.After(now) {
		return derrors.Invalidf("/at", "the resident is asked between the closing and now")
	}
	for _, s := range w.Satisfaction {
		if s.Answer != AnswerUnreachable {
			return derrors.New(derrors.Conflict, "the resident of whistle %s answered already", w.Number)
		}
	}
	w.Satisfaction = append(w.Satisfaction, Satisfaction{Answer: answer, At: at, RecordedBy: userID, RecordedAt: now})
	w.History = append(w.History, Event{At: now, By: userID, Action: "whistle.satisfaction", Note: string(answer)})
	return nil
}

// DefaultNumberFormat is the default format of whistle numbers (WHISTLE_WHISTLE_NUMBER_FORMAT,
// numbering.Format): 交道口吹哨〔2026〕0001号.
const DefaultNumberFormat = "{street}吹哨〔{year}〕{seq:04}号"
