package assess

import (
	"errors"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
)

func TestParsePoints(t *testing.T) {
	p, err := ParsePoints(" deadline_escalated=5, case_concluded_on_time=0 ")
	if err != nil || p[KindDeadlineEscalated] != 5 || p[KindCaseConcludedOnTime] != 0 || p[KindCommendation] != 5 {
		t.Fatalf("points %v, %v", p, err)
	}
	if d, err := ParsePoints(""); err != nil || len(d) != len(Rules) {
		t.Fatalf("defaults %v, %v", d, err)
	}
	for _, bad := range []string{"bogus=1", "commendation=0", "other=21", "deadline_escalated", "other=1,other=2", "other=x"} {
		if _, err := ParsePoints(bad); err == nil {
			t.Errorf("ParsePoints(%q) = nil error", bad)
		}
	}
}

func TestGrades_Rate(t *testing.T) {
	g, err := ParseGrades("excellent=10,basically_competent=-3")
	if err != nil {
		t.Fatal(err)
	}
	for net, want := range map[int]Grade{10: GradeExcellent, 9: GradeCompetent, 0: GradeCompetent, -1: GradeBasicallyCompetent,
		-3: GradeBasicallyCompetent, -4: GradeIncompetent} {
		if got := g.Rate(net); got != want {
			t.Errorf("Rate(%d) = %s, want %s", net, got, want)
		}
	}
	for _, bad := range []string{"excellent=0", "competent=-20", "good=3", "excellent"} {
		if _, err := ParseGrades(bad); err == nil {
			t.Errorf("ParseGrades(%q) = nil error", bad)
		}
	}
}

func TestCheckManual(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ok := Event{Kind: KindComplaint, Polarity: Negative, At: now.Add(-time.Hour), Reason: "群众投诉态度粗暴", Points: 5}
	if err := CheckManual(ok, now); err != nil {
		t.Fatal(err)
	}
	for field, e := range map[string]Event{
		"/kind":     {Kind: KindDeadlineEscalated, Polarity: Negative, At: ok.At, Reason: "x", Points: 1},
		"/polarity": {Kind: KindCommendation, Polarity: Negative, At: ok.At, Reason: "x", Points: 1},
		"/reason":   {Kind: KindOther, Polarity: Positive, At: ok.At, Reason: " ", Points: 1},
		"/at":       {Kind: KindOther, Polarity: Positive, At: now.Add(time.Second), Reason: "x", Points: 1},
		"/points":   {Kind: KindOther, Polarity: Positive, At: ok.At, Reason: "x", Points: 0},
	} {
		err := CheckManual(e, now)
		var de *derrors.Error
		if derrors.CodeOf(err) != derrors.Invalid || !errors.As(err, &de) || len(de.Fields) != 1 || de.Fields[0].Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

// TestSummarize: automatic events take their points and polarity from the rules, withdrawn events
// are listed but not counted, events come in time order and the net is rated.
func TestSummarize(t *testing.T) {
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, clock.Beijing)
	withdrawn := at.Add(time.Hour)
	events := []Event{
		{ID: "m2", Kind: KindComplaint, Polarity: Negative, Source: SourceManual, At: at.Add(3 * time.Hour), Points: 5, WithdrawnAt: &withdrawn},
		{ID: "deadline_escalated:d", Kind: KindDeadlineEscalated, Source: SourceTrail, At: at.Add(2 * time.Hour), Detail: "work_order"},
		{ID: "case_concluded_on_time:c", Kind: KindCaseConcludedOnTime, Source: SourceTrail, At: at},
		{ID: "m1", Kind: KindCommendation, Polarity: Positive, Source: SourceManual, At: at.Add(time.Hour), Points: 7},
	}
	r := Summarize("a-sj-01", "sj", YearPeriod(2026), events, DefaultPoints(), DefaultGrades())
	want := Totals{Positive: 9, Negative: 3, Net: 6, Events: 3, Withdrawn: 1}
	if r.Totals != want || r.Proposal != GradeCompetent || r.Events[0].ID != "case_concluded_on_time:c" || r.Events[3].ID != "m2" {
		t.Fatalf("record %+v", r)
	}
	if e := r.Events[2]; e.Points != 3 || e.Polarity != Negative || e.Signed() != -3 || e.Reason != "法定期限超期督办 / statutory deadline escalated as overdue: work_order" {
		t.Fatalf("escalation scored %+v", e)
	}
	if r.Events[3].Signed() != 0 || r.Events[2].Link() != "/v1/deadlines/" || r.Events[1].Link() != "/v1/officers//performance-events/m1" {
		t.Fatalf("withdrawn %+v, links %s %s", r.Events[3], r.Events[2].Link(), r.Events[1].Link())
	}
	if events[1].Points != 0 {
		t.Fatal("Summarize changed its input")
	}
}

func TestDaysPeriod(t *testing.T) {
	p, err := DaysPeriod(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || !p.From.Equal(time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC)) || !p.To.Equal(time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("period %v..%v, %v", p.From, p.To, err)
	}
	if !p.Contains(p.From) || p.Contains(p.To) {
		t.Fatal("a period is half-open")
	}
	if _, err := DaysPeriod(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); derrors.CodeOf(err) != derrors.Invalid {
		t.Fatalf("to before from: %v", err)
	}
}
