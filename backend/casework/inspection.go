package casework

import (
	"context"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
)

// FactsOfInspection is what a case takes from an inspection record: its street, matters, place
// and findings, whether goods were seized, and whether it needs follow-up (NeedsFollowUp).
func FactsOfInspection(st inspection.State) InspectionFacts {
	r := st.Record
	lat, lng := r.Location.Lat, r.Location.Lon
	loc := Location{Address: r.Location.Address, Lat: &lat, Lng: &lng}
	f := InspectionFacts{ID: r.ID, StreetCode: st.StreetCode, MatterCodes: r.MatterCodes, ActAt: st.ActAt, Location: loc,
		Description: r.Findings, FollowUp: NeedsFollowUp(r)}
	for _, m := range r.Measures {
		if m.Kind == authority.MeasureSeizure {
			f.Seizure = true
		}
	}
	return f
}

// NeedsFollowUp reports whether an inspection record needs a case: any record but one closed on
// the spot by a warning or a simple-procedure fine (处罚法 art. 51), and always one with a seizure
// (强制法 arts 24-27: the seized goods must be decided on), a summons (the party comes to the
// team) or a referral (the competent department takes it over). A record that decided nothing
// (evidence only) needs one too: the problem found is still open.
func NeedsFollowUp(r inspection.Record) bool {
	closedOnSpot := false
	for _, m := range r.Measures {
		switch m.Kind {
		case authority.MeasureSeizure, authority.MeasureSummons, authority.MeasureRefer:
			return true
		case authority.MeasureWarning, authority.MeasureFineSimple:
			closedOnSpot = true
		}
	}
	return !closedOnSpot
}

// ApprovalHook is what an approval of an inspection record sets off (inspection.Service.OnApproved):
// the clue of a record that needs follow-up, opened in the approval's transaction under an id
// newID gives. A record that has its case already is left alone: approving again never opens a
// second.
//
// The approval is also the team leader's answer to what the record reported to him: it meets
// the record's ApprovalMeets deadlines.
func (s *Service) ApprovalHook(newID func() string) func(ctx context.Context, userID string, st inspection.State) error {
	return func(ctx context.Context, userID string, st inspection.State) error {
		if err := s.store.MeetInspectionDeadlines(ctx, st.Record.ID, ApprovalMeets); err != nil {
			return err
		}
		_, err := s.InspectionApproved(ctx, userID, newID(), FactsOfInspection(st))
		return err
	}
}

// ApprovalMeets are the deadlines of an inspection record its approval by the team leader meets:
// the report of an urgent seizure taken on the spot (强制法 art. 19: reported to the head of the
// agency within 24 hours, approval obtained afterwards), which the approval is.
var ApprovalMeets = []DeadlineKind{DeadlineEmergencyReport}
