package org_test

import (
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

func TestAbsence_AbsentAt(t *testing.T) {
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	until := from.Add(72 * time.Hour)
	withdrawn := from.Add(-time.Hour)
	tests := []struct {
		name string
		a    org.Absence
		at   time.Time
		want bool
	}{
		{"AtFrom", org.Absence{From: from, Until: until}, from, true},
		{"Inside", org.Absence{From: from, Until: until}, from.Add(time.Hour), true},
		{"BeforeFrom", org.Absence{From: from, Until: until}, from.Add(-time.Nanosecond), false},
		{"AtUntil", org.Absence{From: from, Until: until}, until, false},
		{"Withdrawn", org.Absence{From: from, Until: until, WithdrawnAt: &withdrawn}, from.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.AbsentAt(tt.at); got != tt.want {
				t.Fatalf("AbsentAt(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	abs := []org.Absence{
		{OfficerCode: "a", Kind: org.AbsenceLeave, From: from, Until: from.Add(24 * time.Hour)},
		{OfficerCode: "b", Kind: org.AbsenceTraining, From: from, Until: from.Add(24 * time.Hour)},
		{OfficerCode: "c", Kind: org.AbsenceLeave, From: from.Add(24 * time.Hour), Until: from.Add(48 * time.Hour)},
	}
	at := from.Add(time.Hour)
	if got := org.Unavailable(abs, at, nil); len(got) != 2 || !got["a"] || !got["b"] {
		t.Fatalf("every kind: %v, want a and b", got)
	}
	if got := org.Unavailable(abs, at, []org.AbsenceKind{org.AbsenceLeave}); len(got) != 1 || !got["a"] {
		t.Fatalf("leave only: %v, want a", got)
	}
}

func TestParseAbsenceKinds(t *testing.T) {
	got, err := org.ParseAbsenceKinds("leave, sick")
	if err != nil || len(got) != 2 || got[0] != org.AbsenceLeave || got[1] != org.AbsenceSick {
		t.Fatalf("ParseAbsenceKinds = %v, %v", got, err)
	}
	for _, bad := range []string{"", "leave,,sick", "holiday", "leave,leave"} {
		if _, err := org.ParseAbsenceKinds(bad); err == nil {
			t.Errorf("ParseAbsenceKinds(%q) accepted", bad)
		}
	}
}

func TestAbsence_Check(t *testing.T) {
	from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		a     org.Absence
		field string
	}{
		{"OK", org.Absence{Kind: org.AbsenceSick, From: from, Until: from.Add(time.Hour)}, ""},
		{"ErrEmptyPeriod", org.Absence{Kind: org.AbsenceSick, From: from, Until: from}, "/until"},
		{"ErrReversed", org.Absence{Kind: org.AbsenceSick, From: from, Until: from.Add(-time.Hour)}, "/until"},
		{"ErrKind", org.Absence{Kind: "holiday", From: from, Until: from.Add(time.Hour)}, "/kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Check()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			e, ok := err.(*derrors.Error)
			if !ok || e.Code != derrors.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("Check = %v, want invalid at %s", err, tt.field)
			}
		})
	}
}
