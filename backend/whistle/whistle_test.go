package whistle

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

var t0 = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

func raised(typ Type, deps ...string) Whistle {
	w, _ := Raise(DefaultDeadlines(), "w-1", "u-grid", "st-a", "team-st-a", RaiseRequest{Type: typ, Scope: ScopeCommon, Source: SourceHotline,
		Departments: deps, Filing: &Filing{FiledAt: t0.Add(-time.Minute), FiledBy: "周敏", Reference: "R-1"}}, t0)
	return w
}

func TestParseDeadlines(t *testing.T) {
	d, err := ParseDeadlines("emergency=20m, key.finish=96h")
	if err != nil {
		t.Fatal(err)
	}
	if d.Period(org.WhistleEmergency, StepAck) != 20*time.Minute || d.Period(org.WhistleKey, StepFinish) != 96*time.Hour ||
		d.Period(org.WhistleRegular, StepAck) != 24*time.Hour {
		t.Errorf("periods: %v %v %v", d.Period(org.WhistleEmergency, StepAck), d.Period(org.WhistleKey, StepFinish), d.Period(org.WhistleRegular, StepAck))
	}
	if d, err := ParseDeadlines(DefaultDeadlinesSpec); err != nil || d.Period(org.WhistleKey, StepArrive) != 4*time.Hour {
		t.Errorf("the default spec: %v", err)
	}
	for _, bad := range []string{"loud=1h", "key.leave=1h", "key=-1h", "key", "regular.finish=1h"} {
		if _, err := ParseDeadlines(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestApplyReport_AtTheTimeOfTheAct: a step is judged by its at, not by when it is received.
func TestApplyReport_AtTheTimeOfTheAct(t *testing.T) {
	w := raised(org.WhistleEmergency, "cg")
	if err := ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepArrive, Location: &Location{Address: "x"}}, "u", t0); derrors.CodeOf(err) != derrors.Conflict {
		t.Fatalf("arrive before ack: %v", err)
	}
	if err := ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepAck, At: t0.Add(29 * time.Minute)}, "u", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r := w.Calls[0].Steps[0].Report; r.Late || !r.ReceivedAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("acked at 29 minutes, received at 3 hours: %+v", r)
	}
	if err := ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepArrive, At: t0.Add(61 * time.Minute), Location: &Location{Address: "x"}}, "u", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !w.Calls[0].Steps[1].Report.Late {
		t.Error("arrived after the hour: not late")
	}
	if err := ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepFinish, At: t0.Add(4 * time.Hour)}, "u", t0.Add(3*time.Hour)); derrors.CodeOf(err) != derrors.Invalid {
		t.Errorf("finish in the future: %v", err)
	}
}

func TestEscalate(t *testing.T) {
	w := raised(org.WhistleKey, "cg", "sj")
	if ok, next := Escalate(&w, "sj", StepAck, t0.Add(time.Hour)); ok || !next.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("early: %v %s", ok, next)
	}
	if ok, _ := Escalate(&w, "sj", StepAck, t0.Add(2*time.Hour)); !ok || len(w.Escalations) != 1 {
		t.Fatal("due and not done: not escalated")
	}
	if ok, _ := Escalate(&w, "sj", StepAck, t0.Add(3*time.Hour)); ok {
		t.Error("escalated twice")
	}
	_ = ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepAck, At: t0}, "u", t0)
	if ok, _ := Escalate(&w, "cg", StepAck, t0.Add(3*time.Hour)); ok {
		t.Error("a step done escalated")
	}
}

func TestApplyRuling(t *testing.T) {
	deps := map[string]bool{"cg": true, "sj": true, "sy": true}
	w := raised(org.WhistleRegular, "cg", "sj")
	if _, err := ApplyRuling(&w, DefaultDeadlines(), RulingRequest{DepartmentCode: "sj", Outcome: OutcomeAccepted}, deps, "u", t0); derrors.CodeOf(err) != derrors.Conflict {
		t.Fatalf("ruling without objection: %v", err)
	}
	if err := ApplyObjection(&w, "o-1", "sj", "不属职责", "u-sj", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ts, err := ApplyRuling(&w, DefaultDeadlines(), RulingRequest{DepartmentCode: "sj", Outcome: OutcomeAccepted, Departments: []string{"sy"}}, deps, "u", t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if w.Calls[1].Status != CallReleased || len(ts) != 3 || !ts[0].Due.Equal(t0.Add(26*time.Hour)) {
		t.Errorf("accepted: %+v %+v", w.Calls, ts)
	}
	if ok, _ := Escalate(&w, "sj", StepAck, t0.Add(30*time.Hour)); ok {
		t.Error("a released department escalated")
	}
	_ = ApplyObjection(&w, "o-2", "cg", "不属职责", "u-cg", t0.Add(3*time.Hour))
	if _, err := ApplyRuling(&w, DefaultDeadlines(), RulingRequest{DepartmentCode: "cg", Outcome: OutcomeOverruled, Reason: "属城管"}, deps, "u", t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !w.Calls[0].Steps[0].Due.Equal(t0.Add(24 * time.Hour)) {
		t.Errorf("overruled: the deadline moved to %s", w.Calls[0].Steps[0].Due)
	}
}

// TestLate: a called department's step is late from its due instant until reported; a released
// department and a closed whistle have none. An objection is pending until ruled on.
func TestLate(t *testing.T) {
	w := raised(org.WhistleKey, "cg", "sj")
	if late := Late(w, t0.Add(time.Hour)); len(late) != 0 {
		t.Fatalf("before any due instant: %+v", late)
	}
	_ = ApplyReport(&w, ReportRequest{DepartmentCode: "cg", Step: StepAck, At: t0}, "u", t0)
	late := Late(w, t0.Add(2*time.Hour))
	if len(late) != 1 || late[0].DepartmentCode != "sj" || late[0].Step != StepAck || !late[0].Due.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("at sj's ack due instant: %+v", late)
	}
	if err := ApplyObjection(&w, "o-1", "sj", "不属职责", "u-sj", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if p := PendingObjections(w); len(p) != 1 || p[0].ID != "o-1" {
		t.Errorf("pending objections: %+v", p)
	}
	deps := map[string]bool{"cg": true, "sj": true}
	if _, err := ApplyRuling(&w, DefaultDeadlines(), RulingRequest{DepartmentCode: "sj", Outcome: OutcomeAccepted}, deps, "u", t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if p := PendingObjections(w); len(p) != 0 {
		t.Errorf("pending after the ruling: %+v", p)
	}
	for _, l := range Late(w, t0.Add(5*time.Hour)) {
		if l.DepartmentCode == "sj" {
			t.Errorf("the released department is late: %+v", l)
		}
	}
	w.State = StateClosed
	if late := Late(w, t0.Add(500*time.Hour)); len(late) != 0 {
		t.Errorf("a closed whistle: %+v", late)
	}
}
