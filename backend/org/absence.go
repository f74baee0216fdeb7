package org

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// AbsenceKind is why an officer is away: on leave (休假), in training (培训), sick (病假), or
// otherwise. Which kinds make an officer unavailable for case routing is configuration
// (WHISTLE_CASE_UNAVAILABLE_KINDS).
type AbsenceKind string

// The kinds of absence.
const (
	AbsenceLeave    AbsenceKind = "leave"
	AbsenceTraining AbsenceKind = "training"
	AbsenceSick     AbsenceKind = "sick"
	AbsenceOther    AbsenceKind = "other"
)

// AbsenceKinds are every kind of absence, in the order the configuration's default lists them.
var AbsenceKinds = []AbsenceKind{AbsenceLeave, AbsenceTraining, AbsenceSick, AbsenceOther}

// Valid reports whether k is one of AbsenceKinds.
func (k AbsenceKind) Valid() bool { return slices.Contains(AbsenceKinds, k) }

// ParseAbsenceKinds reads a comma-separated list of kinds (the form of
// WHISTLE_CASE_UNAVAILABLE_KINDS), each at most once. An empty list is an error: an officer is
// then never away, which is the absence of this feature, not a setting of it.
func ParseAbsenceKinds(s string) ([]AbsenceKind, error) {
	var kinds []AbsenceKind
	for part := range strings.SplitSeq(s, ",") {
		k := AbsenceKind(strings.TrimSpace(part))
		switch {
		case !k.Valid():
			return nil, fmt.Errorf("%q is not a kind of absence (%s)", k, joinKinds(AbsenceKinds))
		case slices.Contains(kinds, k):
			return nil, fmt.Errorf("kind %q given twice", k)
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

func joinKinds(ks []AbsenceKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Absence is a time an officer is away from the team: from From (inclusive) until Until
// (exclusive), recorded for the officer's street by its team leader or an administrator. A
// withdrawn absence (WithdrawnAt set) is kept for the record and counts no more.
type Absence struct {
	ID          string
	OfficerCode string
	StreetCode  string
	Kind        AbsenceKind
	From, Until time.Time
	Reason      string
	RecordedBy  string // username
	RecordedAt  time.Time
	WithdrawnAt *time.Time
	WithdrawnBy string // username; "" unless withdrawn
}

// Withdrawn reports whether a has been withdrawn.
func (a Absence) Withdrawn() bool { return a.WithdrawnAt != nil }

// Check returns derrors.Invalid (naming the field) unless a's kind is known and its period is
// not empty (From before Until).
func (a Absence) Check() error {
	switch {
	case !a.Kind.Valid():
		return derrors.Invalidf("/kind", "kind must be one of %s", joinKinds(AbsenceKinds))
	case a.From.IsZero() || a.Until.IsZero():
		return derrors.Invalidf("/until", "from and until are both required")
	case !a.From.Before(a.Until):
		return derrors.Invalidf("/until", "until (%s) must be after from (%s): the period is from inclusive, until exclusive",
			a.Until.UTC().Format(time.RFC3339), a.From.UTC().Format(time.RFC3339))
	}
	return nil
}

// AbsentAt reports whether a keeps its officer away at t: not withdrawn, and From <= t < Until.
func (a Absence) AbsentAt(t time.Time) bool {
	return !a.Withdrawn() && !t.Before(a.From) && t.Before(a.Until)
}

// Unavailable returns the officers (by code) that absences keep away at t, counting only the
// given kinds (nil: every kind). This is the availability case routing judges (RouteInput.OnLeave
// in backend/casework).
func Unavailable(absences []Absence, at time.Time, kinds []AbsenceKind) map[string]bool {
	away := map[string]bool{}
	for _, a := range absences {
		if a.AbsentAt(at) && (kinds == nil || slices.Contains(kinds, a.Kind)) {
			away[a.OfficerCode] = true
		}
	}
	return away
}
